/**
 * The bigint twin of `MarginVault.liquidate`: applies liquidation items to an account and its liquidator the way
 * the vault does (`_takeOverPosition`, `_seizeCollateral`, `_checkLastItemNeeded`, `_chargePenalty`, bad-debt
 * settlement, the health and initial-margin checks), so that the keeper only sends item lists the contract accepts
 * and knows the reward before it pays for gas.
 */
import type { Address } from "viem";

import { WAD, mulDown, mulUp } from "../../../client/src/margin/mathLib.js";
import { collateralValue, marginRequirement, notional, pairIndex, type Collateral, type Portfolio, type Position, type RiskParams } from "../../../client/src/margin/marginLib.js";
import type { RiskConfig } from "../store/types.js";

/** One item of `IMarginVault.liquidate`. */
export interface LiquidationItem {
  /** True: `amount` token units of collateral `id`; false: `amount` (WAD) of the position in market `id`. */
  collateral: boolean;
  id: bigint;
  amount: bigint;
}

/** An account's vault state in vault units (what the store holds). */
export interface AccountState {
  cash: bigint;
  /** Token units by collateral id. */
  balances: Map<number, bigint>;
  /** Signed WAD size by market id. */
  positions: Map<number, bigint>;
}

/** What the twin needs besides the accounts: the risk configuration, its engine form and the prices. */
export interface LiquidationContext {
  risk: RiskConfig;
  riskParams: RiskParams;
  /** WAD price by asset id (0 where no usable price). */
  prices: bigint[];
}

/** The names of the vault's errors the twin reproduces. */
export type LiquidationRevert =
  | "EmptyLiquidation"
  | "AccountHealthy"
  | "LiquidationItemTooLarge"
  | "LiquidationExceedsInitialMargin"
  | "LiquidationDidNotImproveHealth"
  | "InsufficientMargin"
  | "MissingPrice";

/** `previewLiquidation`'s result. */
export type PreviewLiquidationReturnType =
  | {
      ok: true;
      /** Liquidated notional at oracle prices (WAD USD). */
      notional: bigint;
      penalty: bigint;
      fundShare: bigint;
      /** The liquidator's equity gain at oracle prices (WAD USD): its penalty share plus the discounts. */
      reward: bigint;
      account: { before: Requirement; after: Requirement; badDebt: boolean };
      liquidator: { after: Requirement };
    }
  | { ok: false; revert: LiquidationRevert; itemIndex?: number };

/** Equity, maintenance and initial margin (WAD). */
export interface Requirement {
  equity: bigint;
  mm: bigint;
  im: bigint;
}

/**
 * Builds the twin's context: the engine's risk parameters from the risk configuration, and the prices by asset.
 *
 * @param risk The vault's risk configuration (from the store).
 * @param prices WAD prices by asset id (0 where unusable).
 * @returns The context.
 */
export function createLiquidationContext(risk: RiskConfig, prices: bigint[]): LiquidationContext {
  const n = risk.assets.length;
  const rho = new Array<bigint>((n * (n - 1)) / 2).fill(0n);
  for (let b = 1; b < n; b++) for (let a = 0; a < b; a++) rho[pairIndex(a, b)] = risk.rho.get(`${a},${b}`) ?? 0n;
  return { risk, riskParams: { scan: risk.assets.map((asset) => asset.scan), rho, imFactor: risk.imFactor }, prices };
}

/** Copies an account state (the twin mutates copies only). */
export function cloneState(state: AccountState): AccountState {
  return { cash: state.cash, balances: new Map(state.balances), positions: new Map(state.positions) };
}

/**
 * The engine's portfolio of `state`, as `MarginVault._load` builds it (zero entries left out, balances in WAD).
 *
 * @returns The portfolio, or null when a touched asset has no price.
 */
export function toPortfolio(state: AccountState, ctx: LiquidationContext): Portfolio | null {
  const collateral: Collateral[] = [];
  for (const [id, amount] of [...state.balances].sort((x, y) => x[0] - y[0])) {
    if (amount === 0n) continue;
    const config = ctx.risk.collaterals[id];
    if (config === undefined || !(ctx.prices[config.asset]! > 0n)) return null;
    collateral.push({ asset: config.asset, haircut: config.haircut, balance: amount * 10n ** BigInt(18 - config.decimals) });
  }
  const positions: Position[] = [];
  for (const [market, size] of [...state.positions].sort((x, y) => x[0] - y[0])) {
    if (size === 0n) continue;
    const config = ctx.risk.markets[market];
    if (config === undefined || !(ctx.prices[config.asset]! > 0n)) return null;
    positions.push({ asset: config.asset, k: config.k, size });
  }
  return { cash: state.cash, collateral, positions };
}

/** Equity, MM and IM of `state` (mirrors `MarginVault._requirement`), or null without prices. */
export function requirementOf(state: AccountState, ctx: LiquidationContext): Requirement | null {
  const portfolio = toPortfolio(state, ctx);
  if (portfolio === null) return null;
  const { equity, mm, im } = marginRequirement(portfolio, ctx.riskParams, ctx.prices);
  return { equity, mm, im };
}

/** Gross value an account still holds: |notionals| plus collateral values (mirrors `_checkLastItemNeeded`). */
export function grossValue(portfolio: Portfolio, prices: bigint[]): bigint {
  let gross = 0n;
  for (const q of portfolio.positions) {
    const n = notional(q, prices);
    gross += n < 0n ? -n : n;
  }
  for (const c of portfolio.collateral) gross += collateralValue(c, prices);
  return gross;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/**
 * Applies one item to `account` and `liquidator` (mutated) as `_takeOverPosition` / `_seizeCollateral` do.
 *
 * @returns The item's notional at the oracle price, or an error name.
 */
export function applyItem(
  account: AccountState,
  liquidator: AccountState,
  item: LiquidationItem,
  ctx: LiquidationContext,
): bigint | "LiquidationItemTooLarge" | "MissingPrice" {
  const id = Number(item.id);
  const liquidation = ctx.risk.liquidation;
  if (!item.collateral) {
    const config = ctx.risk.markets[id];
    const size = account.positions.get(id) ?? 0n;
    if (config === undefined || item.amount === 0n || item.amount > abs(size)) return "LiquidationItemTooLarge";
    const price = ctx.prices[config.asset] ?? 0n;
    if (price === 0n) return "MissingPrice";
    const discount = liquidation.marketDiscounts.get(id) ?? 0n;
    const transferPrice = size > 0n ? mulUp(price, WAD - discount) : (price * (WAD + discount)) / WAD;
    const s = size > 0n ? item.amount : -item.amount;
    const amount = mulDown(s, transferPrice);
    account.positions.set(id, size - s);
    liquidator.positions.set(id, (liquidator.positions.get(id) ?? 0n) + s);
    account.cash += amount;
    liquidator.cash -= amount;
    return (item.amount * price) / WAD;
  }
  const config = ctx.risk.collaterals[id];
  const balance = account.balances.get(id) ?? 0n;
  if (config === undefined || item.amount === 0n || item.amount > balance) return "LiquidationItemTooLarge";
  const price = ctx.prices[config.asset] ?? 0n;
  if (price === 0n) return "MissingPrice";
  const transferPrice = mulUp(price, WAD - (liquidation.collateralDiscounts.get(config.token) ?? 0n));
  const units = item.amount * 10n ** BigInt(18 - config.decimals);
  const value = (units * transferPrice) / WAD;
  account.balances.set(id, balance - item.amount);
  liquidator.balances.set(id, (liquidator.balances.get(id) ?? 0n) + item.amount);
  account.cash += value;
  liquidator.cash -= value;
  return (units * price) / WAD;
}

/** Options of `previewLiquidation`. */
export interface PreviewLiquidationParameters {
  ctx: LiquidationContext;
  /** The account to liquidate (not mutated). */
  account: AccountState;
  /** The liquidator's own vault account (not mutated). */
  liquidator: AccountState;
  items: readonly LiquidationItem[];
}

/**
 * Runs `MarginVault.liquidate(account, items)` on the twin.
 *
 * @param parameters Context, both accounts, the items.
 * @returns The figures the vault would produce, or the name of the error it would revert with.
 * @example const result = previewLiquidation({ ctx, account, liquidator, items: [{ collateral: false, id: 1n, amount: WAD }] });
 */
export function previewLiquidation(parameters: PreviewLiquidationParameters): PreviewLiquidationReturnType {
  const { ctx, items } = parameters;
  if (items.length === 0) return { ok: false, revert: "EmptyLiquidation" };
  const account = cloneState(parameters.account);
  const liquidator = cloneState(parameters.liquidator);
  const before = requirementOf(account, ctx);
  const liquidatorBefore = requirementOf(liquidator, ctx);
  if (before === null || liquidatorBefore === null) return { ok: false, revert: "MissingPrice" };
  if (before.equity >= before.mm) return { ok: false, revert: "AccountHealthy" };
  const { penalty: rate, fundShare: shareRate, dustThreshold, fund } = ctx.risk.liquidation;
  const solvent = before.equity >= 0n;

  let liquidated = 0n;
  for (let i = 0; i < items.length; i++) {
    if (i === items.length - 1 && items.length > 1 && solvent) {
      // _checkLastItemNeeded: already at IM with the penalty so far, and not dust: the last item is refused.
      const portfolio = toPortfolio(account, ctx);
      if (portfolio === null) return { ok: false, revert: "MissingPrice" };
      const r = marginRequirement(portfolio, ctx.riskParams, ctx.prices);
      if (r.equity - mulUp(liquidated, rate) >= r.im && grossValue(portfolio, ctx.prices) >= dustThreshold) {
        return { ok: false, revert: "LiquidationExceedsInitialMargin", itemIndex: i };
      }
    }
    const result = applyItem(account, liquidator, items[i]!, ctx);
    if (typeof result === "string") return { ok: false, revert: result, itemIndex: i };
    liquidated += result;
  }

  const penalty = mulUp(liquidated, rate);
  const fundShare = fund === "0x0000000000000000000000000000000000000000" ? 0n : (penalty * shareRate) / WAD;
  account.cash -= penalty;
  liquidator.cash += penalty - fundShare;

  const after = requirementOf(account, ctx)!;
  const flat = [...account.positions.values()].every((size) => size === 0n);
  const badDebt = after.equity < 0n && flat;
  const equityAfter = badDebt ? 0n : after.equity;
  if (equityAfter - after.mm <= before.equity - before.mm) return { ok: false, revert: "LiquidationDidNotImproveHealth" };
  const liquidatorAfter = requirementOf(liquidator, ctx)!;
  if (liquidatorAfter.equity < liquidatorAfter.im) return { ok: false, revert: "InsufficientMargin" };
  return {
    ok: true,
    notional: liquidated,
    penalty,
    fundShare,
    reward: liquidatorAfter.equity - liquidatorBefore.equity,
    account: { before, after: { ...after, equity: equityAfter }, badDebt },
    liquidator: { after: liquidatorAfter },
  };
}

/** Reads an account's state from rows keyed by token address (the store's form). */
export function accountStateFrom(
  risk: RiskConfig,
  cash: bigint,
  balances: readonly { token: Address; amount: bigint }[],
  positions: readonly { market: number; size: bigint }[],
): AccountState {
  const idByToken = new Map(risk.collaterals.map((c) => [c.token, c.id] as const));
  const state: AccountState = { cash, balances: new Map(), positions: new Map() };
  for (const { token, amount } of balances) {
    const id = idByToken.get(token);
    if (id !== undefined && amount !== 0n) state.balances.set(id, amount);
  }
  for (const { market, size } of positions) if (size !== 0n) state.positions.set(market, size);
  return state;
}

/** The store's reads `stateFromStore` uses. */
export interface AccountStateSource {
  cash(account: Address): bigint;
  balances(account: Address): readonly { token: Address; amount: bigint }[];
  positions(account: Address): readonly { market: number; size: bigint }[];
}

/**
 * `account`'s state as the store holds it at its checkpoint.
 *
 * @example const state = stateFromStore(store, risk, account);
 */
export function stateFromStore(store: AccountStateSource, risk: RiskConfig, account: Address): AccountState {
  return accountStateFrom(risk, store.cash(account), store.balances(account), store.positions(account));
}

/** WAD prices by asset id from `readPrices`' result (0 where unusable or when the sequencer check fails). */
export function pricesByAsset(assetCount: number, read: { prices: readonly ({ asset: number; ok: true; price: bigint } | { asset: number; ok: false })[]; sequencerError: unknown }): bigint[] {
  const prices = new Array<bigint>(assetCount).fill(0n);
  if (read.sequencerError) return prices;
  for (const p of read.prices) if (p.ok && p.asset < assetCount) prices[p.asset] = p.price;
  return prices;
}
