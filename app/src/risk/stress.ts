/**
 * Stress tests of an account (or of the whole book) with the twin:
 * - historical: every 1-day and 3-day move of the daily closes (data/prices), applied to today's prices; the worst
 *   one for the portfolio is reported with its date, and so is the worst inside each named crisis;
 * - hypothetical grid: each risk asset alone, and all of them together, moved from -40% to +40%, with the
 *   requirement after the move computed in the high regime (correlations broken: hedges count less);
 * - the risk score (docs/app.md): E / sum_a |WS_a|, the multiple of one-day scans, every asset moving against the
 *   account at once, that wipes the equity.
 */
import { accountMargin, type Portfolio, type RiskParams } from "../../../client/src/margin/marginLib.js";
import { mulDown } from "../../../client/src/margin/mathLib.js";

/** Daily closes of one symbol, oldest first. */
export interface PriceSeries {
  symbol: string;
  dates: string[];
  closes: number[];
}

/** A historical move: the relative change of each symbol's close over `horizon` days ending on `date`. */
export interface HistoricalMove {
  date: string;
  horizon: number;
  /** Relative move by symbol (-0.3 = -30%). */
  moves: Map<string, number>;
}

/** The named crises of the price data, searched for their worst move. */
export const CRISES: readonly { name: string; from: string; to: string }[] = [
  { name: "May 2021 crash", from: "2021-05-10", to: "2021-05-25" },
  { name: "LUNA, May 2022", from: "2022-05-05", to: "2022-05-15" },
  { name: "June 2022 (Celsius, 3AC)", from: "2022-06-10", to: "2022-06-20" },
  { name: "FTX, Nov 2022", from: "2022-11-06", to: "2022-11-12" },
];

/** Parses `datetime,close` (extra columns ignored) into a series. */
export function parseCloses(symbol: string, csv: string): PriceSeries {
  const lines = csv.trim().split(/\r?\n/);
  const header = lines.shift()?.split(",") ?? [];
  const dateCol = header.indexOf("datetime");
  const closeCol = header.indexOf("close");
  if (dateCol < 0 || closeCol < 0) throw new Error(`${symbol}: expected the columns datetime and close`);
  const dates: string[] = [];
  const closes: number[] = [];
  for (const line of lines) {
    const cells = line.split(",");
    dates.push(cells[dateCol]!.slice(0, 10));
    closes.push(Number(cells[closeCol]));
  }
  return { symbol, dates, closes };
}

/** Every `horizon`-day move of the series (on the dates they share). */
export function historicalMoves(series: readonly PriceSeries[], horizon: number): HistoricalMove[] {
  const byDate = series.map((s) => new Map(s.dates.map((d, i) => [d, i] as const)));
  const dates = series[0]?.dates ?? [];
  const moves: HistoricalMove[] = [];
  for (let i = horizon; i < dates.length; i++) {
    const date = dates[i]!;
    const m = new Map<string, number>();
    series.forEach((s, j) => {
      const at = byDate[j]!.get(date);
      if (at === undefined || at < horizon) return;
      m.set(s.symbol, s.closes[at]! / s.closes[at - horizon]! - 1);
    });
    moves.push({ date, horizon, moves: m });
  }
  return moves;
}

const GIGA = 1_000_000_000n;

/** WAD prices after relative moves by asset id (USD, asset 0, never moves). */
export function movedPrices(prices: readonly bigint[], moveOf: (asset: number) => number): bigint[] {
  return prices.map((p, asset) => (asset === 0 ? p : mulDown(p, BigInt(Math.round((1 + moveOf(asset)) * 1e9)) * GIGA)));
}

/** The outcome of one scenario for one portfolio. */
export interface ScenarioOutcome {
  /** Equity lost (WAD USD, negative for a gain). */
  loss: bigint;
  equity: bigint;
  /** MM after the move (high regime for the grid, the vault's rule for historical moves). */
  mm: bigint;
  /** E < MM after the move. */
  liquidates: boolean;
}

function outcome(p: Portfolio, params: RiskParams, e0: bigint, prices: bigint[], highRegime: boolean): ScenarioOutcome {
  const m = accountMargin(p, params, prices);
  const mm = highRegime ? m.kHigh + m.addOns : m.maintenanceMargin;
  return { loss: e0 - m.equity, equity: m.equity, mm, liquidates: m.equity < mm };
}

/** A historical scenario's outcome. */
export interface HistoricalOutcome extends ScenarioOutcome {
  move: HistoricalMove;
}

/** The worst 1-day and 3-day historical moves for `p`, and the worst inside each named crisis. */
export interface HistoricalStress {
  worst1d: HistoricalOutcome | null;
  worst3d: HistoricalOutcome | null;
  crises: { name: string; worst: HistoricalOutcome | null }[];
}

/**
 * Applies every historical move to today's prices.
 *
 * @param symbols Asset symbols by asset id (the book's).
 */
export function historicalStress(p: Portfolio, params: RiskParams, prices: readonly bigint[], symbols: readonly string[], moves1d: readonly HistoricalMove[], moves3d: readonly HistoricalMove[]): HistoricalStress {
  const e0 = accountMargin(p, params, [...prices]).equity;
  const evaluate = (move: HistoricalMove): HistoricalOutcome => ({
    move,
    ...outcome(p, params, e0, movedPrices(prices, (a) => move.moves.get(symbols[a] ?? "") ?? 0), false),
  });
  const worstOf = (moves: readonly HistoricalMove[]): HistoricalOutcome | null => {
    let worst: HistoricalOutcome | null = null;
    for (const move of moves) {
      const o = evaluate(move);
      if (worst === null || o.loss > worst.loss) worst = o;
    }
    return worst;
  };
  return {
    worst1d: worstOf(moves1d),
    worst3d: worstOf(moves3d),
    crises: CRISES.map((c) => ({ name: c.name, worst: worstOf(moves3d.filter((m) => m.date >= c.from && m.date <= c.to)) })),
  };
}

/** The grid's shocks, -40% .. +40% by 10%. */
export const GRID_SHOCKS: readonly number[] = [-0.4, -0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3, 0.4];

/** One grid row: an asset alone (`asset`) or every asset together (`asset` null). */
export interface GridRow {
  asset: number | null;
  cells: ScenarioOutcome[];
}

/** The hypothetical grid for the assets in `assets` (and all together), MM in the high regime. */
export function stressGrid(p: Portfolio, params: RiskParams, prices: readonly bigint[], assets: readonly number[]): GridRow[] {
  const e0 = accountMargin(p, params, [...prices]).equity;
  const row = (asset: number | null): GridRow => ({
    asset,
    cells: GRID_SHOCKS.map((s) => outcome(p, params, e0, movedPrices(prices, (a) => (asset === null || a === asset ? s : 0)), true)),
  });
  return [row(null), ...assets.filter((a) => a !== 0).map(row)];
}

/**
 * The risk score: E / sum_a |WS_a|, the multiple of every asset's one-day scan, all moving against the account at
 * once (correlations ignored, the harshest reading), that takes the equity to zero. Infinity without risk, 0 or
 * less when the equity is already gone. Above 3: a 3-scan day is survived; under 1: one scan wipes it.
 */
export function riskScore(equity: bigint, weightedSensitivities: readonly bigint[]): number {
  let sum = 0n;
  for (const ws of weightedSensitivities) sum += ws < 0n ? -ws : ws;
  if (sum === 0n) return equity > 0n ? Infinity : 0;
  return Number((equity * 1000n) / sum) / 1000;
}

/** The whole book under one set of moved prices: total loss, accounts under MM, and the shortfall (sum of E < 0). */
export interface BookOutcome {
  loss: bigint;
  liquidated: number;
  shortfall: bigint;
}

/** Applies `moved` prices to every portfolio (MM in the high regime when `highRegime`). */
export function bookOutcome(portfolios: readonly Portfolio[], params: RiskParams, prices: readonly bigint[], moved: bigint[], highRegime: boolean): BookOutcome {
  let loss = 0n;
  let liquidated = 0;
  let shortfall = 0n;
  for (const p of portfolios) {
    const e0 = accountMargin(p, params, [...prices]).equity;
    const o = outcome(p, params, e0, moved, highRegime);
    loss += o.loss;
    if (o.liquidates) liquidated++;
    if (o.equity < 0n) shortfall -= o.equity;
  }
  return { loss, liquidated, shortfall };
}

