import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";

const USDC = (x: bigint) => x * 10n ** 6n;
const WAD = 10n ** 18n;
const BONUS_RATE = wad(0.2); // ignition/parameters/spec-v1.json
const ceilUsdc = (x: bigint) => (x + 10n ** 12n - 1n) / 10n ** 12n;

/**
 * Alice: 10,000 USDC and 10 ETH long bought at 2,300; the fund holds `fundUsdc` deposited by Bob; Carol
 * liquidates. At ETH = 1,000 Alice's equity is -3,000: her whole portfolio goes, and the fund pays the 3,000 plus
 * the bonus (0.2 x her MM).
 */
async function insolventAlice(fundUsdc: bigint) {
  const f = await deployDefault();
  await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.USDC, USDC(10_000n), f.alice.address);
  await (f.vault.connect(f.carol) as Contract).deposit(f.tokens.USDC, USDC(50_000n), f.carol.address);
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
  await f.vault.harnessSetCash(f.alice.address, wad(-23_000));
  const fundAddress = await f.insuranceFund.getAddress();
  await (f.tokens.USDC.connect(f.bob) as Contract).approve(fundAddress, ethers.MaxUint256);
  if (fundUsdc > 0n) await (f.insuranceFund.connect(f.bob) as Contract).deposit(fundUsdc, f.bob.address);
  await setPrice(f.feeds.ETH, wad(1_000));
  const m = await f.vault.accountMargin(f.alice.address);
  // The fund pays the shortfall before the call plus the bonus.
  const shortfall: bigint = -(m.equity as bigint) + ((m.maintenanceMargin as bigint) * BONUS_RATE) / WAD;
  return { ...f, fundAddress, shortfall };
}

/** The default deployment seeds the fund with 1 USDC (shares held by 0x…dEaD). */
const SEED = USDC(1n);
const COOLDOWN = 7 * 86_400;
const VESTING = 7 * 86_400;

const richFund = () => insolventAlice(USDC(100_000n));
const poorFund = () => insolventAlice(USDC(1_000n));

describe("InsuranceFund", () => {
  it("is an ERC-4626 vault in the settlement stablecoin that approves the margin vault", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    expect(await f.insuranceFund.asset()).to.equal(await f.tokens.USDC.getAddress());
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(100_000n) + SEED);
    // Withdrawals wait for a requested cooldown.
    expect(await f.insuranceFund.maxWithdraw(f.bob.address)).to.equal(0n);
    expect(await f.tokens.USDC.allowance(f.fundAddress, await f.vault.getAddress())).to.equal(ethers.MaxUint256);
    const [fund] = await f.vault.insurance();
    expect(fund).to.equal(f.fundAddress);
    const shares: bigint = await f.insuranceFund.balanceOf(f.bob.address);
    await (f.insuranceFund.connect(f.bob) as Contract).requestRedeem(shares);
    await networkHelpers.time.increase(COOLDOWN);
    expect(await f.insuranceFund.maxWithdraw(f.bob.address)).to.equal(USDC(100_000n));
    await (f.insuranceFund.connect(f.bob) as Contract).redeem(shares, f.bob.address, f.bob.address);
    expect(await f.insuranceFund.totalAssets()).to.equal(SEED);
  });

  it("streams its bonus share, credited as vault cash, into totalAssets and pays it out as tokens", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    await setPrice(f.feeds.ETH, wad(1_500)); // solvent but under MM
    const preview = await (f.vault.connect(f.carol) as Contract).previewLiquidation(f.alice.address, WAD);
    await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, WAD);
    const share = preview.fundShare as bigint;
    expect(share > 0n).to.equal(true);
    expect(await f.vault.cash(f.fundAddress)).to.equal(share);
    expect(await f.insuranceFund.vaultCashAssets()).to.equal(share / 10n ** 12n);
    // Locked until it has vested.
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(100_000n) + SEED);
    await f.insuranceFund.checkpoint();
    const shares: bigint = await f.insuranceFund.balanceOf(f.bob.address);
    await (f.insuranceFund.connect(f.bob) as Contract).requestRedeem(shares);
    await networkHelpers.time.increase(Math.max(COOLDOWN, VESTING));
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(100_000n) + SEED + share / 10n ** 12n);
    // Alice's own USDC nets her debt into the settlement pool, which can then pay the fund's cash.
    await (f.cash.connect(f.carol) as Contract).settleCash(f.alice.address);
    expect(await f.insuranceFund.maxWithdraw(f.bob.address)).to.equal(await f.insuranceFund.convertToAssets(shares));
    expect(await f.insuranceFund.maxRedeem(f.bob.address)).to.equal(shares);
    await (f.insuranceFund.connect(f.bob) as Contract).redeem(shares, f.bob.address, f.bob.address);
  });

  it("covers a shortfall from its vault cash, then its tokens, so the account ends at zero equity", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    const vaultAddress = await f.vault.getAddress();
    const vaultUsdcBefore: bigint = await f.tokens.USDC.balanceOf(vaultAddress);

    const tx = (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, WAD);
    // The fund has no vault cash: the whole shortfall comes from its tokens, rounded up to whole units.
    const tokens = ceilUsdc(f.shortfall);
    await expect(tx).to.emit(f.vault, "BadDebtSettled").withArgs(f.alice.address, f.shortfall, 0n, tokens, 0n, 0n);
    await expect(tx).to.changeTokenBalances(ethers, f.tokens.USDC, [f.fundAddress, vaultAddress], [-tokens, tokens]);

    const m = await f.vault.accountMargin(f.alice.address);
    expect(m.equity).to.equal(0n);
    expect(await f.vault.cash(f.fundAddress)).to.equal(tokens * 10n ** 12n - f.shortfall);
    expect(await f.insuranceFund.totalAssets() >= USDC(100_000n) + SEED - tokens).to.equal(true);
    // The tokens back cash, not a collateral balance: the vault holds more than its recorded balances.
    const totalDeposits: bigint = (await f.vault.collateralConfig(f.tokens.USDC)).totalDeposits;
    expect(await f.tokens.USDC.balanceOf(vaultAddress)).to.equal(vaultUsdcBefore + tokens);
    expect(await f.tokens.USDC.balanceOf(vaultAddress)).to.be.greaterThan(totalDeposits);
  });

  it("records what it cannot pay as bad debt, with an event, and repays it from later bonus shares", async () => {
    const f = await networkHelpers.loadFixture(poorFund);
    // 1,001 USDC of tokens (the seed included), the rest unbacked.
    const unbacked = f.shortfall - wad(1_001);
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, WAD))
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, f.shortfall, 0n, USDC(1_001n), unbacked, unbacked);
    expect((await f.vault.accountMargin(f.alice.address)).equity).to.equal(0n);
    expect(await f.vault.insurance()).to.deep.equal([f.fundAddress, unbacked]);
    expect(await f.insuranceFund.totalAssets()).to.equal(0n);

    // Bob gets liquidated later: the fund's bonus share pays bad debt down instead of reaching its cash.
    await (f.vault.connect(f.bob) as Contract).deposit(f.tokens.USDC, USDC(10_000n), f.bob.address);
    await f.vault.harnessSetPosition(f.bob.address, MARKET.ETH, wad(10));
    await f.vault.harnessSetCash(f.bob.address, wad(-14_500));
    await setPrice(f.feeds.ETH, wad(500)); // E = 500 < MM ~ 801
    const preview = await (f.vault.connect(f.carol) as Contract).previewLiquidation(f.bob.address, WAD);
    const share = preview.fundShare as bigint;
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.bob.address, WAD))
      .to.emit(f.vault, "BadDebtRepaid")
      .withArgs(share, unbacked - share);
    expect(await f.vault.cash(f.fundAddress)).to.equal(0n);
  });

  it("with no fund set, gives the whole bonus to the liquidator and records the whole shortfall", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    await expect(f.vault.setInsuranceFund(ethers.ZeroAddress))
      .to.emit(f.vault, "InsuranceFundSet")
      .withArgs(ethers.ZeroAddress, ethers.ZeroAddress, f.fundAddress);
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, WAD))
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, f.shortfall, 0n, 0n, f.shortfall, f.shortfall);
    // Carol paid 10,000 for the ETH and 10,000 for the USDC at oracle prices, and keeps the whole bonus.
    expect(await f.vault.cash(f.carol.address)).to.equal(wad(-20_000) + f.shortfall - wad(3_000));
  });

  it("takes an insolvent account whole in one call whatever the fraction asked, and never liquidates it again", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, 1n))
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, f.shortfall, 0n, ceilUsdc(f.shortfall), 0n, 0n);
    expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(0n);
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(0n);
    const m = await f.vault.accountMargin(f.alice.address);
    expect([m.equity, m.maintenanceMargin]).to.deep.equal([0n, 0n]);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, WAD)).to.be.revertedWithCustomError(
      f.vault,
      "AccountHealthy",
    );
  });

  it("refuses a fund whose asset has more than 18 decimals", async () => {
    const f = await networkHelpers.loadFixture(deployDefault);
    const token = await ethers.deployContract("MockERC20", ["Wide", "WIDE", 24]);
    await expect(
      ethers.deployContract("InsuranceFund", [await token.getAddress(), await f.vault.getAddress()]),
    ).to.be.revertedWithCustomError(f.insuranceFund, "InvalidFundAsset");
  });
});
