import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";
import {
  debtorHolds,
  deposit,
  ETH_PRICE,
  expectCashConserved,
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
const BTC_PRICE = wad(42_000);
const BTC_CAP = wad(5_000); // the BTC perp's open-interest cap
const BTC_MAX = wad(1_000_000); // BTC's listed maximum price

/** Alice and Bob each hold 50M USDC: enough margin to trade the BTC perp up to its open-interest cap. */
async function whales(): Promise<Fixture> {
  const f = await deployDefault();
  for (const user of [f.alice, f.bob]) {
    await f.tokens.USDC.mint(user.address, USDC(50_000_000));
    await deposit(f, user, f.tokens.USDC, USDC(50_000_000));
  }
  return f;
}

/** Bob's margin is 1 WBTC (8 decimals): his 600 of debt to Alice can be paid only by selling satoshis. */
const debtorHoldsWbtc = () => debtorHolds("WBTC", 10n ** 8n);

describe("attacks: rounding and precision", () => {
  it("netting a 1-wei debt takes a whole 6-decimal USDC unit and keeps the excess as the debtor's cash", async () => {
    const f = await networkHelpers.loadFixture(funded);
    await f.vault.harnessSetCash(f.alice.address, -1n);
    await f.vault.harnessSetCash(f.bob.address, 1n);
    await f.cash.settleCash(f.alice.address);
    // Rounded up against the debtor: one unit (1e12 wei of cash) paid, 1e12 - 1 wei left as its positive cash.
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(USDC(10_000) - 1n);
    expect(await f.vault.cash(f.alice.address)).to.equal(SCALE - 1n);
    expect((await f.cash.cashPool())[0]).to.equal(1n);
    await expectCashConserved(f);
  });

  it("many 1-wei trades conserve cash to the wei and create no equity", async () => {
    const f = await networkHelpers.loadFixture(funded);
    const sum = async () => (await margin(f, f.alice.address)).equity + (await margin(f, f.bob.address)).equity;
    const before = await sum();
    for (let i = 0; i < 6; ++i) {
      if (i % 2 === 0) await trade(f, f.alice, f.bob, MARKET.ETH, 1n, ETH_PRICE);
      else await trade(f, f.bob, f.alice, MARKET.ETH, 1n, ETH_PRICE + 1n);
    }
    expect((await f.vault.cash(f.alice.address)) + (await f.vault.cash(f.bob.address))).to.equal(0n);
    expect(await sum()).to.be.lessThanOrEqual(before);
    await expectCashConserved(f);
  });

  it("one satoshi of 8-decimal WBTC is valued down and withdraws as exactly one satoshi", async () => {
    const f = await networkHelpers.loadFixture(deployDefault);
    await deposit(f, f.alice, f.tokens.WBTC, 1n);
    // 1e-8 BTC at 42,000 is 4.2e-4 USD of equity, never more; its haircut and scan still require margin.
    const m = await margin(f, f.alice.address);
    expect(m.equity).to.equal((10n ** 10n * BTC_PRICE) / WAD);
    expect(m.mm).to.be.greaterThan(0n);
    const [, wbtc] = await wallet(f, f.alice.address);
    await withdraw(f, f.alice, f.tokens.WBTC, 1n);
    expect((await wallet(f, f.alice.address))[1]).to.equal(wbtc + 1n);
    await expect(withdraw(f, f.alice, f.tokens.WBTC, 1n)).to.be.revertedWithCustomError(f.vault, "InsufficientBalance");
  });

  it("one wei of 18-decimal WETH is valued down, never up", async () => {
    const f = await networkHelpers.loadFixture(deployDefault);
    await deposit(f, f.alice, f.tokens.WETH, 1n);
    const m = await margin(f, f.alice.address);
    // 2,300 wei of value, never more, and its margin requirement does not round to zero.
    expect(m.equity).to.equal(2_300n);
    expect(m.mm).to.be.greaterThan(0n);
  });

  it("a debtor's 8-decimal WBTC is sold rounded down in satoshis and paid for rounded up in USDC units", async () => {
    const f = await networkHelpers.loadFixture(debtorHoldsWbtc);
    const sell = (f.cash.connect(f.carol) as Contract).buyDebtorCollateral;
    const [bought, paid] = await sell.staticCall(f.bob.address, f.tokens.WBTC, 10n ** 8n, f.alice.address);
    await sell(f.bob.address, f.tokens.WBTC, 10n ** 8n, f.alice.address);
    const salePrice = (BTC_PRICE * 99n + 99n) / 100n; // mulUp(price, 1 - 1%)
    // The buyer pays at least the value of what it bought, and never raises more than Bob's 600 of debt.
    expect(paid * SCALE * WAD).to.be.greaterThanOrEqual(bought * 10n ** 10n * salePrice);
    expect(paid).to.be.lessThanOrEqual(USDC(600));
    expect(await f.vault.cash(f.bob.address)).to.be.lessThanOrEqual(0n);
    await expectCashConserved(f);
  });

  it("a trade up to the open-interest cap is accepted and one wei more is refused", async () => {
    const f = await networkHelpers.loadFixture(whales);
    await trade(f, f.alice, f.bob, MARKET.BTC, BTC_CAP, BTC_PRICE);
    expect((await f.vault.marketConfig(MARKET.BTC)).openInterest).to.equal(BTC_CAP);
    await expect(trade(f, f.alice, f.bob, MARKET.BTC, 1n, BTC_PRICE))
      .to.be.revertedWithCustomError(f.vault, "OpenInterestCapExceeded")
      .withArgs(MARKET.BTC, BTC_CAP + 1n, BTC_CAP);
    expect(await f.vault.position(f.alice.address, MARKET.BTC)).to.equal(BTC_CAP);
  });

  it("at the asset's maximum price a book at the open-interest cap is still valued exactly, without overflow", async () => {
    const f = await networkHelpers.loadFixture(whales);
    await trade(f, f.alice, f.bob, MARKET.BTC, BTC_CAP, BTC_PRICE);
    await setPrice(f.feeds.BTC, BTC_MAX);
    const gain = (BTC_CAP * (BTC_MAX - BTC_PRICE)) / WAD;
    expect((await margin(f, f.alice.address)).equity).to.equal(wad(50_000_000) + gain);
    // Bob is deep under water: liquidatable (not reverting), and his shortfall is exact.
    expect((await margin(f, f.bob.address)).equity).to.equal(wad(50_000_000) - gain);
    expect(await f.vault.isLiquidatable(f.bob.address)).to.equal(true);
  });
});
