import { expect } from "chai";
import type { Contract, Signer } from "ethers";

import { ASSET, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";
import { aliceUnderwater, deposit, expectCashConserved, funded, margin, USDC, type Fixture } from "./setup.js";

const WAD = 10n ** 18n;
/** Matches any event argument. */
const anyValue = (): boolean => true;

function liquidate(f: Fixture, liquidator: Signer, account: string, fraction: bigint) {
  return (f.vault.connect(liquidator) as Contract).liquidate(account, fraction);
}

async function fundCash(f: Fixture): Promise<bigint> {
  return f.vault.cash(await f.insuranceFund.getAddress());
}

/** Alice: 40 USDC, long 0.1 ETH with cash -170 at ETH = 1,500 (E = 20, gross 190): what is left after the close factor is dust. */
async function dustAccount(): Promise<Fixture> {
  const f = await funded();
  await f.vault.harnessSetBalance(f.alice.address, f.tokens.USDC, USDC(40));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(0.1));
  await f.vault.harnessSetPosition(f.bob.address, MARKET.ETH, wad(-0.1));
  await setPrice(f.feeds.ETH, wad(1_500));
  await f.vault.harnessSetCash(f.alice.address, wad(-170));
  await f.vault.harnessSetCash(f.bob.address, wad(170));
  return f;
}

/** Alice holds a position in every one of 32 markets: the 5 listed plus 27 more ETH markets, halfway under MM. */
async function everyMarket(): Promise<Fixture> {
  const f = await funded();
  for (let i = 0; i < 27; ++i) await f.vault.listMarket(ASSET.ETH, wad(0.005), wad(1));
  const sizes = [wad(0.002), wad(0.04), wad(1), wad(6), wad(1_000)];
  for (let m = 0; m < 32; ++m) {
    const size = m < 5 ? sizes[m] : wad(0.04);
    await f.vault.harnessSetPosition(f.alice.address, m, m % 2 === 0 ? size : -size);
    await f.vault.harnessSetPosition(f.bob.address, m, m % 2 === 0 ? -size : size);
  }
  const m = await margin(f, f.alice.address);
  const shift = m.mm / 2n - m.equity;
  await f.vault.harnessSetCash(f.alice.address, shift);
  await f.vault.harnessSetCash(f.bob.address, -shift);
  return f;
}

describe("attacks: liquidation", () => {
  it("liquidating one's own account from a second address nets the pair a loss of the fund's share", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    const pairBefore = (await margin(f, f.alice.address)).equity + (await margin(f, f.bob.address)).equity;
    const fundBefore = await fundCash(f);
    // Bob, Alice's second address, takes her slice and the bonus.
    await liquidate(f, f.bob, f.alice.address, WAD);
    const pairAfter = (await margin(f, f.alice.address)).equity + (await margin(f, f.bob.address)).equity;
    const fundGain = (await fundCash(f)) - fundBefore;
    expect(fundGain).to.be.greaterThan(0n);
    // The pair loses exactly what the fund earned (to the engine's rounding of a few wei).
    expect(pairAfter - pairBefore + fundGain).to.be.lessThanOrEqual(4n);
    expect(pairAfter).to.be.lessThan(pairBefore);
    await expectCashConserved(f);
  });

  it("a top-up front-running a liquidation makes the keeper's call revert and moves nothing", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    await deposit(f, f.alice, f.tokens.USDC, USDC(2_000));
    const carol = await margin(f, f.carol.address);
    await expect(liquidate(f, f.carol, f.alice.address, WAD)).to.be.revertedWithCustomError(f.vault, "AccountHealthy");
    expect(await margin(f, f.carol.address)).to.deep.equal(carol);
    expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(wad(10));
    expect(await f.vault.position(f.carol.address, MARKET.ETH)).to.equal(0n);
  });

  it("a competing liquidator front-running the keeper leaves nothing to take twice", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    await liquidate(f, f.bob, f.alice.address, WAD);
    const after = await margin(f, f.alice.address);
    expect(after.equity).to.be.greaterThanOrEqual(after.mm);
    // The keeper's call, mined second, is refused: the account was restored once and pays no second bonus.
    await expect(liquidate(f, f.carol, f.alice.address, WAD)).to.be.revertedWithCustomError(f.vault, "AccountHealthy");
    expect(await margin(f, f.alice.address)).to.deep.equal(after);
  });

  it("trimming a liquidation into many tiny slices earns less bonus in total than one close-factor call", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    const v = f.vault.connect(f.carol) as Contract;
    const single = (await v.liquidate.staticCall(f.alice.address, WAD)).bonus as bigint;
    const step = ((await f.vault.maxLiquidationFraction(f.alice.address)) as bigint) / 20n;
    let trimmed = 0n;
    let calls = 0;
    while ((await f.vault.isLiquidatable(f.alice.address)) && calls < 100) {
      trimmed += (await v.liquidate.staticCall(f.alice.address, step)).bonus as bigint;
      await v.liquidate(f.alice.address, step);
      ++calls;
    }
    expect(calls).to.be.greaterThan(1);
    expect(trimmed).to.be.lessThan(single);
    const m = await margin(f, f.alice.address);
    expect(m.equity).to.be.greaterThanOrEqual(m.mm);
    await expectCashConserved(f);
  });

  it("a dust remainder is taken whole so that no un-liquidatable dust account is left behind", async () => {
    const f = await networkHelpers.loadFixture(dustAccount);
    expect(await f.vault.maxLiquidationFraction(f.alice.address)).to.equal(WAD);
    const before = await margin(f, f.alice.address);
    // A liquidator asks for half: the other half (95 USD gross) would be dust no keeper liquidates at a profit, so the
    // request is raised to the whole portfolio.
    await expect(liquidate(f, f.carol, f.alice.address, wad(0.5)))
      .to.emit(f.vault, "Liquidated")
      .withArgs(f.alice.address, f.carol.address, WAD, anyValue, anyValue, anyValue, anyValue);
    expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(0n);
    expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(0n);
    const after = await margin(f, f.alice.address);
    expect(after.mm).to.equal(0n);
    expect(after.equity >= 0n && after.equity < before.equity).to.equal(true);
    expect((await f.vault.insurance())[1]).to.equal(0n);
  });

  it("DoS by many markets: an account in all 32 markets is still liquidated in one call", async () => {
    const f = await networkHelpers.loadFixture(everyMarket);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(true);
    const tx = await liquidate(f, f.carol, f.alice.address, WAD);
    const receipt = await tx.wait();
    // Far below a block: 32 markets on 5 assets cost one margin computation per side.
    expect(receipt.gasUsed).to.be.lessThan(2_500_000n);
    expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(false);
    for (let m = 0; m < 32; ++m) expect(await f.vault.position(f.carol.address, m)).to.not.equal(0n);
  });

  it("a stale dust feed cannot block a liquidation: the vault reads only the account's assets and no one can add one", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    // A stranger cannot put a dust DOGE balance (its feed about to go stale) into Alice's account.
    await expect((f.vault.connect(f.bob) as Contract).deposit(f.tokens.DOGE, 1n, f.alice.address)).to.be.revertedWithCustomError(
      f.vault,
      "DepositNotAllowed",
    );
    // An hour later every feed but DOGE (and the others Alice does not touch) has a new round.
    await networkHelpers.time.increase(3_601);
    await setPrice(f.feeds.USD, wad(1));
    await setPrice(f.feeds.ETH, wad(1_500));
    await expect(f.vault.price(ASSET.DOGE)).to.be.revertedWithCustomError(f.vault, "OracleAnswerStale");
    await expect(liquidate(f, f.carol, f.alice.address, WAD)).to.emit(f.vault, "Liquidated");
    await expectCashConserved(f);
  });
});
