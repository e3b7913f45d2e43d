import { expect } from "chai";
import type { Contract } from "ethers";

import { MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";
import { makeOrder, signOrder } from "../helpers/orders.js";
import { deposit, ETH_PRICE, funded, margin, trade, USDC, wallet, withdraw, type Fixture } from "./setup.js";

/** `funded`, and Alice is long 10 ETH perp bought from Bob at 2,300. */
async function aliceLong(): Promise<Fixture> {
  const f = await funded();
  await trade(f, f.alice, f.bob, MARKET.ETH, wad(10), ETH_PRICE);
  return f;
}

/** Alice hedges 10 WETH of collateral with 10 ETH perp sold short to Bob, plus 1,000 USDC. */
async function aliceHedged(): Promise<Fixture> {
  const f = await funded();
  await deposit(f, f.alice, f.tokens.WETH, wad(10));
  await withdraw(f, f.alice, f.tokens.USDC, USDC(9_000));
  await trade(f, f.bob, f.alice, MARKET.ETH, wad(10), ETH_PRICE);
  return f;
}

describe("attacks: margin bypass", () => {
  it("withdrawing collateral in many small pieces stops at initial margin", async () => {
    const f = await networkHelpers.loadFixture(aliceLong);
    const v = f.vault.connect(f.alice) as Contract;
    const [usdcBefore] = await wallet(f, f.alice.address);
    let out = 0n;
    const piece = USDC(250);
    for (let i = 0; i < 40; ++i) {
      const ok = await v.withdraw.staticCall(f.tokens.USDC, piece, f.alice.address, f.alice.address).then(
        () => true,
        () => false,
      );
      if (!ok) break;
      await withdraw(f, f.alice, f.tokens.USDC, piece);
      out += piece;
    }
    await expect(withdraw(f, f.alice, f.tokens.USDC, piece)).to.be.revertedWithCustomError(f.vault, "InsufficientMargin");
    const m = await margin(f, f.alice.address);
    expect(m.equity).to.be.greaterThanOrEqual(m.im);
    // The account kept its margin: less than one piece of room is left, and it got exactly what was debited.
    expect(m.equity - m.im).to.be.lessThan(piece * 10n ** 12n);
    expect((await wallet(f, f.alice.address))[0] - usdcBefore).to.equal(out);
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(USDC(10_000) - out);
  });

  it("withdrawing the collateral leg of a hedge while keeping the perp leg is refused", async () => {
    const f = await networkHelpers.loadFixture(aliceHedged);
    const before = await margin(f, f.alice.address);
    await expect(withdraw(f, f.alice, f.tokens.WETH, wad(10))).to.be.revertedWithCustomError(f.vault, "InsufficientMargin");
    // Nine tenths of the leg is refused too: the naked part of the short needs more than the 1,000 USDC left.
    await expect(withdraw(f, f.alice, f.tokens.WETH, wad(9))).to.be.revertedWithCustomError(f.vault, "InsufficientMargin");
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.WETH)).to.equal(wad(10));
    expect((await margin(f, f.alice.address)).equity).to.equal(before.equity);
  });

  it("unrealised profit cannot be withdrawn as tokens beyond the account's own balance", async () => {
    const f = await networkHelpers.loadFixture(aliceLong);
    // ETH rallies 4%: Alice's equity rises by 920 USD, but her cash is still -23,000 (the profit is unrealised).
    await setPrice(f.feeds.ETH, wad(2_392));
    expect((await margin(f, f.alice.address)).equity).to.equal(wad(10_920));
    const vaultUsdc: bigint = await f.tokens.USDC.balanceOf(await f.vault.getAddress());
    await expect(withdraw(f, f.alice, f.tokens.USDC, USDC(10_001)))
      .to.be.revertedWithCustomError(f.vault, "InsufficientCash")
      .withArgs(f.alice.address, wad(-23_000), wad(1));
    expect(await f.tokens.USDC.balanceOf(await f.vault.getAddress())).to.equal(vaultUsdc);
  });

  it("withdrawing more USDC than the balance cannot draw another account's cash from the pool", async () => {
    const f = await networkHelpers.loadFixture(aliceLong);
    // Bob realises a profit, Alice's loss is netted into the pool: the pool now holds Bob's claim.
    await setPrice(f.feeds.ETH, wad(2_200));
    await trade(f, f.alice, f.carol, MARKET.ETH, wad(0.001), wad(2_200));
    await trade(f, f.carol, f.alice, MARKET.ETH, wad(10.001), wad(2_200));
    await f.cash.settleCash(f.alice.address);
    const [pool] = await f.cash.cashPool();
    expect(pool).to.be.greaterThan(0n);
    // Carol, with no positive cash of her own beyond her trade, tries to take the pool with an oversized withdrawal.
    const carolCash: bigint = await f.vault.cash(f.carol.address);
    await expect(withdraw(f, f.carol, f.tokens.USDC, USDC(10_000) + pool)).to.be.revertedWithCustomError(
      f.vault,
      "InsufficientCash",
    );
    expect((await f.cash.cashPool())[0]).to.equal(pool);
    expect(await f.vault.cash(f.carol.address)).to.equal(carolCash);
  });

  it("a revoked operator can no longer withdraw or trade for the account", async () => {
    const f = await networkHelpers.loadFixture(funded);
    await (f.vault.connect(f.alice) as Contract).setOperator(f.carol.address, true);
    await (f.vault.connect(f.alice) as Contract).setOperator(f.carol.address, false);
    const op = f.vault.connect(f.carol) as Contract;
    await expect(op.withdraw(f.tokens.USDC, USDC(1), f.alice.address, f.carol.address))
      .to.be.revertedWithCustomError(f.vault, "Unauthorized")
      .withArgs(f.carol.address, f.alice.address);
    // An unsigned order of Alice relayed by her former operator is refused.
    const buy = await makeOrder(f.alice.address, MARKET.ETH, wad(1), ETH_PRICE);
    const sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), ETH_PRICE);
    await expect(
      (f.settlement.connect(f.carol) as Contract).settleTrade(buy, "0x", sell, await signOrder(f.settlement, f.bob, sell), wad(1), ETH_PRICE),
    ).to.be.revertedWithCustomError(f.settlement, "InvalidSignature");
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(USDC(10_000));
    expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(0n);
  });

  it("an operator cannot withdraw the owner's collateral past initial margin to its own address", async () => {
    const f = await networkHelpers.loadFixture(aliceLong);
    await (f.vault.connect(f.alice) as Contract).setOperator(f.carol.address, true);
    const op = f.vault.connect(f.carol) as Contract;
    const [carolUsdc] = await wallet(f, f.carol.address);
    await expect(op.withdraw(f.tokens.USDC, USDC(9_000), f.alice.address, f.carol.address)).to.be.revertedWithCustomError(
      f.vault,
      "InsufficientMargin",
    );
    expect((await wallet(f, f.carol.address))[0]).to.equal(carolUsdc);
    const m = await margin(f, f.alice.address);
    expect(m.equity).to.equal(wad(10_000));
  });

  it("a third party's deposit to an account cannot be withdrawn back by the third party", async () => {
    const f = await networkHelpers.loadFixture(funded);
    await (f.vault.connect(f.bob) as Contract).deposit(f.tokens.USDC, USDC(500), f.alice.address);
    await expect((f.vault.connect(f.bob) as Contract).withdraw(f.tokens.USDC, USDC(500), f.alice.address, f.bob.address))
      .to.be.revertedWithCustomError(f.vault, "Unauthorized")
      .withArgs(f.bob.address, f.alice.address);
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(USDC(10_500));
    expect(await f.vault.collateralBalance(f.bob.address, f.tokens.USDC)).to.equal(USDC(10_000));
  });
});
