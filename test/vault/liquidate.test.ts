import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, units, wad } from "../fixtures.js";

const WAD = 10n ** 18n;
const position = (id: number, amount: bigint) => ({ collateral: false, id, amount });
const collateral = (id: number, amount: bigint) => ({ collateral: true, id, amount });
const USDC_ID = 0;
const WETH_ID = 2;

/**
 * Alice: 10,000 USDC, 10 ETH long bought at 2,300 (cash -23,000). At ETH = 1,500: E = 2,000 < MM ~ 2,334.
 * Carol, the liquidator, holds 50,000 USDC.
 */
async function underwaterLong() {
  const f = await deployDefault();
  await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.USDC, await units(f.tokens.USDC, 10_000), f.alice.address);
  await (f.vault.connect(f.carol) as Contract).deposit(f.tokens.USDC, await units(f.tokens.USDC, 50_000), f.carol.address);
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
  await f.vault.harnessSetCash(f.alice.address, wad(-23_000));
  await setPrice(f.feeds.ETH, wad(1_500));
  return f;
}

const slack = async (vault: Contract, account: string): Promise<bigint> => {
  const m = await vault.accountMargin(account);
  return (m.equity as bigint) - (m.maintenanceMargin as bigint);
};

describe("MarginVault.liquidate", () => {
  describe("taking over", () => {
    it("takes over a long at the oracle price less the discount and splits the penalty with the fund", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      const fund = await f.insuranceFund.getAddress();
      const slackBefore = await slack(f.vault, f.alice.address);
      const asCarol = f.vault.connect(f.carol) as Contract;

      // 5 ETH at 1,500 * 0.98 = 1,470; penalty 2% of 7,500 = 150, half to the fund.
      await expect(asCarol.liquidate(f.alice.address, [position(MARKET.ETH, wad(5))]))
        .to.emit(f.vault, "Liquidated")
        .withArgs(f.alice.address, f.carol.address, wad(7_500), wad(150), wad(75));

      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(wad(5));
      expect(await f.vault.position(f.carol.address, MARKET.ETH)).to.equal(wad(5));
      expect(await f.vault.cash(f.alice.address)).to.equal(wad(-23_000 + 7_350 - 150));
      expect(await f.vault.cash(f.carol.address)).to.equal(wad(-7_350 + 75));
      expect(await f.vault.cash(fund)).to.equal(wad(75));
      expect(await slack(f.vault, f.alice.address)).to.be.greaterThan(slackBefore);
      // Position transfers never raise the long open interest.
      expect((await f.vault.marketConfig(MARKET.ETH)).openInterest).to.equal(wad(10));
    });

    it("takes over a short at the oracle price plus the discount", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(-10));
      await f.vault.harnessSetCash(f.alice.address, wad(7_000)); // sold at 1,500 - 800 of losses: E = 2,000
      await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [position(MARKET.ETH, wad(5))]);
      // The liquidator sells 5 ETH to Alice at 1,530.
      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(wad(-5));
      expect(await f.vault.position(f.carol.address, MARKET.ETH)).to.equal(wad(-5));
      expect(await f.vault.cash(f.alice.address)).to.equal(wad(7_000 - 7_650 - 150));
      expect(await f.vault.cash(f.carol.address)).to.equal(wad(7_650 + 75));
    });

    it("seizes collateral at the oracle price less the collateral discount and moves the balance", async () => {
      const f = await networkHelpers.loadFixture(deployDefault);
      await (f.vault.connect(f.carol) as Contract).deposit(f.tokens.USDC, await units(f.tokens.USDC, 50_000), f.carol.address);
      await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.WETH, wad(10), f.alice.address);
      await f.vault.harnessSetCash(f.alice.address, wad(-15_000));
      await setPrice(f.feeds.ETH, wad(1_800)); // E = 3,000 < MM = 2,700 + 360
      const weth = await f.tokens.WETH.getAddress();

      // 5 WETH at 1,800 * 0.98 = 1,764; penalty 2% of 9,000 = 180.
      await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [collateral(WETH_ID, wad(5))]))
        .to.emit(f.vault, "CollateralTransferred")
        .withArgs(f.alice.address, f.carol.address, weth, wad(5), wad(5), wad(5));
      expect(await f.vault.collateralBalance(f.alice.address, weth)).to.equal(wad(5));
      expect(await f.vault.collateralBalance(f.carol.address, weth)).to.equal(wad(5));
      expect(await f.vault.cash(f.alice.address)).to.equal(wad(-15_000 + 8_820 - 180));
      expect(await f.vault.cash(f.carol.address)).to.equal(wad(-8_820 + 90));
      // The token total is unchanged: the collateral moved inside the vault.
      expect((await f.vault.collateralConfig(weth)).totalDeposits).to.equal(wad(10));
    });

    it("stops while paused and for the grace period after (test/vault/pause.test.ts)", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      await f.vault.pause();
      await expect(
        (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [position(MARKET.ETH, wad(5))]),
      ).to.be.revertedWithCustomError(f.vault, "LiquidationPaused");
    });
  });

  describe("refusals", () => {
    it("reverts when the account is healthy", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      await setPrice(f.feeds.ETH, wad(2_300));
      const m = await f.vault.accountMargin(f.alice.address);
      await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [position(MARKET.ETH, wad(1))]))
        .to.be.revertedWithCustomError(f.vault, "AccountHealthy")
        .withArgs(f.alice.address, m.equity, m.maintenanceMargin);
    });

    it("reverts on an empty item list and on a self-liquidation", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [])).to.be.revertedWithCustomError(
        f.vault,
        "EmptyLiquidation",
      );
      await expect((f.vault.connect(f.alice) as Contract).liquidate(f.alice.address, [position(MARKET.ETH, wad(1))]))
        .to.be.revertedWithCustomError(f.vault, "SelfLiquidation")
        .withArgs(f.alice.address);
    });

    it("reverts when an item is larger than the position or balance, or zero", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      const asCarol = f.vault.connect(f.carol) as Contract;
      await expect(asCarol.liquidate(f.alice.address, [position(MARKET.ETH, wad(10) + 1n)]))
        .to.be.revertedWithCustomError(f.vault, "LiquidationItemTooLarge")
        .withArgs(false, MARKET.ETH, wad(10) + 1n, wad(10));
      await expect(asCarol.liquidate(f.alice.address, [position(MARKET.BTC, 1n)]))
        .to.be.revertedWithCustomError(f.vault, "LiquidationItemTooLarge")
        .withArgs(false, MARKET.BTC, 1n, 0n);
      await expect(asCarol.liquidate(f.alice.address, [collateral(USDC_ID, 10_000n * 10n ** 6n + 1n)]))
        .to.be.revertedWithCustomError(f.vault, "LiquidationItemTooLarge")
        .withArgs(true, USDC_ID, 10_000n * 10n ** 6n + 1n, 10_000n * 10n ** 6n);
      await expect(asCarol.liquidate(f.alice.address, [position(MARKET.ETH, 0n)])).to.be.revertedWithCustomError(
        f.vault,
        "LiquidationItemTooLarge",
      );
    });

    it("reverts when the liquidator would end under initial margin", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      const [, , , , dave] = await ethers.getSigners();
      await expect((f.vault.connect(dave) as Contract).liquidate(f.alice.address, [position(MARKET.ETH, wad(5))]))
        .to.be.revertedWithCustomError(f.vault, "InsufficientMargin")
        .withArgs(dave.address, (e: bigint) => e > 0n, (im: bigint) => im > 0n);
    });

    it("reverts when the discount and penalty cost the account more than the margin they free", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      await f.vault.setLiquidationDiscount(MARKET.ETH, wad(0.2));
      await f.vault.setLiquidationConfig(wad(0.1), wad(0.5), 0n);
      await expect(
        (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [position(MARKET.ETH, wad(1))]),
      ).to.be.revertedWithCustomError(f.vault, "LiquidationDidNotImproveHealth");
    });
  });

  describe("partial liquidation", () => {
    it("accepts several items when each is needed to get back to initial margin", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      // After 3 ETH the account is still under IM, so the last item (2 ETH) is needed.
      await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [
        position(MARKET.ETH, wad(3)),
        position(MARKET.ETH, wad(2)),
      ]);
      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(wad(5));
    });

    it("reverts when the account was back at initial margin before the last item", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      // After 9 ETH: E = 2,000 - 9 * (30 + 30) = 1,460 with MM ~ 309 and IM ~ 463.
      await expect(
        (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [
          position(MARKET.ETH, wad(9)),
          position(MARKET.ETH, wad(1)),
        ]),
      )
        .to.be.revertedWithCustomError(f.vault, "LiquidationExceedsInitialMargin")
        .withArgs(f.alice.address, wad(1_460), (im: bigint) => im < wad(1_460));
    });

    it("lets the last item go past initial margin when what remains is dust", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      // What remains after 9 ETH: 1 ETH (1,500) and 10,000 USDC, under a 20,000 USD threshold.
      await f.vault.setLiquidationConfig(wad(0.02), wad(0.5), wad(20_000));
      await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [
        position(MARKET.ETH, wad(9)),
        position(MARKET.ETH, wad(1)),
      ]);
      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(0n);
    });

    it("lets the last item go past initial margin when the account is insolvent", async () => {
      const f = await networkHelpers.loadFixture(underwaterLong);
      await setPrice(f.feeds.ETH, wad(1_100)); // E = 10,000 + 11,000 - 23,000 = -2,000
      await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [
        position(MARKET.ETH, wad(4)),
        position(MARKET.ETH, wad(6)),
      ]);
      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(0n);
    });
  });

  describe("configuration", () => {
    it("lets only the risk admin set discounts, penalty, fund share and dust, within bounds", async () => {
      const f = await networkHelpers.loadFixture(deployDefault);
      const weth = await f.tokens.WETH.getAddress();
      await expect(f.vault.setLiquidationDiscount(MARKET.ETH, wad(0.03)))
        .to.emit(f.vault, "LiquidationDiscountSet")
        .withArgs(MARKET.ETH, wad(0.03));
      await expect(f.vault.setCollateralLiquidationDiscount(weth, wad(0.04)))
        .to.emit(f.vault, "CollateralLiquidationDiscountSet")
        .withArgs(weth, wad(0.04));
      expect(await f.vault.liquidationDiscounts(MARKET.ETH, weth)).to.deep.equal([wad(0.03), wad(0.04)]);
      await expect(f.vault.setLiquidationConfig(wad(0.05), wad(0.3), wad(10)))
        .to.emit(f.vault, "LiquidationConfigSet")
        .withArgs(wad(0.05), wad(0.3), wad(10));
      expect(await f.vault.liquidationConfig()).to.deep.equal([wad(0.05), wad(0.3), wad(10)]);

      await expect(f.vault.setLiquidationDiscount(MARKET.ETH, wad(0.2) + 1n))
        .to.be.revertedWithCustomError(f.vault, "InvalidLiquidationDiscount")
        .withArgs(wad(0.2) + 1n);
      await expect(f.vault.setCollateralLiquidationDiscount(weth, wad(0.2) + 1n)).to.be.revertedWithCustomError(
        f.vault,
        "InvalidLiquidationDiscount",
      );
      await expect(f.vault.setLiquidationConfig(wad(0.1) + 1n, 0n, 0n))
        .to.be.revertedWithCustomError(f.vault, "InvalidLiquidationPenalty")
        .withArgs(wad(0.1) + 1n, 0n);
      await expect(f.vault.setLiquidationConfig(0n, WAD + 1n, 0n)).to.be.revertedWithCustomError(
        f.vault,
        "InvalidLiquidationPenalty",
      );
      const asAlice = f.vault.connect(f.alice) as Contract;
      await expect(asAlice.setLiquidationDiscount(MARKET.ETH, 0n)).to.be.revertedWithCustomError(
        f.vault,
        "AccessControlUnauthorizedAccount",
      );
      await expect(asAlice.setLiquidationConfig(0n, 0n, 0n)).to.be.revertedWithCustomError(
        f.vault,
        "AccessControlUnauthorizedAccount",
      );
      await expect(asAlice.setInsuranceFund(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        f.vault,
        "AccessControlUnauthorizedAccount",
      );
    });
  });
});
