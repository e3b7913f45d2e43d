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
import { WAD, ceilDiv } from "../../../client/src/margin/mathLib.js";
import { highCorrelation, lowCorrelation, MAX_EXPOSURE, type Portfolio, type RiskParams } from "../../../client/src/margin/marginLib.js";

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

/** Regime correlations precomputed for an engine run (once per risk configuration). */
export interface BatchParams {
  assets: number;
  scan: bigint[];
  scanFloat: Float64Array;
  rhoLow: bigint[];
  rhoMedium: bigint[];
  rhoHigh: bigint[];
  /** 2 x rho of each regime, by pair index (the cross term 2 rho ws_a ws_b is then one product per pair). */
  rho2: [bigint[], bigint[], bigint[]];
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
  const twice = (xs: bigint[]) => xs.map((x) => 2n * x);
  return {
    assets: n,
    scan: r.scan,
    scanFloat: f(r.scan),
    rhoLow: low,
    rhoMedium: r.rho,
    rhoHigh: high,
    rho2: [twice(low), twice(r.rho), twice(high)],
    rhoLowFloat: f(low),
    rhoMediumFloat: f(r.rho),
    rhoHighFloat: f(high),
  };
}

/** Prices prepared once per price update: WAD bigint and float (USD) by asset. */
export interface BatchPrices {
  prices: readonly bigint[];
  pricesFloat: Float64Array;
}

/** Prepares `prices` (WAD by asset) for the engines. */
export function prepareBatchPrices(prices: readonly bigint[]): BatchPrices {
  return { prices, pricesFloat: Float64Array.from(prices, (p) => Number(p) / 1e18) };
}

/** Scratch buffers of the engines, allocated once per run and reused for every account. */
export interface BatchScratch {
  /** Exposures, then weighted sensitivities, by asset (bigint). */
  ws: bigint[];
  /** Float exposures / weighted sensitivities by asset. */
  wsFloat: Float64Array;
  /**
   * Set by `screenAccount`: the account's float E - MM over the gross value of its items (about the relative price
   * move that would take it to the boundary; infinite without items). An ordering hint only, never a decision.
   */
  distance: number;
}

/** Allocates the scratch buffers for `assets` assets. */
export function createBatchScratch(assets: number): BatchScratch {
  return { ws: new Array<bigint>(assets).fill(0n), wsFloat: new Float64Array(assets), distance: Infinity };
}

const WAD_MINUS_1 = WAD - 1n;

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

/** The exact figures of one account that both the slack and the decision need: D = E - A and S = max regime sum. */
interface Core {
  /** Equity minus add-ons (WAD). */
  d: bigint;
  /** max(S_low, S_medium, S_high), the sum under K's square root (WAD^3 scale). */
  s: bigint;
}

const core: Core = { d: 0n, s: 0n };

/**
 * The exact D = E - A and S = max regime sum of account `i`, with the roundings of `marginRequirement`
 * (mulDown for values, mulUp for add-ons and weighted sensitivities). The float pass beside the bigint one only
 * chooses WHICH regime sums to compute exactly: when one regime leads the others in float by more than the
 * float error bound, only its sum is computed in bigint (it is then provably the maximum); otherwise all three.
 */
function coreBigint(book: MarginBook, params: BatchParams, bp: BatchPrices, i: number, scratch: BatchScratch): Core {
  const { prices, pricesFloat } = bp;
  const n = params.assets;
  const ws = scratch.ws;
  const wsf = scratch.wsFloat;
  for (let a = 0; a < n; a++) {
    ws[a] = 0n;
    wsf[a] = 0;
  }
  let d = book.cash[i]!;
  let grossScan = 0;
  const { asset: assets, amount: amounts, rate: rates, amountFloat } = book;
  const scanFloat = params.scanFloat;
  const end = book.offsets[i + 1]!;
  for (let j = book.offsets[i]!; j < end; j++) {
    const a = assets[j]!;
    const price = prices[a]!;
    // mulDown, toward minus infinity: truncation of (x - (WAD - 1)) / WAD for a negative product x; exact
    // (no product, no division) at a price of 1 (USD).
    let value = amounts[j]!;
    if (price !== WAD) {
      value *= price;
      value = value >= 0n ? value / WAD : (value - WAD_MINUS_1) / WAD;
    }
    d += value;
    ws[a] = ws[a]! + value;
    const rate = rates[j]!;
    // mulUp(|value|, rate) (nothing to add for a zero rate).
    if (rate !== 0n) d -= ((value >= 0n ? value : -value) * rate + WAD_MINUS_1) / WAD;
    const valueFloat = amountFloat[j]! * pricesFloat[a]!;
    wsf[a] += valueFloat;
    grossScan += Math.abs(valueFloat) * scanFloat[a]!;
  }
  // Weighted sensitivities, bigint and float; float regime sums.
  let fLow = 0;
  let fMedium = 0;
  let fHigh = 0;
  for (let b = 0; b < n; b++) {
    const e = ws[b]!;
    if (e === 0n) {
      wsf[b] = 0;
      continue;
    }
    const scan = params.scan[b]!;
    const wsB = e >= 0n ? (e * scan + WAD_MINUS_1) / WAD : -((-e * scan + WAD_MINUS_1) / WAD);
    const wf = wsf[b]! * params.scanFloat[b]!;
    // The bigint range check only where the float value is not far inside the range (MAX_EXPOSURE is 1e10 USD).
    if (!(Math.abs(wf) < 1e9) && (wsB > MAX_EXPOSURE || wsB < -MAX_EXPOSURE)) throw new RangeError(`WeightedSensitivityOutOfRange(${b}, ${wsB})`);
    ws[b] = wsB;
    wsf[b] = wf;
    const diagonal = wf * wf;
    fLow += diagonal;
    fMedium += diagonal;
    fHigh += diagonal;
    const base = (b * (b - 1)) / 2;
    for (let a = 0; a < b; a++) {
      const cross = 2 * wsf[a]! * wf;
      fLow += params.rhoLowFloat[base + a]! * cross;
      fMedium += params.rhoMediumFloat[base + a]! * cross;
      fHigh += params.rhoHighFloat[base + a]! * cross;
    }
  }
  // Float error of each regime sum: far below 1e-9 of (sum |ws|)^2 (which bounds every |term| of S); the
  // absolute 1e-9 covers the wei roundings of the bigint values. A regime leading by twice that is the maximum.
  const bound = 1e-9 * grossScan * grossScan + 1e-9;
  let regimes: number; // bit r set: compute regime r (0 low, 1 medium, 2 high) in bigint
  if (fLow - bound > fMedium + bound && fLow - bound > fHigh + bound) regimes = 1;
  else if (fMedium - bound > fLow + bound && fMedium - bound > fHigh + bound) regimes = 2;
  else if (fHigh - bound > fLow + bound && fHigh - bound > fMedium + bound) regimes = 4;
  else regimes = 7;
  let s: bigint | null = null;
  for (let r = 0; r < 3; r++) {
    if ((regimes & (1 << r)) === 0) continue;
    const rho2 = params.rho2[r]!;
    let sum = 0n;
    for (let b = 0; b < n; b++) {
      const wsB = ws[b]!;
      if (wsB === 0n) continue;
      // ws_b (ws_b WAD + sum_{a<b} 2 rho_ab ws_a): the diagonal and the cross terms of column b.
      let column = wsB * WAD;
      const base = (b * (b - 1)) / 2;
      for (let a = 0; a < b; a++) {
        const wsA = ws[a]!;
        if (wsA !== 0n) column += rho2[base + a]! * wsA;
      }
      sum += wsB * column;
    }
    if (s === null || sum > s) s = sum;
  }
  core.d = d;
  core.s = s!;
  return core;
}

/** E - MM of account `i` in bigint, exactly as `marginRequirement` (WAD). */
export function slackBigint(
  book: MarginBook,
  params: BatchParams,
  prices: readonly bigint[] | BatchPrices,
  i: number,
  scratch: BatchScratch = createBatchScratch(params.assets),
): bigint {
  const bp = "pricesFloat" in prices ? prices : prepareBatchPrices(prices);
  const { d, s } = coreBigint(book, params, bp, i, scratch);
  const k = s <= 0n ? 0n : sqrtUpFast(ceilDiv(s, WAD));
  return d - k;
}

/**
 * Whether account `i` is under maintenance margin (E < MM), exactly, in bigint, without the square root:
 * with D = E - A and T = ceil(S / WAD), K = sqrtUp(T) is the least r with r^2 >= T, so for D > 0,
 * D < K iff D^2 < T iff D^2 WAD < S.
 */
export function isLiquidatableBigint(book: MarginBook, params: BatchParams, bp: BatchPrices, i: number, scratch: BatchScratch): boolean {
  const { d, s } = coreBigint(book, params, bp, i, scratch);
  if (s <= 0n) return d < 0n; // K = 0
  if (d <= 0n) return true; // K >= 1 > D
  // D^2 < ceil(S / WAD) iff D^2 < S / WAD (D^2 is an integer) iff D^2 WAD < S.
  return d * d * WAD < s;
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
  const bp = prepareBatchPrices(prices);
  const scratch = createBatchScratch(params.assets);
  for (let i = 0; i < book.count; i++) out[i] = isLiquidatableBigint(book, params, bp, i, scratch) ? 1 : 0;
  return out;
}

/** `liquidatableScreened`'s result. */
export interface ScreenReturnType {
  liquidatable: Uint8Array;
  /** How many accounts the float screen could not decide (recomputed in bigint). */
  deferred: number;
}

/** `screenAccount`'s verdict: 1 liquidatable, 0 healthy, -1 too close to call in float (decide in bigint). */
export type ScreenVerdict = 1 | 0 | -1;

/**
 * The float screen of account `i`: decides E < MM when |E - MM| in float is outside the error band.
 *
 * @returns 1, 0, or -1 when the account must be decided in bigint.
 */
export function screenAccount(book: MarginBook, params: BatchParams, bp: BatchPrices, i: number, scratch: BatchScratch): ScreenVerdict {
  const n = params.assets;
  const e = scratch.wsFloat;
  const pricesFloat = bp.pricesFloat;
  e.fill(0);
  let equity = book.cashFloat[i]!;
  let gross = Math.abs(equity);
  const cashGross = gross;
  let addOns = 0;
  const end = book.offsets[i + 1]!;
  for (let j = book.offsets[i]!; j < end; j++) {
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
    e[b] = wsB;
    if (wsB === 0) continue;
    const diagonal = wsB * wsB;
    sAbs += diagonal;
    sLow += diagonal;
    sMedium += diagonal;
    sHigh += diagonal;
    const base = (b * (b - 1)) / 2;
    for (let a = 0; a < b; a++) {
      const cross = 2 * e[a]! * wsB;
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
  scratch.distance = gross > cashGross ? slack / (gross - cashGross) : Infinity;
  if (slack > band) return 0;
  if (slack < -band) return 1;
  return -1;
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
  const bp = prepareBatchPrices(prices);
  const out = new Uint8Array(book.count);
  const scratch = createBatchScratch(params.assets);
  let deferred = 0;
  for (let i = 0; i < book.count; i++) {
    const verdict = screenAccount(book, params, bp, i, scratch);
    if (verdict >= 0) out[i] = verdict;
    else {
      deferred++;
      out[i] = isLiquidatableBigint(book, params, bp, i, scratch) ? 1 : 0;
    }
  }
  return { liquidatable: out, deferred };
}
