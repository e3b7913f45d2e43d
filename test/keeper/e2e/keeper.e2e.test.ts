import { expect } from "chai";
import { readFileSync } from "node:fs";
import type { Contract } from "ethers";

import {
  liquidations,
  MARKET,
  newUser,
  NOTIONAL,
  openAndCrash,
  startFlakyProxy,
  startKeeper,
  trade,
  NODE_CLIENTS,
  WAD,
  useChain,
  waitFor,
} from "./harness.js";

for (const client of NODE_CLIENTS) describe(`keeper end to end (${client}, keeper processes)`, function () {
  this.timeout(240_000);
  const chain = useChain(client);

  const base = () => ({ rpcUrls: [chain.node.url], vault: chain.d.vaultAddress, startBlock: 0, mode: "run", key: { privateKeyEnv: "KEEPER_PRIVATE_KEY" }, gas: { minBalanceEth: 0.01 } });

  it("liquidates an account after an oracle move, and after a restart misses nothing and repeats nothing", async () => {
    const env = { KEEPER_PRIVATE_KEY: chain.keepers[0]!.privateKey };
    let keeper = await startKeeper(`${client}-main`, base(), env);
    const first = await openAndCrash(chain.d, chain.counterparty, "ETH");
    await waitFor("the ETH victim liquidated", async () => (await liquidations(chain.d, first.victim)).length === 1);
    expect(await liquidations(chain.d, first.victim)).to.deep.equal([chain.keepers[0]!.address]);
    expect(await chain.d.vault.isLiquidatable(first.victim)).to.equal(false);
    await waitFor("succeeded counted", async () => (await keeper.metric("keeper_liquidations_succeeded_total")) === 1);
    expect(await keeper.metric("keeper_accounts_tracked")).to.be.greaterThan(4);
    expect(await keeper.metric("keeper_balance_eth")).to.be.greaterThan(9);
    const logs = readFileSync(keeper.log, "utf8");
    expect(logs).to.not.include(chain.keepers[0]!.privateKey.slice(2));

    // Graceful stop, then a liquidation opportunity while the keeper is down.
    expect(await keeper.stop()).to.equal(0);
    const second = await openAndCrash(chain.d, chain.counterparty, "BTC");
    keeper = await startKeeper(`${client}-main`, base(), env, keeper);
    await waitFor("the BTC victim liquidated", async () => (await liquidations(chain.d, second.victim)).length === 1);
    await waitFor("succeeded counted", async () => (await keeper.metric("keeper_liquidations_succeeded_total")) === 1);
    expect(await keeper.metric("keeper_liquidations_sent_total")).to.equal(1);
    expect(await liquidations(chain.d, first.victim)).to.have.length(1);
    expect(await keeper.stop()).to.equal(0);
  });

  it("rides out an RPC endpoint that fails, then uses it again once it recovers", async () => {
    const proxy = await startFlakyProxy(chain.node.url);
    try {
      const keeper = await startKeeper(`${client}-flaky`, { ...base(), rpcUrls: [proxy.url, chain.node.url] }, { KEEPER_PRIVATE_KEY: chain.keepers[1]!.privateKey });
      proxy.failing = true;
      const { victim } = await openAndCrash(chain.d, chain.counterparty, "SOL");
      await waitFor("the SOL victim liquidated", async () => (await liquidations(chain.d, victim)).length === 1);
      expect(await keeper.metric('keeper_rpc_errors_total{endpoint="0"}')).to.be.greaterThan(0);
      proxy.failing = false;
      const before = proxy.forwarded;
      await waitFor("requests through the recovered endpoint", async () => proxy.forwarded > before + 5);
      await waitFor("ready", async () => (await fetch(`http://127.0.0.1:${keeper.metricsPort}/readyz`)).status === 200);
      expect(await keeper.stop()).to.equal(0);
    } finally {
      await proxy.close();
    }
  });

  it("two keepers race: one liquidates, the other records a lost race", async () => {
    const one = await startKeeper(`${client}-race-1`, base(), { KEEPER_PRIVATE_KEY: chain.keepers[1]!.privateKey });
    const two = await startKeeper(`${client}-race-2`, base(), { KEEPER_PRIVATE_KEY: chain.keepers[2]!.privateKey });
    try {
    const { victim, crash } = await openAndCrash(chain.d, chain.counterparty, "LINK", { crash: false });
    // Both see the crash in the same block and send before the next one is mined.
    await chain.node.rpc("evm_setAutomine", [false]);
    try {
      const tx = await crash();
      await chain.node.rpc("evm_mine");
      await tx.wait();
      // Each keeper either sends or, if its round came after the other's transaction reached the pool, loses at
      // simulation: wait for both decisions (no fixed timing on a loaded machine).
      const decided = async (k: typeof one) => (await k.metric("keeper_liquidations_sent_total")) + (await k.metric('keeper_liquidations_lost_total{stage="simulation"}'));
      await waitFor("both keepers decided", async () => (await decided(one)) >= 1 && (await decided(two)) >= 1, 120_000);
      await chain.node.rpc("evm_mine");
    } finally {
      await chain.node.rpc("evm_setAutomine", [true]);
    }
    await waitFor("one liquidation", async () => (await liquidations(chain.d, victim)).length === 1);
    const lost = async (k: typeof one) =>
      (await k.metric('keeper_liquidations_lost_total{stage="onchain"}')) + (await k.metric('keeper_liquidations_lost_total{stage="simulation"}')) + (await k.metric('keeper_liquidations_lost_total{stage="dropped"}'));
    await waitFor("the loser counted", async () => (await lost(one)) + (await lost(two)) >= 1, 120_000);
    // The winner counts its success when it next checks its receipt (its next round): wait for it too.
    const succeeded = async () => [await one.metric("keeper_liquidations_succeeded_total"), await two.metric("keeper_liquidations_succeeded_total")];
    await waitFor("the winner counted", async () => (await succeeded()).reduce((x, y) => x + y, 0) >= 1, 120_000);
    const won = await succeeded();
    expect(won.sort()).to.deep.equal([0, 1]);
    } finally {
      expect(await one.stop()).to.equal(0);
      expect(await two.stop()).to.equal(0);
    }
  });

  it("a dry run decides and simulates, and sends nothing", async () => {
    const keeper = await startKeeper(`${client}-dry`, { ...base(), mode: "dry-run", key: undefined, liquidator: chain.keepers[0]!.address });
    try {
    const nonceBefore = await chain.d.ethers.provider.getTransactionCount(chain.keepers[0]!.address);
    const { victim } = await openAndCrash(chain.d, chain.counterparty, "DOGE");
    await waitFor("the dry-run decision", async () => (await keeper.metric('keeper_liquidations_skipped_total{reason="dry-run"}')) >= 1);
    expect(await keeper.metric("keeper_liquidations_sent_total")).to.equal(0);
    expect(await liquidations(chain.d, victim)).to.deep.equal([]);
    expect(await chain.d.vault.isLiquidatable(victim)).to.equal(true);
    expect(await chain.d.ethers.provider.getTransactionCount(chain.keepers[0]!.address)).to.equal(nonceBefore);
    expect(readFileSync(keeper.log, "utf8")).to.include("dry run: would liquidate");
    } finally {
      expect(await keeper.stop()).to.equal(0);
    }
    void (chain.d.vault as Contract);
  });

  it("liquidates a hedged pair partially, twice, and the account ends healthy", async () => {
    const { d, counterparty } = chain;
    const liquidator = await newUser(d, 100_000);
    const keeper = await startKeeper(`${client}-hedged`, base(), { KEEPER_PRIVATE_KEY: liquidator.privateKey });
    try {
      const priceOf = async (symbol: string) => ((await d.feed(symbol).latestRoundData()) as bigint[])[1]! * 10n ** 10n;
      const [btc, eth] = [await priceOf("BTC"), await priceOf("ETH")];
      // Long BTC, short ETH, the same notional (correlation 0.8), on 21% of it in USDC: above IM.
      const victim = await newUser(d, Math.ceil(0.21 * NOTIONAL));
      await trade(d, victim, counterparty, MARKET.BTC, (BigInt(NOTIONAL) * WAD * WAD) / btc, btc);
      await trade(d, counterparty, victim, MARKET.ETH, (BigInt(NOTIONAL) * WAD * WAD) / eth, eth);
      const fractions = async () =>
        (await d.vault.queryFilter(d.vault.filters.Liquidated(victim.address), 0, "latest")).map(
          (e) => (e as unknown as { args: { fraction: bigint } }).args.fraction,
        );
      // BTC -10%: under MM, solvent; the keeper takes the close factor, not the book.
      await (await d.feed("BTC").setAnswer((btc * 90n) / 100n / 10n ** 10n)).wait();
      await waitFor("the first partial liquidation", async () => (await fractions()).length === 1);
      expect(await d.vault.isLiquidatable(victim.address)).to.equal(false);
      // BTC -20%: under MM again; a second slice.
      await (await d.feed("BTC").setAnswer((btc * 80n) / 100n / 10n ** 10n)).wait();
      await waitFor("the second partial liquidation", async () => (await fractions()).length === 2);
      const taken = await fractions();
      expect(taken.every((f) => f > 0n && f < WAD), `fractions ${taken.join(", ")}`).to.equal(true);
      const m = await d.vault.accountMargin(victim.address);
      expect(m.equity >= m.maintenanceMargin && m.equity > 0n).to.equal(true);
      expect(await d.vault.position(victim.address, MARKET.BTC)).to.be.greaterThan(0n);
      expect(await d.vault.position(victim.address, MARKET.ETH)).to.be.lessThan(0n);
    } finally {
      expect(await keeper.stop()).to.equal(0);
    }
  });
});
