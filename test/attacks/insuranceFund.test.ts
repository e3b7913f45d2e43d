import { expect } from "chai";
import type { Contract } from "ethers";

import { ethers, networkHelpers, wad } from "../fixtures.js";
import { aliceUnderwater, USDC, type Fixture } from "./setup.js";

const DAY = 86_400;
const COOLDOWN = 7 * DAY;
const VESTING = 7 * DAY;

function fund(f: Fixture, user: Fixture["alice"]): Contract {
  return f.insuranceFund.connect(user) as Contract;
}

/** `aliceUnderwater`, and Alice, Bob and Carol approve the insurance fund for their USDC. */
async function fundUsers(): Promise<Fixture> {
  const f = await aliceUnderwater();
  for (const user of [f.alice, f.bob, f.carol]) {
    await (f.tokens.USDC.connect(user) as Contract).approve(await f.insuranceFund.getAddress(), ethers.MaxUint256);
  }
  return f;
}

/** `fundUsers`; Alice and Bob each deposit 100 USDC into the fund, and Alice asks to redeem all of hers. */
async function twoDepositors(): Promise<Fixture> {
  const f = await fundUsers();
  for (const user of [f.alice, f.bob]) await fund(f, user).deposit(USDC(100), user.address);
  await fund(f, f.alice).requestRedeem(await f.insuranceFund.balanceOf(f.alice.address));
  return f;
}

describe("attacks: insurance fund", () => {
  it("inflation: a donation before a victim's deposit costs the attacker almost all of it", async () => {
    const f = await networkHelpers.loadFixture(fundUsers);
    const usdc = f.tokens.USDC.connect(f.carol) as Contract;
    const usdcOf = (u: Fixture["alice"]) => f.tokens.USDC.balanceOf(u.address) as Promise<bigint>;
    const [carolBefore, aliceBefore] = await Promise.all([usdcOf(f.carol), usdcOf(f.alice)]);
    await fund(f, f.carol).deposit(1n, f.carol.address);
    await usdc.transfer(await f.insuranceFund.getAddress(), USDC(10_000));
    await fund(f, f.alice).deposit(USDC(1_000), f.alice.address);
    await networkHelpers.time.increase(VESTING);
    const worth = async (u: Fixture["alice"]): Promise<bigint> =>
      f.insuranceFund.convertToAssets(await f.insuranceFund.balanceOf(u.address));
    // Once the donation has vested, Alice's shares are worth more than she paid; Carol recovers under 0.1% of hers.
    expect(await worth(f.alice)).to.be.greaterThanOrEqual(USDC(1_000));
    const carolCost = carolBefore - (await usdcOf(f.carol));
    expect(await worth(f.carol)).to.be.lessThan(carolCost / 1_000n);
    expect(aliceBefore - (await usdcOf(f.alice))).to.equal(USDC(1_000));
  });

  it("a donation cannot move the share price within its block: it streams in over the vesting period", async () => {
    const f = await networkHelpers.loadFixture(twoDepositors);
    const price = () => f.insuranceFund.convertToAssets(10n ** 12n) as Promise<bigint>;
    const before = await price();
    await (f.tokens.USDC.connect(f.carol) as Contract).transfer(await f.insuranceFund.getAddress(), USDC(10_000));
    expect(await price()).to.equal(before);
    await f.insuranceFund.checkpoint();
    expect(await price()).to.be.lessThanOrEqual(before + 1n);
    expect(await f.insuranceFund.lockedIncome()).to.be.greaterThanOrEqual(USDC(10_000) - 1n);
  });

  it("cooldown bypass: shares sent to a second address with an older request stay locked beyond that request", async () => {
    const f = await networkHelpers.loadFixture(fundUsers);
    // Carol, Alice's second address, deposits 1 USDC and asks to redeem it: an open request, ripe in 7 days.
    await fund(f, f.carol).deposit(USDC(1), f.carol.address);
    const request: bigint = await f.insuranceFund.balanceOf(f.carol.address);
    await fund(f, f.carol).requestRedeem(request);
    await fund(f, f.alice).deposit(USDC(1_000), f.alice.address);
    await networkHelpers.time.increase(COOLDOWN);
    // A shortfall becomes public: Alice moves all her shares to Carol, whose window is open.
    await fund(f, f.alice).transfer(f.carol.address, await f.insuranceFund.balanceOf(f.alice.address));
    expect(await f.insuranceFund.maxRedeem(f.carol.address)).to.equal(request);
    const all: bigint = await f.insuranceFund.balanceOf(f.carol.address);
    await expect(fund(f, f.carol).redeem(all, f.carol.address, f.carol.address)).to.be.revertedWithCustomError(
      f.insuranceFund,
      "ERC4626ExceededMaxRedeem",
    );
    expect(await f.insuranceFund.balanceOf(f.carol.address)).to.equal(all);
  });

  it("front-running a draw from an open window takes exactly the depositor's pro-rata assets, no more", async () => {
    const f = await networkHelpers.loadFixture(twoDepositors);
    await networkHelpers.time.increase(COOLDOWN);
    const price = () => f.insuranceFund.convertToAssets(10n ** 12n) as Promise<bigint>;
    const before = await price();
    const shares: bigint = await f.insuranceFund.balanceOf(f.alice.address);
    const fair: bigint = await f.insuranceFund.previewRedeem(shares);
    const usdcBefore: bigint = await f.tokens.USDC.balanceOf(f.alice.address);
    // Alice sees an insolvent account about to be liquidated and leaves in the same block.
    await fund(f, f.alice).redeem(shares, f.alice.address, f.alice.address);
    expect((await f.tokens.USDC.balanceOf(f.alice.address)) - usdcBefore).to.equal(fair);
    expect(fair).to.be.lessThanOrEqual(USDC(100));
    // Those who stay keep their share price (rounded in the fund's favour).
    expect(await price()).to.be.greaterThanOrEqual(before);
  });

  it("dust donations and checkpoint spam cannot delay income already streaming", async () => {
    const f = await networkHelpers.loadFixture(fundUsers);
    await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, wad(1));
    await f.insuranceFund.checkpoint();
    const income: bigint = await f.insuranceFund.lockedIncome();
    expect(income).to.be.greaterThan(0n);
    const assets: bigint = await f.insuranceFund.totalAssets();
    for (let day = 0; day < 6; ++day) {
      await networkHelpers.time.increase(DAY);
      await (f.tokens.USDC.connect(f.bob) as Contract).transfer(await f.insuranceFund.getAddress(), 1n);
      await f.insuranceFund.checkpoint();
    }
    await networkHelpers.time.increase(DAY + 60);
    // The income has vested on time; what is still locked is at most the griefer's own dust.
    expect(await f.insuranceFund.lockedIncome()).to.be.lessThanOrEqual(6n);
    expect(await f.insuranceFund.totalAssets()).to.be.greaterThanOrEqual(assets + income);
  });
});
