import type { PublicClient } from "viem";

import type { KeeperConfig } from "../config/schema.js";
import { createIndexer } from "../indexer/indexer.js";
import type { Logger } from "../log.js";
import { readPrices, type ReadPricesReturnType } from "../prices/readPrices.js";
import { openStore, type KeeperStore } from "../store/store.js";

/** Options of `indexAndPrice`. */
export interface IndexAndPriceParameters {
  config: KeeperConfig;
  client: PublicClient;
  logger?: Logger;
}

/** The store indexed to the head, and every asset's price at the checkpoint block. */
export interface IndexAndPriceReturnType {
  store: KeeperStore;
  blockNumber: bigint;
  timestamp: bigint;
  prices: ReadPricesReturnType;
}

/**
 * Opens the store, indexes to the head (minus confirmations) and reads the prices at the checkpoint block, so
 * that state and prices describe the same block. The caller closes the store.
 *
 * @param parameters Config, client, logger.
 * @returns The store, the block and the prices.
 */
export async function indexAndPrice(parameters: IndexAndPriceParameters): Promise<IndexAndPriceReturnType> {
  const { config, client, logger } = parameters;
  const store = openStore({ path: config.dbPath, vault: config.vault, chainId: config.chainId });
  try {
    const indexer = createIndexer({
      client,
      store,
      vault: config.vault,
      startBlock: config.startBlock,
      confirmations: config.confirmations,
      reorgWindow: config.reorgWindow,
      chunkSize: config.getLogsChunkSize,
      logger: logger?.child({ module: "indexer" }),
    });
    const result = await indexer.sync();
    const blockNumber = BigInt(result.checkpoint ?? config.startBlock);
    const block = await client.getBlock({ blockNumber });
    const risk = store.riskConfig();
    const prices = await readPrices({ client, assets: risk.assets, sequencer: risk.sequencer, blockNumber, timestamp: block.timestamp });
    return { store, blockNumber, timestamp: block.timestamp, prices };
  } catch (error) {
    store.close();
    throw error;
  }
}
