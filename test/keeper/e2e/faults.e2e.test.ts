/**
 * The keeper under RPC faults, on both clients, through the project's own fault proxy (`startFaultProxy`). Each test
 * asserts that the account under MM is liquidated within a stated number of blocks of the crash (or of the fault
 * clearing), exactly once, and that nothing was sent twice. Waits are on conditions (events, metrics), never sleeps.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Wallet } from "ethers";
import { createPublicClient, http, parseGwei, toHex, type Address, type PublicClient } from "viem";

import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import { openStoreCopy } from "../../../keeper/src/commands/context.js";
import { evaluateAccount } from "../../../keeper/src/margin/evaluate.js";
import { readPrices } from "../../../keeper/src/prices/readPrices.js";
import type { KeeperStore } from "../../../keeper/src/store/store.js";
import {
  liquidations,
  MARKET,
  newUser,
  NODE_CLIENTS,
  useChain,
  openAndCrash,
  startFaultProxy,
  startKeeper,
  startNode,
  trade,
  waitFor,
  WAD,
  workDir,
  type Deployment,
  type KeeperProcess,
} from "./harness.js";

/** The block of `account`'s Liquidated event(s). */
async function liquidationBlocks(d: Deployment, account: string): Promise<number[]> {
  const events = await d.vault.queryFilter(d.vault.filters.Liquidated(account), 0, "latest");
  return events.map((e) => e.blockNumber);
}

/** A copy of keeper `name`'s state file (read while the keeper runs; never written). */
const stateOf = (d: Deployment, name: string): KeeperStore => openStoreCopy({ path: join(workDir, `${name}.sqlite`), vault: d.vaultAddress, chainId: 31337 });

/** Waits until keeper `name` has processed `block` and its in-memory view holds exactly the accounts of its SQLite state. */
async function settled(d: Deployment, keeper: KeeperProcess, name: string, block: number): Promise<number> {
  return waitFor(`keeper ${name} at block ${block}`, async () => {
    if ((await keeper.metric("keeper_last_block_processed")) < block || (await keeper.metric("keeper_block_lag")) !== 0) return false;
    const store = stateOf(d, name);
    try {
      const stored = store.accounts().length;
      return (await keeper.metric("keeper_accounts_tracked")) === stored && stored;
    } finally {
      store.close();
    }
  }, 120_000);
}

/** Every account of keeper `name`'s state: the twin's E, MM and IM equal `vault.accountMargin` at the checkpoint. */
async function expectStateMatchesChain(client: PublicClient, d: Deployment, name: string): Promise<readonly Address[]> {
  const store = stateOf(d, name);
  try {
    const block = await client.getBlock({ blockNumber: BigInt(store.checkpoint()!.number) });
    const risk = store.riskConfig();
    const prices = await readPrices({ client, assets: risk.assets, sequencer: risk.sequencer, blockNumber: block.number, timestamp: block.timestamp });
    const accounts = store.accounts();
    for (const account of accounts) {
      const result = evaluateAccount({ store, account, prices, risk });
      if (!result.ok) throw result.error;
      const onChain = await client.readContract({ address: d.vaultAddress, abi: marginVaultAbi, functionName: "accountMargin", args: [account], blockNumber: block.number });
      const { equity, maintenanceMargin, initialMargin } = result.margin;
      expect({ equity, maintenanceMargin, initialMargin }, `margin of ${account}`).to.deep.equal({ equity: onChain.equity, maintenanceMargin: onChain.maintenanceMargin, initialMargin: onChain.initialMargin });
    }
    return accounts;
  } finally {
    store.close();
  }
}

for (const client of NODE_CLIENTS) describe(`keeper faults (${client}, fault proxy)`, function () {
  this.timeout(240_000);
  const chain = useChain(client);

  const base = (url: string) => ({ rpcUrls: [url], vault: chain.d.vaultAddress, startBlock: 0, mode: "run", key: { privateKeyEnv: "KEEPER_PRIVATE_KEY" }, gas: { minBalanceEth: 0.01 } });

  it("dropped and delayed requests, and a failing read of an unrelated feed: liquidated within 2 blocks, once", async () => {
    const proxy = await startFaultProxy(chain.node.url);
    const doge = (await chain.d.feed("DOGE").getAddress()).toLowerCase();
    try {
      const keeper = await startKeeper(`${client}-faults`, base(proxy.url), { KEEPER_PRIVATE_KEY: chain.keepers[0]!.privateKey });
      let n = 0;
      proxy.drop = () => ++n % 4 === 0; // every 4th HTTP request dropped (viem's fallback retries it)
      proxy.delayMs = 50;
      proxy.fail = (r) => r.method === "eth_call" && ((r.params?.[0] as { to?: string } | undefined)?.to ?? "").toLowerCase() === doge;
      const { victim, crashBlock } = await openAndCrash(chain.d, chain.counterparty, "ETH");
      await waitFor("the ETH victim liquidated", async () => (await liquidations(chain.d, victim)).length === 1, 120_000);
      const [at] = await liquidationBlocks(chain.d, victim);
      expect(at! - crashBlock!, "blocks from the crash to the liquidation").to.be.at.most(2);
      expect(await keeper.metric("keeper_degraded_rounds_total")).to.be.greaterThan(0);
      expect(proxy.failed).to.be.greaterThan(0);
      await waitFor("succeeded counted", async () => (await keeper.metric("keeper_liquidations_succeeded_total")) === 1, 60_000);
      expect(await keeper.metric("keeper_liquidations_sent_total"), "nothing sent twice").to.equal(1);
      expect(await keeper.stop()).to.equal(0);
    } finally {
      await proxy.close();
    }
  });

  it("a failing block read mid-round: liquidated once the fault clears, within 2 blocks of it, once", async () => {
    const proxy = await startFaultProxy(chain.node.url);
    try {
      const keeper = await startKeeper(`${client}-blockread`, base(proxy.url), { KEEPER_PRIVATE_KEY: chain.keepers[1]!.privateKey });
      proxy.fail = (r) => r.method === "eth_getBlockByNumber";
      const { victim } = await openAndCrash(chain.d, chain.counterparty, "SOL");
      // Unready once `readiness.maxFailedRounds` (3) rounds have failed in a row.
      await waitFor("failed rounds", async () => (await keeper.metric("keeper_failed_rounds")) >= 3, 60_000);
      expect(await liquidations(chain.d, victim)).to.deep.equal([]);
      expect((await fetch(`http://127.0.0.1:${keeper.metricsPort}/readyz`)).status, "unready while rounds fail").to.equal(503);
      proxy.fail = () => false;
      const cleared = await chain.d.ethers.provider.getBlockNumber();
      await waitFor("the SOL victim liquidated", async () => (await liquidations(chain.d, victim)).length === 1, 120_000);
      const [at] = await liquidationBlocks(chain.d, victim);
      expect(at! - cleared).to.be.at.most(2);
      await waitFor("succeeded counted", async () => (await keeper.metric("keeper_liquidations_succeeded_total")) === 1, 60_000);
      expect(await keeper.metric("keeper_liquidations_sent_total")).to.equal(1);
      expect(await keeper.stop()).to.equal(0);
    } finally {
      await proxy.close();
    }
  });

  it("kill -9 with a transaction pending: the restarted keeper follows it, sends nothing again", async () => {
    const env = { KEEPER_PRIVATE_KEY: chain.keepers[2]!.privateKey };
    let keeper = await startKeeper(`${client}-kill9`, base(chain.node.url), env);
    const { victim, crash } = await openAndCrash(chain.d, chain.counterparty, "LINK", { crash: false });
    await chain.node.rpc("evm_setAutomine", [false]);
    try {
      const tx = await crash();
      await chain.node.rpc("evm_mine");
      await tx.wait();
      await waitFor("sent", async () => (await keeper.metric("keeper_liquidations_sent_total")) === 1, 120_000);
      process.kill(-keeper.process.pid!, "SIGKILL");
      await keeper.exited;
      keeper = await startKeeper(`${client}-kill9`, base(chain.node.url), env, keeper);
      await chain.node.rpc("evm_mine");
    } finally {
      await chain.node.rpc("evm_setAutomine", [true]);
    }
    await waitFor("the LINK victim liquidated", async () => (await liquidations(chain.d, victim)).length === 1, 120_000);
    await waitFor("the restarted keeper books it", async () => (await keeper.metric("keeper_liquidations_succeeded_total")) === 1, 60_000);
    expect(await keeper.metric("keeper_liquidations_sent_total"), "the restarted keeper sent nothing").to.equal(0);
    expect(await liquidations(chain.d, victim)).to.have.length(1);
    expect(await keeper.stop()).to.equal(0);
  });

  it("a reorg inside the window, found by a round that then fails: the accounts it removed are evicted (memory and SQLite), margin equals accountMargin, a victim on the new fork liquidated within 2 blocks, once", async () => {
    const viem = createPublicClient({ transport: http(chain.node.url) }) as PublicClient;
    const provider = chain.d.ethers.provider;
    const name = `${client}-reorg`;
    const startBlock = await provider.getBlockNumber();
    const proxy = await startFaultProxy(chain.node.url);
    try {
      const keeper = await startKeeper(name, base(proxy.url), { KEEPER_PRIVATE_KEY: chain.keepers[0]!.privateKey });
      const before = await settled(chain.d, keeper, name, await provider.getBlockNumber());
      // The old fork: a ghost account that trades with the counterparty (whose position it changes), 6 blocks deep.
      const snapshot = await chain.node.rpc("evm_snapshot");
      const ghost = await newUser(chain.d, 50_000);
      const [, btc] = (await chain.d.feed("BTC").latestRoundData()) as bigint[];
      await trade(chain.d, ghost, chain.counterparty, MARKET.BTC, WAD / 10n, btc! * 10n ** 10n);
      expect(await settled(chain.d, keeper, name, await provider.getBlockNumber()), "the ghost is tracked").to.equal(before + 1);
      // The new fork: the same heights, other blocks. The round that finds it rolls back, then cannot read the new
      // fork's logs and fails (as when the chain moves under a round): the next round must still evict the ghost.
      // The keeper is cut off until the new fork has its block, so that no round sees the fork point as the head.
      proxy.fail = (r) => r.method === "eth_getLogs";
      proxy.drop = () => true;
      expect(await chain.node.rpc("evm_revert", [snapshot])).to.equal(true);
      const [admin] = await chain.d.ethers.getSigners();
      await (await admin!.sendTransaction({ to: Wallet.createRandom().address, value: 1n })).wait();
      proxy.drop = () => false;
      await waitFor("the reorg rolled back, and the round failed", async () => (await keeper.metric("keeper_reorgs_total")) >= 1 && (await keeper.metric("keeper_failed_rounds")) >= 1, 120_000);
      proxy.fail = () => false;
      expect(await settled(chain.d, keeper, name, await provider.getBlockNumber()), "the ghost is evicted from memory").to.equal(before);
      const accounts = await expectStateMatchesChain(viem, chain.d, name);
      expect(accounts, "the ghost is gone from SQLite").to.not.include(ghost.address);
      expect(accounts).to.include(chain.counterparty.address);

      const { victim, crashBlock } = await openAndCrash(chain.d, chain.counterparty, "ETH");
      await waitFor("the ETH victim liquidated", async () => (await liquidations(chain.d, victim)).length === 1, 120_000);
      const [at] = await liquidationBlocks(chain.d, victim);
      expect(at! - crashBlock!).to.be.at.most(2);
      // The crash may also push an earlier test's ETH victim back under MM: every account this keeper liquidated
      // counts, each once.
      const mine = async () => (await chain.d.vault.queryFilter(chain.d.vault.filters.Liquidated(), startBlock, "latest")).filter((e) => (e as unknown as { args: { liquidator: string } }).args.liquidator === chain.keepers[0]!.address);
      await waitFor("succeeded counted", async () => (await keeper.metric("keeper_liquidations_succeeded_total")) === (await mine()).length, 60_000);
      const liquidated = (await mine()).map((e) => (e as unknown as { args: { account: string } }).args.account);
      expect(new Set(liquidated).size, "nothing sent twice").to.equal(liquidated.length);
      expect(await keeper.metric("keeper_liquidations_sent_total")).to.equal(liquidated.length);
      await settled(chain.d, keeper, name, await provider.getBlockNumber());
      await expectStateMatchesChain(viem, chain.d, name);
      expect(await keeper.stop()).to.equal(0);
    } finally {
      await proxy.close();
    }
  });

  it("a reorg deeper than the window: the keeper stops with ChainResetError and exit code 1 (no retry loop)", async () => {
    const name = `${client}-deepreorg`;
    const keeper = await startKeeper(name, { ...base(chain.node.url), mode: "dry-run", key: undefined, liquidator: chain.keepers[0]!.address, reorgWindow: 2 });
    const provider = chain.d.ethers.provider;
    await settled(chain.d, keeper, name, await provider.getBlockNumber());
    const snapshot = await chain.node.rpc("evm_snapshot");
    for (let i = 0; i < 4; i++) await chain.node.rpc("evm_mine");
    await settled(chain.d, keeper, name, await provider.getBlockNumber());
    expect(await chain.node.rpc("evm_revert", [snapshot])).to.equal(true);
    const [admin] = await chain.d.ethers.getSigners();
    await (await admin!.sendTransaction({ to: Wallet.createRandom().address, value: 1n })).wait();
    expect(await keeper.exited).to.equal(1);
    const log = readFileSync(keeper.log, "utf8");
    expect(log).to.include("ChainResetError").and.to.include("The chain reorganised below the 2 remembered blocks");
    const lines = log.split("\n");
    expect(lines.filter((l) => l.includes("stopping: the chain the state describes is gone")), "stopped at the first deep reorg").to.have.length(1);
    expect(lines.filter((l) => l.includes("round failed")), "no retry loop").to.deep.equal([]);
  });

  it("a fee spike with a liquidation pending: replaced at >= 2 x base fee + tip, held at the fee cap while the base fee is above it, both victims liquidated once it falls", async () => {
    const name = `${client}-feespike`;
    const cap = parseGwei("50");
    const keeper = await startKeeper(name, { ...base(chain.node.url), gas: { minBalanceEth: 0.01, maxFeePerGasGwei: 50, replaceAfterBlocks: 1 } }, { KEEPER_PRIVATE_KEY: chain.keepers[1]!.privateKey });
    const setBaseFee = (fee: bigint) => chain.node.rpc(`${client}_setNextBlockBaseFeePerGas`, [toHex(fee)]);
    const pendingTx = () => {
      const store = stateOf(chain.d, name);
      try {
        return store.liquidationTransactions({ status: "pending" });
      } finally {
        store.close();
      }
    };
    const first = await openAndCrash(chain.d, chain.counterparty, "DOGE", { crash: false });
    // Markets no earlier test of this chain crashed (an earlier victim of the same market would fall again).
    const second = await openAndCrash(chain.d, chain.counterparty, "BTC", { crash: false });
    await chain.node.rpc("evm_setAutomine", [false]);
    let cleared = 0;
    try {
      const tx = await first.crash();
      await chain.node.rpc("evm_mine");
      await tx.wait();
      await waitFor("the first liquidation sent", async () => (await keeper.metric("keeper_liquidations_sent_total")) === 1 && pendingTx().length === 1, 120_000);
      const [sent] = pendingTx();
      // Spike 1: a base fee above the pending transaction's max fee, under the cap: not mined, replaced.
      const spike = parseGwei("10");
      expect(sent!.fees.maxFeePerGas).to.be.lessThan(spike);
      await setBaseFee(spike);
      await chain.node.rpc("evm_mine");
      await waitFor("replaced", async () => (await keeper.metric("keeper_replacements_total")) === 1, 120_000);
      const [replaced] = pendingTx();
      expect(replaced!.hashes).to.have.length(2);
      expect(replaced!.fees.maxFeePerGas, "max fee >= 2 x base fee + tip").to.be.at.least(2n * spike + replaced!.fees.maxPriorityFeePerGas);
      expect(replaced!.fees.maxFeePerGas).to.be.lessThan(cap);
      const onChain = await chain.d.ethers.provider.getTransaction(replaced!.hashes[1]!);
      expect(onChain?.maxFeePerGas).to.equal(replaced!.fees.maxFeePerGas);
      expect(await liquidations(chain.d, first.victim)).to.deep.equal([]);

      // Spike 2: above the cap, while the second victim falls under MM: the pending one is held (no fee within the
      // cap can be mined), the new one is not sent.
      await setBaseFee(4n * cap);
      const crash2 = await second.crash({ maxFeePerGas: 10n * cap, maxPriorityFeePerGas: parseGwei("1") });
      await chain.node.rpc("evm_mine");
      await crash2.wait();
      await waitFor("the new victim held off at the fee cap", async () => (await keeper.metric('keeper_liquidations_skipped_total{reason="fee-cap"}')) >= 1, 120_000);
      await waitFor("the pending one held", async () => readFileSync(keeper.log, "utf8").includes("base fee above the fee cap: liquidation in flight held"), 120_000);
      expect(await keeper.metric("keeper_replacements_total"), "no replacement above the cap").to.equal(1);
      expect(await keeper.metric("keeper_liquidations_sent_total"), "nothing new sent above the cap").to.equal(1);
      expect(await liquidations(chain.d, second.victim)).to.deep.equal([]);

      // The base fee falls under the cap (30 gwei, still above the pending max fee): the pending one is replaced at
      // min(2 x 30 gwei + tip, cap), the held one sent; both mined in the next block.
      await setBaseFee(parseGwei("30"));
      await chain.node.rpc("evm_mine");
      cleared = await chain.d.ethers.provider.getBlockNumber();
      await waitFor("replaced and sent", async () => (await keeper.metric("keeper_replacements_total")) === 2 && (await keeper.metric("keeper_liquidations_sent_total")) === 2, 120_000);
      const journal = pendingTx();
      expect(journal.map((t) => t.fees.maxFeePerGas)).to.deep.equal([cap, cap]);
      await chain.node.rpc("evm_mine");
    } finally {
      await chain.node.rpc("evm_setAutomine", [true]);
    }
    await waitFor("both victims liquidated", async () => (await liquidations(chain.d, first.victim)).length === 1 && (await liquidations(chain.d, second.victim)).length === 1, 120_000);
    const blocks = [...(await liquidationBlocks(chain.d, first.victim)), ...(await liquidationBlocks(chain.d, second.victim))];
    expect(blocks, "both within 1 block of the base fee falling under the cap").to.deep.equal([cleared + 1, cleared + 1]);
    await waitFor("both succeeded", async () => (await keeper.metric("keeper_liquidations_succeeded_total")) === 2, 60_000);
    expect(await keeper.metric("keeper_liquidations_sent_total"), "nothing sent twice").to.equal(2);
    expect(await keeper.stop()).to.equal(0);
  });

  it("a chain reset (node restarted empty): the keeper stops with ChainResetError and exit code 1", async () => {
    const keeper = await startKeeper(`${client}-reset`, { ...base(chain.node.url), mode: "dry-run", key: undefined, liquidator: chain.keepers[0]!.address });
    // The node restarted empty on the same endpoint (hardhat node has no reset method over HTTP).
    const port = Number(new URL(chain.node.url).port);
    await chain.node.child.stop(5_000);
    chain.node = await startNode(client, port);
    await chain.node.rpc("evm_mine");
    expect(await keeper.exited).to.equal(1);
    expect(readFileSync(keeper.log, "utf8")).to.include("ChainResetError");
  });
});
