/** One account: margin, health, regimes, per-asset risk, positions and collateral, history; what-if and stress below. */
import type { Address } from "viem";

import { fmtSigned, fmtUnits, shortAddress } from "../chain/book.js";
import type { ChainSnapshot } from "../chain/sync.js";
import { healthClass, ratio, toFloat, usd } from "../format.js";
import { liquidationPrices, maxWithdrawable, shockToMaintenance, type AccountSnapshot } from "../../../client/src/risk.js";
import { accountSnapshot } from "../chain/deployment.js";
import { simulate, type WhatIfResult } from "../risk/whatIf.js";
import { mulDown } from "../../../client/src/margin/mathLib.js";
import { Chart } from "./Chart.js";

export interface AccountViewProps {
  snapshot: ChainSnapshot;
  address: Address;
  /** E, MM, IM of this account over the last blocks (floats, for the chart). */
  series: { blocks: number[]; equity: number[]; mm: number[]; im: number[] };
}

/** An exact figure: shown in USD, the wei in `data-wei` (the browser tests compare it with the chain). */
export function Figure({ label, wei, testId, cls }: { label: string; wei: bigint; testId: string; cls?: string }) {
  return (
    <div class={`figure ${cls ?? ""}`}>
      <div class="label">{label}</div>
      <div class="value" data-testid={testId} data-wei={wei.toString()}>{usd(wei)}</div>
    </div>
  );
}

export function Gauge({ r }: { r: number }) {
  // 0 .. 3x on the bar; 1x (MM) and 1.5x marked.
  const at = Number.isFinite(r) ? Math.max(0, Math.min(1, r / 3)) : 1;
  return (
    <div class="gauge" title="E / MM: liquidation below 1">
      <div class={`fill ${healthClass(r)}`} style={{ width: `${at * 100}%` }} />
      <div class="mark" style={{ left: `${100 / 3}%` }}><span>MM</span></div>
      <div class="mark" style={{ left: `${50}%` }}><span>1.5×</span></div>
    </div>
  );
}

/** The account's current figures (no edit), by the twin. */
export function currentRisk(snapshot: ChainSnapshot, address: Address): WhatIfResult | null {
  if (snapshot.prices === null) return null;
  return simulate(accountSnapshot(snapshot.deployment, snapshot.book, address, snapshot.prices));
}

/** A client view that throws when it has no answer (e.g. liquidation prices of an account already under MM). */
function attempt<T>(f: () => T): T | string {
  try {
    return f();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function LiquidationPanel({ account, symbol }: { account: AccountSnapshot; symbol: (a: number) => string }) {
  const touched = account.deployment.assets.filter((a) => a.id !== 0 && ((simulate(account).after.margin.touched >> BigInt(a.id)) & 1n) === 1n);
  const shock = attempt(() => shockToMaintenance(account));
  const bps = (x: number | null) => (x === null ? "none" : `${x > 0 ? "+" : ""}${(x / 100).toFixed(2)}%`);
  return (
    <section class="card">
      <h2>Liquidation prices <span class="muted">(one asset moves, the others fixed)</span></h2>
      <table data-testid="liquidation-prices">
        <thead><tr><th>asset</th><th class="num">price now</th><th class="num">falls to</th><th class="num">rises to</th></tr></thead>
        <tbody>
          {touched.map((a) => {
            const lp = attempt(() => liquidationPrices(account, a.id));
            return (
              <tr key={a.id}>
                <td>{symbol(a.id)}</td>
                <td class="num">{usd(account.prices[a.id] ?? 0n, 4)}</td>
                {typeof lp === "string" ? <td colSpan={2} class="bad">{lp}</td> : (
                  <>
                    <td class="num">{lp.down === null ? "never" : usd(lp.down, 4)}</td>
                    <td class="num">{lp.up === null ? "never" : usd(lp.up, 4)}</td>
                  </>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      <p class="muted">{typeof shock === "string" ? shock : `Every asset together reaches MM at ${bps(shock.down)} (down) or ${bps(shock.up)} (up).`}</p>
    </section>
  );
}

export function AccountView({ snapshot, address, series }: AccountViewProps) {
  const { book, prices } = snapshot;
  const record = book.accounts.get(address);
  if (prices === null) return <section class="card"><h2>Account</h2><p class="bad">No usable prices: {snapshot.priceError}</p></section>;
  const account = accountSnapshot(snapshot.deployment, book, address, prices);
  const risk = simulate(account);
  const m = risk.after.margin;
  const r = m.maintenanceMargin === 0n ? Infinity : Number((m.equity * 1_000_000n) / m.maintenanceMargin) / 1e6;
  const symbol = (a: number) => book.assets[a]?.symbol ?? `#${a}`;
  const history = book.history.get(address) ?? [];
  const notional = (id: number, size: bigint) => mulDown(size, prices[book.markets[id]?.asset ?? 0] ?? 0n);
  const perpPnl = (record?.cash ?? 0n) + (record?.positions ?? []).reduce((s, size, id) => s + notional(id, size), 0n);

  return (
    <div class="grid" data-testid="account-view">
      <section class="card wide">
        <h2>Account <span class="mono">{address}</span></h2>
        <div class="figures">
          <Figure label="Equity E" wei={m.equity} testId="equity" />
          <Figure label="Maintenance margin MM" wei={m.maintenanceMargin} testId="mm" />
          <Figure label="Initial margin IM" wei={m.initialMargin} testId="im" />
          <Figure label="Free collateral E − IM" wei={risk.after.freeCollateral} testId="free" cls={risk.after.freeCollateral < 0n ? "bad" : ""} />
          <div class="figure">
            <div class="label">Health E / MM</div>
            <div class={`value ${healthClass(r)}`} data-testid="health">{ratio(r)}</div>
            <Gauge r={r} />
          </div>
        </div>
        <p class="muted">
          {r < 1 ? <b class="bad">Under maintenance margin: the account can be liquidated now. </b> : null}
          Figures by the margin twin at block {snapshot.block}, the same integers as <code>vault.accountMargin</code>; updated on every block.
        </p>
      </section>

      <section class="card">
        <h2>Margin by regime</h2>
        <table>
          <thead><tr><th>correlation regime</th><th class="num">K</th><th /></tr></thead>
          <tbody>
            {(["low", "medium", "high"] as const).map((g) => (
              <tr key={g} class={risk.after.regimes.binding === g ? "binding" : ""}>
                <td>{g}</td>
                <td class="num">{usd(g === "low" ? m.kLow : g === "medium" ? m.kMedium : m.kHigh)}</td>
                <td>{risk.after.regimes.binding === g ? "binds" : ""}</td>
              </tr>
            ))}
            <tr><td>add-ons (k, haircuts)</td><td class="num">{usd(m.addOns)}</td><td /></tr>
            <tr><td>MM = max K + add-ons</td><td class="num">{usd(m.maintenanceMargin)}</td><td /></tr>
            <tr><td>isolated MM (for comparison)</td><td class="num">{usd(m.isolatedMaintenanceMargin)}</td><td class="muted">{m.isolatedMaintenanceMargin > 0n ? `MM = ${(Number((m.maintenanceMargin * 1000n) / m.isolatedMaintenanceMargin) / 1000).toFixed(3)} × isolated` : ""}</td></tr>
          </tbody>
        </table>
      </section>

      <section class="card">
        <h2>Risk by asset</h2>
        <table>
          <thead><tr><th>asset</th><th class="num">price</th><th class="num">exposure e</th><th class="num">WS = e·scan</th><th class="num">share of K</th></tr></thead>
          <tbody>
            {risk.contributions.map((c) => (
              <tr key={c.asset}>
                <td>{symbol(c.asset)}</td>
                <td class="num">{usd(prices[c.asset] ?? 0n, 4)}</td>
                <td class="num">{usd(c.exposure)}</td>
                <td class="num">{usd(c.weightedSensitivity)}</td>
                <td class="num">${c.kShare.toLocaleString("en-US", { maximumFractionDigits: 0 })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section class="card">
        <h2>Positions</h2>
        <table>
          <thead><tr><th>market</th><th class="num">size</th><th class="num">notional</th></tr></thead>
          <tbody>
            {(record?.positions ?? []).map((size, id) => size === 0n ? null : (
              <tr key={id}>
                <td>{book.marketLabel(id)}</td>
                <td class={`num ${size < 0n ? "short" : "long"}`}>{fmtSigned(size)}</td>
                <td class="num">{usd(notional(id, size))}</td>
              </tr>
            ))}
            <tr><td>settled cash</td><td /><td class="num">{usd(record?.cash ?? 0n)}</td></tr>
            <tr><td>perp P&amp;L (cash + notional)</td><td /><td class={`num ${perpPnl < 0n ? "bad" : "ok"}`}>{usd(perpPnl)}</td></tr>
          </tbody>
        </table>
      </section>

      <section class="card">
        <h2>Collateral</h2>
        <table>
          <thead><tr><th>token</th><th class="num">balance</th><th class="num">value</th><th class="num">haircut</th><th class="num">max withdrawable</th></tr></thead>
          <tbody>
            {book.collaterals.map((c) => {
              const units = record?.balances[c.id] ?? 0n;
              if (units === 0n) return null;
              return (
                <tr key={c.id}>
                  <td>{snapshot.symbols.get(c.token) ?? book.collateralLabel(c)}</td>
                  <td class="num">{fmtUnits(units, c.decimals)}</td>
                  <td class="num">{usd((units * 10n ** BigInt(18 - c.decimals) * (prices[c.asset] ?? 0n)) / 10n ** 18n)}</td>
                  <td class="num">{(toFloat(c.haircut) * 100).toFixed(1)}%</td>
                  <td class="num" data-testid={`max-withdraw-${c.id}`}>{fmtUnits(maxWithdrawable(account, c.id), c.decimals)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      <LiquidationPanel account={account} symbol={symbol} />

      <section class="card wide">
        <Chart
          title="Equity and margin, block by block"
          xLabel="block"
          x={series.blocks}
          series={[
            { label: "equity", values: series.equity, stroke: "#2563eb" },
            { label: "IM", values: series.im, stroke: "#d97706", dash: [6, 4] },
            { label: "MM", values: series.mm, stroke: "#dc2626" },
          ]}
        />
      </section>

      <section class="card wide">
        <h2>History</h2>
        {history.length === 0 ? <p class="muted">no events yet</p> : (
          <table data-testid="history">
            <thead><tr><th>block</th><th>what</th><th>details</th><th>tx</th></tr></thead>
            <tbody>
              {history.slice(0, 30).map((h, i) => (
                <tr key={i}><td>{h.block}</td><td>{h.kind}</td><td>{h.text}</td><td class="mono muted">{shortAddress(h.tx)}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
