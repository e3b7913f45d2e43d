/**
 * The trader's output: human tables (amounts in USD with 2 decimals, sizes in base units) and JSON (every
 * integer as an exact decimal string, WAD amounts unscaled, so that scripts compare to the wei).
 */
import { formatUnits } from "viem";

import { formatRatio, formatTable, formatUsd } from "../../client/src/format.js";
import { liquidationPrices, maxWithdrawable, payableCash, shockToMaintenance, type AccountSnapshot, type RiskView } from "../../client/src/risk.js";

/** JSON.stringify with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** The margin figures of a view, as printed and as JSON. */
export function figures(view: RiskView) {
  return {
    equity: view.equity,
    maintenanceMargin: view.maintenanceMargin,
    initialMargin: view.initialMargin,
    healthRatio: view.healthRatio,
    freeCollateral: view.freeCollateral,
    kLow: view.regimes.low,
    kMedium: view.regimes.medium,
    kHigh: view.regimes.high,
    bindingRegime: view.regimes.binding,
    addOns: view.margin.addOns,
    isolatedMaintenanceMargin: view.margin.isolatedMaintenanceMargin,
    liquidatable: view.liquidatable,
  };
}

/** The figures table. */
export function figuresTable(view: RiskView, after?: RiskView): string {
  const rows: string[][] = [after ? ["figure", "now (USD)", "after (USD)"] : ["figure", "USD"]];
  const line = (name: string, f: (v: RiskView) => string) => rows.push(after ? [name, f(view), f(after)] : [name, f(view)]);
  line("equity E", (v) => formatUsd(v.equity));
  line("maintenance margin MM", (v) => formatUsd(v.maintenanceMargin));
  line("initial margin IM", (v) => formatUsd(v.initialMargin));
  line("E / MM", (v) => formatRatio(v.equity, v.maintenanceMargin));
  line("free collateral E - IM", (v) => formatUsd(v.freeCollateral));
  line("K low / medium / high", (v) => `${formatUsd(v.regimes.low)} / ${formatUsd(v.regimes.medium)} / ${formatUsd(v.regimes.high)}`);
  line("add-ons", (v) => formatUsd(v.margin.addOns));
  return formatTable(rows);
}

function status(view: RiskView): string {
  if (view.liquidatable) return "LIQUIDATABLE: E < MM";
  if (view.equity < view.initialMargin) return "below IM: no withdrawal or new risk";
  return "healthy: E >= IM";
}

/** Everything about an account: holdings, exposures, figures, withdrawable amounts, liquidation prices. */
export function accountReport(snapshot: AccountSnapshot, view: RiskView) {
  const d = snapshot.deployment;
  const healthy = !view.liquidatable;
  const holdings = {
    cash: snapshot.state.cash,
    collateral: d.collaterals
      .filter((c) => (snapshot.state.balances[c.id] ?? 0n) !== 0n || payableCash(snapshot, c.id) > 0n)
      .map((c) => ({ token: c.symbol, address: c.token, balance: snapshot.state.balances[c.id]!, decimals: c.decimals, maxWithdrawable: healthy ? maxWithdrawable(snapshot, c.id) : 0n })),
    positions: d.markets
      .filter((m) => (snapshot.state.positions[m.id] ?? 0n) !== 0n)
      .map((m) => {
        const lp = healthy ? liquidationPrices(snapshot, m.asset) : { down: null, up: null };
        return { market: m.symbol, size: snapshot.state.positions[m.id]!, price: snapshot.prices[m.asset]!, liquidationPriceDown: lp.down, liquidationPriceUp: lp.up };
      }),
  };
  const shock = healthy && view.maintenanceMargin > 0n ? shockToMaintenance(snapshot) : { down: null, up: null };
  return {
    account: snapshot.account,
    blockNumber: snapshot.blockNumber,
    status: status(view),
    ...figures(view),
    assets: view.assets,
    holdings,
    shockToMaintenanceBps: shock,
  };
}

const bps = (x: number | null) => (x === null ? "none" : `${(x / 100).toFixed(2)}%`);
const price = (x: bigint | null) => (x === null ? "none" : formatUsd(x));

/** The human form of `accountReport`. */
export function accountText(report: ReturnType<typeof accountReport>): string {
  const lines = [`account ${report.account} at block ${report.blockNumber}: ${report.status}`, ""];
  const holdings = [["holding", "amount", "max withdrawable"]];
  for (const c of report.holdings.collateral) holdings.push([c.token, formatUnits(c.balance, c.decimals), formatUnits(c.maxWithdrawable, c.decimals)]);
  holdings.push(["cash (USD)", formatUsd(report.holdings.cash), ""]);
  lines.push(formatTable(holdings), "");
  if (report.holdings.positions.length > 0) {
    const positions = [["position", "size", "price", "liq. price down", "liq. price up"]];
    for (const p of report.holdings.positions) positions.push([p.market, formatUnits(p.size, 18), formatUsd(p.price), price(p.liquidationPriceDown), price(p.liquidationPriceUp)]);
    lines.push(formatTable(positions), "");
  }
  if (report.assets.length > 0) {
    const assets = [["asset", "price", "exposure", "WS"]];
    for (const a of report.assets) assets.push([a.symbol, formatUsd(a.price), formatUsd(a.exposure), formatUsd(a.weightedSensitivity)]);
    lines.push(formatTable(assets), "");
  }
  const rows = [
    ["figure", "USD"],
    ["equity E", formatUsd(report.equity)],
    ["maintenance margin MM", formatUsd(report.maintenanceMargin)],
    ["initial margin IM", formatUsd(report.initialMargin)],
    ["E / MM", report.healthRatio === null ? "inf" : formatUsd(report.healthRatio)],
    ["free collateral E - IM", formatUsd(report.freeCollateral)],
    [`K low / medium / high (binding: ${report.bindingRegime})`, `${formatUsd(report.kLow)} / ${formatUsd(report.kMedium)} / ${formatUsd(report.kHigh)}`],
    ["add-ons", formatUsd(report.addOns)],
    ["isolated MM (for comparison)", formatUsd(report.isolatedMaintenanceMargin)],
  ];
  lines.push(formatTable(rows), "");
  lines.push(`uniform move of all prices that reaches MM: down ${bps(report.shockToMaintenanceBps.down)}, up ${bps(report.shockToMaintenanceBps.up)}`);
  return lines.join("\n");
}
