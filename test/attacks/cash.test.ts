import { expect } from "chai";
import type { Contract } from "ethers";

import { MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";
import {
  debtorHolds,
  deposit,
  expectCashConserved,
  roundTrip,
  funded,
  margin,
  SCALE,
  trade,
  USDC,
  wallet,
  withdraw,
  type Fixture,
} from "./setup.js";

const WAD = 10n ** 18n;
const DISCOUNT = wad(0.01); // the default deployment's settlement discount

/** Bob's 5 WETH back his 600 of debt to Alice. */
const debtorHoldsWeth = () => debtorHolds("WETH", 5n * 10n ** 18n);

/** `funded`; Alice buys 2 ETH perp from Bob at 2,300 and sells back at 2,400: Alice +200 cash, Bob -200. */
async function debtorHoldsUsdc(): Promise<Fixture> {
  const f = await funded();
  await roundTrip(f, wad(2_400));
  return f;
}

/**
 * `debtorHoldsUsdc` with Bob's debt netted: the pool holds the 200 USDC of Alice's realised profit. The admin, margined
 * in WETH only, shorts 5 ETH perp to Bob at 2,400: its cash is +12,000 of sale proceeds, the cost basis of its short.
 */
async function shortWithProceeds(): Promise<Fixture> {
  const f = await debtorHoldsUsdc();
  await f.cash.settleCash(f.bob.address);
  await f.tokens.WETH.mint(f.admin.address, wad(10));
  await (f.tokens.WETH.connect(f.admin) as Contract).approve(await f.vault.getAddress(), wad(10));
  await deposit(f, f.admin, f.tokens.WETH, wad(10));
  await trade(f, f.bob, f.admin, MARKET.ETH, wad(5), wad(2_400));
  return f;
}

async function equities(f: Fixture): Promise<bigint[]> {
  return Promise.all([f.alice, f.bob, f.carol].map(async (u) => (await margin(f, u.address)).equity));
}

describe("attacks: cash settlement", () => {
  it("settleCash by a third party only nets the debtor's own USDC and changes nobody's equity", async () => {
    const f = await networkHelpers.loadFixture(debtorHoldsUsdc);
    const before = await equities(f);
    await (f.cash.connect(f.carol) as Contract).settleCash(f.bob.address);
    expect(await equities(f)).to.deep.equal(before);
    expect(await f.vault.collateralBalance(f.bob.address, f.tokens.USDC)).to.equal(USDC(9_800));
    expect(await f.vault.cash(f.bob.address)).to.equal(0n);
    expect((await f.cash.cashPool())[0]).to.equal(USDC(200));
    await expectCashConserved(f);
  });

  it("repeated settleCash calls cannot take more than the debt", async () => {
    const f = await networkHelpers.loadFixture(debtorHoldsUsdc);
    for (let i = 0; i < 3; ++i) await (f.cash.connect(f.carol) as Contract).settleCash(f.bob.address);
    // Settling a creditor moves nothing either.
    await (f.cash.connect(f.carol) as Contract).settleCash(f.alice.address);
    expect(await f.vault.collateralBalance(f.bob.address, f.tokens.USDC)).to.equal(USDC(9_800));
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(USDC(10_000));
    expect((await f.cash.cashPool())[0]).to.equal(USDC(200));
    await expectCashConserved(f);
  });

  it("two-address profit extraction: a wash trade's profit is paid only from the pair's own USDC", async () => {
    const f = await networkHelpers.loadFixture(funded);
    // Alice buys at the top of the 5% band and sells at the bottom: 2,300 of equity moves to Bob, her second address.
    await trade(f, f.alice, f.bob, MARKET.ETH, wad(10), wad(2_415));
    await trade(f, f.bob, f.alice, MARKET.ETH, wad(10), wad(2_185));
    expect(await f.vault.cash(f.bob.address)).to.equal(wad(2_300));
    // Bob cannot cash his profit out of Carol's deposit: the pool holds nothing until Alice's debt is netted.
    await expect(withdraw(f, f.bob, f.tokens.USDC, USDC(12_300))).to.be.revertedWithCustomError(f.vault, "SettlementPoolShort");
    await f.cash.settleCash(f.alice.address);
    await withdraw(f, f.bob, f.tokens.USDC, USDC(12_300));
    await withdraw(f, f.alice, f.tokens.USDC, USDC(7_700));
    // The pair took out exactly the 20,000 it put in; Carol's 10,000 is all the vault still holds.
    expect(await f.tokens.USDC.balanceOf(await f.vault.getAddress())).to.equal(USDC(10_000));
    expect(await f.vault.collateralBalance(f.carol.address, f.tokens.USDC)).to.equal(USDC(10_000));
    await expectCashConserved(f);
  });

  it("a debtor's collateral is sold at no worse than the oracle price less the discount, paid in whole units", async () => {
    const f = await networkHelpers.loadFixture(debtorHoldsWeth);
    const bobBefore = (await margin(f, f.bob.address)).equity;
    const [carolUsdc, , carolWeth] = await wallet(f, f.carol.address);
    const [bought, paid] = await (f.cash.connect(f.carol) as Contract).buyDebtorCollateral.staticCall(
      f.bob.address,
      f.tokens.WETH,
      wad(5),
      f.alice.address,
    );
    await (f.cash.connect(f.carol) as Contract).buyDebtorCollateral(f.bob.address, f.tokens.WETH, wad(5), f.alice.address);
    // The sale raises only Bob's debt (600 USDC), not his whole balance.
    expect(paid).to.be.lessThanOrEqual(USDC(600));
    const salePrice = (wad(2_600) * (WAD - DISCOUNT) + WAD - 1n) / WAD;
    expect(paid * SCALE * WAD).to.be.greaterThanOrEqual(bought * salePrice);
    const [carolUsdcAfter, , carolWethAfter] = await wallet(f, f.carol.address);
    expect([carolUsdc - carolUsdcAfter, carolWethAfter - carolWeth]).to.deep.equal([paid, bought]);
    // Bob loses at most the discount on what was sold (and below one USDC unit of rounding).
    const loss = bobBefore - (await margin(f, f.bob.address)).equity;
    expect(loss).to.be.lessThanOrEqual((bought * wad(2_600) * DISCOUNT) / WAD / WAD + SCALE);
    // And Alice's profit is now paid.
    await withdraw(f, f.alice, f.tokens.USDC, USDC(10_600));
    await expectCashConserved(f);
  });

  it("a short cannot drain the pool with its sale proceeds and lock another trader's realised profit", async () => {
    const f = await networkHelpers.loadFixture(shortWithProceeds);
    // The admin's equity is far above IM, but its positive cash is what its short accounts for, not profit.
    await expect(withdraw(f, f.admin, f.tokens.USDC, USDC(200)))
      .to.be.revertedWithCustomError(f.vault, "CashPayoutAboveProfit")
      .withArgs(f.admin.address, wad(-200));
    expect((await f.cash.cashPool())[0]).to.equal(USDC(200));
    // Alice's realised profit is still there for her.
    const [usdc] = await wallet(f, f.alice.address);
    await withdraw(f, f.alice, f.tokens.USDC, USDC(10_200));
    expect((await wallet(f, f.alice.address))[0] - usdc).to.equal(USDC(10_200));
    // Once the short is in profit, that profit (and no more) is paid like any other.
    await setPrice(f.feeds.ETH, wad(2_380));
    await trade(f, f.bob, f.carol, MARKET.ETH, wad(1), wad(2_380));
    await f.cash.settleCash(f.bob.address);
    await expect(withdraw(f, f.admin, f.tokens.USDC, USDC(101))).to.be.revertedWithCustomError(f.vault, "CashPayoutAboveProfit");
    await withdraw(f, f.admin, f.tokens.USDC, USDC(100));
    await expectCashConserved(f);
  });

  it("a buyer cannot take collateral from an account that owes nothing", async () => {
    const f = await networkHelpers.loadFixture(debtorHoldsWeth);
    await deposit(f, f.alice, f.tokens.WETH, wad(1));
    const buy = (f.cash.connect(f.carol) as Contract).buyDebtorCollateral;
    await expect(buy(f.alice.address, f.tokens.WETH, wad(1), f.alice.address))
      .to.be.revertedWithCustomError(f.cash, "NoCashDebt")
      .withArgs(f.alice.address);
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.WETH)).to.equal(wad(1));
  });

  it("a creditor cannot cash a short's sale proceeds beyond its profit by forcing a sale", async () => {
    const f = await networkHelpers.loadFixture(debtorHoldsWeth);
    // Carol shorts 5 ETH to Alice at 2,600: her cash is +13,000, but it is her position's cost basis, not profit.
    await trade(f, f.alice, f.carol, MARKET.ETH, wad(5), wad(2_600));
    await (f.cash.connect(f.alice) as Contract).settleCash(f.bob.address);
    const buy = (f.cash.connect(f.carol) as Contract).buyDebtorCollateral;
    // Carol names herself the creditor: her claim is min(cash, pnl, E - IM) = 0, so no sale is forced for her.
    await expect(buy(f.bob.address, f.tokens.WETH, wad(1), f.carol.address)).to.be.revertedWithCustomError(
      f.cash,
      "SettlementPoolNotShort",
    );
    expect(await f.vault.collateralBalance(f.bob.address, f.tokens.WETH)).to.equal(wad(5));
  });
});
