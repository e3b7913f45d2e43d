/**
 * Pro-rata liquidation (docs/liquidation.md), the bigint twin of `contracts/libraries/LiquidationLib.sol`: same
 * function names, argument order and rounding, function for function. `previewLiquidation` mirrors the vault's
 * view of the same name on top of them.
 */
import { WAD, ceilDiv, mulUp } from "./mathLib.js";
import {
  abs,
  collateralValue,
  marginRequirement,
  notional,
  type Collateral,
  type MarginRequirement,
  type Portfolio,
  type Position,
  type RiskParams,
} from "./marginLib.js";

/** Mirrors `LiquidationLib.Params`. */
export interface LiquidationParams {
  /** Bonus rate on the MM a slice releases (WAD, <= 0.5e18). */
  bonusRate: bigint;
  /** The insurance fund's share of the bonus (WAD, <= 1e18). */
  fundShare: bigint;
  /** What would remain below this gross value (WAD USD) is taken whole. */
  dustThreshold: bigint;
  /** False when the vault has no insurance fund: the whole bonus goes to the liquidator. */
  hasFund: boolean;
}

/** Mirrors `LiquidationLib.Plan`. */
export interface LiquidationPlan {
  fraction: bigint;
  value: bigint;
  mmReleased: bigint;
  bonus: bigint;
  fundShare: bigint;
  equityBefore: bigint;
  mmBefore: bigint;
  imBefore: bigint;
  equityAfter: bigint;
  mmAfter: bigint;
  imAfter: bigint;
  maxFraction: bigint;
}

/** Mirrors `LiquidationLib.sliceUp`: ceil(amount * fraction / 1e18). */
export function sliceUp(amount: bigint, fraction: bigint): bigint {
  return mulUp(amount, fraction);
}

/** Mirrors `LiquidationLib.sliceSizeUp`: same sign, magnitude `sliceUp(|size|, fraction)`. */
export function sliceSizeUp(size: bigint, fraction: bigint): bigint {
  return size >= 0n ? sliceUp(size, fraction) : -sliceUp(-size, fraction);
}

/**
 * Mirrors `LiquidationLib.takeSlice`: returns the slice and makes `p` the remainder. Unlike the Solidity library
 * (which writes into its memory argument), this returns a new remainder and leaves `p` untouched.
 * @param scales Per collateral entry, 10^(18 - decimals) of its token.
 */
export function takeSlice(p: Portfolio, scales: bigint[], fraction: bigint): { taken: Portfolio; rest: Portfolio } {
  const takenCollateral: Collateral[] = [];
  const restCollateral: Collateral[] = p.collateral.map((c, i) => {
    const scale: bigint = scales[i] ?? 1n;
    const amount: bigint = sliceUp(c.balance / scale, fraction) * scale;
    takenCollateral.push({ ...c, balance: amount });
    return { ...c, balance: c.balance - amount };
  });
  const takenPositions: Position[] = [];
  const restPositions: Position[] = p.positions.map((q) => {
    const size: bigint = sliceSizeUp(q.size, fraction);
    takenPositions.push({ ...q, size });
    return { ...q, size: q.size - size };
  });
  return {
    taken: { cash: 0n, collateral: takenCollateral, positions: takenPositions },
    rest: { cash: p.cash, collateral: restCollateral, positions: restPositions },
  };
}

/** Mirrors `LiquidationLib.grossValue`: sum of collateral values and |notional|. */
export function grossValue(p: Portfolio, prices: bigint[]): bigint {
  let g = 0n;
  for (const c of p.collateral) g += collateralValue(c, prices);
  for (const q of p.positions) g += abs(notional(q, prices));
  return g;
}

/** Mirrors `LiquidationLib.maxFraction`: the close factor (0 when healthy, 1e18 when insolvent or dust). */
export function maxFraction(
  equity: bigint,
  mm: bigint,
  im: bigint,
  bonusRate: bigint,
  gross: bigint,
  dust: bigint,
): bigint {
  if (equity >= mm) return 0n;
  if (equity < 0n) return WAD;
  const bonusPerFraction: bigint = mulUp(mm, bonusRate);
  if (im <= bonusPerFraction) return WAD;
  const f: bigint = ceilDiv((im - equity) * WAD, im - bonusPerFraction);
  if (f >= WAD) return WAD;
  if ((gross * (WAD - f)) / WAD < dust) return WAD;
  return f;
}

/** Mirrors `LiquidationLib.bonus`: floor(bonusRate * mmReleased), at most a solvent account's equity. */
export function bonus(mmReleased: bigint, bonusRate: bigint, equity: bigint): bigint {
  const b: bigint = (mmReleased * bonusRate) / WAD;
  return equity >= 0n && b > equity ? equity : b;
}

/** Mirrors `LiquidationLib.fundShare`: ceil(bonus * fundShareRate). */
export function fundShare(bonus_: bigint, fundShareRate: bigint): bigint {
  return mulUp(bonus_, fundShareRate);
}

/** Mirrors `LiquidationLib.plan`: the plan, the slice and the account's remainder. */
export function plan(
  p: Portfolio,
  scales: bigint[],
  r: RiskParams,
  prices: bigint[],
  params: LiquidationParams,
  fraction: bigint,
): { plan: LiquidationPlan; taken: Portfolio; rest: Portfolio } {
  const before: MarginRequirement = marginRequirement(p, r, prices);
  const gross: bigint = grossValue(p, prices);
  const max: bigint = maxFraction(before.equity, before.mm, before.im, params.bonusRate, gross, params.dustThreshold);
  let f: bigint = fraction === 0n ? 0n : before.equity < 0n ? WAD : fraction < max ? fraction : max;
  // A request that would leave a dust remainder takes the whole portfolio (no one is left with unliquidatable dust).
  if (f !== 0n && f < WAD && (gross * (WAD - f)) / WAD < params.dustThreshold) f = WAD;
  const pl: LiquidationPlan = {
    fraction: f,
    value: 0n,
    mmReleased: 0n,
    bonus: 0n,
    fundShare: 0n,
    equityBefore: before.equity,
    mmBefore: before.mm,
    imBefore: before.im,
    equityAfter: before.equity,
    mmAfter: before.mm,
    imAfter: before.im,
    maxFraction: max,
  };
  if (f === 0n) return { plan: pl, taken: { cash: 0n, collateral: [], positions: [] }, rest: p };
  const { taken, rest } = takeSlice(p, scales, f);
  const after: MarginRequirement = marginRequirement(rest, r, prices);
  const e: bigint = before.equity;
  pl.value = e - after.equity;
  pl.mmReleased = before.mm > after.mm ? before.mm - after.mm : 0n;
  pl.bonus = bonus(pl.mmReleased, params.bonusRate, e);
  if (params.hasFund && e >= 0n) pl.fundShare = fundShare(pl.bonus, params.fundShare);
  pl.equityAfter = e >= 0n ? e - pl.bonus : 0n;
  pl.mmAfter = after.mm;
  pl.imAfter = after.im;
  return { plan: pl, taken, rest };
}

/** An entry's id (collateral id or market id) beside what the engine sees of it. */
export interface Keyed<T> {
  id: number;
  entry: T;
}

/** A portfolio whose entries carry their collateral / market ids (ascending), as the vault's masks order them. */
export interface KeyedPortfolio {
  cash: bigint;
  collateral: Keyed<Collateral>[];
  positions: Keyed<Position>[];
}

/**
 * Mirrors `LiquidationLib.addSlice`: the liquidator's portfolio after it received `taken` (entries in the order of
 * `account`'s ids), entries of one id merged as storage merges them.
 */
export function addSlice(liquidator: KeyedPortfolio, account: KeyedPortfolio, taken: Portfolio): Portfolio {
  return {
    cash: liquidator.cash,
    collateral: mergeById(liquidator.collateral, account.collateral, (c, i) => ({ ...c, balance: c.balance + (taken.collateral[i]?.balance ?? 0n) })),
    positions: mergeById(liquidator.positions, account.positions, (q, i) => ({ ...q, size: q.size + (taken.positions[i]?.size ?? 0n) })),
  };
}

/**
 * The entries of `held` and of `added` (the account's, whose i-th slice `add(entry, i)` puts into the held entry
 * of its id, or into a zero entry), sorted by id.
 */
function mergeById<T extends Collateral | Position>(held: Keyed<T>[], added: Keyed<T>[], add: (entry: T, i: number) => T): T[] {
  const byId = new Map<number, T>(held.map(({ id, entry }) => [id, entry]));
  added.forEach(({ id, entry }, i) => {
    const zero = { ...entry, ...("size" in entry ? { size: 0n } : { balance: 0n }) } as T;
    byId.set(id, add(byId.get(id) ?? zero, i));
  });
  return [...byId.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
}

/** Mirrors `IMarginVault.LiquidationPreview`. */
export interface LiquidationPreview {
  fraction: bigint;
  value: bigint;
  mmReleased: bigint;
  bonus: bigint;
  fundShare: bigint;
  maxFraction: bigint;
  equity: bigint;
  maintenanceMargin: bigint;
  initialMargin: bigint;
  liquidatorEquity: bigint;
  liquidatorMaintenanceMargin: bigint;
  liquidatorInitialMargin: bigint;
}

/** What `previewLiquidation` needs: both keyed portfolios, the token scale per collateral id, and the risk state. */
export interface PreviewLiquidationParameters {
  account: KeyedPortfolio;
  liquidator: KeyedPortfolio;
  /** 10^(18 - decimals) by collateral id. */
  scales: bigint[];
  risk: RiskParams;
  prices: bigint[];
  params: LiquidationParams;
  fraction: bigint;
}

/**
 * Mirrors `MarginVault.previewLiquidation` to the wei: the plan, then the liquidator's equity, MM and IM after it
 * received the slice and paid `value - bonus + fundShare`.
 * @example previewLiquidation({ account, liquidator, scales, risk, prices, params, fraction: maxFraction })
 */
export function previewLiquidation(a: PreviewLiquidationParameters): LiquidationPreview {
  const p: Portfolio = {
    cash: a.account.cash,
    collateral: a.account.collateral.map((k) => k.entry),
    positions: a.account.positions.map((k) => k.entry),
  };
  const scales: bigint[] = a.account.collateral.map((k) => a.scales[k.id] ?? 1n);
  const { plan: pl, taken } = plan(p, scales, a.risk, a.prices, a.params, a.fraction);
  let liquidatorAfter: Portfolio;
  if (pl.fraction === 0n) {
    liquidatorAfter = addSlice(a.liquidator, { cash: 0n, collateral: [], positions: [] }, taken);
  } else {
    liquidatorAfter = addSlice(a.liquidator, a.account, taken);
    liquidatorAfter.cash += pl.bonus - pl.fundShare - pl.value;
  }
  const l: MarginRequirement = marginRequirement(liquidatorAfter, a.risk, a.prices);
  return {
    fraction: pl.fraction,
    value: pl.value,
    mmReleased: pl.mmReleased,
    bonus: pl.bonus,
    fundShare: pl.fundShare,
    maxFraction: pl.maxFraction,
    equity: pl.equityAfter,
    maintenanceMargin: pl.mmAfter,
    initialMargin: pl.imAfter,
    liquidatorEquity: l.equity,
    liquidatorMaintenanceMargin: l.mm,
    liquidatorInitialMargin: l.im,
  };
}

/** Mirrors `MarginVault.maxLiquidationFraction`. */
export function maxLiquidationFraction(
  p: Portfolio,
  r: RiskParams,
  prices: bigint[],
  params: Pick<LiquidationParams, "bonusRate" | "dustThreshold">,
): bigint {
  const m: MarginRequirement = marginRequirement(p, r, prices);
  return maxFraction(m.equity, m.mm, m.im, params.bonusRate, grossValue(p, prices), params.dustThreshold);
}
