import { formatUnits, getAddress, isAddress, type PublicClient } from "viem";

import type { KeeperConfig } from "../config/schema.js";
import { ConfigError } from "../errors.js";
import { formatRatio, formatTable, formatUsd } from "../format.js";
import type { Logger } from "../log.js";
import { evaluateAccount } from "../margin/evaluate.js";
import { indexAndPrice } from "./context.js";

/** Options of `accountCommand`. */
export interface AccountCommandParameters {
  config: KeeperConfig;
  client: PublicClient;
  account: string;
  logger?: Logger;
}

/**
 * `keeper account <address>`: indexes to the head and returns the account's full margin breakdown (spec §3-§6):
 * exposures and weighted sensitivities per asset, K per correlation regime, add-ons, MM, IM, isolated MM.
 *
 * @param parameters Config, client, account.
 * @returns The text to print.
 * @throws ConfigError when the address is not an address; EvaluationError when a price is unusable.
 */
export async function accountCommand(parameters: AccountCommandParameters): Promise<string> {
  if (!isAddress(parameters.account, { strict: false })) {
    throw new ConfigError(`"${parameters.account}" is not an address.`, { metaMessages: ["Pass the account as 0x followed by 40 hex digits."] });
  }
  const account = getAddress(parameters.account);
  const { store, blockNumber, prices } = await indexAndPrice(parameters);
  try {
    const risk = store.riskConfig();
    const result = evaluateAccount({ store, account, prices, risk });
    if (!result.ok) throw result.error;
    const m = result.margin;
    const symbol = (asset: number) => risk.assets[asset]?.symbol ?? `#${asset}`;
    const lines = [`account ${account} at block ${blockNumber}`, ""];

    const holdings = [["holding", "asset", "amount"]];
    for (const c of result.inputs.portfolio.collateral) holdings.push(["collateral", symbol(c.asset), formatUnits(c.balance, 18)]);
    for (const q of result.inputs.portfolio.positions) holdings.push(["perp", symbol(q.asset), formatUnits(q.size, 18)]);
    holdings.push(["cash", "USD", formatUsd(result.inputs.portfolio.cash)]);
    lines.push(formatTable(holdings), "");

    const exposures = [["asset", "price (USD)", "exposure (USD)", "WS (USD)"]];
    m.exposures.forEach((e, asset) => {
      if (((m.touched >> BigInt(asset)) & 1n) === 0n) return;
      exposures.push([symbol(asset), formatUsd(result.inputs.prices[asset] ?? 0n), formatUsd(e), formatUsd(m.weightedSensitivities[asset] ?? 0n)]);
    });
    lines.push(formatTable(exposures), "");

    lines.push(
      formatTable([
        ["figure", "USD"],
        ["equity E", formatUsd(m.equity)],
        ["K low", formatUsd(m.kLow)],
        ["K medium", formatUsd(m.kMedium)],
        ["K high", formatUsd(m.kHigh)],
        ["K = max", formatUsd(m.k)],
        ["add-ons A", formatUsd(m.addOns)],
        ["maintenance margin MM", formatUsd(m.maintenanceMargin)],
        ["initial margin IM", formatUsd(m.initialMargin)],
        ["isolated MM", formatUsd(m.isolatedMaintenanceMargin)],
        ["E / MM", formatRatio(m.equity, m.maintenanceMargin)],
        ["MM / isolated MM", formatRatio(m.maintenanceMargin, m.isolatedMaintenanceMargin)],
      ]),
      "",
      result.liquidatable ? "LIQUIDATABLE: E < MM" : m.equity < m.initialMargin ? "healthy (E >= MM) but below IM: no withdrawals" : "healthy: E >= IM",
    );
    return lines.join("\n");
  } finally {
    store.close();
  }
}
