import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, networkHelpers, units } from "../fixtures.js";

describe("MarginVault.deposit", () => {
  it("credits the account named, pulls the tokens and emits Deposit with the new balance", async () => {
    const { vault, tokens, alice, bob } = await networkHelpers.loadFixture(deployDefault);
    const amount = await units(tokens.WETH, 3);
    const vaultAddress = await vault.getAddress();
    // Alice deposits for Bob as his operator (a stranger may only add to a token Bob holds).
    await (vault.connect(bob) as Contract).setOperator(alice.address, true);

    await expect((vault.connect(alice) as Contract).deposit(tokens.WETH, amount, bob.address))
      .to.emit(vault, "Deposit")
      .withArgs(bob.address, await tokens.WETH.getAddress(), alice.address, amount, amount);

    expect(await vault.collateralBalance(bob.address, tokens.WETH)).to.equal(amount);
    expect(await vault.collateralBalance(alice.address, tokens.WETH)).to.equal(0n);
    expect(await tokens.WETH.balanceOf(vaultAddress)).to.equal(amount);
    expect((await vault.collateralConfig(tokens.WETH)).totalDeposits).to.equal(amount);
  });

  it("adds to an existing balance", async () => {
    const { vault, tokens, alice } = await networkHelpers.loadFixture(deployDefault);
    const v = vault.connect(alice) as Contract;
    await v.deposit(tokens.USDC, 100n, alice.address);
    await expect(v.deposit(tokens.USDC, 50n, alice.address))
      .to.emit(vault, "Deposit")
      .withArgs(alice.address, await tokens.USDC.getAddress(), alice.address, 50n, 150n);
  });

  it("reverts when the token delivers less than the amount (fee-on-transfer)", async () => {
    const { vault, admin, alice } = await networkHelpers.loadFixture(deployDefault);
    const fot: Contract = await ethers.deployContract("FeeOnTransferToken", ["Fee Token", "FEE", 100n]);
    await vault.listCollateral(fot, 0, 0, 10n ** 24n);
    await fot.mint(alice.address, 10n ** 21n);
    await (fot.connect(alice) as Contract).approve(vault, ethers.MaxUint256);

    await expect((vault.connect(alice) as Contract).deposit(fot, 10n ** 20n, alice.address))
      .to.be.revertedWithCustomError(vault, "TransferShortfall")
      .withArgs(await fot.getAddress(), 10n ** 20n, 99n * 10n ** 18n);
    expect(await vault.collateralBalance(alice.address, fot)).to.equal(0n);
    void admin;
  });

  it("reverts when the deposit cap would be exceeded", async () => {
    const { vault, tokens, alice } = await networkHelpers.loadFixture(deployDefault);
    const weth = await tokens.WETH.getAddress();
    await vault.setCollateral(weth, 2n * 10n ** 16n, 5n * 10n ** 18n);
    const v = vault.connect(alice) as Contract;
    await v.deposit(weth, 4n * 10n ** 18n, alice.address);
    await expect(v.deposit(weth, 2n * 10n ** 18n, alice.address))
      .to.be.revertedWithCustomError(vault, "DepositCapExceeded")
      .withArgs(weth, 6n * 10n ** 18n, 5n * 10n ** 18n);
    await v.deposit(weth, 10n ** 18n, alice.address);
  });

  it("reverts for a zero amount, a zero account and an unlisted token", async () => {
    const { vault, tokens, alice } = await networkHelpers.loadFixture(deployDefault);
    const v = vault.connect(alice) as Contract;
    await expect(v.deposit(tokens.WETH, 0n, alice.address)).to.be.revertedWithCustomError(vault, "ZeroAmount");
    await expect(v.deposit(tokens.WETH, 1n, ethers.ZeroAddress)).to.be.revertedWithCustomError(vault, "ZeroAddress");
    const other: Contract = await ethers.deployContract("MockERC20", ["Other", "OTH", 18]);
    await expect(v.deposit(other, 1n, alice.address))
      .to.be.revertedWithCustomError(vault, "CollateralNotListed")
      .withArgs(await other.getAddress());
  });

  it("accepts an account's own deposit while paused (adding margin), and a stranger's only when unpaused", async () => {
    const { vault, tokens, alice, bob } = await networkHelpers.loadFixture(deployDefault);
    await (vault.connect(alice) as Contract).deposit(tokens.WETH, 1n, alice.address);
    await vault.pause();
    await (vault.connect(alice) as Contract).deposit(tokens.WETH, 1n, alice.address);
    expect(await vault.collateralBalance(alice.address, tokens.WETH)).to.equal(2n);
    await expect((vault.connect(bob) as Contract).deposit(tokens.WETH, 1n, alice.address))
      .to.be.revertedWithCustomError(vault, "DepositNotAllowed")
      .withArgs(bob.address, alice.address, await tokens.WETH.getAddress());
    await vault.unpause();
    await (vault.connect(bob) as Contract).deposit(tokens.WETH, 1n, alice.address);
    expect(await vault.collateralBalance(alice.address, tokens.WETH)).to.equal(3n);
  });

  it("lets only the guardian pause", async () => {
    const { vault, alice } = await networkHelpers.loadFixture(deployDefault);
    await expect((vault.connect(alice) as Contract).pause())
      .to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount")
      .withArgs(alice.address, await vault.GUARDIAN_ROLE());
  });
});
