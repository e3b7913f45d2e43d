/**
 * The what-if simulator: an account's portfolio with edited position sizes, collateral balances and prices (or one
 * % shock for every risk asset), evaluated by the twin. The figures are those the vault would compute for that
 * state, to the wei; a chosen correlation regime replaces K = max(K_low, K_medium, K_high) by that regime's K.
 */
import { accountMargin, highCorrelation, initialMargin as initialMarginOf, lowCorrelation, type Margin, type Portfolio, type RiskParams } from "../../../client/src/margin/marginLib.js";
import { WAD, mulDown, mulUp } from "../../../client/src/margin/mathLib.js";

export type Regime = "low" | "medium" | "high";

/** The edits of a what-if, all optional. */
export interface WhatIfEdits {
  /** New signed WAD size by market id, reached by a trade at the current oracle price: cash moves as the vault moves
   * it (the buyer pays mulDown(size, price), the seller receives it), so the figures equal the chain's after the trade. */
  sizes?: Map<number, bigint>;
  /** New balance (token units) by collateral id. */
  balances?: Map<number, bigint>;
  /** New WAD price by asset id. */
  prices?: Map<number, bigint>;
  /** A move of every risk asset but USD, in basis points (-4000 = -40%), applied after `prices`. */
  shockBps?: number;
  /** Evaluate under one regime instead of the worst of the three. */
  regime?: Regime;
}

/** The book's listings the simulator needs (a subset of `Book`). */
export interface Listings {
  collaterals: readonly { asset: number; decimals: number; haircut: bigint }[];
  markets: readonly { asset: number; k: bigint }[];
}

/** What the vault stores for an account: cash (WAD), balance by collateral id (token units), signed WAD position by market id. */
export interface AccountState {
  cash: bigint;
  balances: bigint[];
  positions: bigint[];
}

export interface AssetContribution {
  asset: number;
  exposure: bigint;
  weightedSensitivity: bigint;
  /** The asset's share of K in the regime used (Euler allocation, sums to K), in USD as a float. */
  kShare: number;
  /** The asset's add-ons (k of its positions, haircut of its collateral), WAD USD. */
  addOns: bigint;
}

export interface WhatIfResult {
  margin: Margin;
  /** MM and IM of the regime used (equal to the vault's when `regime` is not set). */
  maintenanceMargin: bigint;
  initialMargin: bigint;
  /** The regime whose K is the largest (the one the vault uses). */
  binding: Regime;
  /** The regime the figures use. */
  regime: Regime;
  prices: bigint[];
  contributions: AssetContribution[];
}

/** The twin's portfolio of a state (zero entries left out, balances normalised to WAD, as `_load`). */
export function portfolioOf(listings: Listings, state: AccountState): Portfolio {
  const p: Portfolio = { cash: state.cash, collateral: [], positions: [] };
  for (const [id, units] of state.balances.entries()) {
    const c = listings.collaterals[id];
    if (c === undefined || units === undefined || units === 0n) continue;
    p.collateral.push({ asset: c.asset, haircut: c.haircut, balance: units * 10n ** BigInt(18 - c.decimals) });
  }
  for (const [id, size] of state.positions.entries()) {
    const m = listings.markets[id];
    if (m === undefined || size === undefined || size === 0n) continue;
    p.positions.push({ asset: m.asset, k: m.k, size });
  }
  return p;
}

/** Prices after the edits: the given prices, then the shock on every asset but USD (asset 0), rounding down. */
export function editedPrices(prices: readonly bigint[], edits: WhatIfEdits): bigint[] {
  const shock = BigInt(Math.round(edits.shockBps ?? 0));
  return prices.map((p, asset) => {
    const base = edits.prices?.get(asset) ?? p;
    return asset === 0 || shock === 0n ? base : mulDown(base, WAD + shock * 10n ** 14n);
  });
}

function rhoOf(params: RiskParams, a: number, b: number, regime: Regime): number {
  if (a === b) return 1;
  const [x, y] = a < b ? [a, b] : [b, a];
  const medium = params.rho[(y * (y - 1)) / 2 + x] ?? 0n;
  const r = regime === "medium" ? medium : regime === "high" ? highCorrelation(medium) : lowCorrelation(medium);
  return Number(r) / 1e18;
}

/**
 * Evaluates `state` with `edits`.
 *
 * @param listings Collateral and market listings (the book).
 * @param params Scans, correlations, IM factor.
 * @param prices Current WAD prices by asset id.
 * @param state The account's current state.
 * @param edits What changes.
 */
export function whatIf(listings: Listings, params: RiskParams, prices: readonly bigint[], state: AccountState, edits: WhatIfEdits = {}): WhatIfResult {
  const edited: AccountState = { cash: state.cash, balances: [...state.balances], positions: [...state.positions] };
  for (const [id, units] of edits.balances ?? []) edited.balances[id] = units;
  for (const [id, size] of edits.sizes ?? []) {
    const m = listings.markets[id];
    if (m === undefined) continue;
    const delta = size - (state.positions[id] ?? 0n);
    const paid = mulDown(delta < 0n ? -delta : delta, prices[m.asset] ?? 0n);
    edited.cash += delta < 0n ? paid : -paid;
    edited.positions[id] = size;
  }
  const px = editedPrices(prices, edits);
  const portfolio = portfolioOf(listings, edited);
  const margin = accountMargin(portfolio, params, px);
  const ks: Record<Regime, bigint> = { low: margin.kLow, medium: margin.kMedium, high: margin.kHigh };
  const binding: Regime = margin.kHigh >= margin.kMedium && margin.kHigh >= margin.kLow ? "high" : margin.kMedium >= margin.kLow ? "medium" : "low";
  const regime = edits.regime ?? binding;
  const maintenanceMargin = edits.regime === undefined ? margin.maintenanceMargin : ks[regime] + margin.addOns;
  const initialMargin = edits.regime === undefined ? margin.initialMargin : initialMarginOf(maintenanceMargin, params.imFactor);

  // Per-asset add-ons, valued as the engine values them.
  const addOns = new Array<bigint>(px.length).fill(0n);
  for (const c of portfolio.collateral) addOns[c.asset]! += mulUp(mulDown(c.balance, px[c.asset]!), c.haircut);
  for (const q of portfolio.positions) {
    const n = mulDown(q.size, px[q.asset]!);
    addOns[q.asset]! += mulUp(n < 0n ? -n : n, q.k);
  }
  // Euler allocation of K: c_a = WS_a * sum_b rho_ab WS_b / K.
  const ws = margin.weightedSensitivities.map((w) => Number(w) / 1e18);
  const k = Number(ks[regime]) / 1e18;
  const contributions: AssetContribution[] = [];
  for (let a = 0; a < px.length; a++) {
    if (((margin.touched >> BigInt(a)) & 1n) === 0n) continue;
    let sum = 0;
    for (let b = 0; b < ws.length; b++) if (ws[b] !== 0) sum += rhoOf(params, a, b, regime) * ws[b]!;
    contributions.push({
      asset: a,
      exposure: margin.exposures[a] ?? 0n,
      weightedSensitivity: margin.weightedSensitivities[a] ?? 0n,
      kShare: k === 0 ? 0 : (ws[a]! * sum) / k,
      addOns: addOns[a]!,
    });
  }
  return { margin, maintenanceMargin, initialMargin, binding, regime, prices: px, contributions };
}
