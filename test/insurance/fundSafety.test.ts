import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";

const USDC = (x: bigint) => x * 10n ** 6n;
const DAY = 86_400;
const COOLDOWN = 7 * DAY;
const VESTING = 7 * DAY;
const SEED = USDC(1n); // the default deployment's seed, held by 0x…dEaD

type Fixture = Awaited<ReturnType<typeof deployDefault>>;

async function approveFund(f: Fixture, user: Fixture["alice"]) {
  await (f.tokens.USDC.connect(user) as Contract).approve(await f.insuranceFund.getAddress(), ethers.MaxUint256);
}

/** Asks to redeem `owner`'s whole balance after the cooldown. */
async function requestAll(f: Fixture, owner: Fixture["alice"]) {
  await (f.insuranceFund.connect(owner) as Contract).requestRedeem(await f.insuranceFund.balanceOf(owner.address));
}

/**
 * Alice and Bob each deposit 100 USDC into the fund. Dave (admin) holds 10 ETH long with 10,000 USDC and 23,000
 * of debt; at ETH = 1,500 he is under MM and Carol liquidates him at the close factor: the fund's bonus share goes, paid to its
 * vault cash; Dave's own USDC then nets his debt into the settlement pool, which can pay the fund.
 */
async function fundWithPenalty() {
  const f = await deployDefault();
  for (const user of [f.alice, f.bob]) {
    await approveFund(f, user);
    await (f.insuranceFund.connect(user) as Contract).deposit(USDC(100n), user.address);
  }
  const dave = f.admin;
  await f.tokens.USDC.mint(dave.address, USDC(10_000n));
  await (f.tokens.USDC.connect(dave) as Contract).approve(await f.vault.getAddress(), ethers.MaxUint256);
  await (f.vault.connect(dave) as Contract).deposit(f.tokens.USDC, USDC(10_000n), dave.address);
  await (f.vault.connect(f.carol) as Contract).deposit(f.tokens.USDC, USDC(50_000n), f.carol.address);
  await f.vault.harnessSetPosition(dave.address, MARKET.ETH, wad(10));
  await f.vault.harnessSetCash(dave.address, wad(-23_000));
  // The harness created Dave's debt out of nothing; Carol's matching cash keeps sum(cash) = 0.
  await f.vault.harnessSetCash(f.carol.address, wad(23_000));
  return { ...f, dave };
}

/** Liquidates Dave at the close factor and nets his debt; returns the fund's bonus share in token units. */
async function liquidateDave(f: Awaited<ReturnType<typeof fundWithPenalty>>): Promise<bigint> {
  await setPrice(f.feeds.ETH, wad(1_500));
  await (f.vault.connect(f.carol) as Contract).liquidate(f.dave.address, wad(1));
  await (f.cash.connect(f.carol) as Contract).settleCash(f.dave.address);
  return f.insuranceFund.vaultCashAssets();
}

describe("InsuranceFund safety", () => {
  it("(c) pays its share of a liquidation bonus out as tokens to its depositors, pro rata", async () => {
    const f = await networkHelpers.loadFixture(fundWithPenalty);
    const income = await liquidateDave(f);
    expect(income > 0n).to.equal(true);
    // The income streams in over the vesting period; by the end of the cooldown it has all vested.
    await f.insuranceFund.checkpoint();
    await requestAll(f, f.alice);
    await requestAll(f, f.bob);
    await networkHelpers.time.increase(COOLDOWN);
    expect(await f.insuranceFund.lockedIncome()).to.equal(0n);
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(200n) + income + SEED);
    // Whenever the pool can pay, the whole value is withdrawable.
    for (const user of [f.alice, f.bob]) {
      const shares: bigint = await f.insuranceFund.balanceOf(user.address);
      expect(await f.insuranceFund.maxWithdraw(user.address)).to.equal(await f.insuranceFund.convertToAssets(shares));
      expect(await f.insuranceFund.maxRedeem(user.address)).to.equal(shares);
    }
    const received: bigint[] = [];
    for (const user of [f.alice, f.bob]) {
      const before: bigint = await f.tokens.USDC.balanceOf(user.address);
      await (f.insuranceFund.connect(user) as Contract).redeem(
        await f.insuranceFund.balanceOf(user.address),
        user.address,
        user.address,
      );
      received.push((await f.tokens.USDC.balanceOf(user.address)) - before);
    }
    // 100 + income * 100 / 201 each (the seed's share stays in the fund), to the unit, rounded down.
    const expected = USDC(100n) + (income * 100n) / 201n;
    expect(received[0]).to.be.closeTo(expected, 1n);
    expect(received[1]).to.be.closeTo(expected, 1n);
    // What is left is the seed's share, 1 + income / 201, part of it still as vault cash.
    expect(await f.insuranceFund.totalAssets()).to.be.closeTo(SEED + income / 201n, 2n);
  });

  it("(d) a donation cannot make a deposit mint zero shares (virtual shares and the seed)", async () => {
    const f = await networkHelpers.loadFixture(deployDefault);
    const fundAddress = await f.insuranceFund.getAddress();
    await approveFund(f, f.carol);
    await approveFund(f, f.alice);
    // The attacker deposits 1 unit and donates 20,001 USDC.
    await (f.insuranceFund.connect(f.carol) as Contract).deposit(1n, f.carol.address);
    await (f.tokens.USDC.connect(f.carol) as Contract).transfer(fundAddress, USDC(20_001n));
    await f.insuranceFund.checkpoint();
    await networkHelpers.time.increase(VESTING);
    // The victim's 10,000 USDC still mint shares worth almost all of it...
    await (f.insuranceFund.connect(f.alice) as Contract).deposit(USDC(10_000n), f.alice.address);
    const shares: bigint = await f.insuranceFund.balanceOf(f.alice.address);
    expect(shares).to.be.greaterThan(0n);
    const aliceValue: bigint = await f.insuranceFund.convertToAssets(shares);
    expect(aliceValue).to.be.gte(USDC(9_999n));
    // ...and the donation went to whoever held shares: the attacker's 1 unit is worth a sliver of it.
    const carolValue: bigint = await f.insuranceFund.convertToAssets(await f.insuranceFund.balanceOf(f.carol.address));
    expect(carolValue).to.be.lessThan(USDC(1n));
  });

  it("(e) a deposit for one block around a liquidation earns nothing of its bonus share", async () => {
    const f = await networkHelpers.loadFixture(fundWithPenalty);
    await approveFund(f, f.carol);
    const fund = f.insuranceFund.connect(f.carol) as Contract;
    // The attacker sees Dave under MM, deposits 900,000 and asks to leave at once.
    await f.tokens.USDC.mint(f.carol.address, USDC(900_000n));
    await fund.deposit(USDC(900_000n), f.carol.address);
    await requestAll(f, f.carol);
    const valueBefore: bigint = await f.insuranceFund.convertToAssets(await f.insuranceFund.balanceOf(f.carol.address));
    const income = await liquidateDave(f);
    // The bonus share is locked income: not in totalAssets, not in the attacker's share value, in this block or the next.
    expect(await f.insuranceFund.lockedIncome()).to.equal(income);
    expect(await f.insuranceFund.convertToAssets(await f.insuranceFund.balanceOf(f.carol.address))).to.equal(valueBefore);
    // Nor can it leave: nothing is redeemable before the cooldown.
    expect(await f.insuranceFund.maxRedeem(f.carol.address)).to.equal(0n);
    await expect(fund.redeem(1n, f.carol.address, f.carol.address)).to.be.revertedWithCustomError(
      f.insuranceFund,
      "ERC4626ExceededMaxRedeem",
    );
  });

  it("(f) front-running a draw: a depositor who sees an insolvent account cannot leave before the fund pays it", async () => {
    const f = await networkHelpers.loadFixture(fundWithPenalty);
    // Dave at ETH = 1,000 is insolvent (E = -3,000), and that is public.
    await setPrice(f.feeds.ETH, wad(1_000));
    const fund = f.insuranceFund.connect(f.alice) as Contract;
    expect(await f.insuranceFund.maxWithdraw(f.alice.address)).to.equal(0n);
    await expect(fund.withdraw(USDC(100n), f.alice.address, f.alice.address)).to.be.revertedWithCustomError(
      f.insuranceFund,
      "ERC4626ExceededMaxWithdraw",
    );
    await requestAll(f, f.alice);
    // Carol liquidates all of Dave: the fund pays his shortfall; Alice's shares in cooldown bear it with Bob's.
    await (f.vault.connect(f.carol) as Contract).liquidate(f.dave.address, wad(1));
    const aliceValue: bigint = await f.insuranceFund.convertToAssets(await f.insuranceFund.balanceOf(f.alice.address));
    const bobValue: bigint = await f.insuranceFund.convertToAssets(await f.insuranceFund.balanceOf(f.bob.address));
    expect(aliceValue).to.be.lessThan(USDC(100n));
    expect(aliceValue).to.equal(bobValue);
  });

  it("keeps a request within its window and its shares: expired, transferred away or reused", async () => {
    const f = await networkHelpers.loadFixture(fundWithPenalty);
    const fund = f.insuranceFund.connect(f.alice) as Contract;
    const shares: bigint = await f.insuranceFund.balanceOf(f.alice.address);
    await expect(fund.requestRedeem(shares + 1n))
      .to.be.revertedWithCustomError(f.insuranceFund, "InvalidRedeemRequest")
      .withArgs(f.alice.address, shares + 1n, shares);
    await fund.requestRedeem(shares);
    await networkHelpers.time.increase(COOLDOWN - 10);
    expect(await f.insuranceFund.maxRedeem(f.alice.address)).to.equal(0n);
    await networkHelpers.time.increase(10);
    expect(await f.insuranceFund.maxRedeem(f.alice.address)).to.equal(shares);
    // Half moved to Bob leaves the request at the half Alice keeps; Bob's shares are not in cooldown.
    await fund.transfer(f.bob.address, shares / 2n);
    expect(await f.insuranceFund.maxRedeem(f.alice.address)).to.equal(shares - shares / 2n);
    expect(await f.insuranceFund.maxRedeem(f.bob.address)).to.equal(0n);
    await fund.redeem(shares / 4n, f.alice.address, f.alice.address);
    expect(await f.insuranceFund.redeemableShares(f.alice.address)).to.equal(shares - shares / 2n - shares / 4n);
    // After the window the rest needs a new request.
    await networkHelpers.time.increase(2 * DAY + 1);
    expect(await f.insuranceFund.maxRedeem(f.alice.address)).to.equal(0n);
  });

  it("streams income so that a later depositor shares only what vests after it joined", async () => {
    const f = await networkHelpers.loadFixture(fundWithPenalty);
    const income = await liquidateDave(f);
    await f.insuranceFund.checkpoint();
    await networkHelpers.time.increase(VESTING / 2);
    const assets: bigint = await f.insuranceFund.totalAssets();
    // About half of the income has vested (rounded in the holders' favour of locking).
    expect(assets - USDC(200n) - SEED).to.be.closeTo(income / 2n, USDC(1n) / 100n);
    await networkHelpers.time.increase(VESTING);
    expect(await f.insuranceFund.totalAssets()).to.equal(USDC(200n) + income + SEED);
  });
});
