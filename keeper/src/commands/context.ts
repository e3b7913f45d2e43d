import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
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
 * Opens a private copy of the state file (SQLite `VACUUM INTO`, through a read-only connection): `scan` and
 * `account` index that copy to the head and never write the keeper's own file, so a running keeper's checkpoint
 * is never moved under it. Without a state file, the copy starts empty.
 *
 * @param parameters The config's state file, vault and chain.
 * @returns A store on the copy; closing it deletes the copy.
 */
export function openStoreCopy(parameters: { path: string; vault: KeeperConfig["vault"]; chainId: number }): KeeperStore {
  const dir = mkdtempSync(join(tmpdir(), "keeper-read-"));
  const copy = join(dir, "state.sqlite");
  if (parameters.path !== ":memory:" && existsSync(parameters.path)) {
    const source = new DatabaseSync(parameters.path, { readOnly: true });
    try {
      source.exec(`VACUUM INTO '${copy.replace(/'/g, "''")}'`);
    } finally {
      source.close();
    }
  }
  const store = openStore({ path: copy, vault: parameters.vault, chainId: parameters.chainId });
  const close = store.close.bind(store);
  store.close = () => {
    close();
    rmSync(dir, { recursive: true, force: true });
  };
  return store;
}

/**
 * Opens a copy of the store (the keeper's file is only read), indexes to the head (minus confirmations) and reads the prices at the checkpoint block, so
 * that state and prices describe the same block. The caller closes the store.
 *
 * @param parameters Config, client, logger.
 * @returns The store, the block and the prices.
 */
export async function indexAndPrice(parameters: IndexAndPriceParameters): Promise<IndexAndPriceReturnType> {
  const { config, client, logger } = parameters;
  const store = openStoreCopy({ path: config.dbPath, vault: config.vault, chainId: config.chainId });
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
