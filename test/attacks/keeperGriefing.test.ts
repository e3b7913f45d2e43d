import { expect } from "chai";
import type { Contract } from "ethers";

import { MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";
import {
  aliceUnderwater,
  deposit,
  expectCashConserved,
  margin,
  trade,
  ETH_PRICE,
  withdraw,
  withQuirky,
  type Fixture,
} from "./setup.js";

const WAD = 10n ** 18n;
/**
 * A bound on what dust positions can make a keeper pay: 4 extra assets each read once (their feeds, scans and
 * correlations) on both sides. Measured 402,069 gas; the 32-market case is in
 * liquidation.test.ts.
 */
const DUST_BOOK_GAS = 450_000n;

/** `withQuirky`: Alice holds 2 QRK and 10,000 USDC, is long 10 ETH bought at 2,300; ETH falls to 1,250 (E = 1,950 < MM). */
async function quirkyUnderwater() {
  const f = await withQuirky();
  await deposit(f, f.alice, f.quirky, wad(2));
  await trade(f, f.alice, f.bob, MARKET.ETH, wad(10), ETH_PRICE);
  await setPrice(f.feeds.ETH, wad(1_250));
  return f;
}

/** `aliceUnderwater`, and Alice also holds 1 wei in each of the other four markets (Bob the other side). */
async function dustInEveryMarket(): Promise<Fixture> {
  const f = await aliceUnderwater();
  for (const market of [MARKET.BTC, MARKET.SOL, MARKET.LINK, MARKET.DOGE]) {
    await f.vault.harnessSetPosition(f.alice.address, market, 1n);
    await f.vault.harnessSetPosition(f.bob.address, market, -1n);
  }
  return f;
}

function liquidateAs(f: Fixture, liquidator: Fixture["carol"], fraction = WAD) {
  return (f.vault.connect(liquidator) as Contract).liquidate(f.alice.address, fraction);
}

describe("attacks: keeper griefing", () => {
  it("a collateral token that reverts on transfers to the liquidator cannot block the liquidation or its preview", async () => {
    const f = await networkHelpers.loadFixture(quirkyUnderwater);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(true);
    await f.quirky.setBlocked(f.carol.address, true);
    const v = f.vault.connect(f.carol) as Contract;
    const preview = await v.previewLiquidation(f.alice.address, WAD);
    const result = await v.liquidate.staticCall(f.alice.address, WAD);
    expect([result.fraction, result.value, result.bonus]).to.deep.equal([preview.fraction, preview.value, preview.bonus]);
    await liquidateAs(f, f.carol);
    // The slice moved inside the vault: Carol holds QRK there without any token transfer.
    expect(await f.vault.collateralBalance(f.carol.address, f.quirky)).to.be.greaterThan(0n);
    expect(await f.quirky.balanceOf(await f.vault.getAddress())).to.equal(wad(2));
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
    await expectCashConserved(f);
  });

  it("a collateral token frozen for the vault itself cannot stop the account's liquidation", async () => {
    const f = await networkHelpers.loadFixture(quirkyUnderwater);
    await f.quirky.setBlocked(await f.vault.getAddress(), true);
    const before = await margin(f, f.alice.address);
    await liquidateAs(f, f.carol);
    const after = await margin(f, f.alice.address);
    expect(after.equity - after.mm).to.be.greaterThan(before.equity - before.mm);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
    // No one can take the token out of the vault, the liquidator included, yet its call went through.
    const taken: bigint = await f.vault.collateralBalance(f.carol.address, f.quirky);
    expect(taken).to.be.greaterThan(0n);
    await expect(withdraw(f, f.carol, f.quirky, taken)).to.be.revertedWithCustomError(f.quirky, "TransferBlocked");
  });

  it("1-wei positions in every market cannot make the keeper's call revert, and its gas stays bounded", async () => {
    const f = await networkHelpers.loadFixture(dustInEveryMarket);
    const tx = await liquidateAs(f, f.carol);
    const receipt = await tx.wait();
    expect(receipt.gasUsed).to.be.lessThanOrEqual(DUST_BOOK_GAS);
    // Every dust position was taken whole (slices round up), so none lingers to be liquidated again.
    for (const market of [MARKET.BTC, MARKET.SOL, MARKET.LINK, MARKET.DOGE]) {
      expect(await f.vault.position(f.alice.address, market)).to.equal(0n);
    }
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
  });

  it("an account too large for one liquidator's margin refuses only that liquidator, and a funded keeper succeeds", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    // The admin holds nothing in the vault: the slice would leave it under initial margin.
    await expect(liquidateAs(f, f.admin)).to.be.revertedWithCustomError(f.vault, "InsufficientMargin");
    expect(await f.vault.position(f.admin.address, MARKET.ETH)).to.equal(0n);
    expect(await f.vault.cash(f.admin.address)).to.equal(0n);
    await expect(liquidateAs(f, f.carol)).to.emit(f.vault, "Liquidated");
    await expectCashConserved(f);
  });
});
