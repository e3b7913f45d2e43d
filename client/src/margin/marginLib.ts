/**
 * The portfolio margin model (spec `margin-model.md` §3-§6), the bigint twin of
 * `contracts/libraries/MarginLib.sol`: same function names, argument order and rounding, function for function.
 * Arrays are indexed by asset id; asset 0 is USD, the unit of account.
 */
import { WAD, ceilDiv, mulDown, mulUp, sqrtUp } from "./mathLib.js";

/** Mirrors `MarginLib.Collateral`: risk asset, haircut (WAD), balance normalised to WAD. */
export interface Collateral {
  asset: number;
  haircut: bigint;
  balance: bigint;
}

/** Mirrors `MarginLib.Position`: risk asset, contingency rate k (WAD), signed size (WAD). */
export interface Position {
  asset: number;
  k: bigint;
  size: bigint;
}

/** Mirrors `MarginLib.Portfolio`. */
export interface Portfolio {
  cash: bigint;
  collateral: Collateral[];
  positions: Position[];
}

/** Mirrors `MarginLib.RiskParams`: scan by asset id, medium correlations by `pairIndex`, imFactor. */
export interface RiskParams {
  scan: bigint[];
  rho: bigint[];
  imFactor: bigint;
}

/** Mirrors `MarginLib.Margin`: everything the engine computes for an account. */
export interface Margin {
  equity: bigint;
  touched: bigint;
  exposures: bigint[];
  weightedSensitivities: bigint[];
  kLow: bigint;
  kMedium: bigint;
  kHigh: bigint;
  k: bigint;
  addOns: bigint;
  maintenanceMargin: bigint;
  initialMargin: bigint;
  isolatedMaintenanceMargin: bigint;
}

/** Mirrors `MarginLib.Totals`: what one pass over the portfolio's entries yields. */
export interface Totals {
  equity: bigint;
  exposures: bigint[];
  touched: bigint;
  addOns: bigint;
  isolatedMaintenanceMargin: bigint;
}

/** Mirrors the tuple returned by `MarginLib.exposures`. */
export interface Exposures {
  e: bigint[];
  touched: bigint;
}

/** Mirrors the tuple returned by `MarginLib.kRegimes`. */
export interface KRegimes {
  kLow: bigint;
  kMedium: bigint;
  kHigh: bigint;
}

/** Mirrors the tuple returned by `MarginLib.marginRequirement`. */
export interface MarginRequirement {
  equity: bigint;
  mm: bigint;
  im: bigint;
}

/** Mirrors `MarginLib.pairIndex`: index of rho_ab (a < b) in `RiskParams.rho`, b * (b - 1) / 2 + a. */
export function pairIndex(a: number, b: number): number {
  if (!(a < b)) throw new RangeError(`pairIndex: expected a < b, got ${a}, ${b}`);
  return (b * (b - 1)) / 2 + a;
}

function price(prices: bigint[], asset: number): bigint {
  const p: bigint | undefined = prices[asset];
  if (p === undefined) throw new RangeError(`no price for asset ${asset}`);
  return p;
}

/** Mirrors `MarginLib.collateralValue`: mulDown(balance, price), rounds down. */
export function collateralValue(c: Collateral, prices: bigint[]): bigint {
  return mulDown(c.balance, price(prices, c.asset));
}

/** Mirrors `MarginLib.notional`: mulDown(size, price), signed, rounds toward minus infinity. */
export function notional(q: Position, prices: bigint[]): bigint {
  return mulDown(q.size, price(prices, q.asset));
}

/** Mirrors `MarginLib.equity`: E = cash + sum value_c + sum notional_m. */
export function equity(p: Portfolio, prices: bigint[]): bigint {
  let e: bigint = p.cash;
  for (const c of p.collateral) e += collateralValue(c, prices);
  for (const q of p.positions) e += notional(q, prices);
  return e;
}

/** Mirrors `MarginLib.exposures`: e_a by asset id (length prices.length) and the touched-asset bitmask. */
export function exposures(p: Portfolio, prices: bigint[]): Exposures {
  const e: bigint[] = new Array<bigint>(prices.length).fill(0n);
  let touched: bigint = 0n;
  for (const c of p.collateral) {
    e[c.asset] = (e[c.asset] ?? 0n) + collateralValue(c, prices);
    touched |= 1n << BigInt(c.asset);
  }
  for (const q of p.positions) {
    e[q.asset] = (e[q.asset] ?? 0n) + notional(q, prices);
    touched |= 1n << BigInt(q.asset);
  }
  return { e, touched };
}

/** Mirrors `MarginLib.weightedSensitivity`: sign(e) * mulUp(|e|, scan). */
export function weightedSensitivity(e: bigint, scan: bigint): bigint {
  return e >= 0n ? mulUp(e, scan) : -mulUp(-e, scan);
}

/** Mirrors `MarginLib.weightedSensitivities`: WS by asset id, zero where e_a is zero. */
export function weightedSensitivities(e: bigint[], scan: bigint[]): bigint[] {
  return e.map((ea: bigint, a: number): bigint => {
    if (ea === 0n) return 0n;
    const s: bigint | undefined = scan[a];
    if (s === undefined) throw new RangeError(`no scan for asset ${a}`);
    return weightedSensitivity(ea, s);
  });
}

/** Mirrors `MarginLib.highCorrelation`: min(1e18, rho + rho / 4), truncating division. */
export function highCorrelation(rho: bigint): bigint {
  const high: bigint = rho + rho / 4n;
  return high < WAD ? high : WAD;
}

/** Mirrors `MarginLib.lowCorrelation`: max(2 rho - 1e18, rho - rho / 4), truncating division. */
export function lowCorrelation(rho: bigint): bigint {
  const a: bigint = 2n * rho - WAD;
  const b: bigint = rho - rho / 4n;
  return a > b ? a : b;
}

/** Mirrors `MarginLib.regimeK`: sqrtUp(ceil(max(S, 0) / 1e18)). */
export function regimeK(s: bigint): bigint {
  if (s <= 0n) return 0n;
  return sqrtUp(ceilDiv(s, WAD));
}

/** ConstantsLib.MAX_EXPOSURE: the largest |WS_a| (and |e_a|, |E|) inside the spec's range. */
export const MAX_EXPOSURE: bigint = 10n ** 28n;

/** Mirrors the tuple returned by `MarginLib.regimeSums`. */
export interface RegimeSums {
  sLow: bigint;
  sMedium: bigint;
  sHigh: bigint;
}

/**
 * Mirrors `MarginLib.regimeSums`: S_low, S_medium, S_high (scale 1e54) in one pass over the pairs, zero WS
 * skipped. Throws (where Solidity reverts) `WeightedSensitivityOutOfRange` when |WS_a| > MAX_EXPOSURE and
 * `InvalidCorrelation` when a used |rho| > 1e18.
 */
export function regimeSums(ws: bigint[], rho: bigint[]): RegimeSums {
  let sLow: bigint = 0n;
  let sMedium: bigint = 0n;
  let sHigh: bigint = 0n;
  for (let b: number = 0; b < ws.length; b++) {
    const wsB: bigint = ws[b] ?? 0n;
    if (wsB === 0n) continue;
    if (wsB > MAX_EXPOSURE || wsB < -MAX_EXPOSURE) {
      throw new RangeError(`WeightedSensitivityOutOfRange(${b}, ${wsB})`);
    }
    const diagonal: bigint = wsB * wsB * WAD;
    sLow += diagonal;
    sMedium += diagonal;
    sHigh += diagonal;
    const base: number = b === 0 ? 0 : pairIndex(0, b);
    const twoWsB: bigint = 2n * wsB;
    for (let a: number = 0; a < b; a++) {
      const wsA: bigint = ws[a] ?? 0n;
      if (wsA === 0n) continue;
      const r: bigint | undefined = rho[base + a];
      if (r === undefined) throw new RangeError(`no correlation for pair (${a}, ${b})`);
      if (r > WAD || r < -WAD) throw new RangeError(`InvalidCorrelation(${a}, ${b}, ${r})`);
      const cross: bigint = wsA * twoWsB;
      sLow += lowCorrelation(r) * cross;
      sMedium += r * cross;
      sHigh += highCorrelation(r) * cross;
    }
  }
  return { sLow, sMedium, sHigh };
}

/** Mirrors `MarginLib.kRegimes`: K_r = regimeK(S_r) of `regimeSums`; throws like `regimeSums`. */
export function kRegimes(ws: bigint[], rho: bigint[]): KRegimes {
  const { sLow, sMedium, sHigh }: RegimeSums = regimeSums(ws, rho);
  return { kLow: regimeK(sLow), kMedium: regimeK(sMedium), kHigh: regimeK(sHigh) };
}

/** Mirrors `MarginLib.abs`. */
export function abs(x: bigint): bigint {
  return x >= 0n ? x : -x;
}

function max(x: bigint, y: bigint): bigint {
  return x > y ? x : y;
}

/** Mirrors `MarginLib.maxSigned`. */
function maxSigned(x: bigint, y: bigint): bigint {
  return x > y ? x : y;
}

function scanOf(scan: bigint[], asset: number): bigint {
  const s: bigint | undefined = scan[asset];
  if (s === undefined) throw new RangeError(`no scan for asset ${asset}`);
  return s;
}

/** Mirrors `MarginLib.addOns`: sum mulUp(|notional|, k) + sum mulUp(value, h). */
export function addOns(p: Portfolio, prices: bigint[]): bigint {
  let a: bigint = 0n;
  for (const c of p.collateral) a += mulUp(collateralValue(c, prices), c.haircut);
  for (const q of p.positions) a += mulUp(abs(notional(q, prices)), q.k);
  return a;
}

/** Mirrors `MarginLib.maintenanceMargin`: MM = K + A. */
export function maintenanceMargin(k: bigint, addOns_: bigint): bigint {
  return k + addOns_;
}

/** Mirrors `MarginLib.initialMargin`: IM = mulUp(MM, imFactor). */
export function initialMargin(mm: bigint, imFactor: bigint): bigint {
  return mulUp(mm, imFactor);
}

/** Mirrors `MarginLib.isolatedMaintenanceMargin` (spec §6); USD (asset 0) collateral is excluded. */
export function isolatedMaintenanceMargin(p: Portfolio, prices: bigint[], scan: bigint[]): bigint {
  let iso: bigint = 0n;
  for (const c of p.collateral) {
    if (c.asset === 0) continue;
    iso += mulUp(collateralValue(c, prices), scanOf(scan, c.asset) + c.haircut);
  }
  for (const q of p.positions) iso += mulUp(abs(notional(q, prices)), scanOf(scan, q.asset) + q.k);
  return iso;
}

/** Mirrors `MarginLib.aggregate`: one pass valuing each entry once. */
export function aggregate(p: Portfolio, prices: bigint[], scan: bigint[], withIsolated: boolean): Totals {
  const ex: bigint[] = new Array<bigint>(prices.length).fill(0n);
  let e: bigint = p.cash;
  let a: bigint = 0n;
  let iso: bigint = 0n;
  let touched: bigint = 0n;
  for (const c of p.collateral) {
    const value: bigint = collateralValue(c, prices);
    e += value;
    ex[c.asset] = (ex[c.asset] ?? 0n) + value;
    touched |= 1n << BigInt(c.asset);
    a += mulUp(value, c.haircut);
    if (withIsolated && c.asset !== 0) iso += mulUp(value, scanOf(scan, c.asset) + c.haircut);
  }
  for (const q of p.positions) {
    const value: bigint = notional(q, prices);
    e += value;
    ex[q.asset] = (ex[q.asset] ?? 0n) + value;
    touched |= 1n << BigInt(q.asset);
    const size: bigint = abs(value);
    a += mulUp(size, q.k);
    if (withIsolated) iso += mulUp(size, scanOf(scan, q.asset) + q.k);
  }
  return { equity: e, exposures: ex, touched, addOns: a, isolatedMaintenanceMargin: iso };
}

/** Mirrors `MarginLib.marginRequirement`: equity, MM and IM (no isolated margin). */
export function marginRequirement(p: Portfolio, r: RiskParams, prices: bigint[]): MarginRequirement {
  const t: Totals = aggregate(p, prices, r.scan, false);
  const s: RegimeSums = regimeSums(weightedSensitivities(t.exposures, r.scan), r.rho);
  // regimeK is non-decreasing: max(K_low, K_medium, K_high) = regimeK(max(S_low, S_medium, S_high)).
  const mm: bigint = maintenanceMargin(regimeK(maxSigned(s.sLow, maxSigned(s.sMedium, s.sHigh))), t.addOns);
  return { equity: t.equity, mm, im: initialMargin(mm, r.imFactor) };
}

/** Mirrors `MarginLib.accountMargin`: everything, K = max(K_low, K_medium, K_high). */
export function accountMargin(p: Portfolio, r: RiskParams, prices: bigint[]): Margin {
  const t: Totals = aggregate(p, prices, r.scan, true);
  const ws: bigint[] = weightedSensitivities(t.exposures, r.scan);
  const { kLow, kMedium, kHigh }: KRegimes = kRegimes(ws, r.rho);
  const k: bigint = max(kLow, max(kMedium, kHigh));
  const mm: bigint = maintenanceMargin(k, t.addOns);
  return {
    equity: t.equity,
    touched: t.touched,
    exposures: t.exposures,
    weightedSensitivities: ws,
    kLow,
    kMedium,
    kHigh,
    k,
    addOns: t.addOns,
    maintenanceMargin: mm,
    initialMargin: initialMargin(mm, r.imFactor),
    isolatedMaintenanceMargin: t.isolatedMaintenanceMargin,
  };
}

/** Spec §5: an account is liquidatable when E < MM. */
export function isLiquidatable(m: Pick<Margin, "equity" | "maintenanceMargin">): boolean {
  return m.equity < m.maintenanceMargin;
}
