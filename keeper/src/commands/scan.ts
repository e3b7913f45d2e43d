import type { PublicClient } from "viem";

import type { KeeperConfig } from "../config/schema.js";
import { formatRatio, formatTable, formatUsd } from "../format.js";
import type { Logger } from "../log.js";
import { evaluateAll } from "../margin/evaluate.js";
import { indexAndPrice } from "./context.js";

/** Options of `scanCommand`. */
export interface ScanCommandParameters {
  config: KeeperConfig;
  client: PublicClient;
  /** How many accounts to show. @default 20 */
  limit?: number;
  logger?: Logger;
}

/**
 * `keeper scan`: indexes to the head and returns the table of the accounts closest to liquidation (most
 * undercollateralised first), with the accounts that could not be evaluated listed after it.
 *
 * @param parameters Config, client, limit.
 * @returns The text to print.
 */
export async function scanCommand(parameters: ScanCommandParameters): Promise<string> {
  const { store, blockNumber, prices } = await indexAndPrice(parameters);
  try {
    const { ranked, failed } = evaluateAll({ store, prices });
    const rows = [["account", "E (USD)", "MM (USD)", "IM (USD)", "E/MM", "liquidatable"]];
    for (const r of ranked.slice(0, parameters.limit ?? 20)) {
      const m = r.margin;
      rows.push([r.account, formatUsd(m.equity), formatUsd(m.maintenanceMargin), formatUsd(m.initialMargin), formatRatio(m.equity, m.maintenanceMargin), r.liquidatable ? "YES" : "no"]);
    }
    const lines = [
      `block ${blockNumber}: ${ranked.length} accounts evaluated, ${ranked.filter((r) => r.liquidatable).length} under maintenance margin`,
      "",
      formatTable(rows),
    ];
    if (failed.length > 0) {
      lines.push("", `${failed.length} accounts could not be evaluated:`);
      for (const f of failed) lines.push(`  ${f.account}: ${f.error.shortMessage}`);
    }
    return lines.join("\n");
  } finally {
    store.close();
  }
}
