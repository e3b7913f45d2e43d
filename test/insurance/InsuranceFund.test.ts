import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";

const USDC = (x: bigint) => x * 10n ** 6n;
const takeAll = [{ collateral: false, id: MARKET.ETH, amount: wad(10) }];

/**
 * Alice: 10,000 USDC and 10 ETH long bought at 2,300; the fund holds `fundUsdc` deposited by Bob; Carol
 * liquidates. At ETH = 1,000 Alice's equity is -3,000; taking her 10 ETH at 980 with a 200 penalty leaves
 * -3,400, of which the fund's 100 penalty share is paid first from its vault cash.
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

const richFund = () => insolventAlice(USDC(100_000n));
const poorFund = () => insolventAlice(USDC(1_000n));

describe("InsuranceFund", () => {
  it("is an ERC-4626 vault in the settlement stablecoin that approves the margin vault", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    expect(await f.insuranceFund.asset()).to.equal(await f.tokens.USDC.getAddress());
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(100_000n));
    expect(await f.insuranceFund.maxWithdraw(f.bob.address)).to.equal(USDC(100_000n));
    expect(await f.tokens.USDC.allowance(f.fundAddress, await f.vault.getAddress())).to.equal(ethers.MaxUint256);
    const [fund] = await f.vault.insurance();
    expect(fund).to.equal(f.fundAddress);
    await (f.insuranceFund.connect(f.bob) as Contract).redeem(
      await f.insuranceFund.balanceOf(f.bob.address),
      f.bob.address,
      f.bob.address,
    );
    expect(await f.insuranceFund.totalAssets()).to.equal(0n);
  });

  it("counts its penalty share, credited as vault cash, in totalAssets but never pays it out as tokens", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    await setPrice(f.feeds.ETH, wad(1_500)); // solvent but under MM
    await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, [
      { collateral: false, id: MARKET.ETH, amount: wad(5) },
    ]);
    expect(await f.vault.cash(f.fundAddress)).to.equal(wad(75));
    expect(await f.insuranceFund.vaultCashAssets()).to.equal(USDC(75n));
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(100_075n));
    expect(await f.insuranceFund.maxWithdraw(f.bob.address)).to.equal(USDC(100_000n));
    expect(await f.insuranceFund.maxRedeem(f.bob.address)).to.be.lessThan(await f.insuranceFund.balanceOf(f.bob.address));
  });

  it("covers a shortfall from its vault cash, then its tokens, so the account ends at zero equity", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    const vaultAddress = await f.vault.getAddress();
    const vaultUsdcBefore: bigint = await f.tokens.USDC.balanceOf(vaultAddress);

    const tx = (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, takeAll);
    // Shortfall 3,400: 100 from the fund's cash (its penalty share), 3,300 USDC from its tokens, nothing unbacked.
    await expect(tx)
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, wad(3_400), wad(100), USDC(3_300n), 0n, 0n);
    await expect(tx).to.changeTokenBalances(ethers, f.tokens.USDC, [f.fundAddress, vaultAddress], [-USDC(3_300n), USDC(3_300n)]);

    const m = await f.vault.accountMargin(f.alice.address);
    expect(m.equity).to.equal(0n);
    expect(await f.vault.cash(f.fundAddress)).to.equal(0n);
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(96_700n));
    // The tokens back cash, not a collateral balance: the vault holds more than its recorded balances.
    const totalDeposits: bigint = (await f.vault.collateralConfig(f.tokens.USDC)).totalDeposits;
    expect(await f.tokens.USDC.balanceOf(vaultAddress)).to.equal(vaultUsdcBefore + USDC(3_300n));
    expect(await f.tokens.USDC.balanceOf(vaultAddress)).to.be.greaterThan(totalDeposits);
  });

  it("records what it cannot pay as bad debt, with an event, and repays it from later penalty shares", async () => {
    const f = await networkHelpers.loadFixture(poorFund);
    // 100 from cash, 1,000 USDC of tokens, 2,300 unbacked.
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, takeAll))
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, wad(3_400), wad(100), USDC(1_000n), wad(2_300), wad(2_300));
    expect((await f.vault.accountMargin(f.alice.address)).equity).to.equal(0n);
    expect(await f.vault.insurance()).to.deep.equal([f.fundAddress, wad(2_300)]);
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
      .withArgs(wad(25), wad(2_275));
    expect(await f.vault.cash(f.fundAddress)).to.equal(0n);
  });

  it("with no fund set, gives the whole penalty to the liquidator and records the whole shortfall", async () => {
    const f = await networkHelpers.loadFixture(richFund);
    await expect(f.vault.setInsuranceFund(ethers.ZeroAddress))
      .to.emit(f.vault, "InsuranceFundSet")
      .withArgs(ethers.ZeroAddress, ethers.ZeroAddress);
    await expect((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, takeAll))
      .to.emit(f.vault, "BadDebtSettled")
      .withArgs(f.alice.address, wad(3_400), 0n, 0n, wad(3_400), wad(3_400));
    expect(await f.vault.cash(f.carol.address)).to.equal(wad(-9_800 + 200));
  });

  it("refuses a fund whose asset has more than 18 decimals", async () => {
    const f = await networkHelpers.loadFixture(deployDefault);
    const token = await ethers.deployContract("MockERC20", ["Wide", "WIDE", 24]);
    await expect(
      ethers.deployContract("InsuranceFund", [await token.getAddress(), await f.vault.getAddress()]),
    ).to.be.revertedWithCustomError(f.insuranceFund, "InvalidFundAsset");
  });
});
