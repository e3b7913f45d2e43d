/**
 * Margin of indexed accounts: builds the engine's inputs from the store (as `MarginVault._load` does from
 * storage) and runs the TypeScript twin, so that the keeper sees what `vault.accountMargin` would return.
 */
import type { Address } from "viem";

import { EvaluationError } from "../errors.js";
import type { AssetPrice, ReadPricesReturnType } from "../prices/readPrices.js";
import type { BalanceRow, KeeperStore, PositionRow } from "../store/store.js";
import type { RiskConfig } from "../store/types.js";
import { accountMargin, pairIndex, type Collateral, type Margin, type Portfolio, type Position, type RiskParams } from "../../../client/src/margin/marginLib.js";

/** Options of `buildMarginInputs`: one account's state and the risk configuration. */
export interface BuildMarginInputsParameters {
  risk: RiskConfig;
  cash: bigint;
  balances: readonly BalanceRow[];
  positions: readonly PositionRow[];
  /** Prices by asset id, and the sequencer's error. */
  prices: ReadPricesReturnType;
}

/** The engine's inputs for one account. */
export interface MarginInputs {
  portfolio: Portfolio;
  riskParams: RiskParams;
  /** WAD prices by asset id; 0 for assets the account does not touch. */
  prices: bigint[];
}

/**
 * Builds the engine's inputs like `MarginVault._load`: zero balances and positions are left out, balances are
 * normalised to WAD by the token's decimals, and only touched assets need a usable price.
 *
 * @param parameters The account's state, the risk configuration and the prices.
 * @returns The portfolio, risk parameters and prices.
 * @throws EvaluationError when a touched asset has no usable price, or the state names an unlisted token/market.
 */
export function buildMarginInputs(parameters: BuildMarginInputsParameters): MarginInputs {
  const { risk, cash, balances, positions } = parameters;
  const assetCount = risk.assets.length;
  const collateralByToken = new Map(risk.collaterals.map((c) => [c.token, c] as const));
  let touched = 0n;

  const collateral: Collateral[] = [];
  for (const { token, amount } of balances) {
    if (amount === 0n) continue;
    const config = collateralByToken.get(token);
    if (config === undefined) throw new EvaluationError(`Balance in token ${token}, which is not listed.`);
    collateral.push({ asset: config.asset, haircut: config.haircut, balance: amount * 10n ** BigInt(18 - config.decimals) });
    touched |= 1n << BigInt(config.asset);
  }
  const positionList: Position[] = [];
  for (const { market, size } of positions) {
    if (size === 0n) continue;
    const config = risk.markets[market];
    if (config === undefined) throw new EvaluationError(`Position in market ${market}, which is not listed.`);
    positionList.push({ asset: config.asset, k: config.k, size });
    touched |= 1n << BigInt(config.asset);
  }

  const prices = new Array<bigint>(assetCount).fill(0n);
  const scan = risk.assets.map((asset) => asset.scan);
  const rho = new Array<bigint>((assetCount * (assetCount - 1)) / 2).fill(0n);
  for (let b = 1; b < assetCount; b++) for (let a = 0; a < b; a++) rho[pairIndex(a, b)] = risk.rho.get(`${a},${b}`) ?? 0n;

  if (touched !== 0n) {
    if (parameters.prices.sequencerError) {
      throw new EvaluationError("No margin while the L2 sequencer check fails.", { cause: parameters.prices.sequencerError });
    }
    for (let a = 0; a < assetCount; a++) {
      if (((touched >> BigInt(a)) & 1n) === 0n) continue;
      const price: AssetPrice | undefined = parameters.prices.prices.find((p) => p.asset === a);
      if (price === undefined || !price.ok) {
        throw new EvaluationError(`No usable price for asset ${a} (${risk.assets[a]?.symbol ?? "?"}).`, {
          cause: price?.ok === false ? price.error : undefined,
          metaMessages: ["The vault cannot compute this account's margin either; it is skipped until the feed recovers."],
        });
      }
      prices[a] = price.price;
    }
  }
  return { portfolio: { cash, collateral, positions: positionList }, riskParams: { scan, rho, imFactor: risk.imFactor }, prices };
}

/** Options of `evaluateAccount`. */
export interface EvaluateAccountParameters {
  store: KeeperStore;
  account: Address;
  prices: ReadPricesReturnType;
  /** The risk configuration; read from the store when omitted. */
  risk?: RiskConfig;
}

/** One account's margin, or why it has none. */
export type EvaluateAccountReturnType =
  | { account: Address; ok: true; margin: Margin; inputs: MarginInputs; shortfall: bigint; liquidatable: boolean }
  | { account: Address; ok: false; error: EvaluationError };

/**
 * The margin of one indexed account, field for field what `vault.accountMargin(account)` returns at the same block.
 *
 * @param parameters Store, account, prices (read at the store's checkpoint block).
 * @returns The margin with `shortfall = MM - E` and `liquidatable = E < MM`, or the error (never throws).
 * @example const result = evaluateAccount({ store, account, prices: await readPrices({ ... }) });
 */
export function evaluateAccount(parameters: EvaluateAccountParameters): EvaluateAccountReturnType {
  const { store, account, prices } = parameters;
  try {
    const inputs = buildMarginInputs({
      risk: parameters.risk ?? store.riskConfig(),
      cash: store.cash(account),
      balances: store.balances(account),
      positions: store.positions(account),
      prices,
    });
    const margin = accountMargin(inputs.portfolio, inputs.riskParams, inputs.prices);
    const shortfall = margin.maintenanceMargin - margin.equity;
    return { account, ok: true, margin, inputs, shortfall, liquidatable: margin.equity < margin.maintenanceMargin };
  } catch (error) {
    const wrapped = error instanceof EvaluationError ? error : new EvaluationError(`Cannot evaluate ${account}.`, { cause: error });
    return { account, ok: false, error: wrapped };
  }
}

/** Options of `evaluateAll`. */
export interface EvaluateAllParameters {
  store: KeeperStore;
  prices: ReadPricesReturnType;
}

/** `evaluateAll`'s result. */
export interface EvaluateAllReturnType {
  /** Evaluated accounts, most undercollateralised first (by MM - E, descending; ties by address). */
  ranked: Extract<EvaluateAccountReturnType, { ok: true }>[];
  /** Accounts whose margin could not be computed. */
  failed: Extract<EvaluateAccountReturnType, { ok: false }>[];
}

/**
 * Evaluates every indexed account and ranks them by distance to liquidation.
 *
 * @param parameters Store and prices.
 * @returns The ranked accounts (each with `liquidatable`) and the failures.
 * @example const { ranked } = evaluateAll({ store, prices }); const targets = ranked.filter((r) => r.liquidatable);
 */
export function evaluateAll(parameters: EvaluateAllParameters): EvaluateAllReturnType {
  const risk = parameters.store.riskConfig();
  const ranked: EvaluateAllReturnType["ranked"] = [];
  const failed: EvaluateAllReturnType["failed"] = [];
  for (const account of parameters.store.accounts()) {
    const result = evaluateAccount({ ...parameters, account, risk });
    if (result.ok) ranked.push(result);
    else failed.push(result);
  }
  ranked.sort((x, y) => (x.shortfall > y.shortfall ? -1 : x.shortfall < y.shortfall ? 1 : x.account < y.account ? -1 : 1));
  return { ranked, failed };
}
