import { readFileSync } from "node:fs";
import { network } from "hardhat";
import type { Contract } from "ethers";

import { buildPortfolioMarginModule, DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig } from "../ignition/modules/deploymentConfig.js";

/** One in-process network shared by a test file: snapshots (loadFixture) keep tests independent. */
export const connection = await network.create();
export const { ethers, ignition, networkHelpers } = connection;

export const WAD = 10n ** 18n;
export const wad = (x: number | string): bigint => {
  const [whole, fraction = ""] = String(x).split(".");
  return BigInt(whole) * WAD + BigInt(fraction.padEnd(18, "0").slice(0, 18)) * (String(x).startsWith("-") ? -1n : 1n);
};

/** Asset ids of the spec's default deployment (spec §7). */
export const ASSET = { USD: 0, BTC: 1, ETH: 2, SOL: 3, LINK: 4, DOGE: 5 } as const;
/** Market ids of the default deployment (one perpetual per risk asset but USD). */
export const MARKET = { BTC: 0, ETH: 1, SOL: 2, LINK: 3, DOGE: 4 } as const;

export const defaultConfig = () => parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")));

/**
 * The spec's default deployment through the Ignition module, on the test harness (which can place positions
 * and cash directly until trades exist), with three funded users.
 */
export async function deployDefault() {
  const [admin, alice, bob, carol] = await ethers.getSigners();
  const deployed = await ignition.deploy(buildPortfolioMarginModule({ ...defaultConfig(), harness: true }));
  // The vault's setters run in its CashModule, whose events and errors are then the vault's too: one ABI for both.
  const vault = await withModuleAbi(deployed.vault as Contract);
  const settlement = deployed.settlement as Contract;
  const insuranceFund = deployed.insuranceFund as Contract;
  const timelock = deployed.timelock as Contract;
  const tokens = {
    USDC: deployed.token_USDC as Contract,
    WBTC: deployed.token_WBTC as Contract,
    WETH: deployed.token_WETH as Contract,
    WSOL: deployed.token_WSOL as Contract,
    LINK: deployed.token_LINK as Contract,
    DOGE: deployed.token_DOGE as Contract,
  };
  const feeds = {
    USD: deployed.feed_USD as Contract,
    BTC: deployed.feed_BTC as Contract,
    ETH: deployed.feed_ETH as Contract,
    SOL: deployed.feed_SOL as Contract,
    LINK: deployed.feed_LINK as Contract,
    DOGE: deployed.feed_DOGE as Contract,
  };
  const vaultAddress = await vault.getAddress();
  // Cash settlement (ICashSettlement) is served at the vault's address by its CashModule.
  const cash = (await ethers.getContractAt("CashModule", vaultAddress)) as unknown as Contract;
  for (const user of [alice, bob, carol]) {
    for (const token of Object.values(tokens)) {
      const decimals: bigint = await token.decimals();
      await token.mint(user.address, 1_000_000n * 10n ** decimals);
      await (token.connect(user) as Contract).approve(vaultAddress, ethers.MaxUint256);
    }
  }
  return { vault, cash, settlement, insuranceFund, timelock, tokens, feeds, admin, alice, bob, carol };
}

/**
 * `vault` with the ABI of its artifact (MarginVault or the harness) and of the CashModule it runs by delegatecall
 * (the cash functions, and the events and errors of the RiskRegistry setters the module executes), each fragment once.
 */
export async function withModuleAbi(vault: Contract): Promise<Contract> {
  const own = vault.interface.fragments;
  const module = (await ethers.getContractFactory("CashModule")).interface.fragments;
  const named = (f: (typeof own)[number]) => f.type === "function" || f.type === "event" || f.type === "error";
  const key = (f: (typeof own)[number]) => (named(f) ? `${f.type}:${f.format("sighash")}` : f.type);
  const seen = new Set(own.map(key));
  const merged = [...own, ...module.filter((f) => named(f) && !seen.has(key(f)))];
  return new ethers.Contract(await vault.getAddress(), merged, vault.runner) as unknown as Contract;
}

/** `amount` whole tokens of `token` in its own units. */
export async function units(token: Contract, amount: bigint | number): Promise<bigint> {
  const decimals: bigint = await token.decimals();
  return BigInt(amount) * 10n ** decimals;
}

/** Sets a mock feed's price from a WAD value (the mocks have 8 decimals). */
export async function setPrice(feed: Contract, priceWad: bigint): Promise<void> {
  await feed.setAnswer(priceWad / 10n ** 10n);
}
