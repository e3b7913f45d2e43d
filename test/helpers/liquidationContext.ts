/**
 * The keeper's view of the in-process chain at its head, for liquidation tests: a store indexed to the head, and the
 * liquidation context (risk configuration and prices) read at that block.
 */
import { getAddress, type PublicClient } from "viem";

import { createIndexer } from "../../keeper/src/indexer/index.js";
import { createLiquidationContext, pricesByAsset, type LiquidationContext } from "../../keeper/src/liquidation/previewLiquidation.js";
import { readPrices } from "../../keeper/src/prices/index.js";
import type { RiskConfig } from "../../keeper/src/store/types.js";
import { openStore, type KeeperStore } from "../../keeper/src/store/index.js";

/**
 * Indexes `vault` to the head into an in-memory store and reads the prices there.
 *
 * @example const { store, risk, ctx } = await liquidationContextAtHead(client, vault);
 */
export async function liquidationContextAtHead(client: PublicClient, vault: string): Promise<{ store: KeeperStore; risk: RiskConfig; ctx: LiquidationContext }> {
  const address = getAddress(vault);
  const store = openStore({ path: ":memory:", vault: address, chainId: 31337 });
  await createIndexer({ client, store, vault: address, startBlock: 0 }).sync();
  const block = await client.getBlock();
  const risk = store.riskConfig();
  const read = await readPrices({ client, assets: risk.assets, sequencer: risk.sequencer, blockNumber: block.number, timestamp: block.timestamp });
  return { store, risk, ctx: createLiquidationContext(risk, pricesByAsset(risk.assets.length, read)) };
}
