/**
 * The deployment config seen by the margin twin: asset ids, scans, correlations, collateral tokens and markets,
 * and an account state (what the vault stores) turned into the twin's inputs exactly as `MarginVault._load` does.
 */
import { readFileSync } from "node:fs";

import { DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig, type DeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { accountMargin, pairIndex, type Margin, type Portfolio, type RiskParams } from "../client/src/margin/index.js";

/** A collateral token of the model. */
export interface ModelCollateral {
  symbol: string;
  asset: number;
  haircut: bigint;
  decimals: number;
}

/** A perpetual market of the model. */
export interface ModelMarket {
  asset: number;
  k: bigint;
}

/** The risk model of one deployment. */
export interface RiskModel {
  /** Asset symbols by asset id (0 is USD). */
  assets: string[];
  riskParams: RiskParams;
  collaterals: ModelCollateral[];
  markets: ModelMarket[];
  /** Market id of each non-USD asset symbol. */
  marketOf: Record<string, number>;
  /** Collateral index of each non-USD asset symbol (its wrapped token), and of USD (USDC). */
  collateralOf: Record<string, number>;
}

/** What the vault stores for one account. */
export interface AccountState {
  cash: bigint;
  /** Token units by collateral index. */
  balances: bigint[];
  /** Signed WAD sizes by market id. */
  positions: bigint[];
}

/** The spec's default deployment config (ignition/parameters/spec-v1.json). */
export function defaultDeploymentConfig(): DeploymentConfig {
  return parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")));
}

/**
 * The risk model of a deployment config.
 *
 * @param config The deployment config (mock tokens; token addresses are named by their address).
 */
export function riskModelOf(config: DeploymentConfig): RiskModel {
  const assets = config.assets.map((a) => a.symbol);
  const id = (symbol: string) => {
    const i = assets.indexOf(symbol);
    if (i < 0) throw new Error(`deployment config: unknown asset ${symbol}`);
    return i;
  };
  const rho = new Array<bigint>((assets.length * (assets.length - 1)) / 2).fill(0n);
  for (const { a, b, rho: r } of config.correlations) {
    const [x, y] = [id(a), id(b)].sort((p, q) => p - q) as [number, number];
    rho[pairIndex(x, y)] = r;
  }
  const collaterals = config.collateral.map((c) => ({
    symbol: typeof c.token === "string" ? c.token : c.token.mock.symbol,
    asset: id(c.asset),
    haircut: c.haircut,
    decimals: typeof c.token === "string" ? 18 : c.token.mock.decimals,
  }));
  const markets = config.markets.map((m) => ({ asset: id(m.asset), k: m.k }));
  const marketOf: Record<string, number> = {};
  markets.forEach((m, i) => (marketOf[assets[m.asset]!] ??= i));
  const collateralOf: Record<string, number> = {};
  collaterals.forEach((c, i) => (collateralOf[assets[c.asset]!] ??= i));
  return {
    assets,
    riskParams: { scan: config.assets.map((a) => a.scan), rho, imFactor: config.imFactor },
    collaterals,
    markets,
    marketOf,
    collateralOf,
  };
}

/** An empty account of `model`. */
export function emptyAccount(model: RiskModel): AccountState {
  return { cash: 0n, balances: model.collaterals.map(() => 0n), positions: model.markets.map(() => 0n) };
}

/** A deep copy of an account state. */
export function cloneAccount(state: AccountState): AccountState {
  return { cash: state.cash, balances: [...state.balances], positions: [...state.positions] };
}

/** The twin's portfolio of an account state: zero entries left out, balances normalised to WAD. */
export function toPortfolio(model: RiskModel, state: AccountState): Portfolio {
  const portfolio: Portfolio = { cash: state.cash, collateral: [], positions: [] };
  state.balances.forEach((units, i) => {
    if (units === 0n) return;
    const c = model.collaterals[i]!;
    portfolio.collateral.push({ asset: c.asset, haircut: c.haircut, balance: units * 10n ** BigInt(18 - c.decimals) });
  });
  state.positions.forEach((size, i) => {
    if (size === 0n) return;
    const m = model.markets[i]!;
    portfolio.positions.push({ asset: m.asset, k: m.k, size });
  });
  return portfolio;
}

/** The margin of an account state at WAD `prices` (by asset id), as `vault.accountMargin` computes it. */
export function marginOf(model: RiskModel, state: AccountState, prices: bigint[]): Margin {
  return accountMargin(toPortfolio(model, state), model.riskParams, prices);
}
