/**
 * Calibration of the risk parameters of any asset from its daily closes (docs/risk-model.md): the scan (the larger
 * one-sided 99.5% one-day move, floored by a stressed year), the medium correlation of each pair (the low and high
 * regimes follow from it by the spec's rule), the perp add-on k and the collateral haircut h by the tier rule the
 * spec's defaults follow, and a deployment config (Ignition parameter file) that lists them.
 */
import type { DeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { dayNumber, PriceFileError, selectWindow, type PriceSeries, type PriceWindow } from "./prices.js";

const WAD = 10n ** 18n;
/** One basis point in WAD: every calibrated rate is a whole number of basis points. */
const BP = 10n ** 14n;

/** The constants of the method; docs/risk-model.md gives the reason of each. */
export const CALIBRATION = {
  /** Coverage the scan targets, per side of a position. */
  confidence: 0.995,
  /** The standard normal quantile of `confidence`, applied to the stressed year's volatility. */
  z: 2.5758293035489,
  /** Length of the stressed window (days): FRTB's stressed period is twelve months. */
  stressedDays: 365,
  /** Scans are rounded up to this step (WAD). */
  scanStep: 10n ** 16n,
  /** Medium correlations are rounded to the nearest multiple of this (WAD). */
  rhoStep: 5n * 10n ** 16n,
  /** Length of the rolling window whose correlations the report compares with the three regimes (days). */
  rollingDays: 90,
  /** The fewest daily returns a calibration accepts: the stressed year must fit in the window. */
  minReturns: 365,
} as const;

/** One asset's calibration, with the figures that justify it. */
export interface AssetCalibration {
  asset: string;
  /** The 99.5% quantile of daily returns (up move) and minus the 0.5% quantile (down move). */
  upMove: number;
  downMove: number;
  /** The stressed year: its first day, its daily volatility (RMS log return) and z * that volatility. */
  stressedFrom: string;
  stressedVolatility: number;
  stressedFloor: number;
  /** Which one set the scan. */
  binding: "up move" | "down move" | "stressed floor";
  /** The largest one-day move of the window and its date (for the report). */
  worstMove: number;
  worstDay: string;
  /** Parameters (WAD). */
  scan: bigint;
  k: bigint;
  haircut: bigint;
  /** The add-on tier of the scan (0 for scans <= 0.15). */
  tier: number;
  /** Highest close of the window, and the listed maximum price (WAD). */
  highestClose: number;
  maxPrice: bigint;
  lastClose: number;
}

/** One pair's correlation: the sample value, the listed medium and the regimes the spec derives from it (WAD). */
export interface PairCalibration {
  a: string;
  b: string;
  sample: number;
  rho: bigint;
  low: bigint;
  high: bigint;
  /** Range of the rolling `CALIBRATION.rollingDays`-day correlation, and the share of those windows inside [low, high]. */
  rollingMin: number;
  rollingMax: number;
  rollingInside: number;
}

/** The result of `calibrate`. */
export interface Calibration {
  from: string;
  to: string;
  returns: number;
  assets: AssetCalibration[];
  pairs: PairCalibration[];
  /** The deployment config: the base config's USD, settlement and liquidation settings, with the calibrated assets. */
  config: DeploymentConfig;
}

/** Linear-interpolated quantile (numpy's default) of a sorted list. */
export function quantileSorted(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (h - lo);
}

/** Pearson correlation of two equal-length series. */
export function correlation(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** A rate as WAD, rounded up to a multiple of `step` (margin rounds up). */
function toWadUp(x: number, step: bigint): bigint {
  const bps = BigInt(Math.ceil(x * 10_000 - 1e-9));
  const wad = bps * BP;
  return ((wad + step - 1n) / step) * step;
}

/** A correlation as WAD, rounded to the nearest multiple of `step`. */
function toWadNearest(x: number, step: bigint): bigint {
  const units = Math.round((x * 1e18) / Number(step));
  return BigInt(units) * step;
}

/** The spec's low and high regimes of a medium correlation (spec §4; integer division truncates toward zero). */
export function regimes(rho: bigint): { low: bigint; high: bigint } {
  const high = rho + rho / 4n < WAD ? rho + rho / 4n : WAD;
  const a = 2n * rho - WAD;
  const b = rho - rho / 4n;
  return { low: a > b ? a : b, high };
}

/**
 * The add-on tier rule the spec's defaults follow (spec §7): scans up to 0.15 pay k = 0.5% and h = 2%; each further
 * 0.10 of scan (or part of it) adds 0.5% to k and 3% to h (0.25 -> 1% / 5%, 0.35 -> 1.5% / 8%, ...).
 */
export function addOnsOfScan(scan: bigint): { tier: number; k: bigint; haircut: bigint } {
  const over = scan - 15n * 10n ** 16n;
  const tierStep = 10n ** 17n;
  const tier = over <= 0n ? 0n : (over + tierStep - 1n) / tierStep;
  return { tier: Number(tier), k: 5n * 10n ** 15n * (tier + 1n), haircut: 2n * 10n ** 16n + 3n * 10n ** 16n * tier };
}

/** The listed maximum price: 10x the window's highest close, rounded up to a power of ten USD (a bound, not a price). */
export function maxPriceOf(highestClose: number): bigint {
  const exponent = Math.ceil(Math.log10(highestClose * 10) - 1e-12);
  // At least MAX_PRICE_UNIT (1e-9 USD), the registry's storage unit.
  return exponent >= -9 ? (exponent >= 0 ? 10n ** BigInt(exponent) * WAD : WAD / 10n ** BigInt(-exponent)) : 10n ** 9n;
}

/** Daily simple returns and log returns of a series of closes. */
function returnsOf(closes: readonly number[]): { simple: number[]; log: number[] } {
  const simple: number[] = [];
  const log: number[] = [];
  for (let t = 1; t < closes.length; t++) {
    simple.push(closes[t]! / closes[t - 1]! - 1);
    log.push(Math.log(closes[t]! / closes[t - 1]!));
  }
  return { simple, log };
}

/** The scan of one asset and why (docs/risk-model.md, "Scan"). */
export function calibrateAsset(asset: string, dates: readonly string[], closes: readonly number[]): AssetCalibration {
  const { simple, log } = returnsOf(closes);
  const sorted = [...simple].sort((x, y) => x - y);
  const upMove = quantileSorted(sorted, CALIBRATION.confidence);
  const downMove = -quantileSorted(sorted, 1 - CALIBRATION.confidence);
  const L = Math.min(CALIBRATION.stressedDays, log.length);
  let best = -1;
  let start = 0;
  let sum = 0;
  for (let t = 0; t < log.length; t++) {
    sum += log[t]! ** 2;
    if (t >= L) sum -= log[t - L]! ** 2;
    if (t >= L - 1 && sum > best) [best, start] = [sum, t - L + 1];
  }
  const stressedVolatility = Math.sqrt(best / L);
  const stressedFloor = CALIBRATION.z * stressedVolatility;
  const raw = Math.max(upMove, downMove, stressedFloor);
  const binding = raw === stressedFloor ? "stressed floor" : raw === upMove ? "up move" : "down move";
  const scan = toWadUp(raw, CALIBRATION.scanStep);
  const capped = scan > WAD ? WAD : scan;
  const { tier, k, haircut } = addOnsOfScan(capped);
  let worst = 0;
  for (let t = 1; t < simple.length; t++) if (Math.abs(simple[t]!) > Math.abs(simple[worst]!)) worst = t;
  const highestClose = Math.max(...closes);
  return {
    asset,
    upMove,
    downMove,
    // Return t runs from close t to close t+1; the stressed year starts at the close before its first return.
    stressedFrom: dates[start]!,
    stressedVolatility,
    stressedFloor,
    binding,
    worstMove: simple[worst]!,
    worstDay: dates[worst + 1]!,
    scan: capped,
    k,
    haircut,
    tier,
    highestClose,
    maxPrice: maxPriceOf(highestClose),
    lastClose: closes[closes.length - 1]!,
  };
}

/** One pair's correlations (docs/risk-model.md, "Correlations"). */
export function calibratePair(a: string, b: string, closesA: readonly number[], closesB: readonly number[]): PairCalibration {
  const x = returnsOf(closesA).log;
  const y = returnsOf(closesB).log;
  const sample = correlation(x, y);
  const rho = toWadNearest(sample, CALIBRATION.rhoStep);
  const { low, high } = regimes(rho);
  const rolling: number[] = [];
  for (let t = CALIBRATION.rollingDays; t <= x.length; t += 1) {
    rolling.push(correlation(x.slice(t - CALIBRATION.rollingDays, t), y.slice(t - CALIBRATION.rollingDays, t)));
  }
  const [lo, hi] = [Number(low) / 1e18, Number(high) / 1e18];
  return {
    a,
    b,
    sample,
    rho,
    low,
    high,
    rollingMin: rolling.length > 0 ? Math.min(...rolling) : sample,
    rollingMax: rolling.length > 0 ? Math.max(...rolling) : sample,
    rollingInside: rolling.length > 0 ? rolling.filter((r) => r >= lo - 1e-12 && r <= hi + 1e-12).length / rolling.length : 1,
  };
}

/**
 * The window a calibration uses: `from` .. `to`, by default the days every file covers. Refuses a file with a single
 * row, a history that starts after `from` or ends before `to`, a gap, or fewer than `CALIBRATION.minReturns`
 * returns, each with the file and the row.
 *
 * @throws PriceFileError naming the file and the row.
 */
export function calibrationWindow(series: readonly PriceSeries[], from?: string, to?: string): PriceWindow {
  for (const s of series) {
    if (s.closes.length < 2) {
      throw new PriceFileError(s.file, s.closes[0]!.line, `a single price row (${s.closes[0]!.date}); calibration needs ${CALIBRATION.minReturns + 1} consecutive daily closes`);
    }
  }
  const start = from ?? series.map((s) => s.closes[0]!.date).reduce((x, y) => (x > y ? x : y));
  const end = to ?? series.map((s) => s.closes[s.closes.length - 1]!.date).reduce((x, y) => (x < y ? x : y));
  for (const s of series) {
    const head = s.closes[0]!;
    const tail = s.closes[s.closes.length - 1]!;
    if (dayNumber(head.date) > dayNumber(start)) {
      throw new PriceFileError(s.file, head.line, `history starts ${head.date}, after the window's first day ${start} (too short a history: pass a later --from)`);
    }
    if (dayNumber(tail.date) < dayNumber(end)) {
      throw new PriceFileError(s.file, tail.line, `history ends ${tail.date}, before the window's last day ${end} (pass an earlier --to)`);
    }
  }
  const returns = dayNumber(end) - dayNumber(start);
  if (!(returns >= CALIBRATION.minReturns)) {
    const shortest = series.reduce((x, y) => (x.closes[0]!.date > y.closes[0]!.date ? x : y));
    const row = shortest.closes.find((c) => c.date >= start) ?? shortest.closes[0]!;
    throw new PriceFileError(
      shortest.file,
      row.line,
      `too short a history: ${start} .. ${end} has ${Number.isNaN(returns) ? 0 : Math.max(returns, 0)} daily returns, calibration needs at least ${CALIBRATION.minReturns} (a stressed year)`,
    );
  }
  return selectWindow(series, start, end);
}

/** A collateral token and a market for an asset the base config does not list. */
function newListing(asset: AssetCalibration): { collateral: DeploymentConfig["collateral"][number]; market: DeploymentConfig["markets"][number] } {
  // Caps worth 2e9 and 5e9 USD at the maximum price: the default BTC caps' shares of the 1e10 USD exact range.
  const units = (usd: bigint) => (usd * WAD * WAD) / asset.maxPrice;
  return {
    collateral: {
      token: { mock: { name: `Wrapped ${asset.asset}`, symbol: `W${asset.asset}`, decimals: 18 } },
      asset: asset.asset,
      haircut: asset.haircut,
      depositCap: units(2_000_000_000n),
    },
    market: { symbol: `${asset.asset}-PERP`, asset: asset.asset, k: asset.k, openInterestCap: units(5_000_000_000n) },
  };
}

/**
 * Calibrates `window`'s assets and builds their deployment config on `base` (its USD asset, USDC collateral,
 * settlement, liquidation, fund and cash settings are kept; an asset the base lists keeps its token and caps).
 *
 * @param window Aligned daily closes (see `calibrationWindow`).
 * @param base The deployment config to extend (spec-v1.json by default in the CLI).
 * @returns Every asset's and pair's figures, and the config.
 * @example calibrate(calibrationWindow([loadPriceFile("data/prices/BTC-USD_1d.csv", "BTC")]), defaultDeploymentConfig())
 */
export function calibrate(window: PriceWindow, base: DeploymentConfig): Calibration {
  const assets = window.assets.map((a) => calibrateAsset(a, window.dates, window.closes[a]!));
  const pairs: PairCalibration[] = [];
  for (let i = 0; i < assets.length; i++) {
    for (let j = i + 1; j < assets.length; j++) {
      const [a, b] = [window.assets[i]!, window.assets[j]!];
      pairs.push(calibratePair(a, b, window.closes[a]!, window.closes[b]!));
    }
  }
  const usd = base.assets[0]!;
  const config: DeploymentConfig = {
    ...base,
    assets: [
      usd,
      ...assets.map((a) => {
        const listed = base.assets.find((b) => b.symbol === a.asset);
        const answer = BigInt(Math.round(a.lastClose * 1e8));
        return {
          symbol: a.asset,
          feed: listed?.feed ?? { mock: { decimals: 8, answer: answer > 0n ? answer : 1n } },
          heartbeat: listed?.heartbeat ?? 3600,
          scan: a.scan,
          // A listed asset keeps its bound (already above every price it had); a new one gets the calibrated bound.
          maxPrice: listed?.maxPrice ?? a.maxPrice,
        };
      }),
    ],
    correlations: pairs.map((p) => ({ a: p.a, b: p.b, rho: p.rho })),
    collateral: [
      ...base.collateral.filter((c) => c.asset === usd.symbol),
      ...assets.map((a) => {
        const listed = base.collateral.find((c) => c.asset === a.asset);
        return listed ? { ...listed, haircut: a.haircut } : newListing(a).collateral;
      }),
    ],
    markets: assets.map((a) => {
      const listed = base.markets.find((m) => m.asset === a.asset);
      return listed ? { ...listed, k: a.k } : newListing(a).market;
    }),
  };
  return { from: window.dates[0]!, to: window.dates[window.dates.length - 1]!, returns: window.dates.length - 1, assets, pairs, config };
}

/** A deployment config as the JSON of an Ignition parameter file (bigints as decimal strings). */
export function configToJson(config: DeploymentConfig): string {
  return JSON.stringify(config, (_, value) => (typeof value === "bigint" ? value.toString() : value), 2) + "\n";
}
