/**
 * Attack catalogue, governance (docs/security.md, docs/governance.md): what a risk steward, a guardian, a second
 * settler, a leaked deployer key or a hasty admin could do to traders through the risk configuration, and what stops
 * it. Each test names the attack and shows it failing to harm anyone.
 */
import { expect } from "chai";
import type { Contract } from "ethers";

import { buildPortfolioMarginModule } from "../../ignition/modules/PortfolioMargin.js";
import { ASSET, defaultConfig, ethers, ignition, MARKET, networkHelpers, WAD, wad } from "../fixtures.js";
import { deployGoverned, INTERVAL, maxDelta, PARAM, STEP, TIMELOCK_DELAY } from "../helpers/governance.js";

type Governed = Awaited<ReturnType<typeof deployGoverned>>;

const USDC = (x: bigint) => x * 10n ** 6n;
const ETH_PRICE = wad(2_300);

/**
 * Alice holds 10 ETH long on 10,000 USDC with 23,000 of debt, and Bob a BTC/ETH hedge (1 BTC long, 18 ETH short) on
 * 20,000 USDC; both well above maintenance margin. Carol holds the matching cash, so that the book balances.
 */
async function booked() {
  const f = await deployGoverned();
  for (const [user, amount] of [
    [f.alice, 10_000n],
    [f.bob, 20_000n],
  ] as const) {
    await (f.vault.connect(user) as Contract).deposit(f.tokens.USDC, USDC(amount), user.address);
  }
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
  await f.vault.harnessSetCash(f.alice.address, wad(-23_000));
  await f.vault.harnessSetPosition(f.bob.address, MARKET.BTC, wad(1));
  await f.vault.harnessSetPosition(f.bob.address, MARKET.ETH, wad(-18));
  await f.vault.harnessSetCash(f.bob.address, wad(-42_000 + 18 * 2_300));
  await f.vault.harnessSetCash(f.carol.address, wad(23_000 + 42_000 - 18 * 2_300));
  return f;
}

/** E - MM of `account` (WAD). */
async function slack(f: Governed, account: string): Promise<bigint> {
  const m: { equity: bigint; maintenanceMargin: bigint } = await f.vault.accountMargin(account);
  return m.equity - m.maintenanceMargin;
}

/** The deployer gives up its roles, as the hand-over does: the timelock is then the only RISK_ADMIN_ROLE holder. */
async function handOver(f: Governed) {
  for (const role of [await f.vault.RISK_ADMIN_ROLE(), await f.vault.GUARDIAN_ROLE(), await f.vault.DEFAULT_ADMIN_ROLE()]) {
    await f.vault.renounceRole(role, f.admin.address);
  }
}

describe("Attacks: governance", () => {
  it("risk steward cannot raise a scan beyond the step in one call", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const scan = (await f.vault.assetConfig(ASSET.ETH)).scan;
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
    // The review's attack: scan 100% in one block makes every ETH holder liquidatable.
    await expect(f.steward.setAssetScan(ASSET.ETH, WAD))
      .to.be.revertedWithCustomError(f.vault, "RiskStepExceeded")
      .withArgs(PARAM.Scan, ASSET.ETH, scan, WAD, maxDelta(scan));
    expect((await f.vault.assetConfig(ASSET.ETH)).scan).to.equal(scan);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
  });

  it("two calls in the same interval cannot compound a step", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const scan = (await f.vault.assetConfig(ASSET.ETH)).scan;
    const once = scan + maxDelta(scan);
    await f.steward.setAssetScan(ASSET.ETH, once);
    const changedAt = BigInt(await networkHelpers.time.latest());
    await expect(f.steward.setAssetScan(ASSET.ETH, once + maxDelta(once)))
      .to.be.revertedWithCustomError(f.vault, "RiskChangeTooSoon")
      .withArgs(PARAM.Scan, ASSET.ETH, changedAt + BigInt(INTERVAL));
    // Nor through the guardian's path, which shares the parameter's clock.
    await expect(f.guardian.setAssetScan(ASSET.ETH, once + 1n)).to.be.revertedWithCustomError(f.vault, "RiskChangeTooSoon");
    // One second before the interval ends, still refused.
    await networkHelpers.time.setNextBlockTimestamp(changedAt + BigInt(INTERVAL) - 1n);
    await expect(f.steward.setAssetScan(ASSET.ETH, once + maxDelta(once))).to.be.revertedWithCustomError(f.vault, "RiskChangeTooSoon");
    expect((await f.vault.assetConfig(ASSET.ETH)).scan).to.equal(once);
  });

  it("guardian cannot loosen a haircut", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const weth = await f.vault.collateralConfig(f.tokens.WETH);
    const lower = weth.haircut - maxDelta(weth.haircut);
    await expect(f.guardian.setCollateral(f.tokens.WETH, lower, weth.depositCap))
      .to.be.revertedWithCustomError(f.vault, "GuardianCannotLoosen")
      .withArgs(PARAM.Haircut, 2n, weth.haircut, lower);
    expect((await f.vault.collateralConfig(f.tokens.WETH)).haircut).to.equal(weth.haircut);
  });

  it("guardian cannot widen the price band, raise a cap or lower a scan", async () => {
    const f = await networkHelpers.loadFixture(booked);
    await networkHelpers.time.increase(INTERVAL); // past the deployment's own settings
    await expect(f.guardian.setPriceBand(550n)).to.be.revertedWithCustomError(f.vault, "GuardianCannotLoosen").withArgs(PARAM.PriceBand, 0n, 500n, 550n);
    const m = await f.vault.marketConfig(MARKET.ETH);
    await expect(f.guardian.setMarket(MARKET.ETH, m.k, m.openInterestCap + 1n)).to.be.revertedWithCustomError(f.vault, "GuardianCannotLoosen");
    const scan = (await f.vault.assetConfig(ASSET.ETH)).scan;
    await expect(f.guardian.setAssetScan(ASSET.ETH, scan - 1n)).to.be.revertedWithCustomError(f.vault, "GuardianCannotLoosen");
    // Nor move the parameters where no direction protects everyone (a correlation, the liquidation bonus).
    await expect(f.guardian.setCorrelation(ASSET.BTC, ASSET.ETH, wad("0.85"))).to.be.revertedWithCustomError(f.vault, "GuardianCannotLoosen");
    await expect(f.guardian.setLiquidationConfig(wad("0.21"), wad("0.5"), wad(100))).to.be.revertedWithCustomError(f.vault, "GuardianCannotLoosen");
  });

  it("a non-timelock caller cannot bypass the delay", async () => {
    const f = await networkHelpers.loadFixture(booked);
    await handOver(f);
    const scan = (await f.vault.assetConfig(ASSET.ETH)).scan;
    // Every key but the timelock's is bounded: the deployer (now only a proposer), the steward, anyone.
    await expect(f.steward.setAssetScan(ASSET.ETH, WAD)).to.be.revertedWithCustomError(f.vault, "RiskStepExceeded");
    for (const [v, who] of [
      [f.vault, f.admin.address],
      [f.vault.connect(f.alice) as Contract, f.alice.address],
    ] as const) {
      await expect(v.setAssetScan(ASSET.ETH, WAD))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(who, await f.vault.RISK_STEWARD_ROLE());
    }
    // Through the timelock: scheduled by its proposer, it cannot run before the delay, by anyone.
    const data = f.vault.interface.encodeFunctionData("setAssetScan", [ASSET.ETH, WAD]);
    const target = await f.vault.getAddress();
    const salt = ethers.ZeroHash;
    await expect((f.timelock.connect(f.alice) as Contract).schedule(target, 0, data, ethers.ZeroHash, salt, TIMELOCK_DELAY))
      .to.be.revertedWithCustomError(f.timelock, "AccessControlUnauthorizedAccount");
    await expect(f.timelock.schedule(target, 0, data, ethers.ZeroHash, salt, TIMELOCK_DELAY - 1))
      .to.be.revertedWithCustomError(f.timelock, "TimelockInsufficientDelay");
    await f.timelock.schedule(target, 0, data, ethers.ZeroHash, salt, TIMELOCK_DELAY);
    const id = await f.timelock.hashOperation(target, 0, data, ethers.ZeroHash, salt);
    const executor = f.timelock.connect(f.carol) as Contract;
    await expect(executor.execute(target, 0, data, ethers.ZeroHash, salt)).to.be.revertedWithCustomError(f.timelock, "TimelockUnexpectedOperationState");
    await networkHelpers.time.increase(TIMELOCK_DELAY - 10);
    await expect(executor.execute(target, 0, data, ethers.ZeroHash, salt)).to.be.revertedWithCustomError(f.timelock, "TimelockUnexpectedOperationState");
    expect((await f.vault.assetConfig(ASSET.ETH)).scan).to.equal(scan);
    // Two days of notice: every trader could add margin or close; only then does it run.
    await networkHelpers.time.increase(10);
    await expect(executor.execute(target, 0, data, ethers.ZeroHash, salt)).to.emit(f.vault, "AssetScanSet").withArgs(ASSET.ETH, scan, WAD);
    expect(await f.timelock.isOperationDone(id)).to.equal(true);
  });

  it("role escalation: risk steward cannot grant itself the timelock role", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const riskAdmin = await f.vault.RISK_ADMIN_ROLE();
    const admin = await f.vault.DEFAULT_ADMIN_ROLE();
    for (const [v, who] of [
      [f.steward, f.stewardSigner.address],
      [f.guardian, f.guardianSigner.address],
    ] as const) {
      await expect(v.grantRole(riskAdmin, who)).to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount").withArgs(who, admin);
      await expect(v.grantRole(admin, who)).to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount").withArgs(who, admin);
      expect(await f.vault.hasRole(riskAdmin, who)).to.equal(false);
    }
    // Nor can it hand its own role to a second key to double its steps.
    await expect(f.steward.grantRole(await f.vault.RISK_STEWARD_ROLE(), f.alice.address)).to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount");
  });

  it("role escalation: a steward cannot widen its own step or shorten its interval", async () => {
    const f = await networkHelpers.loadFixture(booked);
    await expect(f.steward.setRiskSteps(wad("0.5"), 3600))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.stewardSigner.address, await f.vault.RISK_ADMIN_ROLE());
    // And even the timelock cannot set bounds outside the protocol's constants.
    await expect(f.vault.setRiskSteps(WAD, 3600)).to.be.revertedWithCustomError(f.vault, "InvalidRiskSteps");
    await expect(f.vault.setRiskSteps(STEP, 60)).to.be.revertedWithCustomError(f.vault, "InvalidRiskSteps");
    expect(await f.vault.riskSteps()).to.deep.equal([STEP, BigInt(INTERVAL)]);
  });

  it("maxPrice below the market is refused", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const eth = await f.vault.assetConfig(ASSET.ETH);
    // The review's attack: a bound under the price halts withdrawals and liquidations of every ETH holder.
    await expect(f.vault.setAssetOracle(ASSET.ETH, f.feeds.ETH, eth.heartbeat, wad(2_000)))
      .to.be.revertedWithCustomError(f.vault, "MaxPriceBelowOraclePrice")
      .withArgs(ASSET.ETH, wad(2_000), ETH_PRICE);
    // Nor by walking it down in steward steps: each one is checked against the price.
    await networkHelpers.time.increase(INTERVAL);
    let bound = eth.maxPrice;
    // The largest step down, in the 1e9 units a maximum price is stored in (rounded up: within the step).
    const down = (x: bigint) => {
      const y = x - maxDelta(x);
      return y % 10n ** 9n === 0n ? y : y - (y % 10n ** 9n) + 10n ** 9n;
    };
    for (let i = 0; i < 40 && down(bound) >= ETH_PRICE; i++) {
      bound = down(bound);
      await f.steward.setAssetOracle(ASSET.ETH, f.feeds.ETH, eth.heartbeat, bound);
      await networkHelpers.time.increase(INTERVAL);
    }
    await expect(f.steward.setAssetOracle(ASSET.ETH, f.feeds.ETH, eth.heartbeat, down(bound)))
      .to.be.revertedWithCustomError(f.vault, "MaxPriceBelowOraclePrice")
      .withArgs(ASSET.ETH, down(bound), ETH_PRICE);
    // Prices stay readable (once the feeds, stale after the weeks walked, update): Alice can still withdraw.
    await f.feeds.ETH.setAnswer(ETH_PRICE / 10n ** 10n);
    await f.feeds.USD.setAnswer(10n ** 8n);
    await (f.vault.connect(f.alice) as Contract).withdraw(f.tokens.USDC, USDC(100n), f.alice.address, f.alice.address);
  });

  it("a settler with the role cannot settle outside the band", async () => {
    const f = await networkHelpers.loadFixture(booked);
    // A second SETTLER_ROLE holder (a compromised or buggy settlement) needs no signature at the vault.
    await f.vault.grantRole(await f.vault.SETTLER_ROLE(), f.settlerSigner.address);
    const rogue = f.vault.connect(f.settlerSigner) as Contract;
    const aliceCash = await f.vault.cash(f.alice.address);
    const carolCash = await f.vault.cash(f.carol.address);
    // Alice "buys" 1 ETH from Carol at twice the oracle price: 2,300 of her equity would go to Carol.
    await expect(rogue.settle(f.alice.address, f.carol.address, MARKET.ETH, wad(1), 2n * ETH_PRICE))
      .to.be.revertedWithCustomError(f.vault, "PriceOutsideBand")
      .withArgs(2n * ETH_PRICE, ETH_PRICE, 500n);
    await expect(rogue.settle(f.carol.address, f.alice.address, MARKET.ETH, wad(1), ETH_PRICE / 2n)).to.be.revertedWithCustomError(f.vault, "PriceOutsideBand");
    expect(await f.vault.cash(f.alice.address)).to.equal(aliceCash);
    expect(await f.vault.cash(f.carol.address)).to.equal(carolCash);
  });

  it("replacing the fund does not strand its cash", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const fundAddress = await f.insuranceFund.getAddress();
    // The fund earns 500 USDC of vault cash (a bonus share), backed by Alice's debt netted into the pool.
    await f.vault.harnessSetCash(f.alice.address, wad(-23_500));
    await f.vault.harnessSetCash(fundAddress, wad(500));
    await (f.cash.connect(f.bob) as Contract).settleCash(f.alice.address);
    const before = await f.insuranceFund.totalAssets();
    expect(await f.insuranceFund.vaultCashAssets()).to.equal(USDC(500n));
    const next: Contract = await ethers.deployContract("InsuranceFund", [f.tokens.USDC, f.vault]);
    // Refused while the fund has cash it can claim: those 500 USDC belong to its holders, not to the next fund's.
    await expect(f.vault.setInsuranceFund(next))
      .to.be.revertedWithCustomError(f.vault, "InsuranceFundHoldsCash")
      .withArgs(fundAddress, USDC(500n));
    // The hand-over batch claims it first (anyone may), then replaces: the holders keep every unit.
    await f.insuranceFund.claimCash();
    await expect(f.vault.setInsuranceFund(next)).to.emit(f.vault, "InsuranceFundSet").withArgs(await next.getAddress(), await f.tokens.USDC.getAddress(), fundAddress);
    expect(await f.insuranceFund.totalAssets()).to.equal(before);
    expect(await f.tokens.USDC.balanceOf(fundAddress) >= USDC(500n)).to.equal(true);
  });

  it("a scan step cannot make a healthy account liquidatable beyond the bound", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const scan = (await f.vault.assetConfig(ASSET.ETH)).scan;
    const step = maxDelta(scan);
    // Bound: one step of asset a's scan raises any account's MM by at most step * |e_a| (the margin is a seminorm of
    // the weighted sensitivities). An account with at least that much E - MM stays healthy.
    const accounts = [
      { address: f.alice.address, ethExposure: 10n * ETH_PRICE },
      { address: f.bob.address, ethExposure: 18n * ETH_PRICE },
    ];
    for (const a of accounts) {
      const bound = (a.ethExposure * step) / WAD;
      const now = await slack(f, a.address);
      // Set E - MM exactly to the bound (plus rounding), the tightest account the guarantee covers.
      await f.vault.harnessSetCash(a.address, (await f.vault.cash(a.address)) - now + bound + 10n);
    }
    const before = await Promise.all(accounts.map((a) => f.vault.accountMargin(a.address)));
    await f.steward.setAssetScan(ASSET.ETH, scan + step);
    for (const [i, a] of accounts.entries()) {
      const after = await f.vault.accountMargin(a.address);
      expect(after.maintenanceMargin - before[i]!.maintenanceMargin <= (a.ethExposure * step) / WAD + 10n).to.equal(true);
      expect(await f.vault.isLiquidatable(a.address)).to.equal(false);
    }
    // The same change in one unbounded call (only the timelock can, after its delay) would have liquidated both.
    await f.vault.setAssetScan(ASSET.ETH, WAD);
    for (const a of accounts) expect(await f.vault.isLiquidatable(a.address)).to.equal(true);
  });

  it("the steward cannot swap a feed for one it controls", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const evil: Contract = await ethers.deployContract("MockAggregator", [8, 1n, "ETH / USD"]);
    const eth = await f.vault.assetConfig(ASSET.ETH);
    await expect(f.steward.setAssetOracle(ASSET.ETH, evil, eth.heartbeat, eth.maxPrice))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.stewardSigner.address, await f.vault.RISK_ADMIN_ROLE());
    expect((await f.vault.assetConfig(ASSET.ETH)).feed).to.equal(await f.feeds.ETH.getAddress());
  });

  it("the steward cannot walk a zero haircut up to seize stablecoin holders", async () => {
    const f = await networkHelpers.loadFixture(booked);
    const usdc = await f.vault.collateralConfig(f.tokens.USDC);
    // A step is relative: from zero it is zero. Only the timelock can list a parameter off zero.
    await expect(f.steward.setCollateral(f.tokens.USDC, wad("0.01"), usdc.depositCap))
      .to.be.revertedWithCustomError(f.vault, "RiskStepExceeded")
      .withArgs(PARAM.Haircut, 0n, 0n, wad("0.01"), 0n);
  });

  it("a leaked deployer key after the hand-over can change nothing", async () => {
    const config = { ...defaultConfig(), governance: { ...defaultConfig().governance, handOver: true } };
    const deployed = await ignition.deploy(buildPortfolioMarginModule(config, "GovernanceHandOver"));
    const vault = deployed.vault as Contract;
    const timelock = await deployed.timelock.getAddress();
    const [deployer] = await ethers.getSigners();
    const roles = ["DEFAULT_ADMIN_ROLE", "RISK_ADMIN_ROLE", "RISK_STEWARD_ROLE", "GUARDIAN_ROLE", "SETTLER_ROLE"];
    for (const name of roles) expect(await vault.hasRole(await vault[name]!(), deployer!.address), name).to.equal(false);
    expect(await vault.hasRole(await vault.DEFAULT_ADMIN_ROLE(), timelock)).to.equal(true);
    expect(await vault.hasRole(await vault.RISK_ADMIN_ROLE(), timelock)).to.equal(true);
    await expect(vault.setAssetScan(ASSET.ETH, WAD)).to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount");
    await expect(vault.grantRole(await vault.RISK_ADMIN_ROLE(), deployer!.address)).to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount");
    expect(await deployed.timelock.getMinDelay()).to.equal(BigInt(TIMELOCK_DELAY));
  });
});
