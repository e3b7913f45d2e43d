/**
 * Exact account risk views, on the margin twin (`client/src/margin`, the same integers as the vault): the margin
 * breakdown, free collateral, the maximum withdrawable amount per token, the liquidation price per asset (others
 * fixed), the uniform shock that reaches maintenance margin, and the margin after a proposed trade, withdrawal,
 * position change or price move. All pure: they take an `AccountSnapshot` read at one block.
 */
import { formatUnits, type Address } from "viem";

import type { Deployment } from "./deployment.js";
import { accountMargin, marginRequirement, type Margin, type Portfolio } from "./margin/marginLib.js";
import { mulDown, WAD } from "./margin/mathLib.js";

/** What an account holds, in the vault's units. */
export interface AccountState {
  /** Settled USD cash (WAD, signed). */
  cash: bigint;
  /** Balance by collateral id, in token units. */
  balances: bigint[];
  /** Signed position by market id (WAD base units). */
  positions: bigint[];
}

/** An account and the prices it is valued at, all read at one block. */
export interface AccountSnapshot {
  account: Address;
  blockNumber: bigint;
  deployment: Deployment;
  state: AccountState;
  /** WAD price by asset id (the vault's `price`, every oracle check passed); 0n where the feed is unusable. */
  prices: bigint[];
  /** Asset ids whose feed was unusable at the block (stale, incomplete...). */
  unpriced: number[];
}

/** One asset's line of the breakdown. */
export interface AssetRisk {
  asset: number;
  symbol: string;
  price: bigint;
  /** e_a: collateral value plus perp notional on the asset (WAD USD, signed). */
  exposure: bigint;
  /** WS_a = sign(e) |e| scan (WAD USD). */
  weightedSensitivity: bigint;
}

/** The risk view of an account: the vault's `accountMargin` and what a trader reads off it. */
export interface RiskView {
  margin: Margin;
  equity: bigint;
  maintenanceMargin: bigint;
  initialMargin: bigint;
  /** E / MM (WAD); null when MM = 0. */
  healthRatio: bigint | null;
  /** E - IM (WAD USD): what can still be used for new risk or withdrawn. Negative below IM. */
  freeCollateral: bigint;
  /** K per correlation regime and the binding one. */
  regimes: { low: bigint; medium: bigint; high: bigint; binding: "low" | "medium" | "high" };
  /** Touched assets only. */
  assets: AssetRisk[];
  liquidatable: boolean;
}

/**
 * The engine's portfolio of `state` (collateral normalised to WAD; zero entries left out, as the vault's masks do).
 *
 * @param deployment The listing.
 * @param state What the account holds.
 * @returns The portfolio for `accountMargin`.
 */
export function toPortfolio(deployment: Deployment, state: AccountState): Portfolio {
  // Plain loops and a table of powers of ten: the page ranks every account with this, and its first (cold) pass over
  // 10k accounts is what a person waits for.
  const collateral: Portfolio["collateral"] = [];
  for (const c of deployment.collaterals) {
    const balance = state.balances[c.id] ?? 0n;
    if (balance !== 0n) collateral.push({ asset: c.asset, haircut: c.haircut, balance: balance * POW10[18 - c.decimals]! });
  }
  const positions: Portfolio["positions"] = [];
  for (const m of deployment.markets) {
    const size = state.positions[m.id] ?? 0n;
    if (size !== 0n) positions.push({ asset: m.asset, k: m.k, size });
  }
  return { cash: state.cash, collateral, positions };
}

/** 10^k for k = 0..18 (token units to WAD). */
const POW10: readonly bigint[] = Array.from({ length: 19 }, (_, k) => 10n ** BigInt(k));

/** The asset ids `state` touches, ascending. */
function touchedAssets(deployment: Deployment, state: AccountState): number[] {
  const touched = new Set<number>();
  for (const c of deployment.collaterals) if ((state.balances[c.id] ?? 0n) !== 0n) touched.add(c.asset);
  for (const m of deployment.markets) if ((state.positions[m.id] ?? 0n) !== 0n) touched.add(m.asset);
  return [...touched].sort((a, b) => a - b);
}

function checkPriced(snapshot: AccountSnapshot, state: AccountState, prices: bigint[]): void {
  const missing = touchedAssets(snapshot.deployment, state).filter((a) => (prices[a] ?? 0n) === 0n);
  if (missing.length > 0) {
    const names = missing.map((a) => snapshot.deployment.assets[a]?.symbol ?? `#${a}`).join(", ");
    throw new RangeError(`no usable price for ${names}: the feed is stale or rejected, so the vault cannot compute this margin either`);
  }
}

/**
 * The full margin of `state` at `prices`: exactly `vault.accountMargin` for an account holding `state`.
 *
 * @throws RangeError when a touched asset has no usable price.
 */
export function marginOf(snapshot: AccountSnapshot, state: AccountState = snapshot.state, prices: bigint[] = snapshot.prices): Margin {
  checkPriced(snapshot, state, prices);
  return accountMargin(toPortfolio(snapshot.deployment, state), snapshot.deployment.risk, prices);
}

function requirementOf(snapshot: AccountSnapshot, state: AccountState, prices: bigint[]) {
  checkPriced(snapshot, state, prices);
  return marginRequirement(toPortfolio(snapshot.deployment, state), snapshot.deployment.risk, prices);
}

/**
 * Builds the risk view of a margin.
 *
 * @param snapshot For the asset symbols and prices.
 * @param margin The margin (of the snapshot's account when omitted).
 * @param prices The prices the margin was computed at.
 */
export function riskView(snapshot: AccountSnapshot, margin: Margin = marginOf(snapshot), prices: bigint[] = snapshot.prices): RiskView {
  const m = margin;
  const binding = m.k === m.kHigh ? "high" : m.k === m.kMedium ? "medium" : "low";
  const assets: AssetRisk[] = [];
  m.exposures.forEach((exposure, asset) => {
    if (((m.touched >> BigInt(asset)) & 1n) === 0n) return;
    assets.push({
      asset,
      symbol: snapshot.deployment.assets[asset]?.symbol ?? `#${asset}`,
      price: prices[asset] ?? 0n,
      exposure,
      weightedSensitivity: m.weightedSensitivities[asset] ?? 0n,
    });
  });
  return {
    margin: m,
    equity: m.equity,
    maintenanceMargin: m.maintenanceMargin,
    initialMargin: m.initialMargin,
    healthRatio: m.maintenanceMargin === 0n ? null : (m.equity * WAD) / m.maintenanceMargin,
    freeCollateral: m.equity - m.initialMargin,
    regimes: { low: m.kLow, medium: m.kMedium, high: m.kHigh, binding },
    assets,
    liquidatable: m.equity < m.maintenanceMargin,
  };
}

function cloneState(state: AccountState): AccountState {
  return { cash: state.cash, balances: [...state.balances], positions: [...state.positions] };
}

/**
 * The largest x in [lo, hi) with `test(x)` true, given `test(lo)` true and `test(hi)` false and `test` true then
 * false on [lo, hi] (the views' functions are concave, so their passing sets are intervals).
 */
function lastTrue(lo: bigint, hi: bigint, test: (x: bigint) => boolean): bigint {
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (test(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The token units of positive cash that `withdraw` pays in collateral `collateralId` after its balance: only in the
 * settlement token (USDC, the first collateral on the USD asset), `floor(cash / 10^(18 - decimals))` (the vault pays
 * whole units of cash it holds; docs/cash.md). The vault also needs the settlement pool to hold them
 * (`SettlementPoolShort` otherwise), which an account snapshot does not show.
 */
export function payableCash(snapshot: AccountSnapshot, collateralId: number): bigint {
  const d = snapshot.deployment;
  const settlement = d.collaterals.find((c) => c.asset === 0);
  if (settlement === undefined || settlement.id !== collateralId || snapshot.state.cash <= 0n) return 0n;
  return snapshot.state.cash / 10n ** BigInt(18 - settlement.decimals);
}

/** The state after withdrawing `amount` of collateral `collateralId`: balance first, then positive cash, as the vault does. */
function withdrawnState(snapshot: AccountSnapshot, collateralId: number, amount: bigint): AccountState {
  const state = cloneState(snapshot.state);
  const balance = state.balances[collateralId] ?? 0n;
  if (amount <= balance) {
    state.balances[collateralId] = balance - amount;
  } else {
    state.balances[collateralId] = 0n;
    state.cash -= (amount - balance) * 10n ** BigInt(18 - snapshot.deployment.collaterals[collateralId]!.decimals);
  }
  return state;
}

/**
 * The most of collateral `collateralId` (token units) that can be withdrawn now: the largest amount, at most the
 * balance (plus, in the settlement token, the positive cash: `payableCash`), that leaves E >= IM (the vault's check).
 * E - IM is concave in the amount (E falls linearly, IM is a norm plus add-ons), so the amounts that pass form an
 * interval from 0 and a bisection finds its end to the unit.
 *
 * @returns 0n when the account is under IM already, or holds none of the token.
 */
export function maxWithdrawable(snapshot: AccountSnapshot, collateralId: number): bigint {
  const most = (snapshot.state.balances[collateralId] ?? 0n) + payableCash(snapshot, collateralId);
  const passes = (amount: bigint): boolean => {
    const r = requirementOf(snapshot, withdrawnState(snapshot, collateralId, amount), snapshot.prices);
    return r.equity >= r.im;
  };
  if (most === 0n || !passes(0n)) return 0n;
  if (passes(most)) return most;
  return lastTrue(0n, most, passes);
}

/** The result of a proposed action: the margin after it and whether the vault would accept it. */
export interface Impact {
  before: RiskView;
  after: RiskView;
  /** The state after the action. */
  state: AccountState;
  /** Whether the vault's margin check passes for this account (spec §5). */
  accepted: boolean;
  /** Why not, in one sentence; empty when accepted. */
  reason: string;
}

/** A proposed trade: `size` (signed WAD: > 0 buys) of `market` at `price` (WAD; the oracle price when omitted). */
export interface ProposedTrade {
  market: number;
  size: bigint;
  price?: bigint;
}

function usd(x: bigint): string {
  return `${formatUnits(x, 18)} USD`;
}

/**
 * The margin after a trade, and whether the vault accepts this side of it: E >= IM after, or the trade strictly
 * lowers MM without lowering E - MM (the risk-reducing rule of `MarginVault.settle`). The cash moves by
 * -mulDown(size, price), as in the vault.
 *
 * @returns Before, after, and the vault's verdict for this side.
 */
export function tradeImpact(snapshot: AccountSnapshot, trade: ProposedTrade): Impact {
  const marketInfo = snapshot.deployment.markets[trade.market];
  if (marketInfo === undefined) throw new RangeError(`market ${trade.market} is not listed`);
  const price = trade.price ?? snapshot.prices[marketInfo.asset] ?? 0n;
  if (price === 0n) throw new RangeError(`no usable price for ${marketInfo.symbol}`);
  const state = cloneState(snapshot.state);
  state.positions[trade.market] = (state.positions[trade.market] ?? 0n) + trade.size;
  state.cash -= mulDown(trade.size, price);
  const before = riskView(snapshot);
  const after = riskView(snapshot, marginOf(snapshot, state));
  const passesIm = after.equity >= after.initialMargin;
  const reducing =
    after.maintenanceMargin < before.maintenanceMargin &&
    after.equity - after.maintenanceMargin >= before.equity - before.maintenanceMargin;
  const accepted = passesIm || reducing;
  return {
    before,
    after,
    state,
    accepted,
    reason: accepted ? "" : `E = ${usd(after.equity)} would be below IM = ${usd(after.initialMargin)} after the trade, and it does not reduce risk`,
  };
}

/**
 * The margin after withdrawing `amount` (token units) of collateral `collateralId`, and whether the vault accepts it
 * (balance enough, or in the settlement token balance plus positive cash; E >= IM after).
 */
export function withdrawImpact(snapshot: AccountSnapshot, collateralId: number, amount: bigint): Impact {
  const info = snapshot.deployment.collaterals[collateralId];
  if (info === undefined) throw new RangeError(`collateral ${collateralId} is not listed`);
  const balance = snapshot.state.balances[collateralId] ?? 0n;
  const cash = payableCash(snapshot, collateralId);
  const before = riskView(snapshot);
  if (amount > balance + cash) {
    const reason = cash > 0n
      ? `the balance is ${formatUnits(balance, info.decimals)} ${info.symbol} and the positive cash pays at most ${formatUnits(cash, info.decimals)} more`
      : `the balance is ${formatUnits(balance, info.decimals)} ${info.symbol}`;
    return { before, after: before, state: snapshot.state, accepted: false, reason };
  }
  const state = withdrawnState(snapshot, collateralId, amount);
  const after = riskView(snapshot, marginOf(snapshot, state));
  const accepted = after.equity >= after.initialMargin;
  const max = accepted ? 0n : maxWithdrawable(snapshot, collateralId);
  return {
    before,
    after,
    state,
    accepted,
    reason: accepted
      ? ""
      : `E = ${usd(after.equity)} would be below IM = ${usd(after.initialMargin)}; at most ${formatUnits(max, info.decimals)} ${info.symbol} can be withdrawn`,
  };
}

/** A hypothetical change for `whatIf`: any of new positions, trades, prices, a uniform shock. */
export interface WhatIf {
  /** Absolute positions by market id (WAD), replacing the current ones; cash is unchanged. */
  positions?: Record<number, bigint>;
  /** Trades applied at their price (or the oracle price), moving cash as the vault does. */
  trades?: ProposedTrade[];
  /** Prices by asset id (WAD), replacing the oracle's. */
  prices?: Record<number, bigint>;
  /** A uniform move of every non-USD price, in basis points (-500 = -5%), applied after `prices`. */
  shockBps?: number;
}

/** `whatIf`'s result. */
export interface WhatIfResult {
  before: RiskView;
  after: RiskView;
  state: AccountState;
  prices: bigint[];
}

/**
 * Moves every non-USD price by `bps` basis points, rounded down to what the asset's feed can report (its decimals),
 * so that the same prices can be set on the feeds.
 *
 * @param deployment For the feed decimals.
 * @param prices WAD prices by asset id.
 * @param bps The move (-10000 < bps).
 */
export function shockPrices(deployment: Deployment, prices: readonly bigint[], bps: number): bigint[] {
  const factor = BigInt(10_000 + bps);
  return prices.map((p, asset) => {
    if (asset === 0 || p === 0n) return p;
    const unit = 10n ** BigInt(18 - (deployment.assets[asset]?.feedDecimals ?? 18));
    return ((((p / unit) * factor) / 10_000n) * unit) as bigint;
  });
}

/**
 * The margin after a hypothetical change (nothing is sent).
 *
 * @example whatIf(snapshot, { shockBps: -1000 }).after.liquidatable
 */
export function whatIf(snapshot: AccountSnapshot, change: WhatIf): WhatIfResult {
  const state = cloneState(snapshot.state);
  let prices = [...snapshot.prices];
  for (const [asset, price] of Object.entries(change.prices ?? {})) prices[Number(asset)] = price;
  if (change.shockBps !== undefined) prices = shockPrices(snapshot.deployment, prices, change.shockBps);
  for (const [market, size] of Object.entries(change.positions ?? {})) state.positions[Number(market)] = size;
  for (const t of change.trades ?? []) {
    const info = snapshot.deployment.markets[t.market];
    if (info === undefined) throw new RangeError(`market ${t.market} is not listed`);
    state.positions[t.market] = (state.positions[t.market] ?? 0n) + t.size;
    state.cash -= mulDown(t.size, t.price ?? snapshot.prices[info.asset] ?? 0n);
  }
  return { before: riskView(snapshot), after: riskView(snapshot, marginOf(snapshot, state, prices), prices), state, prices };
}

function liquidatableAt(snapshot: AccountSnapshot, prices: bigint[]): boolean {
  const r = requirementOf(snapshot, snapshot.state, prices);
  return r.equity < r.mm;
}

/** The liquidation prices of one asset, others fixed. */
export interface LiquidationPrices {
  asset: number;
  /** The highest price below the current one (that the feed can report) at which E < MM; null when none > 0. */
  down: bigint | null;
  /** The lowest price above the current one at which E < MM; null when none up to the asset's maximum price. */
  up: bigint | null;
}

/**
 * The prices of `asset` at which the account becomes liquidatable, every other price fixed, to the unit of the
 * asset's feed (so that setting the feed there makes `vault.isLiquidatable` true, and one feed unit back makes it
 * false). E - MM is concave in one price (E is linear, MM a norm plus |linear| add-ons), so the healthy prices form
 * an interval around the current one and each side is found by bisection.
 *
 * @throws RangeError when the account is liquidatable already or the asset has no usable price.
 */
export function liquidationPrices(snapshot: AccountSnapshot, asset: number): LiquidationPrices {
  const info = snapshot.deployment.assets[asset];
  if (info === undefined) throw new RangeError(`asset ${asset} is not listed`);
  const current = snapshot.prices[asset] ?? 0n;
  if (current === 0n) throw new RangeError(`no usable price for ${info.symbol}`);
  if (liquidatableAt(snapshot, snapshot.prices)) throw new RangeError("the account is liquidatable at the current prices");
  const unit = 10n ** BigInt(18 - info.feedDecimals);
  const at = (answer: bigint): boolean => {
    const prices = [...snapshot.prices];
    prices[asset] = answer * unit;
    return liquidatableAt(snapshot, prices);
  };
  const now = current / unit;
  const maxAnswer = info.maxPrice / unit;
  // Below the price: liquidatable at 1 (when at all), healthy now. Above: healthy now, liquidatable at the maximum.
  const down = now > 1n && at(1n) ? lastTrue(1n, now, at) * unit : null;
  const up = maxAnswer > now && at(maxAnswer) ? (lastTrue(now, maxAnswer, (x) => !at(x)) + 1n) * unit : null;
  return { asset, down, up };
}

/** The smallest uniform moves of every non-USD price that reach maintenance margin. */
export interface ShockToMaintenance {
  /** The smallest fall, in basis points (negative), at which E < MM; null when none down to -99.99%. */
  down: number | null;
  /** The smallest rise, in basis points, at which E < MM; null when none up to +1000% (or the maximum prices). */
  up: number | null;
}

const MAX_UP_BPS = 100_000;

/**
 * The uniform shock of every non-USD price (to the basis point, prices as `shockPrices` makes them) that takes
 * the account to E < MM, in each direction.
 *
 * @throws RangeError when the account is liquidatable already.
 */
export function shockToMaintenance(snapshot: AccountSnapshot): ShockToMaintenance {
  if (liquidatableAt(snapshot, snapshot.prices)) throw new RangeError("the account is liquidatable at the current prices");
  const deployment = snapshot.deployment;
  const touched = touchedAssets(deployment, snapshot.state);
  // A touched price above its listed maximum makes the oracle revert: no margin, so not a liquidation point.
  const aboveMax = (prices: bigint[]): boolean => touched.some((a) => a > 0 && prices[a]! > deployment.assets[a]!.maxPrice);
  const at = (bps: number): boolean => {
    const prices = shockPrices(deployment, snapshot.prices, bps);
    return !aboveMax(prices) && liquidatableAt(snapshot, prices);
  };
  const down = at(-9_999) ? Number(lastTrue(-9_999n, 0n, (x) => at(Number(x)))) : null;
  let upEnd = MAX_UP_BPS;
  // Stop below the first move that takes a touched price above its maximum.
  while (upEnd > 0 && aboveMax(shockPrices(deployment, snapshot.prices, upEnd))) upEnd = Math.trunc(upEnd / 2);
  const up = upEnd > 0 && at(upEnd) ? Number(lastTrue(0n, BigInt(upEnd), (x) => !at(Number(x))) + 1n) : null;
  return { down, up };
}
