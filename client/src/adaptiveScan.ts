/**
 * Adaptive scans, model v1.1 (docs/risk-model.md): each asset's scan follows an EWMA estimate of its daily
 * volatility, scan = clamp(3.5 sigma, 0.5x, 1.25x the static scan), and moves on-chain only through the registry's
 * risk-steward path: at most `maxStep` of its value per update, at most once per `minInterval`. Pure functions,
 * shared by the backtest and local run (`sim/`) and the keeper's `risk propose`.
 */

const WAD = 10n ** 18n;

/** The v1.1 rule and the steward path's limits. */
export interface AdaptiveScanParameters {
  /** EWMA decay (RiskMetrics' daily value). @default 0.94 */
  lambda: number;
  /** Scan = multiplier x sigma before the clamp. @default 3.5 */
  multiplier: number;
  /** Clamp band, as fractions of the static scan. @default 0.5 and 1.25 */
  floor: number;
  cap: number;
  /** The registry's largest relative step per update (WAD). @default 0.1e18 (DEFAULT_RISK_STEP) */
  maxStep: bigint;
  /** The registry's least interval between two updates of one scan, in seconds. @default 1 day (DEFAULT_RISK_INTERVAL) */
  minInterval: number;
  /** Proposals are rounded up to a multiple of this (WAD). @default 0.001e18 */
  rounding: bigint;
}

/** The defaults: the rule and the registry's default steward bounds. */
export const ADAPTIVE_DEFAULTS: AdaptiveScanParameters = {
  lambda: 0.94,
  multiplier: 3.5,
  floor: 0.5,
  cap: 1.25,
  // RiskRegistry's DEFAULT_RISK_STEP and DEFAULT_RISK_INTERVAL (ConstantsLib.sol).
  maxStep: 10n ** 17n,
  minInterval: 86_400,
  rounding: 10n ** 15n,
};

/**
 * The EWMA volatility after each close: sigma_0 = `sigma0`, sigma_t^2 = lambda sigma_{t-1}^2 + (1 - lambda) r_t^2
 * with r_t the log return from close t-1 to close t.
 *
 * @param closes Closes in time order (any spacing; one return per close after the first).
 * @param sigma0 The volatility before the first return (the static scan / multiplier starts v1.1 at v1).
 */
export function ewmaVolatility(closes: readonly number[], lambda: number, sigma0: number): number[] {
  const out = [sigma0];
  let variance = sigma0 ** 2;
  for (let t = 1; t < closes.length; t++) {
    const r = Math.log(closes[t]! / closes[t - 1]!);
    variance = lambda * variance + (1 - lambda) * r * r;
    out.push(Math.sqrt(variance));
  }
  return out;
}

/** The v1.1 target: clamp(multiplier x sigma, floor x static, cap x static), rounded up to `rounding`, within (0, 1e18]. */
export function targetScan(sigma: number, staticScan: bigint, parameters: AdaptiveScanParameters = ADAPTIVE_DEFAULTS): bigint {
  // Micro-units, rounded up; the epsilon keeps float noise (3.5 x 0.12 / 3.5 = 0.12000000000000001) from adding one.
  const raw = BigInt(Math.ceil(parameters.multiplier * sigma * 1e6 - 1e-6)) * 10n ** 12n;
  const lo = (staticScan * BigInt(Math.round(parameters.floor * 1e6))) / 10n ** 6n;
  const hi = (staticScan * BigInt(Math.round(parameters.cap * 1e6))) / 10n ** 6n;
  const clamped = raw < lo ? lo : raw > hi ? hi : raw;
  const rounded = ((clamped + parameters.rounding - 1n) / parameters.rounding) * parameters.rounding;
  return rounded > WAD ? WAD : rounded < 1n ? 1n : rounded;
}

/**
 * The value the steward path lets `current` move to on the way to `target`: at most floor(current x maxStep / 1e18)
 * away, as `RiskRegistry._checkRiskChange` allows.
 */
export function stepToward(current: bigint, target: bigint, maxStep: bigint): bigint {
  const maxDelta = (current * maxStep) / WAD;
  if (target > current) return target - current > maxDelta ? current + maxDelta : target;
  return current - target > maxDelta ? current - maxDelta : target;
}
