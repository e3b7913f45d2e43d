import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, units, wad } from "../fixtures.js";
import { makeOrder, signOrder, type Order } from "../helpers/orders.js";

const ETH_PRICE = wad(2_300);

/** Alice and Bob each hold 10,000 USDC; Carol is a relayer with no account. */
async function fundedPair() {
  const f = await deployDefault();
  for (const user of [f.alice, f.bob]) {
    await (f.vault.connect(user) as Contract).deposit(f.tokens.USDC, await units(f.tokens.USDC, 10_000), user.address);
  }
  return f;
}

type Fixture = Awaited<ReturnType<typeof fundedPair>>;

/** Alice buys `size` ETH from Bob at `price`: both orders signed, submitted by Carol. */
async function signedTrade(f: Fixture, size: bigint, price: bigint, buyOverrides: Partial<Order> = {}) {
  const buy = await makeOrder(f.alice.address, MARKET.ETH, size, price, buyOverrides);
  const sell = await makeOrder(f.bob.address, MARKET.ETH, -size, price);
  return {
    buy,
    sell,
    buySig: await signOrder(f.settlement, f.alice, buy),
    sellSig: await signOrder(f.settlement, f.bob, sell),
  };
}

describe("TradeSettlement.settleTrade", () => {
  describe("settlement", () => {
    it("moves positions and cash, conserving cash to the wei, and emits every change", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const price = ETH_PRICE + 123_456_789_012_345_678n; // a price whose product with the size has a remainder
      const size = wad(1.5) + 7n;
      const amount = (size * price) / 10n ** 18n; // mulDown, both positive
      const { buy, sell, buySig, sellSig } = await signedTrade(f, size, price);
      const buyHash = await f.settlement.hashOrder(buy);

      const tx = (f.settlement.connect(f.carol) as Contract).settleTrade(buy, buySig, sell, sellSig, size, price);
      await expect(tx)
        .to.emit(f.vault, "TradeSettled")
        .withArgs(f.alice.address, f.bob.address, MARKET.ETH, size, price, amount);
      await expect(tx).to.emit(f.settlement, "OrderFilled").withArgs(buyHash, f.alice.address, size, size);
      await expect(tx).to.emit(f.vault, "PositionChanged").withArgs(f.bob.address, MARKET.ETH, -size, -size);
      await expect(tx).to.emit(f.vault, "CashChanged").withArgs(f.alice.address, -amount, -amount);

      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(size);
      expect(await f.vault.position(f.bob.address, MARKET.ETH)).to.equal(-size);
      const aliceCash: bigint = await f.vault.cash(f.alice.address);
      const bobCash: bigint = await f.vault.cash(f.bob.address);
      expect(aliceCash).to.equal(-amount);
      expect(aliceCash + bobCash).to.equal(0n);
      expect((await f.vault.marketConfig(MARKET.ETH)).openInterest).to.equal(size);
    });

    it("lets the account itself, or an operator it approved, submit its order without a signature", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const buy = await makeOrder(f.alice.address, MARKET.ETH, wad(1), ETH_PRICE);
      const sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), ETH_PRICE);
      const sellSig = await signOrder(f.settlement, f.bob, sell);
      await (f.settlement.connect(f.alice) as Contract).settleTrade(buy, "0x", sell, sellSig, wad(0.5), ETH_PRICE);

      await (f.vault.connect(f.alice) as Contract).setOperator(f.carol.address, true);
      await (f.settlement.connect(f.carol) as Contract).settleTrade(buy, "0x", sell, sellSig, wad(0.5), ETH_PRICE);
      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(wad(1));
    });

    it("accepts an ERC-1271 smart wallet's signature and refuses one its owner did not make", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const wallet = (await ethers.deployContract("MockSmartWallet", [f.carol.address])) as unknown as Contract;
      const walletAddress = await wallet.getAddress();
      // The wallet approves Alice as its operator, who deposits for it.
      await wallet.execute(await f.vault.getAddress(), f.vault.interface.encodeFunctionData("setOperator", [f.alice.address, true]));
      await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.USDC, await units(f.tokens.USDC, 10_000), walletAddress);

      const buy = await makeOrder(walletAddress, MARKET.ETH, wad(1), ETH_PRICE);
      const sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), ETH_PRICE);
      const sellSig = await signOrder(f.settlement, f.bob, sell);
      const forged = await signOrder(f.settlement, f.alice, buy);
      const settler = f.settlement.connect(f.bob) as Contract;
      await expect(settler.settleTrade(buy, forged, sell, sellSig, wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "InvalidSignature")
        .withArgs(await f.settlement.hashOrder(buy), walletAddress);

      await settler.settleTrade(buy, await signOrder(f.settlement, f.carol, buy), sell, sellSig, wad(1), ETH_PRICE);
      expect(await f.vault.position(walletAddress, MARKET.ETH)).to.equal(wad(1));
    });

    it("reverts when a signature is not the account's and the caller is not its operator", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const { buy, sell, sellSig } = await signedTrade(f, wad(1), ETH_PRICE);
      const forged = await signOrder(f.settlement, f.carol, buy);
      await expect((f.settlement.connect(f.carol) as Contract).settleTrade(buy, forged, sell, sellSig, wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "InvalidSignature")
        .withArgs(await f.settlement.hashOrder(buy), f.alice.address);
    });
  });

  describe("order bookkeeping", () => {
    it("reverts when the order expired", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const latest = await ethers.provider.getBlock("latest");
      const expiry = BigInt(latest!.timestamp + 60);
      const { buy, sell, buySig, sellSig } = await signedTrade(f, wad(1), ETH_PRICE, { expiry });
      await networkHelpers.time.increaseTo(expiry + 1n);
      await setPrice(f.feeds.ETH, ETH_PRICE); // keep the feed fresh
      await expect((f.settlement.connect(f.carol) as Contract).settleTrade(buy, buySig, sell, sellSig, wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "OrderExpired")
        .withArgs(await f.settlement.hashOrder(buy), expiry);
    });

    it("reverts when the order was cancelled, and lets only its account or operator cancel it", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const { buy, sell, buySig, sellSig } = await signedTrade(f, wad(1), ETH_PRICE);
      const buyHash = await f.settlement.hashOrder(buy);
      await expect((f.settlement.connect(f.carol) as Contract).cancelOrder(buy))
        .to.be.revertedWithCustomError(f.settlement, "Unauthorized")
        .withArgs(f.carol.address, f.alice.address);
      await expect((f.settlement.connect(f.alice) as Contract).cancelOrder(buy))
        .to.emit(f.settlement, "OrderCancelled")
        .withArgs(buyHash, f.alice.address);
      expect(await f.settlement.cancelled(buyHash)).to.equal(true);
      await expect((f.settlement.connect(f.carol) as Contract).settleTrade(buy, buySig, sell, sellSig, wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "OrderIsCancelled")
        .withArgs(buyHash);
    });

    it("reverts when the order's nonce was invalidated, and only lets the least nonce grow", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const { buy, sell, buySig, sellSig } = await signedTrade(f, wad(1), ETH_PRICE);
      const asAlice = f.settlement.connect(f.alice) as Contract;
      await expect(asAlice.invalidateNonces(buy.nonce + 1n))
        .to.emit(f.settlement, "NoncesInvalidated")
        .withArgs(f.alice.address, buy.nonce + 1n);
      await expect(asAlice.invalidateNonces(buy.nonce)).to.be.revertedWithCustomError(f.settlement, "OrderNonceInvalidated");
      await expect((f.settlement.connect(f.carol) as Contract).settleTrade(buy, buySig, sell, sellSig, wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "OrderNonceInvalidated")
        .withArgs(await f.settlement.hashOrder(buy), buy.nonce, buy.nonce + 1n);
    });

    it("tracks partial fills and reverts when an order would be over-filled or replayed", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const { buy, sell, buySig, sellSig } = await signedTrade(f, wad(1), ETH_PRICE);
      const buyHash = await f.settlement.hashOrder(buy);
      const settler = f.settlement.connect(f.carol) as Contract;
      await settler.settleTrade(buy, buySig, sell, sellSig, wad(0.25), ETH_PRICE);
      await expect(settler.settleTrade(buy, buySig, sell, sellSig, wad(0.75), ETH_PRICE))
        .to.emit(f.settlement, "OrderFilled")
        .withArgs(buyHash, f.alice.address, wad(0.75), wad(1));
      expect(await f.settlement.filled(buyHash)).to.equal(wad(1));
      await expect(settler.settleTrade(buy, buySig, sell, sellSig, 1n, ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "OrderOverfilled")
        .withArgs(buyHash, wad(1), 1n, wad(1));

      const bigger = await signedTrade(f, wad(1), ETH_PRICE);
      await expect(settler.settleTrade(bigger.buy, bigger.buySig, bigger.sell, bigger.sellSig, wad(1) + 1n, ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "OrderOverfilled")
        .withArgs(await f.settlement.hashOrder(bigger.buy), 0n, wad(1) + 1n, wad(1));
    });

    it("reverts when the two orders are for different markets, on the wrong side, or the size is zero", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const settler = f.settlement.connect(f.carol) as Contract;
      const buy = await makeOrder(f.alice.address, MARKET.BTC, wad(1), ETH_PRICE);
      const sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), ETH_PRICE);
      await expect(settler.settleTrade(buy, "0x", sell, "0x", wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "MarketMismatch")
        .withArgs(MARKET.BTC, MARKET.ETH);

      const wrongBuy = await makeOrder(f.alice.address, MARKET.ETH, wad(-1), ETH_PRICE);
      await expect(settler.settleTrade(wrongBuy, "0x", sell, "0x", wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.settlement, "InvalidOrderSide")
        .withArgs(await f.settlement.hashOrder(wrongBuy), wad(-1));
      const wrongSell = await makeOrder(f.bob.address, MARKET.ETH, wad(1), ETH_PRICE);
      const goodBuy = await makeOrder(f.alice.address, MARKET.ETH, wad(1), ETH_PRICE);
      await expect(settler.settleTrade(goodBuy, "0x", wrongSell, "0x", wad(1), ETH_PRICE)).to.be.revertedWithCustomError(
        f.settlement,
        "InvalidOrderSide",
      );
      await expect(settler.settleTrade(goodBuy, "0x", sell, "0x", 0n, ETH_PRICE)).to.be.revertedWithCustomError(
        f.settlement,
        "ZeroAmount",
      );
    });
  });

  describe("prices", () => {
    it("reverts when the price is above the buyer's limit or below the seller's", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const settler = f.settlement.connect(f.carol) as Contract;
      const buy = await makeOrder(f.alice.address, MARKET.ETH, wad(1), wad(2_300));
      const sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), wad(2_290));
      const [buySig, sellSig] = [await signOrder(f.settlement, f.alice, buy), await signOrder(f.settlement, f.bob, sell)];
      await expect(settler.settleTrade(buy, buySig, sell, sellSig, wad(1), wad(2_301)))
        .to.be.revertedWithCustomError(f.settlement, "LimitPriceExceeded")
        .withArgs(await f.settlement.hashOrder(buy), wad(2_300), wad(2_301));
      await expect(settler.settleTrade(buy, buySig, sell, sellSig, wad(1), wad(2_289)))
        .to.be.revertedWithCustomError(f.settlement, "LimitPriceExceeded")
        .withArgs(await f.settlement.hashOrder(sell), wad(2_290), wad(2_289));
      // Any price between the two limits settles.
      await settler.settleTrade(buy, buySig, sell, sellSig, wad(1), wad(2_295));
      expect(await f.vault.cash(f.alice.address)).to.equal(-wad(2_295));
    });

    it("reverts when the price is outside the band around the oracle price, inclusive at the edge", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const settler = f.settlement.connect(f.carol) as Contract;
      // Band 500 bps of 2,300: [2,185, 2,415].
      const high = await signedTrade(f, wad(1), wad(3_000));
      high.sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), wad(2_000));
      high.sellSig = await signOrder(f.settlement, f.bob, high.sell);
      // The vault checks the band (for every settler); its error reaches the caller unchanged.
      await expect(settler.settleTrade(high.buy, high.buySig, high.sell, high.sellSig, wad(1), wad(2_415) + 1n))
        .to.be.revertedWithCustomError(f.vault, "PriceOutsideBand")
        .withArgs(wad(2_415) + 1n, ETH_PRICE, 500n);
      await settler.settleTrade(high.buy, high.buySig, high.sell, high.sellSig, wad(0.5), wad(2_415));

      const low = await signedTrade(f, wad(1), wad(2_500));
      low.sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), wad(2_000));
      low.sellSig = await signOrder(f.settlement, f.bob, low.sell);
      await expect(
        settler.settleTrade(low.buy, low.buySig, low.sell, low.sellSig, wad(1), wad(2_185) - 1n),
      ).to.be.revertedWithCustomError(f.vault, "PriceOutsideBand");
      await settler.settleTrade(low.buy, low.buySig, low.sell, low.sellSig, wad(0.5), wad(2_185));
    });

    it("reads the vault's band, which only the vault's risk roles set, within its bounds", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      await expect(f.vault.setPriceBand(100n)).to.emit(f.vault, "PriceBandSet").withArgs(500n, 100n);
      expect(await f.settlement.priceBand()).to.equal(100n);
      await expect((f.vault.connect(f.alice) as Contract).setPriceBand(100n))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.alice.address, ethers.id("RISK_STEWARD_ROLE"));
      await expect(f.vault.setPriceBand(0n)).to.be.revertedWithCustomError(f.vault, "InvalidPriceBand").withArgs(0n);
      await expect(f.vault.setPriceBand(5_001n)).to.be.revertedWithCustomError(f.vault, "InvalidPriceBand").withArgs(5_001n);
    });
  });

  describe("vault rules", () => {
    it("reverts when a side would end under initial margin", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      // 20 ETH long on 10,000 USDC: E ~ 10,000, MM = 6,900 + 230 + USD, IM > 10,000.
      const { buy, sell, buySig, sellSig } = await signedTrade(f, wad(20), ETH_PRICE);
      await expect(
        (f.settlement.connect(f.carol) as Contract).settleTrade(buy, buySig, sell, sellSig, wad(20), ETH_PRICE),
      ).to.be.revertedWithCustomError(f.vault, "InsufficientMargin");
    });

    it("accepts a trade that lowers a side's MM without lowering its E - MM, even under IM (spec §5)", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      // Alice: 10 ETH long and cash such that she sits between MM and IM.
      await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
      await f.vault.harnessSetCash(f.alice.address, wad(-28_300));
      const before = await f.vault.accountMargin(f.alice.address);
      expect(before.equity < before.initialMargin).to.equal(true);
      expect(before.equity >= before.maintenanceMargin).to.equal(true);

      // Alice sells 1 ETH at the oracle price to Bob: her MM falls, her equity does not.
      const sell = await makeOrder(f.alice.address, MARKET.ETH, wad(-1), ETH_PRICE);
      const buy = await makeOrder(f.bob.address, MARKET.ETH, wad(1), ETH_PRICE);
      const settler = f.settlement.connect(f.carol) as Contract;
      await settler.settleTrade(buy, await signOrder(f.settlement, f.bob, buy), sell, await signOrder(f.settlement, f.alice, sell), wad(1), ETH_PRICE);
      const after = await f.vault.accountMargin(f.alice.address);
      expect(after.equity < after.initialMargin).to.equal(true);
      expect(after.maintenanceMargin < before.maintenanceMargin).to.equal(true);
      expect(after.equity - after.maintenanceMargin >= before.equity - before.maintenanceMargin).to.equal(true);
    });

    it("refuses a risk-lowering trade under IM that lowers the side's E - MM", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
      await f.vault.harnessSetCash(f.alice.address, wad(-28_300));
      await f.vault.setPriceBand(5_000n);
      // Selling 1 ETH 30% under the oracle loses 690 of equity for ~360 less MM.
      const price = wad(1_610);
      const sell = await makeOrder(f.alice.address, MARKET.ETH, wad(-1), price);
      const buy = await makeOrder(f.bob.address, MARKET.ETH, wad(1), price);
      await expect(
        (f.settlement.connect(f.carol) as Contract).settleTrade(
          buy,
          await signOrder(f.settlement, f.bob, buy),
          sell,
          await signOrder(f.settlement, f.alice, sell),
          wad(1),
          price,
        ),
      )
        .to.be.revertedWithCustomError(f.vault, "InsufficientMargin")
        .withArgs(f.alice.address, wad(4_010), (im: bigint) => im > wad(4_010));
    });

    it("reverts when long open interest would exceed the market's cap", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const config = await f.vault.marketConfig(MARKET.ETH);
      await f.vault.setMarket(MARKET.ETH, config.k, wad(1));
      const { buy, sell, buySig, sellSig } = await signedTrade(f, wad(2), ETH_PRICE);
      const settler = f.settlement.connect(f.carol) as Contract;
      await settler.settleTrade(buy, buySig, sell, sellSig, wad(1), ETH_PRICE);
      await expect(settler.settleTrade(buy, buySig, sell, sellSig, 1n, ETH_PRICE))
        .to.be.revertedWithCustomError(f.vault, "OpenInterestCapExceeded")
        .withArgs(MARKET.ETH, wad(1) + 1n, wad(1));
    });

    it("refuses trades that add risk while paused and settles risk-reducing ones", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      const open = await signedTrade(f, wad(2), ETH_PRICE);
      const settler = f.settlement.connect(f.carol) as Contract;
      await settler.settleTrade(open.buy, open.buySig, open.sell, open.sellSig, wad(2), ETH_PRICE);
      await f.vault.pause();

      const more = await signedTrade(f, wad(1), ETH_PRICE);
      await expect(settler.settleTrade(more.buy, more.buySig, more.sell, more.sellSig, wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.vault, "TradeAddsRiskWhilePaused")
        .withArgs(f.alice.address, MARKET.ETH);

      // Bob (short 2) buys 1 back from Alice (long 2): both shrink.
      const buy = await makeOrder(f.bob.address, MARKET.ETH, wad(1), ETH_PRICE);
      const sell = await makeOrder(f.alice.address, MARKET.ETH, wad(-1), ETH_PRICE);
      await settler.settleTrade(buy, await signOrder(f.settlement, f.bob, buy), sell, await signOrder(f.settlement, f.alice, sell), wad(1), ETH_PRICE);
      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(wad(1));

      // Flipping is not risk-reducing.
      const flipBuy = await makeOrder(f.bob.address, MARKET.ETH, wad(2), ETH_PRICE);
      const flipSell = await makeOrder(f.alice.address, MARKET.ETH, wad(-2), ETH_PRICE);
      await expect(
        settler.settleTrade(flipBuy, await signOrder(f.settlement, f.bob, flipBuy), flipSell, await signOrder(f.settlement, f.alice, flipSell), wad(2), ETH_PRICE),
      ).to.be.revertedWithCustomError(f.vault, "TradeAddsRiskWhilePaused");
    });

    it("lets only the settler role call the vault's settle, and refuses a self-trade", async () => {
      const f = await networkHelpers.loadFixture(fundedPair);
      await expect((f.vault.connect(f.alice) as Contract).settle(f.alice.address, f.bob.address, MARKET.ETH, wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.alice.address, ethers.id("SETTLER_ROLE"));
      const buy = await makeOrder(f.alice.address, MARKET.ETH, wad(1), ETH_PRICE);
      const sell = await makeOrder(f.alice.address, MARKET.ETH, wad(-1), ETH_PRICE);
      await expect((f.settlement.connect(f.alice) as Contract).settleTrade(buy, "0x", sell, "0x", wad(1), ETH_PRICE))
        .to.be.revertedWithCustomError(f.vault, "SelfTrade")
        .withArgs(f.alice.address);
    });
  });
});
