import { expect } from "chai";
import type { Contract } from "ethers";

import { ASSET, defaultConfig, deployDefault, ethers, MARKET, networkHelpers, WAD, wad } from "../fixtures.js";

const MAX_EXPOSURE = 10n ** 28n;

describe("RiskRegistry", () => {
  describe("the default deployment (Ignition module, spec §7)", () => {
    it("lists every asset, correlation, collateral token and market of the parameters file", async () => {
      const { vault } = await networkHelpers.loadFixture(deployDefault);
      const config = defaultConfig();
      const [assets, collaterals, markets] = await vault.listingCounts();
      expect([assets, collaterals, markets]).to.deep.equal([
        BigInt(config.assets.length),
        BigInt(config.collateral.length),
        BigInt(config.markets.length),
      ]);
      for (const [id, asset] of config.assets.entries()) {
        const onchain = await vault.assetConfig(id);
        expect(onchain.scan).to.equal(asset.scan);
        expect(onchain.maxPrice).to.equal(asset.maxPrice);
        expect(onchain.heartbeat).to.equal(BigInt(asset.heartbeat));
      }
      expect(await vault.correlation(ASSET.BTC, ASSET.ETH)).to.equal(wad("0.8"));
      expect(await vault.correlation(ASSET.DOGE, ASSET.LINK)).to.equal(wad("0.4"));
      expect(await vault.correlation(ASSET.USD, ASSET.BTC)).to.equal(0n);
      expect(await vault.correlation(ASSET.SOL, ASSET.SOL)).to.equal(WAD);
      expect(await vault.imFactor()).to.equal(wad("1.5"));
      expect((await vault.marketConfig(MARKET.DOGE)).k).to.equal(wad("0.015"));
    });
  });

  describe("access control", () => {
    it("reverts every configuration change from an account without a risk role, naming the least role that may", async () => {
      const { vault, tokens, feeds, alice } = await networkHelpers.loadFixture(deployDefault);
      const v = vault.connect(alice) as Contract;
      // Listings and feeds need RISK_ADMIN_ROLE (the timelock); bounded parameters accept the steward's step.
      const admin = await vault.RISK_ADMIN_ROLE();
      const steward = await vault.RISK_STEWARD_ROLE();
      const calls: [() => Promise<unknown>, string][] = [
        [() => v.listAsset("X", feeds.BTC, 3600, wad("0.1"), wad(1)), admin],
        [() => v.setAssetOracle(ASSET.BTC, feeds.BTC, 3600, wad(1)), steward],
        [() => v.setAssetScan(ASSET.BTC, wad("0.1")), steward],
        [() => v.setCorrelation(ASSET.BTC, ASSET.ETH, 0), steward],
        [() => v.setImFactor(wad(2)), steward],
        [() => v.setSequencerFeed(feeds.USD, 3600), admin],
        [() => v.listCollateral(tokens.WETH, ASSET.ETH, 0, 0), admin],
        [() => v.setCollateral(tokens.WETH, 0, 0), steward],
        [() => v.listMarket(ASSET.ETH, 0, 0), admin],
        [() => v.setMarket(MARKET.ETH, 0, 0), steward],
        [() => v.setLiquidationConfig(0, 0, 0), steward],
        [() => v.setInsuranceFund(ethers.ZeroAddress), admin],
        [() => v.setPriceBand(100), steward],
        [() => v.setCashConfig(0, 0), steward],
        [() => v.setRiskSteps(0, 3600), admin],
      ];
      for (const [call, role] of calls) {
        await expect(call()).to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount").withArgs(alice.address, role);
      }
    });
  });

  describe("bounds", () => {
    it("refuses a scan outside (0, 1]", async () => {
      const { vault } = await networkHelpers.loadFixture(deployDefault);
      await expect(vault.setAssetScan(ASSET.BTC, 0)).to.be.revertedWithCustomError(vault, "InvalidScan").withArgs(0);
      await expect(vault.setAssetScan(ASSET.BTC, WAD + 1n)).to.be.revertedWithCustomError(vault, "InvalidScan").withArgs(WAD + 1n);
      await expect(vault.setAssetScan(ASSET.BTC, WAD)).to.emit(vault, "AssetScanSet").withArgs(ASSET.BTC, wad("0.12"), WAD);
    });

    it("refuses a correlation above 1 in absolute value or of an asset with itself, and stores it symmetrically", async () => {
      const { vault } = await networkHelpers.loadFixture(deployDefault);
      await expect(vault.setCorrelation(ASSET.BTC, ASSET.ETH, WAD + 1n))
        .to.be.revertedWithCustomError(vault, "InvalidCorrelation")
        .withArgs(ASSET.BTC, ASSET.ETH, WAD + 1n);
      await expect(vault.setCorrelation(ASSET.BTC, ASSET.ETH, -WAD - 1n)).to.be.revertedWithCustomError(vault, "InvalidCorrelation");
      await expect(vault.setCorrelation(ASSET.BTC, ASSET.BTC, 0)).to.be.revertedWithCustomError(vault, "InvalidCorrelation");
      await expect(vault.setCorrelation(ASSET.ETH, ASSET.BTC, -WAD))
        .to.emit(vault, "CorrelationSet")
        .withArgs(ASSET.BTC, ASSET.ETH, wad("0.8"), -WAD);
      expect(await vault.correlation(ASSET.BTC, ASSET.ETH)).to.equal(-WAD);
      expect(await vault.correlation(ASSET.ETH, ASSET.BTC)).to.equal(-WAD);
    });

    it("refuses an initial margin factor below 1 or above 10", async () => {
      const { vault } = await networkHelpers.loadFixture(deployDefault);
      await expect(vault.setImFactor(WAD - 1n)).to.be.revertedWithCustomError(vault, "InvalidImFactor").withArgs(WAD - 1n);
      await expect(vault.setImFactor(10n * WAD + 1n)).to.be.revertedWithCustomError(vault, "InvalidImFactor");
      await expect(vault.setImFactor(WAD)).to.emit(vault, "ImFactorSet").withArgs(wad("1.5"), WAD);
    });

    it("refuses a haircut or contingency rate above 1", async () => {
      const { vault, tokens } = await networkHelpers.loadFixture(deployDefault);
      await expect(vault.setCollateral(tokens.WETH, WAD + 1n, 0)).to.be.revertedWithCustomError(vault, "InvalidHaircut");
      await expect(vault.setMarket(MARKET.ETH, WAD + 1n, 0)).to.be.revertedWithCustomError(vault, "InvalidContingency");
      await expect(vault.listMarket(ASSET.ETH, WAD + 1n, 0)).to.be.revertedWithCustomError(vault, "InvalidContingency");
      const token: Contract = await ethers.deployContract("MockERC20", ["T", "T", 18]);
      await expect(vault.listCollateral(token, ASSET.ETH, WAD + 1n, 0)).to.be.revertedWithCustomError(vault, "InvalidHaircut");
    });

    it("refuses a zero or too long heartbeat, a zero max price and a feed with more than 18 decimals", async () => {
      const { vault, feeds } = await networkHelpers.loadFixture(deployDefault);
      await expect(vault.setAssetOracle(ASSET.BTC, feeds.BTC, 0, wad(1))).to.be.revertedWithCustomError(vault, "InvalidHeartbeat");
      await expect(vault.setAssetOracle(ASSET.BTC, feeds.BTC, 7 * 86400 + 1, wad(1))).to.be.revertedWithCustomError(
        vault,
        "InvalidHeartbeat",
      );
      await expect(vault.setAssetOracle(ASSET.BTC, feeds.BTC, 3600, 0)).to.be.revertedWithCustomError(vault, "InvalidMaxPrice");
      await expect(vault.setAssetOracle(ASSET.BTC, ethers.ZeroAddress, 3600, wad(1))).to.be.revertedWithCustomError(
        vault,
        "ZeroAddress",
      );
      const feed19: Contract = await ethers.deployContract("MockAggregator", [19, 1n, "19 decimals"]);
      await expect(vault.setAssetOracle(ASSET.BTC, feed19, 3600, wad(1)))
        .to.be.revertedWithCustomError(vault, "InvalidFeedDecimals")
        .withArgs(await feed19.getAddress(), 19);
    });

    it("refuses a token with more than 18 decimals, a token listed twice and an unlisted asset", async () => {
      const { vault, tokens } = await networkHelpers.loadFixture(deployDefault);
      const token19: Contract = await ethers.deployContract("MockERC20", ["T19", "T19", 19]);
      await expect(vault.listCollateral(token19, ASSET.ETH, 0, 0))
        .to.be.revertedWithCustomError(vault, "InvalidTokenDecimals")
        .withArgs(await token19.getAddress(), 19);
      await expect(vault.listCollateral(tokens.WETH, ASSET.ETH, 0, 0)).to.be.revertedWithCustomError(vault, "CollateralAlreadyListed");
      const token: Contract = await ethers.deployContract("MockERC20", ["T", "T", 18]);
      await expect(vault.listCollateral(token, 6, 0, 0)).to.be.revertedWithCustomError(vault, "AssetNotListed").withArgs(6);
      await expect(vault.listMarket(6, 0, 0)).to.be.revertedWithCustomError(vault, "AssetNotListed").withArgs(6);
      await expect(vault.setMarket(5, 0, 0)).to.be.revertedWithCustomError(vault, "MarketNotListed").withArgs(5);
      await expect(vault.setCollateral(token, 0, 0)).to.be.revertedWithCustomError(vault, "CollateralNotListed");
    });

    it("refuses caps that, at the asset's maximum price, could take an account past the exact range", async () => {
      const { vault, tokens } = await networkHelpers.loadFixture(deployDefault);
      // ETH: max price 100,000 USD; markets hold 50,000 ETH of open interest cap. Room left: 1e10 / 1e5 - 50,000.
      const room = MAX_EXPOSURE / wad(100_000) - 50_000n; // whole ETH
      await vault.setCollateral(tokens.WETH, wad("0.02"), room * WAD);
      await expect(vault.setCollateral(tokens.WETH, wad("0.02"), room * WAD + 1n))
        .to.be.revertedWithCustomError(vault, "AssetCapsExceedRange")
        .withArgs(ASSET.ETH, (room + 50_000n) * WAD + 1n, wad(100_000));
      await expect(vault.setMarket(MARKET.ETH, wad("0.005"), wad(100_000))).to.be.revertedWithCustomError(vault, "AssetCapsExceedRange");
      await expect(vault.setAssetOracle(ASSET.ETH, await vault.assetConfig(ASSET.ETH).then((c: any) => c.feed), 3600, 10n ** 27n))
        .to.be.revertedWithCustomError(vault, "AssetCapsExceedRange");
    });

    it("stops listing at 16 assets", async () => {
      const { vault, feeds } = await networkHelpers.loadFixture(deployDefault);
      for (let i = 6; i < 16; i++) await vault.listAsset(`A${i}`, feeds.USD, 3600, wad("0.1"), wad(1));
      await expect(vault.listAsset("A16", feeds.USD, 3600, wad("0.1"), wad(1)))
        .to.be.revertedWithCustomError(vault, "TooManyListings")
        .withArgs(16);
    });
  });

  describe("events", () => {
    it("emits one event per change, with the old and new values", async () => {
      const { vault, tokens, feeds } = await networkHelpers.loadFixture(deployDefault);
      const feed = await feeds.SOL.getAddress();
      await expect(vault.listAsset("XRP", feed, 600, wad("0.3"), wad(100)))
        .to.emit(vault, "AssetListed")
        .withArgs(6, "XRP", feed, 600, wad("0.3"), wad(100));
      await expect(vault.setAssetOracle(6, feed, 900, wad(150)))
        .to.emit(vault, "AssetOracleSet")
        .withArgs(6, feed, feed, 600, 900, wad(100), wad(150));
      await expect(vault.listMarket(6, wad("0.02"), wad(1000)))
        .to.emit(vault, "MarketListed")
        .withArgs(5, 6, wad("0.02"), wad(1000));
      await expect(vault.setMarket(5, wad("0.03"), wad(10))).to.emit(vault, "MarketSet").withArgs(5, wad("0.02"), wad("0.03"), wad(1000), wad(10));
      const token: Contract = await ethers.deployContract("MockERC20", ["Ripple", "XRP", 6]);
      await expect(vault.listCollateral(token, 6, wad("0.1"), 10n ** 9n))
        .to.emit(vault, "CollateralListed")
        .withArgs(await token.getAddress(), 6, 6, 6, wad("0.1"), 10n ** 9n);
      await expect(vault.setCollateral(tokens.USDC, 0, 5n))
        .to.emit(vault, "CollateralSet")
        .withArgs(await tokens.USDC.getAddress(), 0, 0, 10n ** 15n, 5n);
      await expect(vault.setSequencerFeed(feed, 3600)).to.emit(vault, "SequencerFeedSet").withArgs(ethers.ZeroAddress, feed, 0, 3600);
      await expect(vault.setLiquidationConfig(wad("0.1"), wad("0.2"), wad(50)))
        .to.emit(vault, "LiquidationConfigSet")
        .withArgs(wad("0.2"), wad("0.1"), wad("0.5"), wad("0.2"), wad(100), wad(50));
      await expect(vault.setCashConfig(wad("0.02"), 600)).to.emit(vault, "CashConfigSet").withArgs(wad("0.01"), wad("0.02"), 3600, 600);
      await expect(vault.setSequencerFeed(feed, 86401)).to.be.revertedWithCustomError(vault, "InvalidGracePeriod");
    });
  });
});
