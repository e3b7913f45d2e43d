import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id as keccakId } from "ethers";

import { parseDeploymentConfig, type DeploymentConfig } from "./deploymentConfig.js";

/** Receives the insurance fund's seed shares: no one holds its key. */
const DEAD_ADDRESS = "0x000000000000000000000000000000000000dEaD";

/** Role ids, as `keccak256("RISK_ADMIN_ROLE")` etc. in RiskRegistry.sol. */
export const RISK_ADMIN_ROLE = keccakId("RISK_ADMIN_ROLE");
export const GUARDIAN_ROLE = keccakId("GUARDIAN_ROLE");
export const RISK_STEWARD_ROLE = keccakId("RISK_STEWARD_ROLE");
/** AccessControl's DEFAULT_ADMIN_ROLE (bytes32 zero): grants and revokes every other role. */
export const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}`;
/** The open executor role holder of a TimelockController: anyone may execute a ready operation. */
const ANYONE = "0x0000000000000000000000000000000000000000";
export const SETTLER_ROLE = keccakId("SETTLER_ROLE");

/** The spec's default risk parameters (spec §7), with mock feeds and tokens for local networks. */
export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL("../parameters/spec-v1.json", import.meta.url));

/**
 * Builds the Ignition module that deploys the protocol and lists what `config` names: assets with their
 * feeds, correlations, collateral tokens and markets. Feeds and tokens given as `{ mock: ... }` are deployed
 * as mocks (local networks, tests); addresses are used as they are.
 *
 * Listing calls are chained in the config's order because ids are given in listing order.
 *
 * @param config The deployment config (see `deploymentConfig.ts`).
 * @param moduleId The Ignition module id; distinct ids let one network hold several deployments.
 * Then deploys the TradeSettlement (granted SETTLER_ROLE; the vault gets the config's price band) and, when the
 * config names its asset, the InsuranceFund, and sets the liquidation parameters. Last, governance
 * (docs/governance.md): a TimelockController that receives DEFAULT_ADMIN_ROLE and RISK_ADMIN_ROLE, the steward and
 * guardian roles, the steward bounds, and with `governance.handOver` the deployer renouncing all its roles.
 *
 * @returns The module; its results are `vault`, `settlement`, `timelock`, `insuranceFund` (when configured) plus
 * `feed_<SYMBOL>` and `token_<SYMBOL>` for mocks.
 */
export function buildPortfolioMarginModule(config: DeploymentConfig, moduleId = "PortfolioMargin") {
  return buildModule(moduleId, (m) => {
    const admin = m.getAccount(0);
    const vault = m.contract(config.harness ? "MarginVaultHarness" : "MarginVault", [admin, config.imFactor], {
      id: "vault",
    });
    const grantRisk = m.call(vault, "grantRole", [RISK_ADMIN_ROLE, admin], { id: "grantRiskAdmin" });
    m.call(vault, "grantRole", [GUARDIAN_ROLE, admin], { id: "grantGuardian" });

    const results: Record<string, any> = { vault };
    const tokensByLabel = new Map<string, any>();
    const mockLabels = new Set<string>();
    const assetIds = new Map<string, number>();
    let last: any = grantRisk;

    config.assets.forEach((asset, index) => {
      let feed: any = asset.feed;
      if (typeof asset.feed !== "string") {
        feed = m.contract("MockAggregator", [asset.feed.mock.decimals, asset.feed.mock.answer, `${asset.symbol} / USD`], {
          id: `feed_${asset.symbol}`,
        });
        results[`feed_${asset.symbol}`] = feed;
      }
      last = m.call(vault, "listAsset", [asset.symbol, feed, asset.heartbeat, asset.scan, asset.maxPrice], {
        id: `listAsset_${asset.symbol}`,
        after: [last],
      });
      assetIds.set(asset.symbol, index);
    });

    const assetId = (symbol: string): number => {
      const id = assetIds.get(symbol);
      if (id === undefined) throw new Error(`deployment config: unknown asset symbol "${symbol}"`);
      return id;
    };

    for (const { a, b, rho } of config.correlations) {
      last = m.call(vault, "setCorrelation", [assetId(a), assetId(b), rho], { id: `rho_${a}_${b}`, after: [last] });
    }

    if (config.sequencer) {
      last = m.call(vault, "setSequencerFeed", [config.sequencer.feed, config.sequencer.gracePeriod], {
        id: "setSequencerFeed",
        after: [last],
      });
    }

    for (const collateral of config.collateral) {
      let token: any = collateral.token;
      let label: string;
      if (typeof collateral.token === "string") {
        label = collateral.token;
      } else {
        const { name, symbol, decimals } = collateral.token.mock;
        token = m.contract("MockERC20", [name, symbol, decimals], { id: `token_${symbol}` });
        results[`token_${symbol}`] = token;
        label = symbol;
        mockLabels.add(symbol);
      }
      tokensByLabel.set(label, token);
      last = m.call(vault, "listCollateral", [token, assetId(collateral.asset), collateral.haircut, collateral.depositCap], {
        id: `listCollateral_${label}`,
        after: [last],
      });
    }

    config.markets.forEach((market, index) => {
      last = m.call(vault, "listMarket", [assetId(market.asset), market.k, market.openInterestCap], {
        id: `listMarket_${index}`,
        after: [last],
      });
    });

    const settlement = m.contract("TradeSettlement", [vault], {
      id: "settlement",
      after: [last],
    });
    results.settlement = settlement;
    last = m.call(vault, "grantRole", [SETTLER_ROLE, settlement], { id: "grantSettler", after: [last] });

    const { bonusRate, fundShare, dustThreshold } = config.liquidation;
    last = m.call(vault, "setLiquidationConfig", [bonusRate, fundShare, dustThreshold], {
      id: "setLiquidationConfig",
      after: [last],
    });

    if (config.insuranceFund) {
      const asset = tokensByLabel.get(config.insuranceFund.asset);
      if (asset === undefined) {
        throw new Error(`deployment config: insurance fund asset "${config.insuranceFund.asset}" is not a listed collateral`);
      }
      const insuranceFund = m.contract("InsuranceFund", [asset, vault], { id: "insuranceFund", after: [last] });
      results.insuranceFund = insuranceFund;
      last = m.call(vault, "setInsuranceFund", [insuranceFund], { id: "setInsuranceFund", after: [last] });
      const { seed } = config.insuranceFund;
      if (seed !== 0n) {
        // Shares no one can redeem, so that the fund is never empty (docs/cash.md, donation attack).
        if (mockLabels.has(config.insuranceFund.asset)) {
          last = m.call(asset, "mint", [admin, seed], { id: "seedMint", after: [last] });
        }
        last = m.call(asset, "approve", [insuranceFund, seed], { id: "seedApprove", after: [last] });
        last = m.call(insuranceFund, "deposit", [seed, DEAD_ADDRESS], { id: "seedDeposit", after: [last] });
      }
    }

    // Cash settlement is served at the vault's address by its CashModule (ICashSettlement).
    const cash = m.contractAt("CashModule", vault, { id: "vaultCash" });
    const { settlementDiscount, liquidationGracePeriod } = config.cash;
    last = m.call(cash, "setCashConfig", [settlementDiscount, liquidationGracePeriod], {
      id: "setCashConfig",
      after: [last],
    });
    // The vault checks the band for every settler (IRiskGovernance).
    last = m.call(cash, "setPriceBand", [config.settlement.priceBandBps], { id: "setPriceBand", after: [last] });

    const g = config.governance;
    last = m.call(cash, "setRiskSteps", [g.maxStep, g.minInterval], { id: "setRiskSteps", after: [last] });
    const accountOf = (who: string | { account: number }) => (typeof who === "string" ? who : m.getAccount(who.account));
    const timelock = m.contract(
      "TimelockController",
      [g.timelockDelay, g.proposers.length > 0 ? g.proposers : [admin], g.executors.length > 0 ? g.executors : [ANYONE], ANYONE],
      { id: "timelock", after: [last] },
    );
    results.timelock = timelock;
    last = m.call(vault, "grantRole", [DEFAULT_ADMIN_ROLE, timelock], { id: "grantAdminToTimelock", after: [last] });
    last = m.call(vault, "grantRole", [RISK_ADMIN_ROLE, timelock], { id: "grantRiskAdminToTimelock", after: [last] });
    if (g.steward) {
      last = m.call(vault, "grantRole", [RISK_STEWARD_ROLE, accountOf(g.steward)], { id: "grantSteward", after: [last] });
    }
    if (g.guardian) {
      last = m.call(vault, "grantRole", [GUARDIAN_ROLE, accountOf(g.guardian)], { id: "grantGuardianRole", after: [last] });
    }
    if (g.handOver) {
      // The hand-over (docs/governance.md): the deployer keeps no role; DEFAULT_ADMIN_ROLE goes last, since it is
      // what could still grant the others back.
      last = m.call(vault, "renounceRole", [GUARDIAN_ROLE, admin], { id: "renounceGuardian", after: [last] });
      last = m.call(vault, "renounceRole", [RISK_ADMIN_ROLE, admin], { id: "renounceRiskAdmin", after: [last] });
      m.call(vault, "renounceRole", [DEFAULT_ADMIN_ROLE, admin], { id: "renounceAdmin", after: [last] });
    }

    return results;
  });
}

/** The default module: the spec's parameters with mocks, for `hardhat ignition deploy` on a local network. */
export default buildPortfolioMarginModule(parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8"))));
