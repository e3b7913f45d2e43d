import { expect } from "chai";
import type { Contract } from "ethers";

import { ASSET, deployDefault, ethers, networkHelpers, wad } from "../fixtures.js";
import { deposit, margin, withdraw, withQuirky } from "./setup.js";

/** `withQuirky` with 10 QRK deposited by Alice. */
async function quirkyDeposited() {
  const f = await withQuirky();
  await deposit(f, f.alice, f.quirky, wad(10));
  return f;
}

/** What a reentrancy attempt left in the token: whether its call succeeded and the error it got. */
async function hookOutcome(f: { vault: Contract; quirky: Contract }) {
  const ok: boolean = await f.quirky.hookOk();
  const result: string = await f.quirky.hookResult();
  return { ok, error: ok ? undefined : f.vault.interface.parseError(result)?.name };
}

describe("attacks: token quirks", () => {
  it("fee-on-transfer: no deposit route credits more than the vault received", async () => {
    const f = await networkHelpers.loadFixture(deployDefault);
    const fot = (await ethers.deployContract("FeeOnTransferToken", ["Fee", "FEE", 100n])) as unknown as Contract;
    await f.vault.listCollateral(fot, ASSET.ETH, wad(0.02), wad(1_000));
    for (const user of [f.alice, f.bob]) {
      await fot.mint(user.address, wad(10));
      await (fot.connect(user) as Contract).approve(await f.vault.getAddress(), ethers.MaxUint256);
    }
    await expect(deposit(f, f.alice, fot, wad(10)))
      .to.be.revertedWithCustomError(f.vault, "TransferShortfall")
      .withArgs(await fot.getAddress(), wad(10), wad(9.9));
    // Nor through a third party, which may not open a new token in another account at all.
    await expect((f.vault.connect(f.bob) as Contract).deposit(fot, wad(10), f.alice.address)).to.be.revertedWithCustomError(
      f.vault,
      "DepositNotAllowed",
    );
    expect(await fot.balanceOf(await f.vault.getAddress())).to.equal(0n);
    expect(await f.vault.collateralBalance(f.alice.address, fot)).to.equal(0n);
  });

  it("a false-returning token cannot be deposited without paying", async () => {
    const f = await networkHelpers.loadFixture(withQuirky);
    await f.quirky.setReturnFalse(true);
    await expect(deposit(f, f.alice, f.quirky, wad(10))).to.be.revertedWithCustomError(f.vault, "SafeERC20FailedOperation");
    expect(await f.vault.collateralBalance(f.alice.address, f.quirky)).to.equal(0n);
    expect(await f.quirky.balanceOf(f.alice.address)).to.equal(wad(100));
  });

  it("a false-returning token cannot be withdrawn as if sent: the account keeps its balance", async () => {
    const f = await networkHelpers.loadFixture(quirkyDeposited);
    await f.quirky.setReturnFalse(true);
    await expect(withdraw(f, f.alice, f.quirky, wad(10))).to.be.revertedWithCustomError(f.vault, "SafeERC20FailedOperation");
    expect(await f.vault.collateralBalance(f.alice.address, f.quirky)).to.equal(wad(10));
    expect(await f.quirky.balanceOf(await f.vault.getAddress())).to.equal(wad(10));
  });

  it("hook-token reentrancy: a deposit's hook re-entering withdraw is blocked and the deposit is credited once", async () => {
    const f = await networkHelpers.loadFixture(withQuirky);
    // The token is even Alice's operator, so only the reentrancy guard stands between it and her balance.
    await (f.vault.connect(f.alice) as Contract).setOperator(f.quirky, true);
    const data = f.vault.interface.encodeFunctionData("withdraw", [
      await f.quirky.getAddress(),
      wad(10),
      f.alice.address,
      await f.quirky.getAddress(),
    ]);
    await f.quirky.setHook(f.vault, data);
    await deposit(f, f.alice, f.quirky, wad(10));
    expect(await hookOutcome(f)).to.deep.equal({ ok: false, error: "ReentrancyGuardReentrantCall" });
    expect(await f.vault.collateralBalance(f.alice.address, f.quirky)).to.equal(wad(10));
    expect(await f.quirky.balanceOf(await f.vault.getAddress())).to.equal(wad(10));
  });

  it("hook-token reentrancy into the cash module from inside a withdrawal is blocked", async () => {
    const f = await networkHelpers.loadFixture(quirkyDeposited);
    await f.quirky.setHook(f.vault, f.cash.interface.encodeFunctionData("settleCash", [f.bob.address]));
    await withdraw(f, f.alice, f.quirky, wad(1));
    expect(await f.quirky.hookCalls()).to.equal(1n);
    expect(await hookOutcome(f)).to.deep.equal({ ok: false, error: "ReentrancyGuardReentrantCall" });
  });

  it("hook-token reentrancy into liquidate from inside a deposit is blocked", async () => {
    const f = await networkHelpers.loadFixture(withQuirky);
    await f.quirky.setHook(f.vault, f.vault.interface.encodeFunctionData("liquidate", [f.bob.address, wad(1)]));
    await deposit(f, f.alice, f.quirky, wad(10));
    expect(await hookOutcome(f)).to.deep.equal({ ok: false, error: "ReentrancyGuardReentrantCall" });
    expect(await f.vault.collateralBalance(f.alice.address, f.quirky)).to.equal(wad(10));
  });

  it("read-only reentrancy: accountMargin read inside a withdrawal's transfer already sees the debited balance", async () => {
    const f = await networkHelpers.loadFixture(quirkyDeposited);
    await f.quirky.setHook(f.vault, f.vault.interface.encodeFunctionData("accountMargin", [f.alice.address]));
    const before = await margin(f, f.alice.address);
    await withdraw(f, f.alice, f.quirky, wad(4));
    const { ok } = await hookOutcome(f);
    expect(ok).to.equal(true);
    const [seen] = f.vault.interface.decodeFunctionResult("accountMargin", await f.quirky.hookResult());
    const after = await margin(f, f.alice.address);
    // The view inside the transfer equals the state after the call, never the richer state before it.
    expect(seen.equity).to.equal(after.equity);
    expect(seen.equity).to.be.lessThan(before.equity);
  });
});
