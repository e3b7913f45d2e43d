/**
 * Realistic account portfolios for the local demonstration: hedged (collateral against a short perp), pairs (long
 * one asset, short a correlated one), directional, and over-levered ones (at 1.00-1.10x initial margin). Each is a
 * list of deposits and perp legs; the legs are filled in chunks, interleaved, at the oracle price, and collateral
 * is sized with the margin twin so that the account is at or above IM after every chunk, as the vault requires.
 */
import { mulDown, type Margin } from "../client/src/margin/index.js";
import type { Rng } from "./rng.js";
import { emptyAccount, marginOf, type AccountState, type RiskModel } from "./riskModel.js";

/** The portfolio families of the demonstration. */
export const PORTFOLIO_TYPES = ["hedged", "pairs", "directional", "overlevered"] as const;
export type PortfolioType = (typeof PORTFOLIO_TYPES)[number];

/** One deposit: `units` of collateral `collateral` (index in the model), in token units. */
export interface DepositPlan {
  collateral: number;
  units: bigint;
}

/** One perp leg: the account's signed size (WAD base units) in `market`. */
export interface LegPlan {
  market: number;
  size: bigint;
}

/** One fill of a leg, in execution order. */
export interface FillPlan {
  leg: number;
  market: number;
  size: bigint;
}

/** One account to open. */
export interface AccountPlan {
  index: number;
  type: PortfolioType;
  description: string;
  deposits: DepositPlan[];
  legs: LegPlan[];
  fills: FillPlan[];
  /** The state and margin expected after every fill, at the opening prices. */
  state: AccountState;
  margin: Margin;
  /** The lowest E / IM over the account's opening steps (>= 1). */
  minEquityToIm: number;
}

/** Options of `generatePortfolios`. */
export interface GeneratePortfoliosParameters {
  model: RiskModel;
  /** WAD prices by asset id (the opening oracle prices). */
  prices: bigint[];
  /** Accounts of each type. */
  counts: Record<PortfolioType, number>;
  rng: Rng;
  /** Chunks each leg is filled in. @default 4 */
  chunks?: number;
}

/** Correlated pairs (spec §7 medium correlation >= 0.5). */
export const PAIRS: readonly (readonly [string, string])[] = [
  ["BTC", "ETH"],
  ["ETH", "LINK"],
  ["BTC", "LINK"],
  ["ETH", "SOL"],
  ["BTC", "SOL"],
  ["SOL", "LINK"],
];

/** The counts of a total split as the default mix: 20% hedged, 25% pairs, 35% directional, 20% over-levered. */
export function defaultMix(total: number): Record<PortfolioType, number> {
  const hedged = Math.round(total * 0.2);
  const pairs = Math.round(total * 0.25);
  const overlevered = Math.round(total * 0.2);
  return { hedged, pairs, directional: total - hedged - pairs - overlevered, overlevered };
}

/** The cash change of a fill of `size` at `price` for the account (spec §2; the vault's settle). */
export function applyFill(state: AccountState, market: number, size: bigint, price: bigint): void {
  state.positions[market] = state.positions[market]! + size;
  state.cash += size > 0n ? -mulDown(size, price) : mulDown(-size, price);
}

/** Floating USD value to WAD. */
function usd(x: number): bigint {
  return BigInt(Math.round(x * 1e6)) * 10n ** 12n;
}

function wadToNumber(x: bigint): number {
  return Number(x) / 1e18;
}

/** Base units (WAD, 6 decimals kept) of `notional` USD at `price`. */
function sizeOf(notionalUsd: number, price: bigint): bigint {
  const units = notionalUsd / wadToNumber(price);
  return BigInt(Math.max(1, Math.round(units * 1e6))) * 10n ** 12n;
}

/** Token units worth `valueUsd` of collateral `c` at `price`. */
function unitsOf(valueUsd: number, price: bigint, decimals: number): bigint {
  const kept = Math.min(decimals, 8);
  return BigInt(Math.ceil((valueUsd / wadToNumber(price)) * 10 ** kept)) * 10n ** BigInt(decimals - kept);
}

/** The fills of `legs` in `chunks` interleaved rounds (the last chunk takes the remainder). */
export function interleaveFills(legs: readonly LegPlan[], chunks: number): FillPlan[] {
  const fills: FillPlan[] = [];
  for (let c = 0; c < chunks; c++) {
    legs.forEach((leg, i) => {
      const part = leg.size / BigInt(chunks);
      const size = c === chunks - 1 ? leg.size - part * BigInt(chunks - 1) : part;
      if (size !== 0n) fills.push({ leg: i, market: leg.market, size });
    });
  }
  return fills;
}

interface Evaluation {
  state: AccountState;
  margin: Margin;
  /** min over opening steps of E - IM, and the final E - factor * IM. */
  slack: bigint;
  minRatio: number;
}

function evaluate(model: RiskModel, prices: bigint[], deposits: DepositPlan[], fills: FillPlan[], factor: number): Evaluation {
  const state = emptyAccount(model);
  for (const d of deposits) state.balances[d.collateral] = state.balances[d.collateral]! + d.units;
  let slack: bigint | undefined;
  let minRatio = Number.POSITIVE_INFINITY;
  const check = () => {
    const m = marginOf(model, state, prices);
    const s = m.equity - m.initialMargin;
    if (slack === undefined || s < slack) slack = s;
    if (m.initialMargin > 0n) minRatio = Math.min(minRatio, wadToNumber(m.equity) / wadToNumber(m.initialMargin));
    return m;
  };
  check();
  for (const f of fills) {
    applyFill(state, f.market, f.size, prices[model.markets[f.market]!.asset]!);
    check();
  }
  const margin = marginOf(model, state, prices);
  const finalSlack = margin.equity - (margin.initialMargin * BigInt(Math.round(factor * 1e6))) / 1_000_000n;
  return { state, margin, slack: finalSlack < slack! ? finalSlack : slack!, minRatio };
}

/**
 * The least units of collateral `collateral` (added to `fixed` deposits) that keep every opening step at or above
 * IM and end at `factor` x IM or more (bisection; the slack grows with the collateral for the portfolios here).
 */
function sizeCollateral(
  model: RiskModel,
  prices: bigint[],
  fixed: DepositPlan[],
  collateral: number,
  fills: FillPlan[],
  factor: number,
): Evaluation & { deposits: DepositPlan[] } {
  const withUnits = (units: bigint) => [...fixed, { collateral, units }];
  let hi = 10n ** BigInt(model.collaterals[collateral]!.decimals);
  let guard = 0;
  while (evaluate(model, prices, withUnits(hi), fills, factor).slack < 0n) {
    hi *= 2n;
    if (++guard > 80) throw new Error("sizeCollateral: no collateral amount reaches the target margin");
  }
  let lo = 0n;
  while (hi - lo > 1n && (hi - lo) * 10_000n > hi) {
    const mid = (lo + hi) / 2n;
    if (evaluate(model, prices, withUnits(mid), fills, factor).slack >= 0n) hi = mid;
    else lo = mid;
  }
  const deposits = withUnits(hi);
  return { ...evaluate(model, prices, deposits, fills, factor), deposits };
}

function notionalUsd(rng: Rng): number {
  // Log-normal around $50k, between $5k and $1M.
  return Math.min(1_000_000, Math.max(5_000, Math.exp(Math.log(50_000) + 0.9 * rng.normal())));
}

/**
 * Generates the accounts' portfolios.
 *
 * @param parameters Model, opening prices, counts per type, random generator.
 * @returns One plan per account, each checked with the twin to start at or above IM.
 * @example generatePortfolios({ model, prices, counts: defaultMix(300), rng: createRng(1) })
 */
export function generatePortfolios(parameters: GeneratePortfoliosParameters): AccountPlan[] {
  const { model, prices, counts, rng } = parameters;
  const chunks = parameters.chunks ?? 4;
  const priceOf = (symbol: string) => prices[model.assets.indexOf(symbol)]!;
  const risky = model.assets.filter((a) => a !== "USD");
  const usdc = model.collateralOf["USD"]!;
  const plans: AccountPlan[] = [];

  const finish = (type: PortfolioType, description: string, fixed: DepositPlan[], sized: number | null, legs: LegPlan[], factor: number) => {
    const fills = interleaveFills(legs, chunks);
    const result =
      sized === null
        ? { ...evaluate(model, prices, fixed, fills, factor), deposits: fixed }
        : sizeCollateral(model, prices, fixed, sized, fills, factor);
    if (result.slack < 0n) throw new Error(`portfolio ${plans.length} (${type}) does not reach IM`);
    plans.push({
      index: plans.length,
      type,
      description,
      deposits: result.deposits,
      legs,
      fills,
      state: result.state,
      margin: result.margin,
      minEquityToIm: result.minRatio,
    });
  };

  const directional = (type: PortfolioType, factor: number) => {
    const n = rng.next() < 0.7 ? 1 : 2;
    const long = rng.next() < 0.7;
    const symbols = n === 1 ? [rng.pick(risky)] : [rng.pick(risky), rng.pick(risky)].filter((s, i, a) => a.indexOf(s) === i);
    const legs = symbols.map((s) => ({ market: model.marketOf[s]!, size: (long ? 1n : -1n) * sizeOf(notionalUsd(rng) / n, priceOf(s)) }));
    // Some longs post the asset itself as collateral (BTC, ETH only: a leveraged long on margin).
    const own = symbols[0]!;
    const assetCollateral = long && factor <= 2.5 && (own === "BTC" || own === "ETH") && rng.next() < 0.3;
    const collateral = assetCollateral ? model.collateralOf[own]! : usdc;
    finish(type, `${long ? "long" : "short"} ${symbols.join("+")}${assetCollateral ? ` on ${model.collaterals[collateral]!.symbol}` : ""}`, [], collateral, legs, factor);
  };

  const pairs = (type: PortfolioType, factor: number) => {
    const [a, b] = rng.pick(PAIRS);
    const [longSymbol, shortSymbol] = rng.next() < 0.5 ? [a, b] : [b, a];
    const n = notionalUsd(rng);
    const beta = rng.uniform(0.8, 1.2);
    const legs = [
      { market: model.marketOf[longSymbol]!, size: sizeOf(n, priceOf(longSymbol)) },
      { market: model.marketOf[shortSymbol]!, size: -sizeOf(n * beta, priceOf(shortSymbol)) },
    ];
    finish(type, `long ${longSymbol} / short ${shortSymbol}`, [], usdc, legs, factor);
  };

  for (let i = 0; i < counts.hedged; i++) {
    const symbol = rng.pick(risky);
    const c = model.collateralOf[symbol]!;
    const value = notionalUsd(rng);
    const units = unitsOf(value, priceOf(symbol), model.collaterals[c]!.decimals);
    const ratio = rng.uniform(0.7, 1.0);
    const legs = [{ market: model.marketOf[symbol]!, size: -sizeOf(value * ratio, priceOf(symbol)) }];
    finish("hedged", `${model.collaterals[c]!.symbol} hedged ${Math.round(ratio * 100)}% with a short ${symbol} perp`, [{ collateral: c, units }], null, legs, 1);
  }
  for (let i = 0; i < counts.pairs; i++) pairs("pairs", rng.uniform(1.2, 3));
  for (let i = 0; i < counts.directional; i++) directional("directional", rng.uniform(1.3, 4));
  for (let i = 0; i < counts.overlevered; i++) {
    const factor = rng.uniform(1.01, 1.1);
    if (rng.next() < 0.6) directional("overlevered", factor);
    else pairs("overlevered", factor);
  }
  return plans;
}

