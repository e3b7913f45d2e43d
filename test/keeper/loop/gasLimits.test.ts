/**
 * Gas limits by account shape (`keeper/src/loop/gasLimits.ts`): accounts that differ only in amounts share one
 * estimate, and that estimate times the multiplier mines each of their liquidations on the vault; a known shape is
 * planned with a simulation only; a revert or an estimate exceeded drops the cache.
 */
import { expect } from "chai";
import type { Contract } from "ethers";
import { createPublicClient, custom, getAddress, parseGwei, type Address, type EIP1193Provider, type PublicClient } from "viem";

import { stateFromStore, type AccountState } from "../../../keeper/src/liquidation/previewLiquidation.js";
import { chooseFraction, createProRataLiquidationStrategy, type LiquidationCandidate, type LiquidationPlan } from "../../../keeper/src/liquidation/strategy.js";
import { createGasLimits, liquidationShape, type GasLimits } from "../../../keeper/src/loop/gasLimits.js";
import { liquidateArgs, planLiquidation } from "../../../keeper/src/loop/plan.js";
import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import { liquidationContextAtHead } from "../../helpers/liquidationContext.js";
import { connection, deployDefault, MARKET, networkHelpers, setPrice, units, wad } from "../../fixtures.js";

type Deployed = Awaited<ReturnType<typeof deployDefault>>;
type Request = { method: string; params?: unknown };

/** A client over the in-process node that counts requests by method. */
function countingClient() {
  const counts = new Map<string, number>();
  const provider = connection.provider as unknown as EIP1193Provider;
  const client = createPublicClient({
    transport: custom({
      request(request: Request) {
        counts.set(request.method, (counts.get(request.method) ?? 0) + 1);
        return provider.request(request as never);
      },
    }),
  }) as PublicClient;
  return { client, counts };
}

const victim = (i: number) => getAddress(`0xa1${i.toString(16).padStart(38, "0")}`) as Address;
const SIZES = [1, 4, 10, 25, 60];

/** Five accounts, `SIZES[i]` ETH long against cash, all liquidatable in part once ETH is at 1,500; carol liquidates. */
async function liquidatableBook(): Promise<Deployed> {
  const d = await networkHelpers.loadFixture(deployDefault);
  await (d.vault.connect(d.carol) as Contract).deposit(d.tokens.USDC, await units(d.tokens.USDC, 200_000), d.carol.address);
  for (const [i, size] of SIZES.entries()) {
    await d.vault.harnessSetPosition(victim(i), MARKET.ETH, wad(size));
    await d.vault.harnessSetCash(victim(i), wad(-1_300 * size));
  }
  await setPrice(d.feeds.ETH, wad(1_500));
  return d;
}

async function candidates(d: Deployed, client: PublicClient): Promise<LiquidationCandidate[]> {
  const { store, risk, ctx } = await liquidationContextAtHead(client, await d.vault.getAddress());
  const liquidator = stateFromStore(store, risk, getAddress(d.carol.address));
  const result = SIZES.map((_, i) => ({ account: victim(i), state: stateFromStore(store, risk, victim(i)), liquidator, ctx }));
  store.close();
  return result;
}

/** A state and plan as `liquidationShape` reads them. */
function shapeOf(account: Partial<AccountState>, liquidator: Partial<AccountState>, preview: { fraction?: bigint; badDebt?: boolean; fundShare?: bigint } = {}) {
  const state = (s: Partial<AccountState>): AccountState => ({ cash: s.cash ?? 1n, balances: s.balances ?? new Map(), positions: s.positions ?? new Map() });
  const candidate = { account: victim(0), state: state(account), liquidator: state(liquidator) } as LiquidationCandidate;
  const plan = { preview: { fraction: preview.fraction ?? wad(0.5), account: { badDebt: preview.badDebt ?? false }, fundShare: preview.fundShare ?? 1n } } as unknown as LiquidationPlan;
  return liquidationShape(candidate, plan);
}

/** `planLiquidation` with fixed fees and prices, for `liquidator`, sharing `gasLimits`. */
function planner(client: PublicClient, vault: Address, liquidator: Address, gasLimits: GasLimits, gasLimitMultiplier: number) {
  return (candidate: LiquidationCandidate) =>
    planLiquidation({
      client,
      vault,
      liquidator,
      strategy: createProRataLiquidationStrategy({ client, vault, liquidator }),
      candidate,
      fees: async () => ({ maxFeePerGas: parseGwei("2"), maxPriorityFeePerGas: parseGwei("1") }),
      baseFeePerGas: parseGwei("1"),
      nativePrice: wad(2_000),
      minProfitUsd: 0,
      gasLimitMultiplier,
      pricesComplete: true,
      gasLimits,
    });
}

describe("keeper gas limits by account shape", () => {
  it("gives accounts that differ only in amounts one shape, and tells apart the entries, slots and paths it keys on", () => {
    const eth = (size: bigint) => new Map([[MARKET.ETH, size]]);
    const base = shapeOf({ positions: eth(wad(1)), cash: wad(-1) }, { balances: new Map([[0, 10n]]) });
    expect(shapeOf({ positions: eth(wad(60)), cash: wad(-80) }, { balances: new Map([[0, 99n]]) })).to.equal(base);
    const different = {
      "another market": shapeOf({ positions: new Map([[MARKET.ETH, wad(1)], [MARKET.SOL, wad(1)]]), cash: wad(-1) }, { balances: new Map([[0, 10n]]) }),
      "the liquidator already in the market": shapeOf({ positions: eth(wad(1)), cash: wad(-1) }, { balances: new Map([[0, 10n]]), positions: eth(wad(3)) }),
      "collateral taken": shapeOf({ positions: eth(wad(1)), balances: new Map([[1, 5n]]), cash: wad(-1) }, { balances: new Map([[0, 10n]]) }),
      "taken whole": shapeOf({ positions: eth(wad(1)), cash: wad(-1) }, { balances: new Map([[0, 10n]]) }, { fraction: wad(1) }),
      "bad debt": shapeOf({ positions: eth(wad(1)), cash: wad(-1) }, { balances: new Map([[0, 10n]]) }, { fraction: wad(1), badDebt: true }),
      "no fund share": shapeOf({ positions: eth(wad(1)), cash: wad(-1) }, { balances: new Map([[0, 10n]]) }, { fundShare: 0n }),
      "the liquidator's cash at zero": shapeOf({ positions: eth(wad(1)), cash: wad(-1) }, { balances: new Map([[0, 10n]]), cash: 0n }),
    };
    for (const [what, shape] of Object.entries(different)) expect(shape, what).to.not.equal(base);
    expect(new Set(Object.values(different)).size, "each a shape of its own").to.equal(Object.keys(different).length);
  });

  it("one account's estimate x the multiplier mines the liquidation of every other account of its shape that differs only in amounts", async () => {
    const d = await liquidatableBook();
    const { client } = countingClient();
    const list = await candidates(d, client);
    const plans = list.map((c) => chooseFraction(c)!);
    const shapes = new Set(list.map((c, i) => liquidationShape(c, plans[i]!)));
    expect(shapes.size, "one shape for the five").to.equal(1);
    const vault = getAddress(await d.vault.getAddress());
    const estimate = await client.estimateContractGas({ address: vault, abi: marginVaultAbi, functionName: "liquidate", args: liquidateArgs(plans[0]!), account: getAddress(d.carol.address) });
    const limit = (estimate * 1250n) / 1000n;
    for (const plan of plans) {
      const snapshot = await networkHelpers.takeSnapshot();
      const tx = await (d.vault.connect(d.carol) as Contract).liquidate(...liquidateArgs(plan), { gasLimit: limit });
      const receipt = await tx.wait();
      expect(receipt.status, `the account of ${plan.account}`).to.equal(1);
      await snapshot.restore();
    }
  });

  it("plans a known shape with a simulation only: one estimate for five accounts, again after the cache is dropped", async () => {
    const d = await liquidatableBook();
    const { client, counts } = countingClient();
    const list = await candidates(d, client);
    const vault = getAddress(await d.vault.getAddress());
    const liquidator = getAddress(d.carol.address);
    const gasLimits = createGasLimits(1.25);
    const plan = planner(client, vault, liquidator, gasLimits, 1.25);
    counts.clear();
    const decisions = [];
    for (const candidate of list) decisions.push(await plan(candidate));
    expect(decisions.map((x) => x.kind)).to.deep.equal(SIZES.map(() => "send"));
    expect(new Set(decisions.map((x) => (x.kind === "send" ? x.gas : 0n))).size, "one gas limit").to.equal(1);
    expect(counts.get("eth_estimateGas")).to.equal(1);
    expect(counts.get("eth_call"), "every candidate simulated").to.be.greaterThanOrEqual(SIZES.length);
    gasLimits.clear();
    await plan(list[0]!);
    expect(counts.get("eth_estimateGas")).to.equal(2);
  });

  it("an account its shape describes badly (packed slots, open interest) is estimated exactly: the cached limit runs out of gas in the simulation, never on-chain", async () => {
    // Carol holds BTC and SOL and USDC; alice's ETH and WBTC land in slots carol already uses, bob's DOGE and DOGE
    // token in empty ones: one shape, ~20 % apart in gas (an auditor's finding). With a multiplier of 1.05 the limit
    // cached from alice's estimate is too low for bob.
    const d = await networkHelpers.loadFixture(deployDefault);
    const { client, counts } = countingClient();
    await (d.vault.connect(d.carol) as Contract).deposit(d.tokens.USDC, await units(d.tokens.USDC, 200_000), d.carol.address);
    await d.vault.harnessSetPosition(d.carol.address, MARKET.BTC, wad("0.01"));
    await d.vault.harnessSetPosition(d.carol.address, MARKET.SOL, wad(1));
    await (d.vault.connect(d.alice) as Contract).deposit(d.tokens.WBTC, (await units(d.tokens.WBTC, 1)) / 1000n, d.alice.address);
    await (d.vault.connect(d.bob) as Contract).deposit(d.tokens.DOGE, await units(d.tokens.DOGE, 100), d.bob.address);
    await d.vault.harnessSetPosition(d.alice.address, MARKET.ETH, wad(10));
    await d.vault.harnessSetCash(d.alice.address, wad(-17_000));
    await setPrice(d.feeds.ETH, wad(1_950));
    await setPrice(d.feeds.DOGE, wad(1));
    await d.vault.harnessSetPosition(d.bob.address, MARKET.DOGE, wad(20_000));
    await d.vault.harnessSetCash(d.bob.address, wad(-15_000));
    await setPrice(d.feeds.DOGE, wad("0.95"));
    const { store, risk, ctx } = await liquidationContextAtHead(client, await d.vault.getAddress());
    const liquidator = getAddress(d.carol.address);
    const candidate = (who: string) => ({ account: getAddress(who), state: stateFromStore(store, risk, getAddress(who)), liquidator: stateFromStore(store, risk, liquidator), ctx });
    const [alice, bob] = [candidate(d.alice.address), candidate(d.bob.address)];
    store.close();
    expect(liquidationShape(alice, chooseFraction(alice)!)).to.equal(liquidationShape(bob, chooseFraction(bob)!));
    const gasLimits = createGasLimits(1.05);
    const plan = planner(client, getAddress(await d.vault.getAddress()), liquidator, gasLimits, 1.05);
    const first = await plan(alice);
    counts.clear();
    const second = await plan(bob);
    expect([first.kind, second.kind]).to.deep.equal(["send", "send"]);
    if (first.kind !== "send" || second.kind !== "send") return;
    expect(counts.get("eth_estimateGas"), "bob estimated after the capped simulation failed").to.equal(1);
    expect(second.gas > first.gas, "bob's own, larger limit").to.equal(true);
    // The limit sent mines; alice's would not have.
    const snapshot = await networkHelpers.takeSnapshot();
    const tooLow = await (d.vault.connect(d.carol) as Contract).liquidate(...liquidateArgs(second.plan), { gasLimit: first.gas }).then(
      (tx: { wait(): Promise<unknown> }) => tx.wait().then(() => "mined", () => "reverted"),
      () => "reverted",
    );
    expect(tooLow).to.equal("reverted");
    await snapshot.restore();
    const receipt = await (await (d.vault.connect(d.carol) as Contract).liquidate(...liquidateArgs(second.plan), { gasLimit: second.gas })).wait();
    expect(receipt.status).to.equal(1);
  });

  it("an account found unprofitable with a cached estimate is weighed again with its own before it is marked", async () => {
    const d = await liquidatableBook();
    const { client, counts } = countingClient();
    const [candidate] = await candidates(d, client);
    const gasLimits = createGasLimits(1.25);
    // A shape whose cached estimate (a costlier account's) would eat the whole reward.
    gasLimits.set(liquidationShape(candidate!, chooseFraction(candidate!)!), 20_000_000n);
    counts.clear();
    const decision = await planner(client, getAddress(await d.vault.getAddress()), getAddress(d.carol.address), gasLimits, 1.25)(candidate!);
    expect(decision.kind).to.equal("send");
    expect(counts.get("eth_estimateGas")).to.equal(1);
  });

  it("drops the estimates after a revert, or a liquidation that used more gas than its estimate", () => {
    const gasLimits = createGasLimits(1.25);
    const account = victim(0);
    gasLimits.set("a", 200_000n);
    // Sent with 250,000 (200,000 x 1.25): 200,000 used is the estimate, not more.
    expect(gasLimits.learn([{ account, status: "success", gas: 250_000n, gasUsed: 200_000n }, { account, status: "dropped", gas: 250_000n, gasUsed: null }])).to.equal(false);
    expect(gasLimits.size).to.equal(1);
    expect(gasLimits.learn([{ account, status: "success", gas: 250_000n, gasUsed: 200_001n }])).to.equal(true);
    expect(gasLimits.size).to.equal(0);
    gasLimits.set("a", 200_000n);
    expect(gasLimits.learn([{ account, status: "reverted", gas: 250_000n, gasUsed: 90_000n }])).to.equal(true);
    expect(gasLimits.get("a")).to.equal(undefined);
  });
});
