/** Stress tests of one account: worst historical days, the -40%..+40% grid in the high regime, the risk score. */
import { useMemo } from "preact/hooks";
import type { Address } from "viem";

import type { ChainSnapshot } from "../chain/sync.js";
import { pct, usd } from "../format.js";
import { historicalMovesOfData } from "../risk/priceData.js";
import { GRID_SHOCKS, historicalStress, movedPrices, riskScore, stressGrid, type HistoricalOutcome } from "../risk/stress.js";
import { accountMargin } from "../../../client/src/margin/marginLib.js";
import { toPortfolio } from "../../../client/src/risk.js";
import { Chart } from "./Chart.js";

const CURVE = Array.from({ length: 41 }, (_, i) => -0.4 + i * 0.02);

function Outcome({ label, o, symbols }: { label: string; o: HistoricalOutcome | null; symbols: string[] }) {
  if (o === null) return <tr><td>{label}</td><td colSpan={4} class="muted">no data</td></tr>;
  const moves = symbols.filter((s) => o.move.moves.has(s)).map((s) => `${s} ${pct(o.move.moves.get(s)!, 0)}`).join(", ");
  return (
    <tr>
      <td>{label}</td>
      <td>{o.move.date} <span class="muted">({o.move.horizon}d: {moves})</span></td>
      <td class="num">{usd(-o.loss)}</td>
      <td class="num">{usd(o.equity)} / {usd(o.mm)}</td>
      <td class={o.liquidates ? "bad" : "ok"}>{o.liquidates ? "liquidated" : "survives"}</td>
    </tr>
  );
}

export function StressPanel({ snapshot, address }: { snapshot: ChainSnapshot; address: Address }) {
  const { book, prices } = snapshot;
  const out = useMemo(() => {
    if (prices === null) return null;
    const record = book.accounts.get(address);
    if (record === undefined) return null;
    const p = toPortfolio(snapshot.deployment, record);
    const params = snapshot.deployment.risk;
    const symbols = book.assets.map((a) => a.symbol);
    const m = accountMargin(p, params, prices);
    const touched = book.assets.map((a) => a.id).filter((a) => ((m.touched >> BigInt(a)) & 1n) === 1n);
    const curve = CURVE.map((s) => accountMargin(p, params, movedPrices(prices, () => s)));
    return {
      symbols,
      hist: historicalStress(p, params, prices, symbols, historicalMovesOfData().d1, historicalMovesOfData().d3),
      grid: stressGrid(p, params, prices, touched),
      score: riskScore(m.equity, m.weightedSensitivities),
      curve: {
        equity: curve.map((c) => Number(c.equity) / 1e18),
        mmHigh: curve.map((c) => Number(c.kHigh + c.addOns) / 1e18),
        mm: curve.map((c) => Number(c.maintenanceMargin) / 1e18),
      },
    };
  }, [snapshot.block, address, prices, book]);

  if (out === null) return <section class="card wide"><h2>Stress</h2><p class="muted">No portfolio to stress.</p></section>;
  const { hist, grid, score, symbols } = out;
  return (
    <section class="card wide" data-testid="stress">
      <h2>Stress tests</h2>
      <p>
        <b>Risk score {Number.isFinite(score) ? score.toFixed(2) : "∞"}</b>{" "}
        <span class={score < 1 ? "bad" : score < 3 ? "warn" : "ok"}>
          {score < 1 ? "— one day of scan-size moves against every asset at once wipes the equity" : score < 3 ? "— survives one scan-size day against every asset, not three" : "— survives three scan-size days against every asset at once"}
        </span>{" "}
        <span class="muted">(E / Σ|WS|: the multiple of the one-day scans, all assets moving against the account, that takes E to zero; docs/app.md)</span>
      </p>
      <h3>Historical moves (data/prices, applied to today's prices)</h3>
      <table data-testid="stress-history">
        <thead><tr><th>scenario</th><th>date</th><th class="num">P&amp;L</th><th class="num">E / MM after</th><th /></tr></thead>
        <tbody>
          <Outcome label="worst 1-day" o={hist.worst1d} symbols={symbols} />
          <Outcome label="worst 3-day" o={hist.worst3d} symbols={symbols} />
          {hist.crises.map((c) => <Outcome key={c.name} label={c.name} o={c.worst} symbols={symbols} />)}
        </tbody>
      </table>
      <h3>Grid: E − MM after the move, MM with correlations broken to the high regime</h3>
      <table class="heat" data-testid="stress-grid">
        <thead><tr><th>move</th>{GRID_SHOCKS.map((s) => <th class="num" key={s}>{pct(s, 0)}</th>)}</tr></thead>
        <tbody>
          {grid.map((row) => (
            <tr key={row.asset ?? "all"}>
              <td>{row.asset === null ? "all assets" : `${symbols[row.asset]} alone`}</td>
              {row.cells.map((c, i) => {
                const slack = c.equity - c.mm;
                return <td key={i} class={`num ${c.liquidates ? "cell-bad" : slack < c.mm / 2n ? "cell-warn" : "cell-ok"}`} title={`loss ${usd(c.loss)}`}>{usd(slack, 0)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <Chart
        title="All assets moved together: equity vs maintenance margin"
        xLabel="move %"
        x={CURVE.map((s) => Math.round(s * 100))}
        series={[
          { label: "equity", values: out.curve.equity, stroke: "#2563eb" },
          { label: "MM (vault rule)", values: out.curve.mm, stroke: "#dc2626" },
          { label: "MM (high regime)", values: out.curve.mmHigh, stroke: "#7c3aed", dash: [5, 4] },
        ]}
      />
    </section>
  );
}
