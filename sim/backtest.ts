/**
 * Backtest of the margin model on history, with the keeper's bigint twin (no chain): each portfolio is opened at
 * every close t with the same USD notionals, its maintenance margin MM_t is computed at P_t, and its loss to the
 * next close, L_t = E_t - E_{t+1} with the same units, is compared with MM_t. Coverage is the share of days
 * with L_t <= MM_t (the model's scans target a 99.5% one-day move per asset).
 */
import { equity, mulDown, pairIndex } from "../client/src/margin/index.js";
import { PAIRS } from "./portfolios.js";
import type { PriceWindow } from "./prices.js";
import { answerToWad, toFeedAnswer } from "./interpolate.js";
import type { Rng } from "./rng.js";
import { emptyAccount, marginOf, toPortfolio, type RiskModel } from "./riskModel.js";

/** A portfolio in USD at each opening close: collateral values (>= 0) and signed perp notionals, by asset symbol. */
export interface BacktestPortfolio {
  name: string;
  family: string;
  collateral: { asset: string; usd: number }[];
  positions: { asset: string; usd: number }[];
}

/** One day of one portfolio (WAD USD). */
export interface BacktestDay {
  mm: bigint;
  isolated: bigint;
  /** E_t - E_{t+1}: positive is a loss. */
  loss: bigint;
}

/** One portfolio's result. */
export interface PortfolioResult {
  portfolio: BacktestPortfolio;
  days: BacktestDay[];
  covered: number;
  coverage: number;
  /** Mean over days of MM / ISO_MM. */
  mmOverIsolated: number;
  /** Largest L / MM. */
  worstLossOverMm: number;
}

/** One portfolio-day named in a report: a breach, or the closest call. */
export interface WorstDay {
  /** The opening close; the loss is to the next close. */
  date: string;
  portfolio: string;
  lossOverMm: number;
}

/** A family's aggregate. */
export interface FamilyResult {
  family: string;
  portfolios: number;
  observations: number;
  covered: number;
  coverage: number;
  mmOverIsolated: number;
  /** Median over portfolio-days of MM / ISO_MM. */
  medianMmOverIsolated: number;
  worstLossOverMm: number;
  /** The days with the largest loss / MM, largest first (losses only). */
  worstDays: WorstDay[];
}

/** Options of `backtest`. */
export interface BacktestOptions {
  /**
   * The scans in force at each opening close, by asset id (model v1.1); MM uses them while ISO_MM stays at the
   * model's static scans, so MM / ISO_MM compares with the same yardstick as v1.
   */
  scans?: readonly (readonly bigint[])[];
  /** How many worst days each family names. @default 3 */
  worstDays?: number;
}

/** The backtest's result. */
export interface BacktestResult {
  /** Opening dates t (each with a next close). */
  dates: string[];
  portfolios: PortfolioResult[];
  families: FamilyResult[];
  total: Omit<FamilyResult, "family">;
}

function ratio(x: bigint, y: bigint): number {
  return y === 0n ? Number.NaN : Number((x * 1_000_000n) / y) / 1e6;
}

/** WAD prices by asset id at day `t` of the window (USD = 1; assets outside the window get 1). */
export function pricesAt(model: RiskModel, window: PriceWindow, t: number): bigint[] {
  return model.assets.map((a) => {
    const close = window.closes[a]?.[t];
    return answerToWad(toFeedAnswer(close ?? 1));
  });
}

/**
 * One portfolio's day: opened at prices `p0` (units = notional / price, cash = -sum of notionals), MM and ISO_MM at
 * `p0`, and the loss E(p0) - E(p1).
 */
export function evaluateDay(model: RiskModel, portfolio: BacktestPortfolio, p0: bigint[], p1: bigint[], reference?: RiskModel): BacktestDay {
  const state = emptyAccount(model);
  const wad = (x: number) => BigInt(Math.round(x * 1e6)) * 10n ** 12n;
  for (const c of portfolio.collateral) {
    const index = model.collateralOf[c.asset];
    if (index === undefined) throw new Error(`backtest: no collateral token for ${c.asset}`);
    const col = model.collaterals[index]!;
    const price = p0[col.asset]!;
    // Units in WAD at the price, then to token units (rounded down).
    const unitsWad = (wad(c.usd) * 10n ** 18n) / price;
    state.balances[index] = state.balances[index]! + unitsWad / 10n ** BigInt(18 - col.decimals);
  }
  for (const q of portfolio.positions) {
    const market = model.marketOf[q.asset];
    if (market === undefined) throw new Error(`backtest: no market for ${q.asset}`);
    const price = p0[model.markets[market]!.asset]!;
    const size = (wad(q.usd) * 10n ** 18n) / price;
    state.positions[market] = state.positions[market]! + size;
    state.cash -= size >= 0n ? mulDown(size, price) : -mulDown(-size, price);
  }
  const margin = marginOf(model, state, p0);
  const next = equity(toPortfolio(model, state), p1);
  const isolated = reference === undefined ? margin.isolatedMaintenanceMargin : marginOf(reference, state, p0).isolatedMaintenanceMargin;
  return { mm: margin.maintenanceMargin, isolated, loss: margin.equity - next };
}

/**
 * Runs the backtest.
 *
 * @param model The risk model (spec §7 defaults).
 * @param window Daily closes of every asset the portfolios use.
 * @param portfolios Portfolios in USD.
 * @param options Per-day scans (v1.1) and how many worst days to name.
 * @returns Per portfolio and per family: coverage, MM / ISO_MM, worst loss / MM and the worst days.
 * @example backtest(model, loadPriceWindow("data/prices", ["BTC"], "2021-05-01", "2021-06-01"), typicalPortfolios(["BTC"]))
 */
export function backtest(model: RiskModel, window: PriceWindow, portfolios: readonly BacktestPortfolio[], options: BacktestOptions = {}): BacktestResult {
  const days = window.dates.length - 1;
  if (days < 1) throw new Error("backtest: the window needs at least two closes");
  const prices = window.dates.map((_, t) => pricesAt(model, window, t));
  const models = window.dates.map((_, t) => {
    const scan = options.scans?.[t];
    return scan === undefined ? model : { ...model, riskParams: { ...model.riskParams, scan: [...scan] } };
  });
  const reference = options.scans === undefined ? undefined : model;
  const results: PortfolioResult[] = portfolios.map((portfolio) => {
    const series: BacktestDay[] = [];
    for (let t = 0; t < days; t++) series.push(evaluateDay(models[t]!, portfolio, prices[t]!, prices[t + 1]!, reference));
    const covered = series.filter((d) => d.loss <= d.mm).length;
    const ratios = series.map((d) => ratio(d.mm, d.isolated)).filter(Number.isFinite);
    return {
      portfolio,
      days: series,
      covered,
      coverage: covered / days,
      mmOverIsolated: ratios.reduce((s, r) => s + r, 0) / Math.max(ratios.length, 1),
      worstLossOverMm: Math.max(...series.map((d) => ratio(d.loss, d.mm)).filter(Number.isFinite)),
    };
  });
  const named = options.worstDays ?? 3;
  const aggregate = (group: PortfolioResult[]) => {
    const observations = group.length * days;
    const covered = group.reduce((s, r) => s + r.covered, 0);
    const ratios = group.flatMap((r) => r.days.map((d) => ratio(d.mm, d.isolated)).filter(Number.isFinite)).sort((x, y) => x - y);
    const worst: WorstDay[] = [];
    for (const r of group) {
      r.days.forEach((d, t) => {
        const lossOverMm = ratio(d.loss, d.mm);
        if (!Number.isFinite(lossOverMm) || lossOverMm <= 0 || (worst.length === named && lossOverMm <= worst[named - 1]!.lossOverMm)) return;
        worst.push({ date: window.dates[t]!, portfolio: r.portfolio.name, lossOverMm });
        worst.sort((x, y) => y.lossOverMm - x.lossOverMm);
        if (worst.length > named) worst.pop();
      });
    }
    return {
      portfolios: group.length,
      observations,
      covered,
      coverage: covered / observations,
      mmOverIsolated: group.reduce((s, r) => s + r.mmOverIsolated, 0) / group.length,
      medianMmOverIsolated: ratios.length === 0 ? Number.NaN : ratios[Math.floor((ratios.length - 1) / 2)]! / 2 + ratios[Math.ceil((ratios.length - 1) / 2)]! / 2,
      worstLossOverMm: Math.max(...group.map((r) => r.worstLossOverMm)),
      worstDays: worst,
    };
  };
  const families = [...new Set(portfolios.map((p) => p.family))].map((family) => ({
    family,
    ...aggregate(results.filter((r) => r.portfolio.family === family)),
  }));
  return { dates: window.dates.slice(0, days), portfolios: results, families, total: aggregate(results) };
}

/** The pairs of `assets` whose medium correlation in `model` is at least `minRho` (WAD): the ones a pair trade hedges. */
export function correlatedPairs(model: RiskModel, assets: readonly string[], minRho = 5n * 10n ** 17n): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < assets.length; i++) {
    for (let j = i + 1; j < assets.length; j++) {
      const [x, y] = [model.assets.indexOf(assets[i]!), model.assets.indexOf(assets[j]!)].sort((p, q) => p - q) as [number, number];
      if (x >= 0 && model.riskParams.rho[pairIndex(x, y)]! >= minRho) out.push([assets[i]!, assets[j]!]);
    }
  }
  return out;
}

/**
 * The typical portfolios on `assets` ($100k each): hedged (collateral against a full short perp), pairs (long one,
 * short a correlated one, both ways), directional (long and short each asset).
 *
 * @param pairs The correlated pairs (default: the listed assets' pairs of the local run).
 */
export function typicalPortfolios(assets: readonly string[], pairs: readonly (readonly [string, string])[] = PAIRS): BacktestPortfolio[] {
  const out: BacktestPortfolio[] = [];
  const N = 100_000;
  for (const a of assets) {
    out.push({ name: `${a} collateral, short ${a} perp`, family: "hedged", collateral: [{ asset: a, usd: N }], positions: [{ asset: a, usd: -N }] });
  }
  for (const [a, b] of pairs) {
    if (!assets.includes(a) || !assets.includes(b)) continue;
    out.push({ name: `long ${a} / short ${b}`, family: "pairs", collateral: [], positions: [{ asset: a, usd: N }, { asset: b, usd: -N }] });
    out.push({ name: `long ${b} / short ${a}`, family: "pairs", collateral: [], positions: [{ asset: b, usd: N }, { asset: a, usd: -N }] });
  }
  for (const a of assets) {
    out.push({ name: `long ${a}`, family: "directional", collateral: [], positions: [{ asset: a, usd: N }] });
    out.push({ name: `short ${a}`, family: "directional", collateral: [], positions: [{ asset: a, usd: -N }] });
  }
  return out;
}

/** `count` random portfolios on `assets`: 1-4 perps of random sign and size, and sometimes asset collateral. */
export function randomPortfolios(assets: readonly string[], count: number, rng: Rng): BacktestPortfolio[] {
  const out: BacktestPortfolio[] = [];
  for (let i = 0; i < count; i++) {
    const legs = 1 + rng.int(Math.min(4, assets.length));
    const positions = new Map<string, number>();
    for (let k = 0; k < legs; k++) {
      const a = rng.pick(assets);
      positions.set(a, (positions.get(a) ?? 0) + (rng.next() < 0.5 ? -1 : 1) * rng.uniform(10_000, 200_000));
    }
    const collateral = rng.next() < 0.3 ? [{ asset: rng.pick(assets), usd: rng.uniform(10_000, 200_000) }] : [];
    out.push({
      name: `random ${i + 1}`,
      family: "random",
      collateral,
      positions: [...positions].map(([asset, usd]) => ({ asset, usd })),
    });
  }
  return out;
}
