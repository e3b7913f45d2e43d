/**
 * The client's end-to-end harness: a `hardhat node` on a free port with the protocol deployed (the keeper's e2e
 * harness), and traders with their own keys driving it through `connect` (viem over HTTP), as a user would.
 */
import { expect } from "chai";
import type { Contract } from "ethers";
import { Wallet } from "ethers";
import { privateKeyToAccount } from "viem/accounts";
import type { Address, Hex } from "viem";

import { connect, marginVaultAbi, type Margin, type PortfolioMarginClient } from "../../client/src/index.js";
import { deploy, startNode, WAD, type Deployment } from "../keeper/e2e/harness.js";

export { stopAll, setPrice, sleep, waitFor, freePort, WAD } from "../keeper/e2e/harness.js";

/** A node with the protocol, and what a test needs to make traders. */
export interface ClientEnv {
  url: string;
  d: Deployment;
  vault: Address;
  settlement: Address;
  rpc: (method: string, params?: unknown[]) => Promise<any>;
  /** A new trader: a fresh key with gas and `usdc` whole USDC minted to its wallet (not deposited). */
  trader(usdc?: number): Promise<{ pm: PortfolioMarginClient; key: Hex; address: Address }>;
}

/** Starts a node and deploys the protocol on it. */
export async function startClientEnv(): Promise<ClientEnv> {
  const node = await startNode();
  const d = await deploy(node.url);
  const vault = d.vaultAddress;
  const settlement = (await d.settlement.getAddress()) as Address;
  const [admin] = await d.ethers.getSigners();
  return {
    url: node.url,
    d,
    vault,
    settlement,
    rpc: node.rpc,
    async trader(usdc = 0) {
      const wallet = Wallet.createRandom();
      await (await admin!.sendTransaction({ to: wallet.address, value: 10n * WAD })).wait();
      if (usdc > 0) await ((await d.token("USDC").mint(wallet.address, BigInt(usdc) * 10n ** 6n)) as { wait(): Promise<unknown> }).wait();
      const key = wallet.privateKey as Hex;
      const pm = await connect({ rpcUrl: node.url, addresses: { vault, settlement }, account: privateKeyToAccount(key) });
      return { pm, key, address: wallet.address as Address };
    },
  };
}

/** `vault.accountMargin(account)` read with viem at `blockNumber`. */
export async function chainMargin(pm: PortfolioMarginClient, account: Address, blockNumber?: bigint) {
  return pm.publicClient.readContract({ address: pm.addresses.vault, abi: marginVaultAbi, functionName: "accountMargin", args: [account], blockNumber });
}

/** Asserts that the twin's margin equals the vault's, field by field, to the wei. */
export async function expectMarginOnChain(pm: PortfolioMarginClient, account: Address, m: Margin): Promise<void> {
  const c = await chainMargin(pm, account);
  expect({
    equity: m.equity,
    mm: m.maintenanceMargin,
    im: m.initialMargin,
    kLow: m.kLow,
    kMedium: m.kMedium,
    kHigh: m.kHigh,
    k: m.k,
    addOns: m.addOns,
    iso: m.isolatedMaintenanceMargin,
    touched: m.touched,
    exposures: m.exposures,
    ws: m.weightedSensitivities,
  }).to.deep.equal({
    equity: c.equity,
    mm: c.maintenanceMargin,
    im: c.initialMargin,
    kLow: c.kLow,
    kMedium: c.kMedium,
    kHigh: c.kHigh,
    k: c.k,
    addOns: c.addOns,
    iso: c.isolatedMaintenanceMargin,
    touched: c.touchedAssets,
    exposures: [...c.exposures],
    ws: [...c.weightedSensitivities],
  });
}

/** The feed of `symbol` connected to the admin. */
export function feed(env: ClientEnv, symbol: string): Contract {
  return env.d.feed(symbol);
}
