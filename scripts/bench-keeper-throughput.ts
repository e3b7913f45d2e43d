/**
 * The keeper's throughput figures (issue 11), on an in-process Hardhat node with 100k tracked accounts (healthy ETH
 * holders written straight into the keeper's store, as in `bench-keeper-latency.ts`):
 * 1. a block with 100 trades (200 accounts: a position and a cash change each, 400 vault events) processed by one
 *    keeper round — indexing its logs, applying them, re-evaluating the 200 accounts;
 * 2. 1,000 accounts made liquidatable by one price move, until all 1,000 liquidations are sent (bounded concurrency;
 *    automine off while sending, a block mined after each round, as a chain mines on an interval); the accounts come
 *    in four shapes, and the gas of each shape is estimated again as the keeper's own book grows;
 * 3. a cold index of 100k accounts from logs: the real indexer over an in-memory endpoint serving 200k logs
 *    (decode and apply; no network transfer).
 */
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  encodeAbiParameters,
  encodeEventTopics,
  getAddress,
  nonceManager,
  numberToHex,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { eventsAbi } from "../client/src/abi/generated.js";
import { deployBenchVault, depositFor } from "./bench-keeper-latency.js";
import { parseConfig } from "../keeper/src/config/loadConfig.js";
import { createIndexer } from "../keeper/src/indexer/indexer.js";
import { createKeeper } from "../keeper/src/keeper.js";
import { createLogger } from "../keeper/src/log.js";
import { createMetrics } from "../keeper/src/metrics.js";
import { createSender } from "../keeper/src/send/sender.js";
import { openStore } from "../keeper/src/store/store.js";
import type { VaultEvent } from "../keeper/src/store/types.js";

const WAD = 10n ** 18n;
const BTC_MARKET = 0;
const ETH_MARKET = 1;
const SOL_MARKET = 2;
const synthetic = (i: number) => getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`) as Address;

/** Figures 1 and 2 (one deployment, 100k tracked accounts). */
export async function throughputBench(parameters: { tracked: number; trades: number; victims: number }) {
  const { connection, ethers, provider, vault, usdc, feedEth, vaultAddress } = await deployBenchVault();
  const [admin] = await ethers.getSigners();

  const account = privateKeyToAccount(generatePrivateKey(), { nonceManager });
  await connection.provider.request({ method: "hardhat_setBalance", params: [account.address, "0x21E19E0C9BAB2400000"] });
  await usdc.mint(admin!.address, 10n ** 15n);
  await usdc.approve(vaultAddress, 10n ** 15n);
  await depositFor(vault, usdc, account.address, 100_000_000n * 10n ** 6n);

  // Counts the gas estimates (one per account shape, not one per liquidation).
  let estimates = 0;
  const counting = { request: (args: { method: string; params?: unknown }) => ((estimates += args.method === "eth_estimateGas" ? 1 : 0), provider.request(args as never)) };
  const client = createPublicClient({ transport: custom(counting) }) as PublicClient;
  const chain = defineChain({ id: 31337, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
  const walletClient = createWalletClient({ account, chain, transport: custom(provider) });
  const config = parseConfig({ rpcUrls: ["http://127.0.0.1:1"], vault: vaultAddress, chainId: 31337, startBlock: 0, dbPath: ":memory:", mode: "run", liquidation: { roundBudgetMs: 2_000 } });
  const logger = createLogger({ level: (process.env.BENCH_LOG_LEVEL ?? "silent") as "silent" });
  const metrics = createMetrics();
  const store = openStore({ path: ":memory:", vault: vaultAddress, chainId: 31337 });
  const block0 = await client.getBlock({ blockNumber: 0n });
  const events: VaultEvent[] = [];
  for (let i = 1; i < parameters.tracked; i++) {
    const at = { blockNumber: 0, logIndex: 2 * i, blockHash: block0.hash!, transactionHash: block0.hash! };
    const size = BigInt(1 + (i % 50)) * WAD * (i % 2 === 0 ? 1n : -1n);
    events.push({ ...at, eventName: "PositionChanged", args: { account: synthetic(i), market: BigInt(ETH_MARKET), delta: size, size } });
    events.push({ ...at, logIndex: 2 * i + 1, eventName: "CashChanged", args: { account: synthetic(i), delta: 0n, cash: -size * 2_300n + 5_000n * WAD * BigInt(1 + (i % 50)) } });
  }
  store.applyBatch({ events, blocks: [{ number: 0, hash: block0.hash!, parentHash: block0.parentHash }], checkpoint: { number: 0, hash: block0.hash! } }, 12);
  const sender = createSender({ publicClient: client, walletClient, vault: vaultAddress, gas: config.gas, metrics, logger });
  const keeper = createKeeper({ config, client, store, sender, liquidator: account.address, metrics, logger });
  await keeper.tick();

  // 1. One block with `trades` trades: 2 x trades accounts, each a position and a cash change (healthy).
  const mineBlock = async (send: () => Promise<void>) => {
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    await send();
    await connection.provider.request({ method: "evm_mine", params: [] });
    await connection.provider.request({ method: "evm_setAutomine", params: [true] });
  };
  const traders = Array.from({ length: 2 * parameters.trades }, (_, i) => getAddress(`0x${(0x900000 + i).toString(16).padStart(40, "0")}`));
  await mineBlock(async () => {
    for (let i = 0; i < traders.length; i++) {
      const size = (i % 2 === 0 ? 1n : -1n) * WAD;
      await vault.harnessSetPosition(traders[i]!, ETH_MARKET, size);
      await vault.harnessSetCash(traders[i]!, -size * 2_300n + 5_000n * WAD);
    }
  });
  const t0 = performance.now();
  const tradeRound = await keeper.tick();
  const tradeBlockMs = performance.now() - t0;

  // 2. `victims` accounts, each 10 ETH long against cash, liquidatable once ETH drops from 2,300 to 1,500; in four
  // shapes (ETH alone, with a little BTC, a little SOL, or both), so that gas is estimated for more than one shape.
  const victims = Array.from({ length: parameters.victims }, (_, i) => getAddress(`0xa0${(i + 1).toString(16).padStart(38, "0")}`));
  const extras = [[], [[BTC_MARKET, WAD / 1_000n, 42n]], [[SOL_MARKET, WAD / 2n, 50n]], [[BTC_MARKET, WAD / 1_000n, 42n], [SOL_MARKET, WAD / 2n, 50n]]] as const;
  // In blocks of 50 accounts (up to 200 transactions), under the block gas limit.
  for (let i = 0; i < victims.length; i += 50) {
    await mineBlock(async () => {
      for (const [k, victim] of victims.slice(i, i + 50).entries()) {
        const extra = extras[(i + k) % extras.length]!;
        await vault.harnessSetPosition(victim, ETH_MARKET, 10n * WAD);
        for (const [market, size] of extra) await vault.harnessSetPosition(victim, market, size);
        // Each extra position bought with cash at its price: the same equity as ETH alone.
        await vault.harnessSetCash(victim, -13_000n * WAD - extra.reduce((sum, [, , usd]) => sum + usd * WAD, 0n));
      }
    });
  }
  await keeper.tick();
  await feedEth.setAnswer(1_500n * 10n ** 8n);
  // Blocks on an interval, as on a chain (not one per transaction): sends go to the pool, a block per round.
  await connection.provider.request({ method: "evm_setAutomine", params: [false] });
  estimates = 0;
  const t1 = performance.now();
  let sent = 0;
  let rounds = 0;
  let firstRoundMs = NaN;
  while (sent < parameters.victims && rounds < 200) {
    const round = await keeper.tick();
    rounds++;
    sent += round.sent;
    if (round.sent > 0 && Number.isNaN(firstRoundMs)) firstRoundMs = performance.now() - t1;
    if (round.sent === 0 && round.atRisk.length === 0) break;
    await connection.provider.request({ method: "evm_mine", params: [] }); // the next block
  }
  await connection.provider.request({ method: "evm_setAutomine", params: [true] });
  const allSentMs = performance.now() - t1;
  store.close();
  await connection.close();
  return { tradeBlockMs, tradeReevaluated: tradeRound.reevaluated, sent, rounds, allSentMs, firstRoundMs, estimates };
}

/** Figure 3: the real indexer over an in-memory endpoint serving `accounts` x 2 logs in blocks of `perBlock`. */
export async function coldIndexBench(parameters: { accounts: number; perBlock: number }) {
  const vault = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;
  const position = eventsAbi.find((e) => e.type === "event" && e.name === "PositionChanged")!;
  const cash = eventsAbi.find((e) => e.type === "event" && e.name === "CashChanged")!;
  const blocks = Math.ceil((2 * parameters.accounts) / parameters.perBlock);
  const hash = (n: number) => numberToHex(n + 1, { size: 32 });
  const logsByBlock: unknown[][] = Array.from({ length: blocks + 1 }, () => []);
  for (let i = 0; i < parameters.accounts; i++) {
    const who = synthetic(i);
    const size = BigInt(1 + (i % 50)) * WAD;
    for (const [k, log] of [
      { topics: encodeEventTopics({ abi: [position], eventName: "PositionChanged", args: { account: who, market: BigInt(ETH_MARKET) } }), data: encodeAbiParameters([{ type: "int256" }, { type: "int256" }], [size, size]) },
      { topics: encodeEventTopics({ abi: [cash], eventName: "CashChanged", args: { account: who } }), data: encodeAbiParameters([{ type: "int256" }, { type: "int256" }], [0n, 10n * WAD]) },
    ].entries()) {
      const index = 2 * i + k;
      const block = 1 + Math.floor(index / parameters.perBlock);
      logsByBlock[block]!.push({ address: vault, ...log, blockNumber: numberToHex(block), blockHash: hash(block), transactionHash: hash(block), transactionIndex: "0x0", logIndex: numberToHex(index % parameters.perBlock), removed: false });
    }
  }
  const block = (n: number) => ({ number: numberToHex(n), hash: hash(n), parentHash: n === 0 ? numberToHex(0, { size: 32 }) : hash(n - 1), timestamp: "0x1", baseFeePerGas: "0x1", transactions: [], logsBloom: null, nonce: null });
  const client = createPublicClient({
    transport: custom({
      async request({ method, params }: { method: string; params?: unknown }) {
        if (method === "eth_blockNumber") return numberToHex(blocks);
        if (method === "eth_getBlockByNumber") return block(Number((params as [Hex])[0]));
        if (method === "eth_getLogs") {
          const [{ fromBlock, toBlock }] = params as [{ fromBlock: Hex; toBlock: Hex }];
          return logsByBlock.slice(Number(fromBlock), Number(toBlock) + 1).flat();
        }
        throw new Error(`unexpected ${method}`);
      },
    }),
  }) as PublicClient;
  const store = openStore({ path: ":memory:", vault, chainId: 31337 });
  const t0 = performance.now();
  // MarketListed is not in these logs: the store must accept positions in an unlisted market for this figure.
  await createIndexer({ client, store, vault, startBlock: 0, chunkSize: 2000 }).sync().catch((error: unknown) => {
    throw error;
  });
  const ms = performance.now() - t0;
  const accounts = store.accounts().length;
  store.close();
  return { ms, accounts, logs: 2 * parameters.accounts, blocks };
}
