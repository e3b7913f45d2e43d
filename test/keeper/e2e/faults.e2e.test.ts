/**
 * The keeper under RPC faults, on both clients, through the project's own fault proxy (`startFaultProxy`). Each test
 * asserts that the account under MM is liquidated within a stated number of blocks of the crash (or of the fault
 * clearing), exactly once, and that nothing was sent twice. Waits are on conditions (events, metrics), never sleeps.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";

import {
  liquidations,
  NODE_CLIENTS,
  useChain,
  openAndCrash,
  startFaultProxy,
  startKeeper,
  startNode,
  waitFor,
  type Deployment,
} from "./harness.js";

/** The block of `account`'s Liquidated event(s). */
async function liquidationBlocks(d: Deployment, account: string): Promise<number[]> {
  const events = await d.vault.queryFilter(d.vault.filters.Liquidated(account), 0, "latest");
  return events.map((e) => e.blockNumber);
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
      const { victim } = await openAndCrash(chain.d, chain.counterparty, "ETH");
      const crashBlock = await chain.d.ethers.provider.getBlockNumber();
      await waitFor("the ETH victim liquidated", async () => (await liquidations(chain.d, victim)).length === 1, 120_000);
      const [at] = await liquidationBlocks(chain.d, victim);
      expect(at! - crashBlock, "blocks from the crash to the liquidation").to.be.at.most(2);
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
      await waitFor("failed rounds", async () => (await keeper.metric("keeper_failed_rounds")) >= 2, 60_000);
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
