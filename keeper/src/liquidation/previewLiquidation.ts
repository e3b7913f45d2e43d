/**
 * The keeper's side of `MarginVault.previewLiquidation`: the account and liquidator states the store holds, turned
 * into the keyed portfolios of the client's twin (`client/src/margin/liquidationLib.ts`, which mirrors
 * `LiquidationLib.sol` function for function), plus the checks `liquidate` makes after the plan (healthy account,
 * no MM released, liquidator under IM), so that the keeper only sends what the contract accepts and knows its
 * reward before it pays for gas.
 */
import type { Address } from "viem";

import { marginRequirement, pairIndex, type Collateral, type Portfolio, type Position, type RiskParams } from "../../../client/src/margin/marginLib.js";
import {
  maxLiquidationFraction,
  previewLiquidation as previewTwin,
  type Keyed,
  type KeyedPortfolio,
} from "../../../client/src/margin/liquidationLib.js";
import type { RiskConfig } from "../store/types.js";

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
  | "ZeroAmount"
  | "AccountHealthy"
  | "LiquidationDidNotImproveHealth"
  | "InsufficientMargin"
  | "MissingPrice";

/** `previewLiquidation`'s result. */
export type PreviewLiquidationReturnType =
  | {
      ok: true;
      /** The fraction the vault applies (the request clamped to the close factor; 1e18 for an insolvent account). */
      fraction: bigint;
      /** What the liquidator pays for the slice at oracle prices (WAD USD). */
      value: bigint;
      mmReleased: bigint;
      bonus: bigint;
      fundShare: bigint;
      /** The liquidator's reward at oracle prices (WAD USD): the bonus less the fund's share. */
      reward: bigint;
      account: { before: Requirement; after: Requirement; badDebt: boolean };
      liquidator: { after: Requirement };
    }
  | { ok: false; revert: LiquidationRevert };

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
 * The engine's portfolio of `state` with each entry's collateral / market id, as `MarginVault._load` builds it
 * (zero entries left out, ids ascending, balances in WAD).
 *
 * @returns The keyed portfolio, or null when a touched asset has no price.
 */
export function toKeyedPortfolio(state: AccountState, ctx: LiquidationContext): KeyedPortfolio | null {
  const collateral: Keyed<Collateral>[] = [];
  for (const [id, amount] of [...state.balances].sort((x, y) => x[0] - y[0])) {
    if (amount === 0n) continue;
    const config = ctx.risk.collaterals[id];
    if (config === undefined || !(ctx.prices[config.asset]! > 0n)) return null;
    const entry = { asset: config.asset, haircut: config.haircut, balance: amount * 10n ** BigInt(18 - config.decimals) };
    collateral.push({ id, entry });
  }
  const positions: Keyed<Position>[] = [];
  for (const [market, size] of [...state.positions].sort((x, y) => x[0] - y[0])) {
    if (size === 0n) continue;
    const config = ctx.risk.markets[market];
    if (config === undefined || !(ctx.prices[config.asset]! > 0n)) return null;
    positions.push({ id: market, entry: { asset: config.asset, k: config.k, size } });
  }
  return { cash: state.cash, collateral, positions };
}

/** The engine's portfolio of `state` (`toKeyedPortfolio` without the ids), or null without prices. */
export function toPortfolio(state: AccountState, ctx: LiquidationContext): Portfolio | null {
  const keyed = toKeyedPortfolio(state, ctx);
  if (keyed === null) return null;
  return { cash: keyed.cash, collateral: keyed.collateral.map((k) => k.entry), positions: keyed.positions.map((k) => k.entry) };
}

/** Equity, MM and IM of `state` (mirrors `MarginVault._requirement`), or null without prices. */
export function requirementOf(state: AccountState, ctx: LiquidationContext): Requirement | null {
  const portfolio = toPortfolio(state, ctx);
  if (portfolio === null) return null;
  const { equity, mm, im } = marginRequirement(portfolio, ctx.riskParams, ctx.prices);
  return { equity, mm, im };
}

/** 10^(18 - decimals) by collateral id. */
function scalesOf(risk: RiskConfig): bigint[] {
  return risk.collaterals.map((c) => 10n ** BigInt(18 - c.decimals));
}

/** The twin's liquidation parameters from the risk configuration. */
function paramsOf(risk: RiskConfig) {
  const { bonusRate, fundShare, dustThreshold, fund } = risk.liquidation;
  return { bonusRate, fundShare, dustThreshold, hasFund: fund !== "0x0000000000000000000000000000000000000000" };
}

/**
 * The close factor of `state` (mirrors `MarginVault.maxLiquidationFraction`), or null without prices.
 *
 * @example const fraction = maxFractionOf(state, ctx);
 */
export function maxFractionOf(state: AccountState, ctx: LiquidationContext): bigint | null {
  const portfolio = toPortfolio(state, ctx);
  if (portfolio === null) return null;
  return maxLiquidationFraction(portfolio, ctx.riskParams, ctx.prices, paramsOf(ctx.risk));
}

/** Options of `previewLiquidation`. */
export interface PreviewLiquidationParameters {
  ctx: LiquidationContext;
  /** The account to liquidate (not mutated). */
  account: AccountState;
  /** The liquidator's own vault account (not mutated). */
  liquidator: AccountState;
  /** The requested fraction (WAD). */
  fraction: bigint;
}

/**
 * Runs `MarginVault.liquidate(account, fraction)` on the twin.
 *
 * @param parameters Context, both accounts, the fraction.
 * @returns The figures the vault would produce, or the name of the error it would revert with.
 * @example const result = previewLiquidation({ ctx, account, liquidator, fraction: WAD });
 */
export function previewLiquidation(parameters: PreviewLiquidationParameters): PreviewLiquidationReturnType {
  const { ctx, fraction } = parameters;
  if (fraction === 0n) return { ok: false, revert: "ZeroAmount" };
  const account = toKeyedPortfolio(parameters.account, ctx);
  const liquidator = toKeyedPortfolio(parameters.liquidator, ctx);
  if (account === null || liquidator === null) return { ok: false, revert: "MissingPrice" };
  const before = requirementOf(parameters.account, ctx)!;
  if (before.equity >= before.mm) return { ok: false, revert: "AccountHealthy" };
  const v = previewTwin({ account, liquidator, scales: scalesOf(ctx.risk), risk: ctx.riskParams, prices: ctx.prices, params: paramsOf(ctx.risk), fraction });
  if (v.mmReleased === 0n) return { ok: false, revert: "LiquidationDidNotImproveHealth" };
  if (v.liquidatorEquity < v.liquidatorInitialMargin) return { ok: false, revert: "InsufficientMargin" };
  return {
    ok: true,
    fraction: v.fraction,
    value: v.value,
    mmReleased: v.mmReleased,
    bonus: v.bonus,
    fundShare: v.fundShare,
    reward: v.bonus - v.fundShare,
    account: { before, after: { equity: v.equity, mm: v.maintenanceMargin, im: v.initialMargin }, badDebt: before.equity < 0n },
    liquidator: { after: { equity: v.liquidatorEquity, mm: v.liquidatorMaintenanceMargin, im: v.liquidatorInitialMargin } },
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
