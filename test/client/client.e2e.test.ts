import { expect } from "chai";
import type { Contract } from "ethers";
import { formatUnits, zeroAddress, type Address } from "viem";

import {
  allErrorsAbi,
  ContractError,
  decodeError,
  ERROR_SENTENCES,
  findCollateral,
  liquidationPrices,
  marginVaultAbi,
  maxWithdrawable,
  riskView,
  shockPrices,
  shockToMaintenance,
  tradeImpact,
  UsageError,
  whatIf,
  withdrawImpact,
  type Order,
  type Quote,
} from "../../client/src/index.js";
import { expectMarginOnChain, startClientEnv, stopAll, WAD, type ClientEnv } from "./harness.js";

const MARKET = { BTC: 0, ETH: 1, SOL: 2, LINK: 3, DOGE: 4 } as const;
const USDC = (x: number) => BigInt(x) * 10n ** 6n;

type Trader = Awaited<ReturnType<ClientEnv["trader"]>>;

let nonce = 1n;

/** An order of `t`'s account expiring in an hour (chain time) unless overridden. */
async function order(t: Trader, market: number, size: bigint, limitPrice: bigint, overrides: Partial<Order> = {}): Promise<Order> {
  const block = await t.pm.publicClient.getBlock();
  return { account: t.address, market: BigInt(market), size, limitPrice, nonce: nonce++, expiry: block.timestamp + 3600n, ...overrides };
}

/** Expects `promise` to fail with a ContractError decoding to `name`; returns the sentence. */
async function expectRefused(promise: Promise<unknown>, name: string): Promise<string> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${name}`).to.be.instanceOf(ContractError);
  const decoded = (caught as ContractError).decoded;
  expect(decoded?.name, (caught as Error).message).to.equal(name);
  expect(decoded!.sentence.length).to.be.greaterThan(20);
  expect((caught as Error).message).to.include(decoded!.sentence);
  return decoded!.sentence;
}

describe("client: createPortfolioMarginClient against a hardhat node", function () {
  this.timeout(300_000);
  let env: ClientEnv;
  let alice: Trader;
  let bob: Trader;
  let ethPrice: bigint;

  before(async () => {
    env = await startClientEnv();
    alice = await env.trader(100_000);
    bob = await env.trader(1_000_000);
  });

  after(async () => {
    await stopAll();
  });

  /** Bob's and `t`'s signed orders for `size` (> 0: t buys) of `market` at `price`, settled by `t`. */
  async function trade(t: Trader, market: number, size: bigint, price: bigint) {
    const mine = await order(t, market, size, price);
    const theirs = await order(bob, market, -size, price);
    const [mySig, theirSig] = [await t.pm.signOrder(mine), await bob.pm.signOrder(theirs)];
    const buys = size > 0n;
    return t.pm.settleTrade({
      buy: buys ? mine : theirs,
      buySignature: buys ? mySig : theirSig,
      sell: buys ? theirs : mine,
      sellSignature: buys ? theirSig : mySig,
      size: buys ? size : -size,
      price,
    });
  }

  describe("reads and writes", () => {
    it("reads the deployment: listed assets, collateral tokens, markets and risk parameters", async () => {
      const d = await alice.pm.getDeployment();
      expect(d.assets.map((a) => a.symbol)).to.deep.equal(["USD", "BTC", "ETH", "SOL", "LINK", "DOGE"]);
      expect(d.markets.map((m) => m.symbol)).to.deep.equal(["BTC-PERP", "ETH-PERP", "SOL-PERP", "LINK-PERP", "DOGE-PERP"]);
      expect(findCollateral(d, "usdc")?.decimals).to.equal(6);
      expect(d.risk.imFactor).to.equal(15n * 10n ** 17n);
      expect(d.priceBandBps).to.equal(500n);
    });

    it("deposit approves the vault and credits the account; the risk view equals vault.accountMargin", async () => {
      await alice.pm.deposit({ token: "USDC", amount: USDC(20_000) });
      await bob.pm.deposit({ token: "USDC", amount: USDC(900_000) });
      const snap = await alice.pm.getAccount();
      expect(snap.state.balances[findCollateral(snap.deployment, "USDC")!.id]).to.equal(USDC(20_000));
      const view = riskView(snap);
      expect(view.equity).to.equal(20_000n * WAD);
      await expectMarginOnChain(alice.pm, alice.address, view.margin);
      ethPrice = snap.prices[2]!;
    });

    it("settleTrade of two signed orders: tradeImpact predicts the vault's margin after the trade to the wei", async () => {
      const price = ethPrice + 1_234_567_890_123n; // not a round price: mulDown has a remainder
      const size = 10n * WAD + 7n;
      const impact = tradeImpact(await alice.pm.getAccount(), { market: MARKET.ETH, size, price });
      expect(impact.accepted).to.equal(true);
      await trade(alice, MARKET.ETH, size, price);
      await expectMarginOnChain(alice.pm, alice.address, impact.after.margin);

      const btc = (await alice.pm.getAccount()).prices[1]!;
      const hedge = tradeImpact(await alice.pm.getAccount(), { market: MARKET.BTC, size: -(WAD / 2n), price: btc });
      await trade(alice, MARKET.BTC, -(WAD / 2n), btc);
      await expectMarginOnChain(alice.pm, alice.address, hedge.after.margin);
      const view = riskView(await alice.pm.getAccount());
      expect(view.assets.map((a) => a.symbol)).to.deep.equal(["USD", "BTC", "ETH"]);
      expect(view.healthRatio! > WAD).to.equal(true);
    });

    it("takeQuote fills a maker's signed order; the same quote cannot be filled twice", async () => {
      const snap = await bob.pm.getAccount();
      const price = snap.prices[3]!; // SOL
      const makerOrder = await order(bob, MARKET.SOL, -(5n * WAD), price);
      const quote: Quote = {
        order: makerOrder as Quote["order"],
        signature: await bob.pm.signOrder(makerOrder),
        price,
        oraclePrice: price,
        chainId: snap.deployment.chainId,
        settlement: env.settlement,
      };
      const before = tradeImpact(await alice.pm.getAccount(), { market: MARKET.SOL, size: 5n * WAD, price });
      await alice.pm.takeQuote({ quote });
      await expectMarginOnChain(alice.pm, alice.address, before.after.margin);
      await expectRefused(alice.pm.takeQuote({ quote }), "OrderOverfilled");
      expect((await alice.pm.orderStatus(makerOrder)).filled).to.equal(5n * WAD);
    });

    it("whatIf with positions and prices equals the vault after the same change", async () => {
      const snap = await alice.pm.getAccount();
      const bumped = snap.prices[2]! + 17n * 10n ** 18n;
      const predicted = whatIf(snap, { prices: { 2: bumped } });
      await (await env.d.feed("ETH").setAnswer(bumped / 10n ** 10n)).wait();
      await expectMarginOnChain(alice.pm, alice.address, predicted.after.margin);
      await (await env.d.feed("ETH").setAnswer(snap.prices[2]! / 10n ** 10n)).wait();
    });

    it("liquidationPrices: the feed at the price makes the account liquidatable, one feed unit back does not", async () => {
      const carol = await env.trader(3_000);
      await carol.pm.deposit({ token: "USDC", amount: USDC(3_000) });
      await trade(carol, MARKET.ETH, 5n * WAD, ethPrice);
      const snap = await carol.pm.getAccount();
      const { down, up } = liquidationPrices(snap, 2);
      expect(up).to.equal(null);
      expect(down !== null && down < ethPrice).to.equal(true);
      const unit = 10n ** 10n;
      const isLiquidatable = () => carol.pm.publicClient.readContract({ address: env.vault, abi: marginVaultAbi, functionName: "isLiquidatable", args: [carol.address] });
      await (await env.d.feed("ETH").setAnswer(down! / unit)).wait();
      expect(await isLiquidatable()).to.equal(true);
      await (await env.d.feed("ETH").setAnswer(down! / unit + 1n)).wait();
      expect(await isLiquidatable()).to.equal(false);
      await (await env.d.feed("ETH").setAnswer(snap.prices[2]! / unit)).wait();

      // The uniform shock of every non-USD price that reaches MM, checked on the feeds the same way.
      const shock = shockToMaintenance(snap);
      expect(shock.up).to.equal(null);
      expect(shock.down).to.be.a("number").and.be.lessThan(0);
      const symbols = snap.deployment.assets.map((a) => a.symbol);
      const setAll = async (prices: bigint[]) => {
        for (let a = 1; a < prices.length; a++) await (await env.d.feed(symbols[a]!).setAnswer(prices[a]! / unit)).wait();
      };
      await setAll(shockPrices(snap.deployment, snap.prices, shock.down!));
      expect(await isLiquidatable()).to.equal(true);
      await setAll(shockPrices(snap.deployment, snap.prices, shock.down! + 1));
      expect(await isLiquidatable()).to.equal(false);
      await setAll(snap.prices);
    });

    it("withdraw: withdrawImpact predicts the vault; maxWithdrawable passes and one unit more is refused, saying how much can go", async () => {
      const snap = await alice.pm.getAccount();
      const usdc = findCollateral(snap.deployment, "USDC")!.id;
      const small = withdrawImpact(snap, usdc, USDC(100));
      await alice.pm.withdraw({ token: "USDC", amount: USDC(100) });
      await expectMarginOnChain(alice.pm, alice.address, small.after.margin);

      const after = await alice.pm.getAccount();
      const max = maxWithdrawable(after, usdc);
      expect(max > 0n && max < after.state.balances[usdc]!).to.equal(true);
      expect(withdrawImpact(after, usdc, max + 1n).accepted).to.equal(false);
      const sentence = await expectRefused(alice.pm.withdraw({ token: "USDC", amount: max + 1n }), "InsufficientMargin");
      expect(sentence).to.include(`at most ${formatUnits(max, 6)} USDC can be withdrawn now`);
      const predicted = withdrawImpact(after, usdc, max);
      await alice.pm.withdraw({ token: "USDC", amount: max });
      await expectMarginOnChain(alice.pm, alice.address, predicted.after.margin);
      expect(predicted.after.equity >= predicted.after.initialMargin).to.equal(true);
      await alice.pm.deposit({ token: "USDC", amount: USDC(10_000) });
    });

    it("cancelOrder and invalidateNonces take effect", async () => {
      const o = await order(alice, MARKET.ETH, WAD, ethPrice);
      await alice.pm.cancelOrder(o);
      expect((await alice.pm.orderStatus(o)).cancelled).to.equal(true);
      await alice.pm.invalidateNonces(5n);
      await expectRefused(alice.pm.invalidateNonces(5n), "OrderNonceInvalidated");
    });
  });

  describe("every custom error reachable from the client is decoded with a sentence", () => {
    it("has a sentence for every error of the ABI", () => {
      const missing = allErrorsAbi.filter((e) => e.type === "error" && ERROR_SENTENCES[e.name] === undefined).map((e) => (e as { name: string }).name);
      expect(missing).to.deep.equal([]);
    });

    const settle = async (t: Trader, buy: Order, sell: Order, size: bigint, price: bigint, signers: [Trader, Trader] = [t, bob]) =>
      t.pm.settleTrade({ buy, buySignature: await signers[0].pm.signOrder(buy), sell, sellSignature: await signers[1].pm.signOrder(sell), size, price });

    it("ZeroAmount", () => expectRefused(alice.pm.deposit({ token: "USDC", amount: 0n }), "ZeroAmount"));
    it("DepositCapExceeded", async () => {
      const cap = findCollateral(await alice.pm.getDeployment(), "USDC")!.depositCap;
      await expectRefused(alice.pm.deposit({ token: "USDC", amount: cap + 1n }), "DepositCapExceeded");
    });
    // Beyond the balance a USDC withdrawal pays cash; the account's cash is short of the rest.
    it("InsufficientCash", () => expectRefused(alice.pm.withdraw({ token: "USDC", amount: USDC(10_000_000) }), "InsufficientCash"));
    it("Unauthorized", () => expectRefused(alice.pm.withdraw({ token: "USDC", amount: 1n, account: bob.address }), "Unauthorized"));
    it("ZeroAddress", () => expectRefused(alice.pm.withdraw({ token: "USDC", amount: 1n, receiver: zeroAddress }), "ZeroAddress"));
    it("InsufficientMargin (a trade too large)", async () => {
      const size = 5_000n * WAD;
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, size, ethPrice), await order(bob, MARKET.ETH, -size, ethPrice), size, ethPrice), "InsufficientMargin");
    });
    it("SelfTrade", async () => {
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, ethPrice), await order(alice, MARKET.ETH, -WAD, ethPrice), WAD, ethPrice, [alice, alice]), "SelfTrade");
    });
    it("MarketMismatch", async () => {
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, ethPrice), await order(bob, MARKET.SOL, -WAD, ethPrice), WAD, ethPrice), "MarketMismatch");
    });
    it("MarketNotListed", async () => {
      await expectRefused(settle(alice, await order(alice, 31, WAD, ethPrice), await order(bob, 31, -WAD, ethPrice), WAD, ethPrice), "MarketNotListed");
    });
    it("InvalidOrderSide", async () => {
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, -WAD, ethPrice), await order(bob, MARKET.ETH, -WAD, ethPrice), WAD, ethPrice), "InvalidOrderSide");
    });
    it("LimitPriceExceeded", async () => {
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, ethPrice - 1n), await order(bob, MARKET.ETH, -WAD, ethPrice), WAD, ethPrice), "LimitPriceExceeded");
    });
    it("PriceOutsideBand", async () => {
      const far = (ethPrice * 11n) / 10n;
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, far), await order(bob, MARKET.ETH, -WAD, far), WAD, far), "PriceOutsideBand");
    });
    it("OrderExpired", async () => {
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, ethPrice, { expiry: 1n }), await order(bob, MARKET.ETH, -WAD, ethPrice), WAD, ethPrice), "OrderExpired");
    });
    it("OrderIsCancelled", async () => {
      const o = await order(alice, MARKET.ETH, WAD, ethPrice);
      await alice.pm.cancelOrder(o);
      await expectRefused(settle(alice, o, await order(bob, MARKET.ETH, -WAD, ethPrice), WAD, ethPrice), "OrderIsCancelled");
    });
    it("OrderNonceInvalidated", async () => {
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, ethPrice, { nonce: 1n }), await order(bob, MARKET.ETH, -WAD, ethPrice), WAD, ethPrice), "OrderNonceInvalidated");
    });
    it("OrderOverfilled", async () => {
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, ethPrice), await order(bob, MARKET.ETH, -WAD, ethPrice), 2n * WAD, ethPrice), "OrderOverfilled");
    });
    it("InvalidSignature", async () => {
      await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, ethPrice), await order(bob, MARKET.ETH, -WAD, ethPrice), WAD, ethPrice, [alice, alice]), "InvalidSignature");
    });
    it("CollateralNotListed (raw call, decoded by decodeError)", async () => {
      const notListed = (await env.d.feed("ETH").getAddress()) as Address;
      const error = await alice.pm.publicClient
        .simulateContract({ address: env.vault, abi: marginVaultAbi, functionName: "deposit", args: [notListed, 1n, alice.address], account: alice.address })
        .catch((e: unknown) => e);
      expect(decodeError(error)?.name).to.equal("CollateralNotListed");
      // The client refuses an unlisted token before any call, naming the listed ones.
      const usage = await alice.pm.deposit({ token: notListed, amount: 1n }).catch((e: unknown) => e);
      expect(usage).to.be.instanceOf(UsageError);
    });
    it("OpenInterestCapExceeded", async () => {
      const vault = env.d.vault as Contract;
      const config = await alice.pm.getDeployment();
      const doge = config.markets[MARKET.DOGE]!;
      await (await vault.setMarket(MARKET.DOGE, doge.k, WAD)).wait();
      const price = (await alice.pm.getAccount()).prices[5]!;
      try {
        await expectRefused(settle(alice, await order(alice, MARKET.DOGE, 2n * WAD, price), await order(bob, MARKET.DOGE, -2n * WAD, price), 2n * WAD, price), "OpenInterestCapExceeded");
      } finally {
        await (await vault.setMarket(MARKET.DOGE, doge.k, doge.openInterestCap)).wait();
      }
    });
    it("DepositNotAllowed (a third party while paused) and TradeAddsRiskWhilePaused", async () => {
      const vault = env.d.vault as Contract;
      await (await vault.pause()).wait();
      try {
        // Adding margin to one's own account is allowed while paused; a third party's deposit is not.
        await expectRefused(alice.pm.deposit({ token: "USDC", amount: 1n, account: bob.address }), "DepositNotAllowed");
        await expectRefused(settle(alice, await order(alice, MARKET.ETH, WAD, ethPrice), await order(bob, MARKET.ETH, -WAD, ethPrice), WAD, ethPrice), "TradeAddsRiskWhilePaused");
      } finally {
        await (await vault.unpause()).wait();
      }
    });
    it("OracleAnswerStale (after the heartbeat passes), and the snapshot marks the asset unpriced", async () => {
      const snap = await alice.pm.getAccount();
      await env.rpc("evm_increaseTime", [3_601]);
      await env.rpc("evm_mine");
      const stale = await alice.pm.getAccount();
      expect(stale.unpriced).to.include(2);
      expect(() => riskView(stale)).to.throw(/no usable price for BTC, ETH/);
      await expectRefused(alice.pm.withdraw({ token: "USDC", amount: 1n }), "OracleAnswerStale");
      for (let a = 1; a < snap.prices.length; a++) {
        await (await env.d.feed(snap.deployment.assets[a]!.symbol).setAnswer(snap.prices[a]! / 10n ** 10n)).wait();
      }
    });
  });
});
