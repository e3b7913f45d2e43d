/**
 * The latency from a price update to the liquidation transaction sent, with `tracked` accounts in the keeper's
 * state, on an in-process Hardhat node: one real liquidatable account on-chain, the others written straight
 * into the keeper's store (they hold ETH, so the price move makes every one of them re-evaluated).
 */
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import type { Contract } from "ethers";
import { createPublicClient, createWalletClient, custom, defineChain, getAddress, nonceManager, type Address, type EIP1193Provider, type Hex, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { buildPortfolioMarginModule, DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { parseConfig } from "../keeper/src/config/loadConfig.js";
import { createKeeper } from "../keeper/src/keeper.js";
import { createLogger } from "../keeper/src/log.js";
import { createMetrics } from "../keeper/src/metrics.js";
import { createSender } from "../keeper/src/send/sender.js";
import { openStore } from "../keeper/src/store/store.js";
import type { VaultEvent } from "../keeper/src/store/types.js";

const WAD = 10n ** 18n;
const ETH_MARKET = 1;

/** The spec's deployment (on the test harness) on a new in-process Hardhat network, for the keeper benches. */
export async function deployBenchVault() {
  const connection = await network.create();
  const provider = connection.provider as unknown as EIP1193Provider;
  const spec = { ...parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8"))), harness: true };
  const deployed = await connection.ignition.deploy(buildPortfolioMarginModule(spec), { displayUi: false });
  const vault = deployed.vault as Contract;
  const vaultAddress = getAddress(await vault.getAddress());
  return { connection, ethers: connection.ethers, provider, vault, usdc: deployed.token_USDC as Contract, feedEth: deployed.feed_ETH as Contract, vaultAddress };
}

/**
 * The admin deposits `amount` of `usdc` for `account`: a third party may only top up a token the account already
 * holds, so the harness first gives it one unit (no event: the Deposit's absolute balance then includes it).
 */
export async function depositFor(vault: Contract, usdc: Contract, account: string, amount: bigint): Promise<void> {
  await vault.harnessSetBalance(account, await usdc.getAddress(), 1n);
  await vault.deposit(await usdc.getAddress(), amount, account);
}

export async function latencyBench(parameters: { tracked: number; runs: number }) {
  const { tracked } = parameters;
  const { connection, ethers, provider, vault, usdc, feedEth, vaultAddress } = await deployBenchVault();
  const [admin, alice] = await ethers.getSigners();

  const key: Hex = generatePrivateKey();
  const account = privateKeyToAccount(key, { nonceManager });
  await connection.provider.request({ method: "hardhat_setBalance", params: [account.address, "0x56BC75E2D63100000"] });
  await usdc.mint(admin!.address, 10n ** 12n);
  await usdc.approve(vaultAddress, 10n ** 12n);
  await depositFor(vault, usdc, account.address, 100_000n * 10n ** 6n);
  await depositFor(vault, usdc, alice!.address, 10_000n * 10n ** 6n);
  await vault.harnessSetPosition(alice!.address, ETH_MARKET, 10n * WAD);
  await vault.harnessSetCash(alice!.address, -23_000n * WAD);

  const client = createPublicClient({ transport: custom(provider) }) as PublicClient;
  const chain = defineChain({ id: 31337, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
  const walletClient = createWalletClient({ account, chain, transport: custom(provider) });
  const config = parseConfig({ rpcUrls: ["http://127.0.0.1:1"], vault: vaultAddress, chainId: 31337, startBlock: 0, dbPath: ":memory:", mode: "run" });
  const logger = createLogger({ level: "silent" });
  const metrics = createMetrics();
  const store = openStore({ path: ":memory:", vault: vaultAddress, chainId: 31337 });

  // The other tracked accounts: healthy ETH holders, written into the store at block 0 (before the vault).
  const block0 = await client.getBlock({ blockNumber: 0n });
  const events: VaultEvent[] = [];
  for (let i = 1; i < tracked; i++) {
    const who = getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`) as Address;
    const at = { blockNumber: 0, logIndex: 2 * i, blockHash: block0.hash!, transactionHash: block0.hash! };
    const size = BigInt(1 + (i % 50)) * WAD * (i % 2 === 0 ? 1n : -1n);
    events.push({ ...at, eventName: "PositionChanged", args: { account: who, market: BigInt(ETH_MARKET), delta: size, size } });
    events.push({ ...at, logIndex: 2 * i + 1, eventName: "CashChanged", args: { account: who, delta: 0n, cash: -size * 2_300n + 5_000n * WAD * BigInt(1 + (i % 50)) } });
  }
  store.applyBatch({ events, blocks: [{ number: 0, hash: block0.hash!, parentHash: block0.parentHash }], checkpoint: { number: 0, hash: block0.hash! } }, 12);

  const sender = createSender({ publicClient: client, walletClient, vault: vaultAddress, gas: config.gas, metrics, logger });
  const keeper = createKeeper({ config, client, store, sender, liquidator: account.address, metrics, logger });
  await keeper.tick(); // indexes the vault and evaluates every account once

  // `runs` times: the price drops, the measured round liquidates alice; then alice's position and cash are put
  // back and the price restored (unmeasured rounds). The first run is "cold" (the process has never liquidated).
  const runs: { roundMs: number; decisionMs: number; reevaluated: number; decidedInBigint: number }[] = [];
  for (let run = 0; run < parameters.runs; run++) {
    if (run > 0) {
      await vault.harnessSetPosition(alice!.address, ETH_MARKET, 10n * WAD);
      await vault.harnessSetCash(alice!.address, -23_000n * WAD);
      await feedEth.setAnswer(2_300n * 10n ** 8n);
      await keeper.tick();
    }
    await feedEth.setAnswer(1_500n * 10n ** 8n);
    const t0 = performance.now();
    const round = await keeper.tick();
    const roundMs = performance.now() - t0;
    const decisionMs = ((await metrics.decisionSeconds.get()).values[0]?.value ?? NaN) * 1000;
    if (round.sent !== 1) throw new Error(`run ${run}: expected one liquidation sent, got ${round.sent}`);
    runs.push({ roundMs, decisionMs, reevaluated: round.reevaluated, decidedInBigint: round.decidedInBigint });
  }
  store.close();
  await connection.close();
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const warm = runs.slice(1);
  return {
    tracked,
    cold: runs[0]!,
    /** Median over the warm runs. */
    warm: { roundMs: median(warm.map((r) => r.roundMs)), decisionMs: median(warm.map((r) => r.decisionMs)), min: Math.min(...warm.map((r) => r.decisionMs)), max: Math.max(...warm.map((r) => r.decisionMs)) },
    reevaluated: runs[0]!.reevaluated,
    decidedInBigint: runs[0]!.decidedInBigint,
  };
}
