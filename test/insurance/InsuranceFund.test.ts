import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";

const USDC = (x: bigint) => x * 10n ** 6n;
const takePosition = { collateral: false, id: MARKET.ETH, amount: wad(10) };
const takeCollateral = { collateral: true, id: 0, amount: USDC(10_000n) }; // USDC is collateral id 0.
const takeAll = [takePosition, takeCollateral];

/**
 * Alice: 10,000 USDC and 10 ETH long bought at 2,300; the fund holds `fundUsdc` deposited by Bob; Carol
 * liquidates. At ETH = 1,000 Alice's equity is -3,000; taking her 10 ETH at 980 and her 10,000 USDC at 0.995
 * (`takeAll`) with a 400 penalty (2% of 20,000) leaves -3,650, of which the fund's 200 penalty share is paid first
 * from its vault cash.
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
  return { ...f, fundAddress };
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

  it("streams its penalty share, credited as vault cash, into totalAssets and pays it out as tokens", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    await setPrice(f.feeds.ETH, wad(1_500)); // solvent but under MM
    await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [
      { collateral: false, id: MARKET.ETH, amount: wad(5) },
    ]);
    expect(await f.vault.cash(f.fundAddress)).to.equal(wad(75));
    expect(await f.insuranceFund.vaultCashAssets()).to.equal(USDC(75n));
    // Locked until it has vested.
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(100_000n) + SEED);
    await f.insuranceFund.checkpoint();
    const shares: bigint = await f.insuranceFund.balanceOf(f.bob.address);
    await (f.insuranceFund.connect(f.bob) as Contract).requestRedeem(shares);
    await networkHelpers.time.increase(Math.max(COOLDOWN, VESTING));
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(100_075n) + SEED);
    // Alice's own USDC nets her debt into the settlement pool, which can then pay the fund's cash.
    expect(await f.insuranceFund.maxRedeem(f.bob.address)).to.be.lessThan(shares);
    await (f.cash.connect(f.carol) as Contract).settleCash(f.alice.address);
    expect(await f.insuranceFund.maxWithdraw(f.bob.address)).to.equal(await f.insuranceFund.convertToAssets(shares));
    expect(await f.insuranceFund.maxRedeem(f.bob.address)).to.equal(shares);
    await (f.insuranceFund.connect(f.bob) as Contract).redeem(shares, f.bob.address, f.bob.address);
    // Left: the seed's share, 1 + 75 / 100,001.
    expect(await f.insuranceFund.totalAssets()).to.be.closeTo(SEED + USDC(75n) / 100_001n, 2n);
  });

  it("covers a shortfall from its vault cash, then its tokens, so the account ends at zero equity", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    const vaultAddress = await f.vault.getAddress();
    const vaultUsdcBefore: bigint = await f.tokens.USDC.balanceOf(vaultAddress);

    const tx = (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, takeAll);
    // Shortfall 3,650: 200 from the fund's cash (its penalty share), 3,450 USDC from its tokens, nothing unbacked.
    await expect(tx)
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, wad(3_650), wad(200), USDC(3_450n), 0n, 0n);
    await expect(tx).to.changeTokenBalances(ethers, f.tokens.USDC, [f.fundAddress, vaultAddress], [-USDC(3_450n), USDC(3_450n)]);

    const m = await f.vault.accountMargin(f.alice.address);
    expect(m.equity).to.equal(0n);
    expect(await f.vault.cash(f.fundAddress)).to.equal(0n);
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(96_550n) + SEED);
    // The tokens back cash, not a collateral balance: the vault holds more than its recorded balances.
    const totalDeposits: bigint = (await f.vault.collateralConfig(f.tokens.USDC)).totalDeposits;
    expect(await f.tokens.USDC.balanceOf(vaultAddress)).to.equal(vaultUsdcBefore + USDC(3_450n));
    expect(await f.tokens.USDC.balanceOf(vaultAddress)).to.be.greaterThan(totalDeposits);
  });

  it("records what it cannot pay as bad debt, with an event, and repays it from later penalty shares", async () => {
    const f = await networkHelpers.loadFixture(poorFund);
    // 200 from cash, 1,001 USDC of tokens (the seed included), 2,449 unbacked.
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, takeAll))
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, wad(3_650), wad(200), USDC(1_001n), wad(2_449), wad(2_449));
    expect((await f.vault.accountMargin(f.alice.address)).equity).to.equal(0n);
    expect(await f.vault.insurance()).to.deep.equal([f.fundAddress, wad(2_449)]);
    expect(await f.insuranceFund.totalAssets()).to.equal(0n);

    // Bob gets liquidated later: the fund's 75 share pays bad debt down instead of reaching its cash.
    await (f.vault.connect(f.bob) as Contract).deposit(f.tokens.USDC, USDC(10_000n), f.bob.address);
    await f.vault.harnessSetPosition(f.bob.address, MARKET.ETH, wad(10));
    await f.vault.harnessSetCash(f.bob.address, wad(-14_500));
    await setPrice(f.feeds.ETH, wad(500)); // E = 500 < MM ~ 801
    await expect(
      (f.vault.connect(f.carol) as Contract).liquidate(f.bob.address, [{ collateral: false, id: MARKET.ETH, amount: wad(5) }]),
    )
      .to.emit(f.vault, "BadDebtRepaid")
      .withArgs(wad(25), wad(2_424));
    expect(await f.vault.cash(f.fundAddress)).to.equal(0n);
  });

  it("with no fund set, gives the whole penalty to the liquidator and records the whole shortfall", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    await expect(f.vault.setInsuranceFund(ethers.ZeroAddress))
      .to.emit(f.vault, "InsuranceFundSet")
      .withArgs(ethers.ZeroAddress, ethers.ZeroAddress);
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, takeAll))
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, wad(3_650), 0n, 0n, wad(3_650), wad(3_650));
    // Carol paid 9,800 for the ETH and 9,950 for the USDC, and keeps the whole 400 penalty.
    expect(await f.vault.cash(f.carol.address)).to.equal(wad(-9_800 - 9_950 + 400));
  });

  it("settles bad debt only once the account holds nothing, and never liquidates a settled account again", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    // Only the position: Alice is left with 10,000 USDC and E = -3,400; no bad debt is recognised yet.
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [takePosition])).not.to.emit(
      f.vault,
      "BadDebtSettled",
    );
    expect((await f.vault.accountMargin(f.alice.address)).equity).to.equal(wad(-3_400));
    expect(await f.vault.insurance()).to.deep.equal([f.fundAddress, 0n]);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(true);

    // Her collateral next (10,000 USDC at 0.995, penalty 200): now she holds nothing and the fund pays -3,650.
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [takeCollateral]))
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, wad(3_650), wad(200), USDC(3_450n), 0n, 0n);
    const m = await f.vault.accountMargin(f.alice.address);
    expect([m.equity, m.maintenanceMargin]).to.deep.equal([0n, 0n]);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
    await expect(
      (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [takeCollateral]),
    ).to.be.revertedWithCustomError(f.vault, "AccountHealthy");
  });

  it("refuses a fund whose asset has more than 18 decimals", async () => {
    const f = await networkHelpers.loadFixture(deployDefault);
    const token = await ethers.deployContract("MockERC20", ["Wide", "WIDE", 24]);
    await expect(
      ethers.deployContract("InsuranceFund", [await token.getAddress(), await f.vault.getAddress()]),
    ).to.be.revertedWithCustomError(f.insuranceFund, "InvalidFundAsset");
  });
});
