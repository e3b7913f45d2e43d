import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";

const USDC = (x: bigint) => x * 10n ** 6n;
const GRACE = 3_600; // the default deployment's liquidation grace period
/** Asks for the whole account: the vault clamps it to the close factor. */
const takeAll = wad(1);

/** Alice: 10,000 USDC, 10 ETH long at 2,300 (cash -23,000); Carol, the liquidator, holds 50,000 USDC. */
async function aliceLong() {
  const f = await deployDefault();
  await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.USDC, USDC(10_000n), f.alice.address);
  await (f.vault.connect(f.carol) as Contract).deposit(f.tokens.USDC, USDC(50_000n), f.carol.address);
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
  await f.vault.harnessSetCash(f.alice.address, wad(-23_000));
  return f;
}

describe("Pause and deposit rules", () => {
  it("(g) pause vs top-up: a paused vault lets the account add margin, and liquidations wait out a grace period", async () => {
    const f = await networkHelpers.loadFixture(aliceLong);
    await f.vault.pause();
    await setPrice(f.feeds.ETH, wad(1_500)); // E = 2,000 < MM: liquidatable, but paused
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(true);
    const liquidate = () => (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, takeAll);
    await expect(liquidate()).to.be.revertedWithCustomError(f.vault, "LiquidationPaused");

    await f.vault.unpause();
    const [unpausedAt, resumesAt] = await f.cash.liquidationResumesAt();
    expect(resumesAt).to.equal(unpausedAt + BigInt(GRACE));
    await expect(liquidate()).to.be.revertedWithCustomError(f.vault, "LiquidationGracePeriod").withArgs(resumesAt);

    // During the grace period Alice tops up (she could also have while paused) and is healthy again.
    await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.USDC, USDC(5_000n), f.alice.address);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
    await networkHelpers.time.increaseTo(resumesAt);
    await setPrice(f.feeds.ETH, wad(1_500)); // fresh answers after the wait
    await setPrice(f.feeds.USD, wad(1));
    await expect(liquidate()).to.be.revertedWithCustomError(f.vault, "AccountHealthy");
  });

  it("liquidates an account that did not top up once the grace period is over", async () => {
    const f = await networkHelpers.loadFixture(aliceLong);
    await f.vault.pause();
    await setPrice(f.feeds.ETH, wad(1_500));
    await f.vault.unpause();
    const [, resumesAt] = await f.cash.liquidationResumesAt();
    await networkHelpers.time.increaseTo(resumesAt);
    await setPrice(f.feeds.ETH, wad(1_500)); // fresh answers after the wait
    await setPrice(f.feeds.USD, wad(1));
    await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, takeAll);
    const left: bigint = await f.vault.position(f.alice.address, MARKET.ETH);
    expect(left > 0n && left < wad(10)).to.equal(true);
  });

  it("(h) a stranger cannot put dust of a token the account does not hold into it (stale-feed griefing)", async () => {
    const f = await networkHelpers.loadFixture(aliceLong);
    // Bob tries to give Alice 1e-8 DOGE, whose feed may go stale and block her withdrawals.
    await expect((f.vault.connect(f.bob) as Contract).deposit(f.tokens.DOGE, 1n, f.alice.address))
      .to.be.revertedWithCustomError(f.vault, "DepositNotAllowed")
      .withArgs(f.bob.address, f.alice.address, await f.tokens.DOGE.getAddress());
    // Her withdrawals therefore never read DOGE's feed, however stale it is.
    await networkHelpers.time.increase(2 * 86_400);
    await setPrice(f.feeds.ETH, wad(2_300));
    await setPrice(f.feeds.USD, wad(1));
    await (f.vault.connect(f.alice) as Contract).withdraw(f.tokens.USDC, USDC(1_000n), f.alice.address, f.alice.address);
    // A token she holds may still be topped up by anyone (it adds no feed to her account).
    await (f.vault.connect(f.bob) as Contract).deposit(f.tokens.USDC, USDC(1n), f.alice.address);
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(USDC(9_001n));
  });

  it("(i) credits a deposit only after the tokens arrive: a token hook sees the balance before it", async () => {
    const f = await networkHelpers.loadFixture(aliceLong);
    const hook: Contract = await ethers.deployContract("HookToken");
    await f.vault.listCollateral(hook, 2, wad(0.02), wad(10)); // an ETH-like token
    const vaultAddress = await f.vault.getAddress();
    await hook.mint(f.alice.address, wad(2));
    await (hook.connect(f.alice) as Contract).approve(vaultAddress, ethers.MaxUint256);
    await hook.watch(vaultAddress, f.alice.address);
    await (f.vault.connect(f.alice) as Contract).deposit(hook, wad(1), f.alice.address);
    expect(await hook.seenBalance()).to.equal(0n);
    await (f.vault.connect(f.alice) as Contract).deposit(hook, wad(1), f.alice.address);
    expect(await hook.seenBalance()).to.equal(wad(1));
    expect(await f.vault.collateralBalance(f.alice.address, hook)).to.equal(wad(2));
  });
});
