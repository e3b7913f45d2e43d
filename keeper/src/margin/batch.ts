/**
 * Margin of many accounts at once, for the per-block decision at scale. Two engines over one flat book:
 * - `liquidatableBigint`: the exact bigint twin (`marginRequirement`, one `sqrtUp` per account since the largest
 *   regime sum gives the largest K), decision E < MM;
 * - `liquidatableScreened`: a float64 screen that decides the accounts far from the boundary and hands the
 *   others to the bigint engine, so that its decisions are exactly the bigint engine's.
 *
 * Why the screen is exact: every float figure differs from the exact one by a relative error of a few 1e-16 per
 * operation (plus the engine's wei roundings), far below `SCREEN_TOLERANCE` = 1e-9 of the account's gross value;
 * K = sqrt(S) can lose more when hedged exposures cancel inside S, so the band also holds sqrt(1e-13 x sum|terms
 * of S|). An account whose |E - MM| in float is inside the band is recomputed in bigint.
 */
import { WAD, ceilDiv, mulDown, mulUp } from "./mathLib.js";
import { highCorrelation, lowCorrelation, MAX_EXPOSURE, pairIndex, type Portfolio, type RiskParams } from "./marginLib.js";

/** The relative band (of gross value) inside which the float screen defers to bigint. */
export const SCREEN_TOLERANCE = 1e-9;

/** Accounts as flat arrays: entry `j` of account `i` is at `offsets[i] <= j < offsets[i + 1]`. */
export interface MarginBook {
  count: number;
  cash: bigint[];
  cashFloat: Float64Array;
  offsets: Uint32Array;
  /** Per entry: risk asset, 1 for collateral / 0 for a position, rate (k or haircut), size or WAD balance. */
  asset: Uint8Array;
  isCollateral: Uint8Array;
  rate: bigint[];
  rateFloat: Float64Array;
  amount: bigint[];
  amountFloat: Float64Array;
}

/**
 * Builds a book from engine portfolios.
 *
 * @param portfolios One per account.
 * @returns The flat book.
 */
export function createMarginBook(portfolios: readonly Portfolio[]): MarginBook {
  const entries = portfolios.reduce((n, p) => n + p.collateral.length + p.positions.length, 0);
  const book: MarginBook = {
    count: portfolios.length,
    cash: new Array<bigint>(portfolios.length),
    cashFloat: new Float64Array(portfolios.length),
    offsets: new Uint32Array(portfolios.length + 1),
    asset: new Uint8Array(entries),
    isCollateral: new Uint8Array(entries),
    rate: new Array<bigint>(entries),
    rateFloat: new Float64Array(entries),
    amount: new Array<bigint>(entries),
    amountFloat: new Float64Array(entries),
  };
  let j = 0;
  portfolios.forEach((p, i) => {
    book.cash[i] = p.cash;
    book.cashFloat[i] = Number(p.cash) / 1e18;
    book.offsets[i] = j;
    for (const c of p.collateral) {
      book.asset[j] = c.asset;
      book.isCollateral[j] = 1;
      book.rate[j] = c.haircut;
      book.rateFloat[j] = Number(c.haircut) / 1e18;
      book.amount[j] = c.balance;
      book.amountFloat[j] = Number(c.balance) / 1e18;
      j++;
    }
    for (const q of p.positions) {
      book.asset[j] = q.asset;
      book.isCollateral[j] = 0;
      book.rate[j] = q.k;
      book.rateFloat[j] = Number(q.k) / 1e18;
      book.amount[j] = q.size;
      book.amountFloat[j] = Number(q.size) / 1e18;
      j++;
    }
  });
  book.offsets[portfolios.length] = j;
  return book;
}

/** Regime correlations precomputed for an engine run. */
export interface BatchParams {
  assets: number;
  scan: bigint[];
  scanFloat: Float64Array;
  rhoLow: bigint[];
  rhoMedium: bigint[];
  rhoHigh: bigint[];
  rhoLowFloat: Float64Array;
  rhoMediumFloat: Float64Array;
  rhoHighFloat: Float64Array;
}

/** Precomputes the regime correlations (`lowCorrelation`, `highCorrelation`) of every pair. */
export function createBatchParams(r: RiskParams): BatchParams {
  const n = r.scan.length;
  const low = r.rho.map(lowCorrelation);
  const high = r.rho.map(highCorrelation);
  const f = (xs: bigint[]) => Float64Array.from(xs, (x) => Number(x) / 1e18);
  return { assets: n, scan: r.scan, scanFloat: f(r.scan), rhoLow: low, rhoMedium: r.rho, rhoHigh: high, rhoLowFloat: f(low), rhoMediumFloat: f(r.rho), rhoHighFloat: f(high) };
}

function sqrtUpFast(x: bigint): bigint {
  if (x <= 0n) return 0n;
  // A float guess (53 good bits), one Newton step (which lands at or above floor(sqrt(x)), by AM-GM), then
  // Newton steps down to floor(sqrt(x)), then the ceiling.
  let r = BigInt(Math.floor(Math.sqrt(Number(x)))) + 1n;
  r = (r + x / r) >> 1n;
  if (r === 0n) r = 1n;
  for (;;) {
    const next = (r + x / r) >> 1n;
    if (next >= r) break;
    r = next;
  }
  while (r * r > x) r -= 1n;
  while (r * r < x) r += 1n;
  return r;
}

/** E - MM of account `i` in bigint, exactly as `marginRequirement` (WAD). */
export function slackBigint(book: MarginBook, params: BatchParams, prices: readonly bigint[], i: number, exposures: bigint[] = new Array<bigint>(params.assets)): bigint {
  exposures.fill(0n);
  let equity = book.cash[i]!;
  let addOns = 0n;
  for (let j = book.offsets[i]!; j < book.offsets[i + 1]!; j++) {
    const a = book.asset[j]!;
    const value = mulDown(book.amount[j]!, prices[a]!);
    equity += value;
    exposures[a] = exposures[a]! + value;
    addOns += mulUp(value < 0n ? -value : value, book.rate[j]!);
  }
  let sLow = 0n;
  let sMedium = 0n;
  let sHigh = 0n;
  for (let b = 0; b < params.assets; b++) {
    const e = exposures[b]!;
    if (e === 0n) continue;
    const wsB = e >= 0n ? mulUp(e, params.scan[b]!) : -mulUp(-e, params.scan[b]!);
    if (wsB > MAX_EXPOSURE || wsB < -MAX_EXPOSURE) throw new RangeError(`WeightedSensitivityOutOfRange(${b}, ${wsB})`);
    exposures[b] = wsB; // from here on, the weighted sensitivity (a < b already converted)
    const diagonal = wsB * wsB * WAD;
    sLow += diagonal;
    sMedium += diagonal;
    sHigh += diagonal;
    const base = b === 0 ? 0 : pairIndex(0, b);
    for (let a = 0; a < b; a++) {
      const wsA = exposures[a]!;
      if (wsA === 0n) continue;
      const cross = 2n * wsA * wsB;
      sLow += params.rhoLow[base + a]! * cross;
      sMedium += params.rhoMedium[base + a]! * cross;
      sHigh += params.rhoHigh[base + a]! * cross;
    }
  }
  let s = sLow > sMedium ? sLow : sMedium;
  if (sHigh > s) s = sHigh;
  const k = s <= 0n ? 0n : sqrtUpFast(ceilDiv(s, WAD));
  return equity - (k + addOns);
}

/**
 * The accounts under maintenance margin (E < MM), all in bigint.
 *
 * @param book The accounts.
 * @param params The risk parameters.
 * @param prices WAD prices by asset.
 * @returns 1 for each liquidatable account.
 */
export function liquidatableBigint(book: MarginBook, params: BatchParams, prices: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(book.count);
  const scratch = new Array<bigint>(params.assets);
  for (let i = 0; i < book.count; i++) out[i] = slackBigint(book, params, prices, i, scratch) < 0n ? 1 : 0;
  return out;
}

/** `liquidatableScreened`'s result. */
export interface ScreenReturnType {
  liquidatable: Uint8Array;
  /** How many accounts the float screen could not decide (recomputed in bigint). */
  deferred: number;
}

/**
 * The accounts under maintenance margin, decided in float64 where the answer is clear and in bigint near the
 * boundary: the same decisions as `liquidatableBigint`.
 *
 * @param book The accounts.
 * @param params The risk parameters.
 * @param prices WAD prices by asset.
 * @returns The decisions and how many needed bigint.
 */
export function liquidatableScreened(book: MarginBook, params: BatchParams, prices: readonly bigint[]): ScreenReturnType {
  const n = params.assets;
  const pricesFloat = Float64Array.from(prices, (p) => Number(p) / 1e18);
  const out = new Uint8Array(book.count);
  const e = new Float64Array(n);
  const ws = new Float64Array(n);
  const scratch = new Array<bigint>(n);
  let deferred = 0;
  for (let i = 0; i < book.count; i++) {
    e.fill(0);
    let equity = book.cashFloat[i]!;
    let gross = Math.abs(equity);
    let addOns = 0;
    for (let j = book.offsets[i]!; j < book.offsets[i + 1]!; j++) {
      const a = book.asset[j]!;
      const value = book.amountFloat[j]! * pricesFloat[a]!;
      equity += value;
      e[a] += value;
      const size = Math.abs(value);
      gross += size;
      addOns += size * book.rateFloat[j]!;
    }
    let sLow = 0;
    let sMedium = 0;
    let sHigh = 0;
    let sAbs = 0;
    for (let b = 0; b < n; b++) {
      const wsB = e[b]! * params.scanFloat[b]!;
      ws[b] = wsB;
      if (wsB === 0) continue;
      const diagonal = wsB * wsB;
      sAbs += diagonal;
      sLow += diagonal;
      sMedium += diagonal;
      sHigh += diagonal;
      const base = (b * (b - 1)) / 2;
      for (let a = 0; a < b; a++) {
        const cross = 2 * ws[a]! * wsB;
        if (cross === 0) continue;
        sAbs += Math.abs(cross);
        sLow += params.rhoLowFloat[base + a]! * cross;
        sMedium += params.rhoMediumFloat[base + a]! * cross;
        sHigh += params.rhoHighFloat[base + a]! * cross;
      }
    }
    const s = Math.max(sLow, sMedium, sHigh);
    const slack = equity - (s > 0 ? Math.sqrt(s) : 0) - addOns;
    // The band: float error relative to the magnitudes involved; the square root of the absolute error of S
    // (which cancellation between hedged exposures can leave much larger than S itself); the wei roundings.
    const band = SCREEN_TOLERANCE * gross + Math.sqrt(sAbs * 1e-13) + 1e-12;
    if (slack > band) out[i] = 0;
    else if (slack < -band) out[i] = 1;
    else {
      deferred++;
      out[i] = slackBigint(book, params, prices, i, scratch) < 0n ? 1 : 0;
    }
  }
  return { liquidatable: out, deferred };
}
