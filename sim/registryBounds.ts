/**
 * The bounds `RiskRegistry` enforces at listing (contracts/libraries/ConstantsLib.sol), checked off-chain so that a
 * calibrated parameter file is refused before anyone deploys it, with the field to fix.
 */
import type { DeploymentConfig } from "../ignition/modules/deploymentConfig.js";

const WAD = 10n ** 18n;

/** ConstantsLib.sol's bounds. */
export const REGISTRY_BOUNDS = {
  maxAssets: 16,
  maxCollaterals: 16,
  maxMarkets: 32,
  maxImFactor: 10n * WAD,
  maxHaircut: WAD,
  maxContingency: WAD,
  maxHeartbeat: 7 * 86_400,
  maxPriceUnit: 10n ** 9n,
  maxExposure: 10n ** 28n,
  uint64Max: 2n ** 64n - 1n,
} as const;

/**
 * Every way `config` breaks a bound the registry checks, as "field: what is wrong" lines (empty when it is valid).
 *
 * @param config A parsed deployment config.
 * @example checkRegistryBounds(defaultDeploymentConfig()) // []
 */
export function checkRegistryBounds(config: DeploymentConfig): string[] {
  const B = REGISTRY_BOUNDS;
  const problems: string[] = [];
  const ids = new Map(config.assets.map((a, i) => [a.symbol, i] as const));
  if (config.imFactor < WAD || config.imFactor > B.maxImFactor) problems.push(`imFactor: ${config.imFactor} is outside [1e18, 10e18]`);
  if (config.assets.length > B.maxAssets) problems.push(`assets: ${config.assets.length} listed, at most ${B.maxAssets}`);
  if (config.collateral.length > B.maxCollaterals) problems.push(`collateral: ${config.collateral.length} listed, at most ${B.maxCollaterals}`);
  if (config.markets.length > B.maxMarkets) problems.push(`markets: ${config.markets.length} listed, at most ${B.maxMarkets}`);
  config.assets.forEach((a, i) => {
    if (a.scan <= 0n || a.scan > WAD) problems.push(`assets.${i}.scan (${a.symbol}): ${a.scan} is outside (0, 1e18]`);
    if (a.heartbeat <= 0 || a.heartbeat > B.maxHeartbeat) problems.push(`assets.${i}.heartbeat (${a.symbol}): ${a.heartbeat} is outside (0, 7 days]`);
    if (a.maxPrice <= 0n || a.maxPrice % B.maxPriceUnit !== 0n || a.maxPrice / B.maxPriceUnit > B.uint64Max) {
      problems.push(`assets.${i}.maxPrice (${a.symbol}): ${a.maxPrice} must be a positive multiple of 1e9 below 2^64 * 1e9`);
    }
    // The registry refuses a maximum price below the price its feed answers (a mock feed's answer is known here).
    if (typeof a.feed !== "string" && a.feed.mock.decimals <= 18 && a.feed.mock.answer * 10n ** BigInt(18 - a.feed.mock.decimals) > a.maxPrice) {
      problems.push(`assets.${i}.maxPrice (${a.symbol}): ${a.maxPrice} is below the feed's answer ${a.feed.mock.answer} (${a.feed.mock.decimals} decimals)`);
    }
  });
  config.correlations.forEach((c, i) => {
    if (!ids.has(c.a) || !ids.has(c.b) || c.a === c.b) problems.push(`correlations.${i}: ${c.a}/${c.b} must name two different listed assets`);
    if (c.rho > WAD || c.rho < -WAD) problems.push(`correlations.${i} (${c.a}/${c.b}): rho ${c.rho} is outside [-1e18, 1e18]`);
  });
  const units = new Map<string, bigint>();
  const add = (asset: string, u: bigint) => units.set(asset, (units.get(asset) ?? 0n) + u);
  config.collateral.forEach((c, i) => {
    if (!ids.has(c.asset)) problems.push(`collateral.${i}: asset ${c.asset} is not listed`);
    if (c.haircut < 0n || c.haircut > B.maxHaircut) problems.push(`collateral.${i}.haircut (${c.asset}): ${c.haircut} is outside [0, 1e18]`);
    const decimals = typeof c.token === "string" ? 18 : c.token.mock.decimals;
    if (decimals > 18) problems.push(`collateral.${i}: ${decimals} decimals, at most 18`);
    else add(c.asset, c.depositCap * 10n ** BigInt(18 - decimals));
  });
  config.markets.forEach((m, i) => {
    if (!ids.has(m.asset)) problems.push(`markets.${i}: asset ${m.asset} is not listed`);
    if (m.k < 0n || m.k > B.maxContingency) problems.push(`markets.${i}.k (${m.asset}): ${m.k} is outside [0, 1e18]`);
    add(m.asset, m.openInterestCap);
  });
  // RiskRegistry._checkAssetRange: every cap of an asset valued at its maximum price stays within MAX_EXPOSURE.
  for (const a of config.assets) {
    const u = units.get(a.symbol) ?? 0n;
    if (a.maxPrice > 0n && u > (B.maxExposure * WAD) / a.maxPrice) {
      problems.push(`assets.${a.symbol}: caps of ${u} WAD units at maxPrice ${a.maxPrice} exceed the 1e10 USD exact range`);
    }
  }
  return problems;
}
