/**
 * Model v1.1 replayed on history (docs/risk-model.md): the EWMA rule of `client/src/adaptiveScan.ts` stepped
 * through the steward path's limits, close after close, for one asset or a window of several.
 */
import { ADAPTIVE_DEFAULTS, ewmaVolatility, stepToward, targetScan, type AdaptiveScanParameters } from "../client/src/adaptiveScan.js";
import { dayNumber, type PriceWindow } from "./prices.js";

export { ADAPTIVE_DEFAULTS, ewmaVolatility, stepToward, targetScan, type AdaptiveScanParameters };

/** One scan update sent through the steward path. */
export interface ScanUpdate {
  /** Index of the close after which it is sent. */
  index: number;
  from: bigint;
  to: bigint;
}

/** The v1.1 scan of one asset along a history. */
export interface AdaptiveScanPath {
  sigma: number[];
  /** The unconstrained target after each close. */
  target: bigint[];
  /** The scan in force after each close (after that close's update, if any). */
  scan: bigint[];
  updates: ScanUpdate[];
}

/**
 * Replays v1.1 on one asset's closes: after each close the volatility is updated, the target computed and, when the
 * interval since the last update has passed, the scan stepped toward it.
 *
 * @param closes Closes in time order.
 * @param times Unix seconds of each close (daily closes: 86,400 apart).
 * @param staticScan The v1 scan (WAD): the clamp's centre and the starting value.
 * @example adaptiveScanPath([100, 90, 95], [0, 86400, 172800], 12n * 10n ** 16n)
 */
export function adaptiveScanPath(
  closes: readonly number[],
  times: readonly number[],
  staticScan: bigint,
  parameters: AdaptiveScanParameters = ADAPTIVE_DEFAULTS,
): AdaptiveScanPath {
  const sigma = ewmaVolatility(closes, parameters.lambda, Number(staticScan) / 1e18 / parameters.multiplier);
  const target: bigint[] = [];
  const scan: bigint[] = [];
  const updates: ScanUpdate[] = [];
  let current = staticScan;
  let lastUpdate = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < closes.length; t++) {
    target.push(targetScan(sigma[t]!, staticScan, parameters));
    if (times[t]! - lastUpdate >= parameters.minInterval && target[t] !== current) {
      const next = stepToward(current, target[t]!, parameters.maxStep);
      if (next !== current) {
        updates.push({ index: t, from: current, to: next });
        current = next;
        lastUpdate = times[t]!;
      }
    }
    scan.push(current);
  }
  return { sigma, target, scan, updates };
}

/** v1.1's scans over a window of several assets. */
export interface AdaptiveSchedule {
  /** The scans in force after each close from `start` on, by asset id (assets outside the window keep their scan). */
  scans: bigint[][];
  /** Each asset's path over the whole window (warm-up included). */
  paths: Record<string, AdaptiveScanPath>;
  /** Updates sent from `start` on. */
  updates: number;
}

/**
 * Replays v1.1 on every asset of `window` from its first close (the warm-up: the scan starts at the static value
 * there) and returns the scans in force from close `start` on.
 *
 * @param scan The static scans by asset id (WAD).
 * @param assets Asset symbols by asset id.
 */
export function adaptiveSchedule(
  assets: readonly string[],
  scan: readonly bigint[],
  window: PriceWindow,
  start: number,
  parameters: AdaptiveScanParameters = ADAPTIVE_DEFAULTS,
): AdaptiveSchedule {
  const times = window.dates.map((d) => dayNumber(d) * 86_400);
  const paths: Record<string, AdaptiveScanPath> = {};
  let updates = 0;
  for (const a of window.assets) {
    const id = assets.indexOf(a);
    if (id < 0) throw new Error(`adaptive scans: ${a} is not listed`);
    paths[a] = adaptiveScanPath(window.closes[a]!, times, scan[id]!, parameters);
    updates += paths[a].updates.filter((u) => u.index >= start).length;
  }
  const scans = window.dates.slice(start).map((_, t) => assets.map((a, id) => paths[a]?.scan[start + t] ?? scan[id]!));
  return { scans, paths, updates };
}
