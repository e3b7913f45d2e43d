/**
 * The what-if simulator on the typed client's exact views: an account with edited position sizes (reached by
 * trades at the oracle price, cash moving as the vault moves it), collateral balances and prices (or one % shock
 * for every risk asset), evaluated by the twin — the figures the vault computes for that state, to the wei. On top
 * of the client's `whatIf` it adds collateral edits, a chosen correlation regime (K of that regime instead of the
 * worst of three) and each asset's share of K.
 */
import { highCorrelation, initialMargin as initialMarginOf, lowCorrelation, pairIndex, type RiskParams } from "../../../client/src/margin/marginLib.js";
import { riskView, whatIf as clientWhatIf, type AccountSnapshot, type RiskView } from "../../../client/src/risk.js";

export type Regime = "low" | "medium" | "high";

/** The edits of a what-if, all optional. */
export interface WhatIfEdits {
  /** New signed WAD size by market id, reached by a trade at the current oracle price. */
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

export interface AssetContribution {
  asset: number;
  exposure: bigint;
  weightedSensitivity: bigint;
  /** The asset's share of K in the regime used (Euler allocation WS_a · Σ_b ρ_ab WS_b / K, sums to K), USD float. */
  kShare: number;
}

export interface WhatIfResult {
  before: RiskView;
  after: RiskView;
  /** MM and IM in the regime used (the vault's when no regime is chosen). */
  maintenanceMargin: bigint;
  initialMargin: bigint;
  /** The regime the figures use. */
  regime: Regime;
  prices: bigint[];
  contributions: AssetContribution[];
}

function rhoOf(params: RiskParams, a: number, b: number, regime: Regime): number {
  if (a === b) return 1;
  const medium = params.rho[pairIndex(Math.min(a, b), Math.max(a, b))] ?? 0n;
  const r = regime === "medium" ? medium : regime === "high" ? highCorrelation(medium) : lowCorrelation(medium);
  return Number(r) / 1e18;
}

/** Each touched asset's share of K in `regime` (floats: for display, never for a figure compared with the chain). */
export function contributions(view: RiskView, params: RiskParams, regime: Regime): AssetContribution[] {
  const ws = view.margin.weightedSensitivities.map((w) => Number(w) / 1e18);
  const k = Number(view.regimes[regime]) / 1e18;
  return view.assets.map((a) => {
    let sum = 0;
    ws.forEach((w, b) => (sum += w === 0 ? 0 : rhoOf(params, a.asset, b, regime) * w));
    return { asset: a.asset, exposure: a.exposure, weightedSensitivity: a.weightedSensitivity, kShare: k === 0 ? 0 : (ws[a.asset]! * sum) / k };
  });
}

/**
 * Evaluates `snapshot` with `edits`.
 *
 * @throws RangeError when a touched asset has no usable price.
 */
export function simulate(snapshot: AccountSnapshot, edits: WhatIfEdits = {}): WhatIfResult {
  const state = snapshot.state;
  const balances = [...state.balances];
  for (const [id, units] of edits.balances ?? []) balances[id] = units;
  const base: AccountSnapshot = edits.balances?.size ? { ...snapshot, state: { ...state, balances } } : snapshot;
  const trades = [...(edits.sizes ?? [])].map(([market, size]) => ({ market, size: size - (state.positions[market] ?? 0n) })).filter((t) => t.size !== 0n);
  const result = clientWhatIf(base, { trades, prices: Object.fromEntries(edits.prices ?? []), shockBps: edits.shockBps ? edits.shockBps : undefined });
  const after = result.after;
  const regime = edits.regime ?? after.regimes.binding;
  const maintenanceMargin = edits.regime === undefined ? after.maintenanceMargin : after.regimes[regime] + after.margin.addOns;
  return {
    before: riskView(snapshot),
    after,
    maintenanceMargin,
    initialMargin: edits.regime === undefined ? after.initialMargin : initialMarginOf(maintenanceMargin, snapshot.deployment.risk.imFactor),
    regime,
    prices: result.prices,
    contributions: contributions(after, snapshot.deployment.risk, regime),
  };
}
