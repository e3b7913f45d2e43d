/** The operator's and auditor's view: accounts nearest liquidation, open interest vs caps, fund, bad debt, liquidations, keeper. */
import { useEffect, useLayoutEffect, useMemo, useState } from "preact/hooks";

import { toPortfolio } from "../../../client/src/risk.js";
import { fmtUnits, shortAddress } from "../chain/book.js";
import type { ChainSnapshot, RedeemRequest } from "../chain/sync.js";
import { healthClass, pct, ratio, usd } from "../format.js";
import type { RankedAccount } from "../risk/ranking.js";
import { GRID_SHOCKS, bookOutcome, movedPrices, type BookOutcome, type HistoricalMove } from "../risk/stress.js";
import { recordFirstRender } from "../timing.js";
import { historicalMovesOfData } from "../risk/priceData.js";
import { VirtualList } from "./VirtualList.js";

export interface ProtocolViewProps {
  snapshot: ChainSnapshot;
  ranked: RankedAccount[];
  /** The block `ranked` is of (the worker answers after the snapshot arrives); null before the first ranking. */
  rankedBlock: number | null;
  keeperMetrics: boolean;
  onOpen: (address: string) => void;
}

/** The keeper's own metrics (Prometheus text), without the process and Node.js defaults. */
const KEEPER_METRICS = /^(keeper_(?!process_|nodejs_)[a-z_]+)(\{[^}]*\})?\s+(\S+)$/;

function KeeperPanel() {
  const [lines, setLines] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    const load = () =>
      fetch("./keeper-metrics")
        .then(async (r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
        .then((text) => alive && (setLines(text.split("\n").filter((l) => KEEPER_METRICS.test(l))), setError(null)))
        .catch((e: Error) => alive && setError(e.message));
    void load();
    const timer = setInterval(load, 3000);
    return () => ((alive = false), clearInterval(timer));
  }, []);
  return (
    <section class="card">
      <h2>Keeper</h2>
      {error && <p class="muted">metrics endpoint unreachable: {error}</p>}
      <table class="kv">
        <tbody>
          {(lines ?? []).slice(0, 24).map((l) => {
            const m = KEEPER_METRICS.exec(l)!;
            return (
              <tr key={l}>
                <td>{m[1]}{m[2] ?? ""}</td>
                <td class="num">{m[3]}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

/** A duration in seconds as "7 d", "2 d 3 h", "45 min". */
function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  return h > 0 ? `${h} h ${Math.floor((seconds % 3600) / 60)} min` : `${Math.max(0, Math.ceil(seconds / 60))} min`;
}

/** A block timestamp as "2026-12-09 22:03". */
function utc(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/** Where a redemption request stands at `now` (the block's timestamp). */
function requestState(r: RedeemRequest, now: number): { text: string; cls: string } {
  if (r.sharesLeft === 0n) return { text: "redeemed", cls: "muted" };
  if (now < r.opens) return { text: `cooling, ${duration(r.opens - now)} left`, cls: "warn" };
  if (now <= r.closes) return { text: `redeemable, ${duration(r.closes - now)} left`, cls: "ok" };
  return { text: "window passed", cls: "muted" };
}

/** The insurance fund: assets, share price, income still streaming, the cooldown rule and the latest redemption requests. */
function FundPanel({ snapshot }: { snapshot: ChainSnapshot }) {
  const { book, fund, timestamp } = snapshot;
  const shareDecimals = fund ? 10n ** BigInt(fund.decimals) : 1n;
  const assetUnits = fund ? 10n ** BigInt(fund.assetDecimals) : 1n;
  return (
    <section class="card" data-testid="fund">
      <h2>Insurance fund and bad debt</h2>
      <table class="kv">
        <tbody>
          <tr><td>fund (ERC-4626)</td><td class="mono num" title={book.fund ?? ""}>{book.fund ? shortAddress(book.fund) : "none"}</td></tr>
          {fund && <tr><td>assets (totalAssets)</td><td class="num" data-testid="fund-assets" data-units={fund.totalAssets.toString()}>{fmtUnits(fund.totalAssets, fund.assetDecimals, 2)}</td></tr>}
          {fund && <tr><td>share price (assets per share)</td><td class="num">{fund.totalSupply === 0n ? "1" : fmtUnits((fund.totalAssets * shareDecimals * 10n ** 18n) / (fund.totalSupply * assetUnits), 18, 6)}</td></tr>}
          {fund && <tr><td>income still streaming in</td><td class="num">{fmtUnits(fund.lockedIncome, fund.assetDecimals, 2)}</td></tr>}
          {fund && <tr><td>its cash in the vault (in assets)</td><td class="num">{fmtUnits(fund.vaultCash, fund.assetDecimals, 2)}</td></tr>}
          {fund && <tr><td>withdrawal cooldown</td><td class="num" data-testid="fund-cooldown">{duration(fund.cooldown)}, then a {duration(fund.redeemWindow)} window</td></tr>}
          <tr><td>unbacked bad debt</td><td class={`num ${book.badDebt > 0n ? "bad" : ""}`} data-testid="bad-debt">{usd(book.badDebt)}</td></tr>
        </tbody>
      </table>
      {fund && (
        <>
          <h3>Redemption requests</h3>
          {fund.requests.length === 0 ? <p class="muted">none: shareholders must request a redemption and wait the cooldown (their shares bear losses meanwhile)</p> : (
            <table data-testid="fund-requests">
              <thead><tr><th>owner</th><th class="num">shares</th><th>opens (UTC)</th><th>state</th></tr></thead>
              <tbody>
                {fund.requests.map((r) => {
                  const state = requestState(r, timestamp);
                  return (
                    <tr key={r.owner} data-owner={r.owner}>
                      <td class="mono">{shortAddress(r.owner)}</td>
                      <td class="num">{fmtUnits(r.sharesLeft, fund.decimals, 2)}</td>
                      <td title={`redeemable ${utc(r.opens)} → ${utc(r.closes)} UTC`}>{utc(r.opens).slice(5)}</td>
                      <td class={state.cls}>{state.text}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

export function ProtocolView({ snapshot, ranked, rankedBlock, keeperMetrics, onOpen }: ProtocolViewProps) {
  const { book, prices } = snapshot;
  // The first render that a person can use: the at-risk list filled.
  useLayoutEffect(() => {
    if (rankedBlock !== null) recordFirstRender("protocolFirstRender");
  }, [rankedBlock]);
  const under = ranked.filter((r) => r.ratio < 1).length;
  const [stress, setStress] = useState<{ label: string; outcome: BookOutcome }[] | null>(null);
  useEffect(() => setStress(null), [snapshot.block]);

  const symbols = book.assets.map((a) => a.symbol);
  const runStress = () => {
    if (prices === null) return;
    const params = snapshot.deployment.risk;
    const portfolios = [...book.accounts.values()].map((a) => toPortfolio(snapshot.deployment, a));
    const worst = (moves: HistoricalMove[]) =>
      moves.reduce<HistoricalMove | null>((w, m) => {
        const avg = [...m.moves.values()].reduce((s, x) => s + x, 0);
        const wAvg = w === null ? Infinity : [...w.moves.values()].reduce((s, x) => s + x, 0);
        return avg < wAvg ? m : w;
      }, null);
    const rows: { label: string; outcome: BookOutcome }[] = [];
    const moves = historicalMovesOfData();
    for (const [label, move] of [["worst 1-day (market)", worst(moves.d1)], ["worst 3-day (market)", worst(moves.d3)]] as const) {
      if (move === null) continue;
      rows.push({ label: `${label}: ${move.date}`, outcome: bookOutcome(portfolios, params, prices, movedPrices(prices, (a) => move.moves.get(symbols[a] ?? "") ?? 0), false) });
    }
    for (const s of GRID_SHOCKS.filter((s) => s !== 0)) {
      rows.push({ label: `all assets ${pct(s, 0)}, high regime`, outcome: bookOutcome(portfolios, params, prices, movedPrices(prices, () => s), true) });
    }
    setStress(rows);
  };

  const totals = useMemo(() => {
    let equity = 0n;
    let mm = 0n;
    for (const r of ranked) {
      equity += r.equity;
      mm += r.mm;
    }
    return { equity, mm };
  }, [ranked]);

  return (
    <div class="grid" data-testid="protocol-view">
      <section class="card wide">
        <h2>Accounts nearest liquidation <span class="muted">({ranked.length.toLocaleString()} accounts, {under} under MM; sorted by E / MM)</span></h2>
        <div class="vhead">
          <span>#</span><span>account</span><span class="num">E / MM</span><span class="num">equity</span><span class="num">MM</span><span class="num">IM</span>
        </div>
        <VirtualList
          items={ranked}
          rowHeight={28}
          height={Math.min(420, Math.max(84, ranked.length * 28))}
          testId="at-risk"
          row={(r, i) => (
            <a class={`vcells ${healthClass(r.ratio)}`} href={`#/account/${r.address}`} onClick={() => onOpen(r.address)} data-address={r.address}>
              <span>{i + 1}</span>
              <span class="mono">{shortAddress(r.address)}</span>
              <span class="num">{ratio(r.ratio)}</span>
              <span class="num">{usd(r.equity)}</span>
              <span class="num">{usd(r.mm)}</span>
              <span class="num">{usd(r.im)}</span>
            </a>
          )}
        />
        <p class="muted">
          Book: equity {usd(totals.equity)}, MM {usd(totals.mm)}. Figures by the twin (in a Web Worker) at block{" "}
          <span data-testid="ranked-block">{rankedBlock ?? "…"}</span>, the vault's integers{rankedBlock === null ? "; ranking…" : ""}.
        </p>
      </section>

      <section class="card">
        <h2>Open interest vs caps</h2>
        <table>
          <thead><tr><th>market</th><th class="num">long OI</th><th class="num">cap</th><th>use</th></tr></thead>
          <tbody>
            {book.markets.map((m) => {
              const use = m.openInterestCap === 0n ? 0 : Number((m.openInterest * 10_000n) / m.openInterestCap) / 10_000;
              return (
                <tr key={m.id}>
                  <td>{book.marketLabel(m.id)}</td>
                  <td class="num">{fmtUnits(m.openInterest, 18, 2)}</td>
                  <td class="num">{fmtUnits(m.openInterestCap, 18, 0)}</td>
                  <td><div class="bar"><div class={use > 0.9 ? "bad" : use > 0.7 ? "warn" : "ok"} style={{ width: `${Math.min(100, use * 100)}%` }} /></div> {(use * 100).toFixed(1)}%</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      <FundPanel snapshot={snapshot} />

      <section class="card">
        <h2>Recent liquidations</h2>
        {book.liquidations.length === 0 ? <p class="muted">none yet</p> : (
          <table>
            <thead><tr><th>block</th><th>account</th><th class="num">fraction</th><th class="num">value</th><th class="num">bonus</th></tr></thead>
            <tbody>
              {book.liquidations.slice(0, 12).map((l) => (
                <tr key={`${l.tx}-${l.account}`}>
                  <td>{l.block}</td>
                  <td><a class="mono" href={`#/account/${l.account}`}>{shortAddress(l.account)}</a></td>
                  <td class="num">{(Number(l.fraction) / 1e16).toFixed(2)}%</td>
                  <td class="num">{usd(l.value)}</td>
                  <td class="num">{usd(l.bonus)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="card">
        <h2>Risk changes</h2>
        <p class="muted">
          Price band {book.priceBand.toString()} bps for every settler; a steward or guardian moves a parameter by at most{" "}
          {fmtUnits(book.riskSteps.maxStep * 100n, 18, 2)}% once per {(Number(book.riskSteps.minInterval) / 3600).toLocaleString()} h,
          larger changes wait for the timelock.
        </p>
        {book.riskChanges.length === 0 ? <p class="muted">none since listing</p> : (
          <table data-testid="risk-changes">
            <thead><tr><th>block</th><th>parameter</th><th>old → new</th></tr></thead>
            <tbody>
              {book.riskChanges.slice(0, 12).map((c, i) => (
                <tr key={`${c.tx}-${i}`}>
                  <td>{c.block}</td>
                  <td>{c.parameter}</td>
                  <td class="num">{c.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {keeperMetrics && <KeeperPanel />}

      <section class="card wide">
        <h2>Book stress</h2>
        <p class="muted">Every account under the market's worst historical days (the day the five assets fell most on average) and uniform moves with correlations broken to the high regime.</p>
        <button onClick={runStress} disabled={prices === null} data-testid="run-book-stress">Run on {ranked.length.toLocaleString()} accounts</button>
        {stress && (
          <table>
            <thead><tr><th>scenario</th><th class="num">book loss</th><th class="num">accounts under MM</th><th class="num">shortfall (E &lt; 0)</th></tr></thead>
            <tbody>
              {stress.map((s) => (
                <tr key={s.label}>
                  <td>{s.label}</td>
                  <td class="num">{usd(s.outcome.loss)}</td>
                  <td class={`num ${s.outcome.liquidated > 0 ? "bad" : ""}`}>{s.outcome.liquidated}</td>
                  <td class={`num ${s.outcome.shortfall > 0n ? "bad" : ""}`}>{usd(s.outcome.shortfall)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
