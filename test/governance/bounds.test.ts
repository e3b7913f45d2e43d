/**
 * The steward, guardian and timelock paths of the risk configuration (docs/governance.md): every bounded parameter
 * moves at most the registry's step per update and at most once per interval, the guardian only tightens, and what
 * the steward cannot do needs RISK_ADMIN_ROLE (the timelock).
 */
import { expect } from "chai";
import type { Contract } from "ethers";

import { ASSET, ethers, MARKET, networkHelpers, WAD, wad } from "../fixtures.js";
import { deployGoverned, INTERVAL, maxDelta, PARAM, STEP } from "../helpers/governance.js";

type Governed = Awaited<ReturnType<typeof deployGoverned>>;

/**
 * One bounded parameter: how to read it and how to set it through a vault connected as someone, with its id in the
 * errors and the guardian's direction (+1: up is tighter, -1: down is tighter, 0: the guardian cannot move it).
 */
interface Bounded {
  name: string;
  param: number;
  id: (f: Governed) => Promise<bigint> | bigint;
  read: (f: Governed) => Promise<bigint>;
  write: (f: Governed, v: Contract, value: bigint) => Promise<unknown>;
  tighter: 1 | -1 | 0;
}

const liquidation = async (f: Governed) => (await f.vault.liquidationConfig()) as [bigint, bigint, bigint];
const cashConfig = async (f: Governed) => (await f.cash.cashConfig()) as [bigint, bigint];
const collateral = async (f: Governed) => f.vault.collateralConfig(f.tokens.WETH);
const market = async (f: Governed) => f.vault.marketConfig(MARKET.ETH);
const asset = async (f: Governed) => f.vault.assetConfig(ASSET.ETH);

const BOUNDED: Bounded[] = [
  { name: "scan", param: PARAM.Scan, id: () => BigInt(ASSET.ETH), read: async (f) => (await asset(f)).scan, write: (_f, v, x) => v.setAssetScan(ASSET.ETH, x), tighter: 1 },
  { name: "imFactor", param: PARAM.ImFactor, id: () => 0n, read: (f) => f.vault.imFactor(), write: (_f, v, x) => v.setImFactor(x), tighter: 1 },
  {
    name: "haircut",
    param: PARAM.Haircut,
    id: () => 2n,
    read: async (f) => (await collateral(f)).haircut,
    write: async (f, v, x) => v.setCollateral(f.tokens.WETH, x, (await collateral(f)).depositCap),
    tighter: 1,
  },
  {
    name: "depositCap",
    param: PARAM.DepositCap,
    id: () => 2n,
    read: async (f) => (await collateral(f)).depositCap,
    write: async (f, v, x) => v.setCollateral(f.tokens.WETH, (await collateral(f)).haircut, x),
    tighter: -1,
  },
  {
    name: "k",
    param: PARAM.ContingencyRate,
    id: () => BigInt(MARKET.ETH),
    read: async (f) => (await market(f)).k,
    write: async (f, v, x) => v.setMarket(MARKET.ETH, x, (await market(f)).openInterestCap),
    tighter: 1,
  },
  {
    name: "openInterestCap",
    param: PARAM.OpenInterestCap,
    id: () => BigInt(MARKET.ETH),
    read: async (f) => (await market(f)).openInterestCap,
    write: async (f, v, x) => v.setMarket(MARKET.ETH, (await market(f)).k, x),
    tighter: -1,
  },
  {
    name: "bonusRate",
    param: PARAM.BonusRate,
    id: () => 0n,
    read: async (f) => (await liquidation(f))[0],
    write: async (f, v, x) => {
      const [, share, dust] = await liquidation(f);
      return v.setLiquidationConfig(x, share, dust);
    },
    tighter: 0,
  },
  {
    name: "fundShare",
    param: PARAM.FundShare,
    id: () => 0n,
    read: async (f) => (await liquidation(f))[1],
    write: async (f, v, x) => {
      const [rate, , dust] = await liquidation(f);
      return v.setLiquidationConfig(rate, x, dust);
    },
    tighter: 0,
  },
  {
    name: "dustThreshold",
    param: PARAM.DustThreshold,
    id: () => 0n,
    read: async (f) => (await liquidation(f))[2],
    write: async (f, v, x) => {
      const [rate, share] = await liquidation(f);
      return v.setLiquidationConfig(rate, share, x);
    },
    tighter: 0,
  },
  {
    name: "maxPrice",
    param: PARAM.MaxPrice,
    id: () => BigInt(ASSET.ETH),
    read: async (f) => (await asset(f)).maxPrice,
    write: async (f, v, x) => v.setAssetOracle(ASSET.ETH, f.feeds.ETH, (await asset(f)).heartbeat, (x / 10n ** 9n) * 10n ** 9n),
    tighter: 0,
  },
  {
    name: "heartbeat",
    param: PARAM.Heartbeat,
    id: () => BigInt(ASSET.ETH),
    read: async (f) => (await asset(f)).heartbeat,
    write: async (f, v, x) => v.setAssetOracle(ASSET.ETH, f.feeds.ETH, x, (await asset(f)).maxPrice),
    tighter: 0,
  },
  { name: "priceBand", param: PARAM.PriceBand, id: () => 0n, read: (f) => f.vault.priceBand(), write: (_f, v, x) => v.setPriceBand(x), tighter: -1 },
  {
    name: "settlementDiscount",
    param: PARAM.SettlementDiscount,
    id: () => 0n,
    read: async (f) => (await cashConfig(f))[0],
    write: async (f, v, x) => v.setCashConfig(x, (await cashConfig(f))[1]),
    tighter: 0,
  },
  {
    name: "liquidationGracePeriod",
    param: PARAM.LiquidationGracePeriod,
    id: () => 0n,
    read: async (f) => (await cashConfig(f))[1],
    write: async (f, v, x) => v.setCashConfig((await cashConfig(f))[0], x),
    tighter: 0,
  },
];

describe("Governance bounds", () => {
  describe("steward path (RISK_STEWARD_ROLE)", () => {
    for (const p of BOUNDED) {
      it(`moves ${p.name} by at most the step, once per interval`, async () => {
        const f = await networkHelpers.loadFixture(deployGoverned);
        // The deployment set some of them (a timelock-path change, recorded too): one interval later.
        await networkHelpers.time.increase(INTERVAL);
        const old = await p.read(f);
        const step = maxDelta(old);
        const id = await p.id(f);
        // maxPrice is stored in units of 1e9: one unit past the step.
        const over = p.param === PARAM.MaxPrice ? old + step + 10n ** 9n : old + step + 1n;
        await expect(p.write(f, f.steward, over))
          .to.be.revertedWithCustomError(f.vault, "RiskStepExceeded")
          .withArgs(p.param, id, old, over, step);
        await p.write(f, f.steward, old + step);
        expect(await p.read(f)).to.equal(old + step);
        const changedAt = await f.vault.lastRiskChange(p.param, id);
        expect(changedAt).to.equal(BigInt(await networkHelpers.time.latest()));
        // The same parameter again, even a small move back: not before the interval.
        await expect(p.write(f, f.steward, old))
          .to.be.revertedWithCustomError(f.vault, "RiskChangeTooSoon")
          .withArgs(p.param, id, changedAt + BigInt(INTERVAL));
        await networkHelpers.time.setNextBlockTimestamp(changedAt + BigInt(INTERVAL));
        await p.write(f, f.steward, old + step - maxDelta(old + step));
        expect(await p.read(f)).to.equal(old + step - maxDelta(old + step));
      });
    }

    it("moves a correlation by at most the step in absolute terms (correlations cross zero)", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      const pair = 0n; // pairIndex(0, 1)
      await expect(f.steward.setCorrelation(ASSET.USD, ASSET.BTC, STEP + 1n))
        .to.be.revertedWithCustomError(f.vault, "RiskStepExceeded")
        .withArgs(PARAM.Correlation, pair, 0n, STEP + 1n, STEP);
      await expect(f.steward.setCorrelation(ASSET.BTC, ASSET.USD, -STEP)).to.emit(f.vault, "CorrelationSet").withArgs(ASSET.USD, ASSET.BTC, 0n, -STEP);
      expect(await f.vault.correlation(ASSET.USD, ASSET.BTC)).to.equal(-STEP);
    });

    it("cannot move a parameter off zero (that needs the timelock)", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      const usdc = await f.vault.collateralConfig(f.tokens.USDC);
      expect(usdc.haircut).to.equal(0n);
      await expect(f.steward.setCollateral(f.tokens.USDC, 1n, usdc.depositCap))
        .to.be.revertedWithCustomError(f.vault, "RiskStepExceeded")
        .withArgs(PARAM.Haircut, 0n, 0n, 1n, 0n);
    });

    it("keeps one interval per parameter and id, and an unchanged value is no change", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      const eth = await asset(f);
      const btc = await f.vault.assetConfig(ASSET.BTC);
      await f.steward.setAssetScan(ASSET.ETH, eth.scan + maxDelta(eth.scan));
      // Another asset's scan, and the same market's other value, have their own clocks.
      await f.steward.setAssetScan(ASSET.BTC, btc.scan + maxDelta(btc.scan));
      const m = await market(f);
      await f.steward.setMarket(MARKET.ETH, m.k + maxDelta(m.k), m.openInterestCap);
      await f.steward.setMarket(MARKET.ETH, m.k + maxDelta(m.k), m.openInterestCap - maxDelta(m.openInterestCap));
      expect(await f.vault.lastRiskChange(PARAM.Scan, ASSET.SOL)).to.equal(0n);
    });

    it("cannot list, swap a feed, set the sequencer feed, the fund or the bounds", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      const admin = await f.vault.RISK_ADMIN_ROLE();
      const who = f.stewardSigner.address;
      const eth = await asset(f);
      const calls: (() => Promise<unknown>)[] = [
        () => f.steward.listAsset("X", f.feeds.BTC, 3600, wad("0.1"), wad(100_000)),
        () => f.steward.setAssetOracle(ASSET.ETH, f.feeds.BTC, eth.heartbeat, eth.maxPrice),
        () => f.steward.setSequencerFeed(f.feeds.USD, 3600),
        () => f.steward.listCollateral(f.tokens.WETH, ASSET.ETH, 0, 0),
        () => f.steward.listMarket(ASSET.ETH, 0, 0),
        () => f.steward.setInsuranceFund(ethers.ZeroAddress),
        () => f.steward.setRiskSteps(wad("0.5"), 3600),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount").withArgs(who, admin);
      }
    });
  });

  describe("guardian path (GUARDIAN_ROLE)", () => {
    for (const p of BOUNDED) {
      const verb = p.tighter === 0 ? "cannot move" : p.tighter === 1 ? "may only raise" : "may only lower";
      it(p.tighter === 0 ? `${verb} ${p.name} either way` : `${verb} ${p.name}, within the step`, async () => {
        const f = await networkHelpers.loadFixture(deployGoverned);
        await networkHelpers.time.increase(INTERVAL);
        const old = await p.read(f);
        const step = maxDelta(old);
        const id = await p.id(f);
        const unit = p.param === PARAM.MaxPrice ? 10n ** 9n : 1n;
        // The loosening direction first, from the deployed value.
        for (const direction of p.tighter === 1 ? [-1n, 1n] : [1n, -1n]) {
          const target = old + direction * step;
          const tighter = BigInt(p.tighter) === direction;
          if (!tighter) {
            await expect(p.write(f, f.guardian, target))
              .to.be.revertedWithCustomError(f.vault, "GuardianCannotLoosen")
              .withArgs(p.param, id, old, target);
            continue;
          }
          await expect(p.write(f, f.guardian, target + direction * unit)).to.be.revertedWithCustomError(f.vault, "RiskStepExceeded");
          await p.write(f, f.guardian, target);
          expect(await p.read(f)).to.equal(target);
        }
      });
    }

    it("cannot move a correlation either way", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      const rho = await f.vault.correlation(ASSET.BTC, ASSET.ETH);
      for (const target of [rho + 1n, rho - 1n]) {
        await expect(f.guardian.setCorrelation(ASSET.BTC, ASSET.ETH, target)).to.be.revertedWithCustomError(f.vault, "GuardianCannotLoosen");
      }
    });
  });

  describe("the bounds themselves (RISK_ADMIN_ROLE only)", () => {
    it("starts at the deployment's 10% step and one-day interval, and refuses bounds outside theirs", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      expect(await f.vault.riskSteps()).to.deep.equal([STEP, BigInt(INTERVAL)]);
      for (const [step, interval] of [
        [wad("0.5") + 1n, 3600n],
        [wad("0.1"), 3599n],
        [wad("0.1"), 30n * 86_400n + 1n],
      ] as const) {
        await expect(f.vault.setRiskSteps(step, interval)).to.be.revertedWithCustomError(f.vault, "InvalidRiskSteps").withArgs(step, interval);
      }
      await expect(f.vault.setRiskSteps(wad("0.25"), 3600))
        .to.emit(f.vault, "RiskStepsSet")
        .withArgs(STEP, wad("0.25"), BigInt(INTERVAL), 3600n);
      await expect(f.guardian.setRiskSteps(wad("0.25"), 3600)).to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount");
    });

    it("lets RISK_ADMIN_ROLE (the timelock) set any value inside the absolute bounds, and records it", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      const old = (await asset(f)).scan;
      await expect(f.vault.setAssetScan(ASSET.ETH, WAD)).to.emit(f.vault, "AssetScanSet").withArgs(ASSET.ETH, old, WAD);
      // A steward cannot stack a step on a timelock change inside the interval.
      await expect(f.steward.setAssetScan(ASSET.ETH, WAD - 1n)).to.be.revertedWithCustomError(f.vault, "RiskChangeTooSoon");
    });
  });

  describe("maximum price", () => {
    it("refuses a maximum price below the oracle price, on listing and on update, and accepts it equal", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      const price = wad(2_300);
      const eth = await asset(f);
      await expect(f.vault.setAssetOracle(ASSET.ETH, f.feeds.ETH, eth.heartbeat, price - 10n ** 9n))
        .to.be.revertedWithCustomError(f.vault, "MaxPriceBelowOraclePrice")
        .withArgs(ASSET.ETH, price - 10n ** 9n, price);
      await expect(f.vault.listAsset("ETH2", f.feeds.ETH, 3600, wad("0.1"), wad(2_000)))
        .to.be.revertedWithCustomError(f.vault, "MaxPriceBelowOraclePrice")
        .withArgs(6, wad(2_000), price);
      await expect(f.vault.setAssetOracle(ASSET.ETH, f.feeds.ETH, eth.heartbeat, price))
        .to.emit(f.vault, "AssetOracleSet")
        .withArgs(ASSET.ETH, await f.feeds.ETH.getAddress(), await f.feeds.ETH.getAddress(), eth.heartbeat, eth.heartbeat, eth.maxPrice, price);
    });
  });

  describe("price band", () => {
    it("is the vault's, read through the settlement, and checked for any settler", async () => {
      const f = await networkHelpers.loadFixture(deployGoverned);
      expect(await f.vault.priceBand()).to.equal(500n);
      expect(await f.settlement.priceBand()).to.equal(500n);
      await f.vault.grantRole(await f.vault.SETTLER_ROLE(), f.settlerSigner.address);
      await f.vault.harnessSetBalance(f.alice.address, f.tokens.USDC, 100_000n * 10n ** 6n);
      await f.vault.harnessSetBalance(f.bob.address, f.tokens.USDC, 100_000n * 10n ** 6n);
      const settler = f.vault.connect(f.settlerSigner) as Contract;
      const oracle = wad(2_300);
      const edge = (oracle * 10_500n) / 10_000n;
      await expect(settler.settle(f.alice.address, f.bob.address, MARKET.ETH, wad(1), edge + 1n))
        .to.be.revertedWithCustomError(f.vault, "PriceOutsideBand")
        .withArgs(edge + 1n, oracle, 500n);
      await settler.settle(f.alice.address, f.bob.address, MARKET.ETH, wad(1), edge);
      await expect(f.vault.setPriceBand(0)).to.be.revertedWithCustomError(f.vault, "InvalidPriceBand").withArgs(0n);
      await expect(f.vault.setPriceBand(5_001)).to.be.revertedWithCustomError(f.vault, "InvalidPriceBand").withArgs(5_001n);
      await expect(f.vault.setPriceBand(100)).to.emit(f.vault, "PriceBandSet").withArgs(500n, 100n);
      expect(await f.settlement.priceBand()).to.equal(100n);
    });
  });
});
