import { expect } from "chai";
import type { Contract } from "ethers";

import { ASSET, deployDefault, MARKET, networkHelpers, setPrice, units, wad } from "../fixtures.js";

/** Alice holds 10 WETH and owes 15,000 USD of cash: E = 8,000; MM = 3,910; IM = 5,865 at ETH = 2,300. */
async function leveredAlice() {
  const f = await deployDefault();
  await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.WETH, await units(f.tokens.WETH, 10), f.alice.address);
  await f.vault.harnessSetCash(f.alice.address, wad(-15_000));
  return f;
}

describe("MarginVault.withdraw", () => {
  it("sends the tokens to the receiver and emits Withdraw with the new balance", async () => {
    const { vault, tokens, alice, bob } = await networkHelpers.loadFixture(leveredAlice);
    const weth = await tokens.WETH.getAddress();
    const before: bigint = await tokens.WETH.balanceOf(bob.address);

    await expect((vault.connect(alice) as Contract).withdraw(weth, wad(1), alice.address, bob.address))
      .to.emit(vault, "Withdraw")
      .withArgs(alice.address, weth, bob.address, wad(1), wad(9));

    expect(await tokens.WETH.balanceOf(bob.address)).to.equal(before + wad(1));
    expect(await vault.collateralBalance(alice.address, weth)).to.equal(wad(9));
    expect((await vault.collateralConfig(weth)).totalDeposits).to.equal(wad(9));
  });

  it("reverts with the figures when equity would fall below initial margin", async () => {
    const { vault, tokens, alice } = await networkHelpers.loadFixture(leveredAlice);
    // 8 WETH left: E = 18,400 - 15,000 = 3,400; MM = 2,760 + 368 = 3,128; IM = 4,692.
    await expect((vault.connect(alice) as Contract).withdraw(tokens.WETH, wad(2), alice.address, alice.address))
      .to.be.revertedWithCustomError(vault, "InsufficientMargin")
      .withArgs(alice.address, wad(3_400), wad(4_692));
  });

  it("lets an approved operator withdraw, and no one else", async () => {
    const { vault, tokens, alice, bob, carol } = await networkHelpers.loadFixture(leveredAlice);
    const asBob = vault.connect(bob) as Contract;
    await expect(asBob.withdraw(tokens.WETH, wad(1), alice.address, bob.address))
      .to.be.revertedWithCustomError(vault, "Unauthorized")
      .withArgs(bob.address, alice.address);

    await expect((vault.connect(alice) as Contract).setOperator(bob.address, true))
      .to.emit(vault, "OperatorSet")
      .withArgs(alice.address, bob.address, true);
    await asBob.withdraw(tokens.WETH, wad(1), alice.address, carol.address);
    expect(await vault.collateralBalance(alice.address, tokens.WETH)).to.equal(wad(9));

    await (vault.connect(alice) as Contract).setOperator(bob.address, false);
    await expect(asBob.withdraw(tokens.WETH, wad(1), alice.address, bob.address)).to.be.revertedWithCustomError(
      vault,
      "Unauthorized",
    );
  });

  it("reverts when the amount exceeds the balance, is zero, or the receiver is zero", async () => {
    const { vault, tokens, alice } = await networkHelpers.loadFixture(leveredAlice);
    const v = vault.connect(alice) as Contract;
    const weth = await tokens.WETH.getAddress();
    await expect(v.withdraw(weth, wad(11), alice.address, alice.address))
      .to.be.revertedWithCustomError(vault, "InsufficientBalance")
      .withArgs(weth, wad(10), wad(11));
    await expect(v.withdraw(weth, 0n, alice.address, alice.address)).to.be.revertedWithCustomError(vault, "ZeroAmount");
    await expect(v.withdraw(weth, 1n, alice.address, "0x0000000000000000000000000000000000000000")).to.be.revertedWithCustomError(
      vault,
      "ZeroAddress",
    );
  });

  it("still lets a healthy account withdraw while paused", async () => {
    const { vault, tokens, alice } = await networkHelpers.loadFixture(leveredAlice);
    await vault.pause();
    await (vault.connect(alice) as Contract).withdraw(tokens.WETH, wad(1), alice.address, alice.address);
    expect(await vault.collateralBalance(alice.address, tokens.WETH)).to.equal(wad(9));
  });

  it("lets an account with no debt and no positions take everything out", async () => {
    const { vault, tokens, bob } = await networkHelpers.loadFixture(deployDefault);
    const v = vault.connect(bob) as Contract;
    const amount = await units(tokens.WBTC, 2);
    await v.deposit(tokens.WBTC, amount, bob.address);
    await v.withdraw(tokens.WBTC, amount, bob.address, bob.address);
    const margin = await vault.accountMargin(bob.address);
    expect(margin.equity).to.equal(0n);
    expect(margin.touchedAssets).to.equal(0n);
  });

  it("refuses a withdrawal that the hedge no longer covers once the price moves", async () => {
    const { vault, tokens, feeds, alice } = await networkHelpers.loadFixture(leveredAlice);
    // A short ETH perp hedges the WETH: exposure to ETH is zero, only the add-ons remain.
    await vault.harnessSetPosition(alice.address, MARKET.ETH, wad(-10));
    await vault.harnessSetCash(alice.address, wad(8_000));
    const hedged = await vault.accountMargin(alice.address);
    expect(hedged.exposures[ASSET.ETH]).to.equal(0n);
    expect(hedged.k).to.equal(0n);

    await setPrice(feeds.ETH, wad(2_500));
    await (vault.connect(alice) as Contract).withdraw(tokens.WETH, wad(1), alice.address, alice.address);
    const after = await vault.accountMargin(alice.address);
    expect(after.equity).to.equal(wad(8_000) + wad(9 * 2_500) - wad(10 * 2_500));
    expect(after.exposures[ASSET.ETH]).to.equal(wad(-2_500));
  });
});
