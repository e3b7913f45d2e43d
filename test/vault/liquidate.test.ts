import { expect } from "chai";
import type { Contract, Signer } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, units, wad } from "../fixtures.js";
import { makeOrder, signOrder } from "../helpers/orders.js";

const WAD = 10n ** 18n;
const BONUS_RATE = wad(0.2); // ignition/parameters/spec-v1.json
const FUND_SHARE = wad(0.5);
/** The engine's rounding when a slice is not exactly f of the book: far below a micro-dollar. */
const ROUNDING = 10n ** 12n;

type Fixture = Awaited<ReturnType<typeof deployDefault>>;
interface Margin {
  equity: bigint;
  mm: bigint;
  im: bigint;
}

async function margin(vault: Contract, account: string): Promise<Margin> {
  const m = await vault.accountMargin(account);
  return { equity: m.equity as bigint, mm: m.maintenanceMargin as bigint, im: m.initialMargin as bigint };
}

async function deposit(f: Fixture, user: Signer, token: Contract, amount: bigint): Promise<void> {
  const address = await user.getAddress();
  await (f.vault.connect(user) as Contract).deposit(token, amount, address);
}

/** `buyer` buys `size` of `market` from `seller` at `price`, both orders signed, submitted by the admin. */
async function trade(f: Fixture, buyer: Signer, seller: Signer, market: number, size: bigint, price: bigint) {
  const buy = await makeOrder(await buyer.getAddress(), market, size, price);
  const sell = await makeOrder(await seller.getAddress(), market, -size, price);
  return f.settlement.settleTrade(
    buy,
    await signOrder(f.settlement, buyer, buy),
    sell,
    await signOrder(f.settlement, seller, sell),
    size,
    price,
  );
}

/** Carol, the liquidator, holds 200,000 USDC. */
async function withLiquidator(): Promise<Fixture> {
  const f = await deployDefault();
  await deposit(f, f.carol, f.tokens.USDC, await units(f.tokens.USDC, 200_000));
  return f;
}

/** Scenario 1's book: 100 WETH + short 100 ETH perp + 5,000 cash at ETH = 2,300. E = 5,000, MM = 5,750. */
async function hedgedBook() {
  const f = await withLiquidator();
  await deposit(f, f.alice, f.tokens.WETH, wad(100));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(-100));
  await f.vault.harnessSetCash(f.alice.address, wad(5_000));
  return f;
}

/** USDC only, negative cash: 100,000 USDC and -98,500 cash. E = 1,500, MM = 2% of 100,000 = 2,000. */
async function usdcNegativeCash() {
  const f = await withLiquidator();
  await deposit(f, f.alice, f.tokens.USDC, await units(f.tokens.USDC, 100_000));
  await f.vault.harnessSetCash(f.alice.address, wad(-98_500));
  return f;
}

/** Directional: 10,000 USDC and 10 ETH long bought at 2,300 (cash -23,000); at ETH = 1,500, E = 2,000 < MM. */
async function directional() {
  const f = await withLiquidator();
  await deposit(f, f.alice, f.tokens.USDC, await units(f.tokens.USDC, 10_000));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
  await f.vault.harnessSetCash(f.alice.address, wad(-23_000));
  await setPrice(f.feeds.ETH, wad(1_500));
  return f;
}

/** Pair: long 1 BTC, short 18 ETH (about market-neutral at 42,000 / 2,300), 2,000 USDC; BTC falls 10%. */
async function pairBook() {
  const f = await withLiquidator();
  await deposit(f, f.alice, f.tokens.USDC, await units(f.tokens.USDC, 2_000));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.BTC, wad(1));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(-18));
  await f.vault.harnessSetCash(f.alice.address, wad(-42_000 + 18 * 2_300));
  await setPrice(f.feeds.BTC, wad(40_000));
  return f;
}

/** Every collateral and market of the deployment, small and mixed, under MM. */
async function multiAsset() {
  const f = await withLiquidator();
  const t = f.tokens;
  await deposit(f, f.alice, t.USDC, await units(t.USDC, 3_000));
  await deposit(f, f.alice, t.WBTC, await units(t.WBTC, 1) / 10n);
  await deposit(f, f.alice, t.WETH, wad(2));
  await deposit(f, f.alice, t.WSOL, await units(t.WSOL, 20));
  await deposit(f, f.alice, t.LINK, wad(100));
  await deposit(f, f.alice, t.DOGE, await units(t.DOGE, 10_000));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.BTC, wad(0.3));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(-4));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.SOL, wad(50));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.LINK, wad(-200));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.DOGE, wad(20_000));
  const m = await margin(f.vault, f.alice.address);
  // Cash placing the account halfway between 0 and MM.
  await f.vault.harnessSetCash(f.alice.address, m.mm / 2n - m.equity);
  return f;
}

const BOOKS = { hedged: hedgedBook, pair: pairBook, directional, usdcNegativeCash, multiAsset } as const;

async function liquidateAs(f: Fixture, liquidator: Signer, account: string, fraction: bigint) {
  return (f.vault.connect(liquidator) as Contract).liquidate(account, fraction);
}

async function fundCash(f: Fixture): Promise<bigint> {
  return f.vault.cash(await f.insuranceFund.getAddress());
}

describe("MarginVault.liquidate", () => {
  describe("attack scenarios of issue 9, now harmless", () => {
    it("scenario 1: a hedged book is reduced pro rata, never wiped into bad debt while solvent", async () => {
      const f = await networkHelpers.loadFixture(hedgedBook);
      const before = await margin(f.vault, f.alice.address);
      expect(before.equity).to.equal(wad(5_000));
      expect(before.mm).to.equal(wad(5_750));
      const fundBefore = await fundCash(f);

      // Asking for everything takes only the close factor: (IM - E) / (IM - 0.2 MM) = 3,625 / 7,475.
      const max: bigint = await f.vault.maxLiquidationFraction(f.alice.address);
      expect(max).to.equal((wad(3_625) * WAD + wad(7_475) - 1n) / wad(7_475));
      await expect(liquidateAs(f, f.carol, f.alice.address, WAD)).to.emit(f.vault, "Liquidated");

      const after = await margin(f.vault, f.alice.address);
      // The account keeps its book's other half and pays only the bonus: 0.2 x MM released.
      const mmReleased = before.mm - after.mm;
      const bonus = (mmReleased * BONUS_RATE) / WAD;
      expect(after.equity).to.equal(before.equity - bonus);
      expect(after.equity).to.be.greaterThan(wad(4_400));
      expect(after.equity + ROUNDING).to.be.greaterThanOrEqual(after.im);
      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.be.lessThan(wad(-51));
      // The fund earned its share and paid nothing; no bad debt.
      expect((await fundCash(f)) - fundBefore).to.equal((bonus * FUND_SHARE + WAD - 1n) / WAD);
      expect((await f.vault.insurance())[1]).to.equal(0n);
    });

    it("scenario 1 (USDC only, negative cash): the account is reduced to IM, not wiped", async () => {
      const f = await networkHelpers.loadFixture(usdcNegativeCash);
      const before = await margin(f.vault, f.alice.address);
      expect([before.equity, before.mm]).to.deep.equal([wad(1_500), wad(2_000)]);
      await liquidateAs(f, f.carol, f.alice.address, WAD);
      const after = await margin(f.vault, f.alice.address);
      expect(after.equity).to.be.greaterThan(wad(1_250));
      expect(after.equity + ROUNDING).to.be.greaterThanOrEqual(after.im);
      expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.be.greaterThan(40_000n * 10n ** 6n);
    });

    it("scenario 2: two colluding addresses cannot drain the fund (A + B net <= 0, the fund loses nothing)", async () => {
      const f = await networkHelpers.loadFixture(hedgedBook);
      const [a, b] = [f.alice, f.bob];
      // The state the trades reach (A moved its equity to B with BTC trades 5% off the oracle and kept a
      // 1 BTC residual long; B holds the other side): A = hedged ETH book + 1 BTC long, E = 8,000 at BTC = 42,000.
      await f.vault.harnessSetPosition(a.address, MARKET.BTC, wad(1));
      await f.vault.harnessSetCash(a.address, wad(5_000 - 42_000 + 3_000));
      await deposit(f, b, f.tokens.USDC, await units(f.tokens.USDC, 10_000));
      await f.vault.harnessSetPosition(b.address, MARKET.BTC, wad(-1));
      await f.vault.harnessSetCash(b.address, wad(42_000 + 30_000));
      // BTC falls 10%: A is under MM but solvent.
      await setPrice(f.feeds.BTC, wad(37_800));
      const aBefore = await margin(f.vault, a.address);
      expect(aBefore.equity > 0n && aBefore.equity < aBefore.mm).to.equal(true);
      const bBefore = await margin(f.vault, b.address);
      const fundBefore = await fundCash(f);

      // B liquidates A as often as it can.
      for (let i = 0; i < 5 && (await f.vault.isLiquidatable(a.address)); ++i) {
        await liquidateAs(f, b, a.address, WAD);
      }
      const aAfter = await margin(f.vault, a.address);
      const bAfter = await margin(f.vault, b.address);
      expect(aAfter.equity).to.be.greaterThanOrEqual(0n);
      // Together A and B gain nothing at oracle prices (the fund's share of the bonus is their net loss).
      expect(aAfter.equity + bAfter.equity - (aBefore.equity + bBefore.equity)).to.be.lessThanOrEqual(4n);
      expect(await fundCash(f)).to.be.greaterThanOrEqual(fundBefore);
      expect((await f.vault.insurance())[1]).to.equal(0n);
    });

    it("scenario 3: one call never takes more than restoring IM needs, and trimming first cannot make it revert", async () => {
      const f = await networkHelpers.loadFixture(directional);
      const stale: bigint = await f.vault.maxLiquidationFraction(f.alice.address);
      expect(stale > 0n && stale < WAD).to.equal(true);
      // The account trims 0.001 ETH to its own second address (a risk-reducing trade) before the keeper's call.
      await deposit(f, f.bob, f.tokens.USDC, await units(f.tokens.USDC, 10_000));
      await trade(f, f.bob, f.alice, MARKET.ETH, wad(0.001), wad(1_500));
      const max: bigint = await f.vault.maxLiquidationFraction(f.alice.address);
      expect(max).to.be.lessThan(stale);

      // The keeper's stale fraction is clamped, not refused, and the account ends at IM, not far above it.
      await expect(liquidateAs(f, f.carol, f.alice.address, stale))
        .to.emit(f.vault, "Liquidated")
        .withArgs(f.alice.address, f.carol.address, max, anyValue, anyValue, anyValue, anyValue);
      const after = await margin(f.vault, f.alice.address);
      expect(after.equity + ROUNDING).to.be.greaterThanOrEqual(after.im);
      expect(after.equity - after.im).to.be.lessThan(wad(1));
      await expect(liquidateAs(f, f.carol, f.alice.address, WAD)).to.be.revertedWithCustomError(
        f.vault,
        "AccountHealthy",
      );
    });

    it("scenario 4: a side under MM cannot sell below the oracle to its own second address into negative equity", async () => {
      const f = await networkHelpers.loadFixture(withLiquidator);
      // Alice: 10 ETH long, E = 400 at 2,300 (MM = 3,565); Bob, her second address, has 10,000 USDC.
      await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
      await f.vault.harnessSetCash(f.alice.address, wad(-22_600));
      await deposit(f, f.bob, f.tokens.USDC, await units(f.tokens.USDC, 10_000));
      // Selling 10 ETH 5% under the oracle lowers MM and raises E - MM, but leaves E = -750: refused.
      await expect(trade(f, f.bob, f.alice, MARKET.ETH, wad(10), wad(2_185)))
        .to.be.revertedWithCustomError(f.vault, "InsufficientMargin")
        .withArgs(f.alice.address, wad(-750), 0n);
    });
  });

  describe("properties", () => {
    for (const [name, book] of Object.entries(BOOKS)) {
      it(`P1 + P2 + P3 + P4 on a ${name} book, for fractions from 1 wei to above the close factor`, async () => {
        const f = await networkHelpers.loadFixture(book);
        const max: bigint = await f.vault.maxLiquidationFraction(f.alice.address);
        expect(max > 0n).to.equal(true);
        for (const asked of [1n, 10n ** 9n, max / 3n, max, max + 1n, WAD]) {
          const snapshot = await networkHelpers.takeSnapshot();
          const before = await margin(f.vault, f.alice.address);
          const carolBefore = await margin(f.vault, f.carol.address);
          const fundBefore = await fundCash(f);
          const preview = await (f.vault.connect(f.carol) as Contract).previewLiquidation(f.alice.address, asked);
          const tx = liquidateAs(f, f.carol, f.alice.address, asked);
          await expect(tx).to.emit(f.vault, "Liquidated");
          const after = await margin(f.vault, f.alice.address);
          const carolAfter = await margin(f.vault, f.carol.address);
          // P3: the call takes at most the close factor.
          expect(preview.fraction).to.equal(asked < max ? asked : max);
          // P1: a solvent account stays solvent; the fund pays nothing for it.
          expect(after.equity).to.be.greaterThanOrEqual(0n);
          expect(await fundCash(f)).to.equal(fundBefore + (preview.fundShare as bigint));
          // P2: E - MM rises.
          expect(after.equity - after.mm).to.be.greaterThan(before.equity - before.mm);
          // P4: the account loses exactly the bonus; the liquidator gains the bonus less the fund's share (the
          // engine values the same slice with its own rounding on each side: one wei per entry at most).
          expect(before.equity - after.equity).to.equal(preview.bonus);
          const gain = carolAfter.equity - carolBefore.equity;
          const expected = (preview.bonus as bigint) - (preview.fundShare as bigint);
          expect(gain - expected <= 12n && expected - gain <= 12n).to.equal(true);
          expect(preview.bonus).to.be.lessThanOrEqual((BONUS_RATE * (preview.mmReleased as bigint)) / WAD);
          // The preview matched the state to the wei, and the liquidator ends at IM.
          expect([preview.equity, preview.maintenanceMargin, preview.initialMargin]).to.deep.equal([
            after.equity,
            after.mm,
            after.im,
          ]);
          expect([preview.liquidatorEquity, preview.liquidatorMaintenanceMargin]).to.deep.equal([
            carolAfter.equity,
            carolAfter.mm,
          ]);
          expect(carolAfter.equity).to.be.greaterThanOrEqual(carolAfter.im);
          await snapshot.restore();
        }
      });
    }

    it("P1: a solvent account with less equity than the bonus is taken whole and ends at zero, the fund pays nothing", async () => {
      const f = await networkHelpers.loadFixture(hedgedBook);
      await f.vault.harnessSetCash(f.alice.address, wad(10)); // E = 10 < 0.2 x MM
      expect(await f.vault.maxLiquidationFraction(f.alice.address)).to.equal(WAD);
      const fundBefore = await fundCash(f);
      await liquidateAs(f, f.carol, f.alice.address, WAD);
      const after = await margin(f.vault, f.alice.address);
      expect([after.equity, after.mm]).to.deep.equal([0n, 0n]);
      expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(0n);
      expect(await fundCash(f)).to.equal(fundBefore + wad(5)); // half of the 10 bonus
      expect((await f.vault.insurance())[1]).to.equal(0n);
    });

    it("P1: an insolvent account goes whole; the fund pays its shortfall before the call plus the bonus, never more", async () => {
      const f = await networkHelpers.loadFixture(directional);
      await setPrice(f.feeds.ETH, wad(1_100)); // E = 10,000 + 11,000 - 23,000 = -2,000
      const before = await margin(f.vault, f.alice.address);
      expect(before.equity).to.equal(wad(-2_000));
      expect(await f.vault.maxLiquidationFraction(f.alice.address)).to.equal(WAD);
      const fundAddress = await f.insuranceFund.getAddress();
      await f.tokens.USDC.mint(fundAddress, await units(f.tokens.USDC, 10_000));
      const fundAssetsBefore: bigint = await f.tokens.USDC.balanceOf(fundAddress);
      const carolBefore = await margin(f.vault, f.carol.address);

      const bonus = (before.mm * BONUS_RATE) / WAD;
      await expect(liquidateAs(f, f.carol, f.alice.address, wad(0.1)))
        .to.emit(f.vault, "BadDebtSettled")
        .withArgs(f.alice.address, wad(2_000) + bonus, 0n, (wad(2_000) + bonus + 10n ** 12n - 1n) / 10n ** 12n, 0n, 0n);
      expect(await margin(f.vault, f.alice.address)).to.deep.equal({ equity: 0n, mm: 0n, im: 0n });
      expect(fundAssetsBefore - (await f.tokens.USDC.balanceOf(fundAddress))).to.equal(
        (wad(2_000) + bonus + 10n ** 12n - 1n) / 10n ** 12n,
      );
      const carolAfter = await margin(f.vault, f.carol.address);
      expect(carolAfter.equity - carolBefore.equity - bonus <= 2n).to.equal(true);
      // Settled at zero, the account is no longer liquidatable: the fund cannot be made to pay twice.
      await expect(liquidateAs(f, f.carol, f.alice.address, WAD)).to.be.revertedWithCustomError(f.vault, "AccountHealthy");
    });

    it("P5: the risk-reducing exception never accepts a trade that leaves a side with E < 0", async () => {
      const f = await networkHelpers.loadFixture(withLiquidator);
      await deposit(f, f.bob, f.tokens.USDC, await units(f.tokens.USDC, 10_000));
      await f.vault.harnessSetPosition(f.alice.address, MARKET.ETH, wad(10));
      await f.vault.harnessSetCash(f.alice.address, wad(-22_600)); // E = 400, under MM
      for (const bps of [9_500n, 9_700n, 9_900n, 10_000n]) {
        for (const size of [wad(1), wad(5), wad(10)]) {
          const snapshot = await networkHelpers.takeSnapshot();
          const price = (wad(2_300) * bps) / 10_000n;
          try {
            await trade(f, f.bob, f.alice, MARKET.ETH, size, price);
            expect((await margin(f.vault, f.alice.address)).equity).to.be.greaterThanOrEqual(0n);
          } catch (error) {
            expect(String(error)).to.contain("InsufficientMargin");
          }
          await snapshot.restore();
        }
      }
    });
  });

  describe("refusals", () => {
    it("reverts when the account is healthy, on a zero fraction and on a self-liquidation", async () => {
      const f = await networkHelpers.loadFixture(directional);
      await expect(liquidateAs(f, f.carol, f.alice.address, 0n)).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
      await expect(liquidateAs(f, f.alice, f.alice.address, WAD))
        .to.be.revertedWithCustomError(f.vault, "SelfLiquidation")
        .withArgs(f.alice.address);
      await setPrice(f.feeds.ETH, wad(2_300));
      const m = await margin(f.vault, f.alice.address);
      await expect(liquidateAs(f, f.carol, f.alice.address, WAD))
        .to.be.revertedWithCustomError(f.vault, "AccountHealthy")
        .withArgs(f.alice.address, m.equity, m.mm);
      expect(await f.vault.maxLiquidationFraction(f.alice.address)).to.equal(0n);
      const preview = await f.vault.previewLiquidation(f.alice.address, WAD);
      expect([preview.fraction, preview.bonus, preview.equity]).to.deep.equal([0n, 0n, m.equity]);
    });

    it("reverts when the liquidator would end under initial margin", async () => {
      const f = await networkHelpers.loadFixture(directional);
      const [, , , , dave] = await ethers.getSigners();
      await expect(liquidateAs(f, dave, f.alice.address, WAD))
        .to.be.revertedWithCustomError(f.vault, "InsufficientMargin")
        .withArgs(dave.address, anyValue, anyValue);
    });

    it("stops while paused (test/vault/pause.test.ts has the grace period after it)", async () => {
      const f = await networkHelpers.loadFixture(hedgedBook);
      await f.vault.pause();
      await expect(liquidateAs(f, f.carol, f.alice.address, wad(0.1))).to.be.revertedWithCustomError(f.vault, "LiquidationPaused");
    });

    it("moves tokens only inside the vault", async () => {
      const f = await networkHelpers.loadFixture(hedgedBook);
      const weth = await f.tokens.WETH.getAddress();
      const openInterest = (await f.vault.marketConfig(MARKET.ETH)).openInterest as bigint;
      await liquidateAs(f, f.carol, f.alice.address, wad(0.1));
      const taken: bigint = await f.vault.collateralBalance(f.carol.address, weth);
      expect(taken).to.equal(wad(10));
      expect(await f.vault.position(f.carol.address, MARKET.ETH)).to.equal(wad(-10));
      expect((await f.vault.collateralConfig(weth)).totalDeposits).to.equal(wad(100));
      // Open interest (longs) is unchanged by moving shorts between accounts.
      expect((await f.vault.marketConfig(MARKET.ETH)).openInterest).to.equal(openInterest);
    });
  });

  describe("configuration", () => {
    it("lets only the risk admin set the bonus rate, the fund share and dust, within bounds", async () => {
      const f = await networkHelpers.loadFixture(deployDefault);
      await expect(f.vault.setLiquidationConfig(wad(0.05), wad(0.3), wad(10)))
        .to.emit(f.vault, "LiquidationConfigSet")
        .withArgs(wad(0.2), wad(0.05), wad(0.5), wad(0.3), wad(100), wad(10));
      expect(await f.vault.liquidationConfig()).to.deep.equal([wad(0.05), wad(0.3), wad(10)]);
      for (const [bonusRate, share, dust] of [
        [wad(0.5) + 1n, 0n, 0n],
        [0n, WAD + 1n, 0n],
        [0n, 0n, wad(1_000_000) + 1n],
      ]) {
        await expect(f.vault.setLiquidationConfig(bonusRate, share, dust))
          .to.be.revertedWithCustomError(f.vault, "InvalidLiquidationConfig")
          .withArgs(bonusRate, share, dust);
      }
      await expect((f.vault.connect(f.alice) as Contract).setLiquidationConfig(0n, 0n, 0n)).to.be.revertedWithCustomError(
        f.vault,
        "AccessControlUnauthorizedAccount",
      );
    });
  });
});

/** chai matcher placeholder for an argument whose value another assertion checks. */
function anyValue(): boolean {
  return true;
}
