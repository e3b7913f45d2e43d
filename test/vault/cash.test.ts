import { expect } from "chai";
import type { Contract, Signer } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";
import { makeOrder, signOrder } from "../helpers/orders.js";

const USDC = (x: bigint) => x * 10n ** 6n;
const SCALE = 10n ** 12n; // WAD cash per USDC unit
const DISCOUNT = wad(0.01); // the default deployment's settlement discount

type Fixture = Awaited<ReturnType<typeof deployDefault>>;

/** `buyer` buys `size` ETH perp from `seller` at `price` (oracle moved there first), relayed by Carol. */
async function trade(f: Fixture, buyer: Signer, seller: Signer, size: bigint, price: bigint) {
  await setPrice(f.feeds.ETH, price);
  const buy = await makeOrder(await buyer.getAddress(), MARKET.ETH, size, price);
  const sell = await makeOrder(await seller.getAddress(), MARKET.ETH, -size, price);
  await (f.settlement.connect(f.carol) as Contract).settleTrade(
    buy,
    await signOrder(f.settlement, buyer, buy),
    sell,
    await signOrder(f.settlement, seller, sell),
    size,
    price,
  );
}

/**
 * The trade: Alice deposits 10,000 USDC, buys 2 ETH perp from Bob at 2,300, ETH goes to 2,600, she sells
 * them back to Bob: Alice's cash is +600, Bob's -600. Bob's margin is `bobToken` (10,000 USDC or 5 WETH).
 */
async function roundTrip(bobToken: "USDC" | "WETH") {
  const f = await deployDefault();
  await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.USDC, USDC(10_000n), f.alice.address);
  const bobAmount = bobToken === "USDC" ? USDC(10_000n) : wad(5);
  await (f.vault.connect(f.bob) as Contract).deposit(f.tokens[bobToken], bobAmount, f.bob.address);
  await trade(f, f.alice, f.bob, wad(2), wad(2_300));
  await trade(f, f.bob, f.alice, wad(2), wad(2_600));
  return f;
}
const bobHoldsUsdc = () => roundTrip("USDC");
const bobHoldsWeth = () => roundTrip("WETH");

/** sum(cash) = pool * 1e12 + badDebt, to the wei (docs/liquidation.md). */
async function expectCashConserved(f: Fixture, accounts: string[]) {
  let sum = 0n;
  for (const a of accounts) sum += await f.vault.cash(a);
  const [pool] = await f.cash.cashPool();
  const [, badDebt] = await f.vault.insurance();
  expect(sum).to.equal(pool * SCALE + badDebt);
}

describe("Cash settlement", () => {
  describe("round trip (a): Bob's loss is netted from his USDC", () => {
    it("Alice withdraws her 10,000 USDC and her 600 of profit after one permissionless settleCash of Bob", async () => {
      const f = await networkHelpers.loadFixture(bobHoldsUsdc);
      expect(await f.vault.cash(f.alice.address)).to.equal(wad(600));
      expect(await f.vault.cash(f.bob.address)).to.equal(wad(-600));

      // Before Bob settles, the pool cannot pay her cash.
      await expect((f.vault.connect(f.alice) as Contract).withdraw(f.tokens.USDC, USDC(10_600n), f.alice.address, f.alice.address))
        .to.be.revertedWithCustomError(f.vault, "SettlementPoolShort")
        .withArgs(0n, USDC(600n));

      await expect((f.cash.connect(f.carol) as Contract).settleCash(f.bob.address))
        .to.emit(f.cash, "CashSettled")
        .withArgs(f.bob.address, USDC(600n))
        .and.to.emit(f.cash, "Withdraw")
        .withArgs(f.bob.address, await f.tokens.USDC.getAddress(), await f.vault.getAddress(), USDC(600n), USDC(9_400n));
      expect(await f.vault.cash(f.bob.address)).to.equal(0n);
      expect(await f.vault.collateralBalance(f.bob.address, f.tokens.USDC)).to.equal(USDC(9_400n));

      const before: bigint = await f.tokens.USDC.balanceOf(f.alice.address);
      await expect((f.vault.connect(f.alice) as Contract).withdraw(f.tokens.USDC, USDC(10_600n), f.alice.address, f.alice.address))
        .to.emit(f.vault, "CashPaid")
        .withArgs(f.alice.address, USDC(600n), 0n);
      expect((await f.tokens.USDC.balanceOf(f.alice.address)) - before).to.equal(USDC(10_600n));
      expect(await f.vault.cash(f.alice.address)).to.equal(0n);
      expect(await f.vault.collateralBalance(f.alice.address, f.tokens.USDC)).to.equal(0n);
      await expectCashConserved(f, [f.alice.address, f.bob.address]);
      // The vault still holds exactly Bob's balance.
      expect(await f.tokens.USDC.balanceOf(await f.vault.getAddress())).to.equal(USDC(9_400n));
    });

    it("settleCash is a no-op for an account with no negative cash or no USDC", async () => {
      const f = await networkHelpers.loadFixture(bobHoldsUsdc);
      expect(await (f.cash.connect(f.carol) as Contract).settleCash.staticCall(f.alice.address)).to.equal(0n);
      expect(await (f.cash.connect(f.carol) as Contract).settleCash.staticCall(f.carol.address)).to.equal(0n);
    });

    it("pays cash only from positive cash, and still checks initial margin", async () => {
      const f = await networkHelpers.loadFixture(bobHoldsUsdc);
      await (f.cash.connect(f.carol) as Contract).settleCash(f.bob.address);
      await expect((f.vault.connect(f.alice) as Contract).withdraw(f.tokens.USDC, USDC(10_601n), f.alice.address, f.alice.address))
        .to.be.revertedWithCustomError(f.vault, "InsufficientCash")
        .withArgs(f.alice.address, wad(600), wad(601));
      // Bob has no positive cash: his balance is all he can take, and only down to his initial margin.
      await expect((f.vault.connect(f.bob) as Contract).withdraw(f.tokens.USDC, USDC(9_401n), f.bob.address, f.bob.address))
        .to.be.revertedWithCustomError(f.vault, "InsufficientCash");
      // Cash is paid in the settlement token only.
      await expect(
        (f.vault.connect(f.alice) as Contract).withdraw(f.tokens.WETH, 1n, f.alice.address, f.alice.address),
      ).to.be.revertedWithCustomError(f.vault, "InsufficientBalance");
    });
  });

  describe("round trip (b): Bob deposited only WETH", () => {
    it("Alice's profit is paid after one permissionless sale of Bob's WETH at no worse than the settlement discount", async () => {
      const f = await networkHelpers.loadFixture(bobHoldsWeth);
      expect(await (f.cash.connect(f.carol) as Contract).settleCash.staticCall(f.bob.address)).to.equal(0n);
      await expect((f.vault.connect(f.alice) as Contract).withdraw(f.tokens.USDC, USDC(10_600n), f.alice.address, f.alice.address))
        .to.be.revertedWithCustomError(f.vault, "SettlementPoolShort");

      // Carol buys Bob's WETH for USDC, naming Alice as the creditor the pool cannot pay.
      await (f.tokens.USDC.connect(f.carol) as Contract).approve(await f.vault.getAddress(), ethers.MaxUint256);
      const carolWeth: bigint = await f.tokens.WETH.balanceOf(f.carol.address);
      const tx = (f.cash.connect(f.carol) as Contract).buyDebtorCollateral(f.bob.address, f.tokens.WETH, wad(5), f.alice.address);
      // 600 USDC at 2,600 * 0.99 = 2,574 buys floor(600e18 / 2,574) wei of WETH; Carol pays it rounded up: 600 USDC.
      const bought = (USDC(600n) * SCALE * 10n ** 18n) / wad(2_574);
      expect(bought).to.equal(233_100_233_100_233_100n);
      await expect(tx)
        .to.emit(f.cash, "DebtorCollateralSold")
        .withArgs(f.bob.address, f.carol.address, await f.tokens.WETH.getAddress(), f.alice.address, bought, USDC(600n), USDC(600n));
      expect((await f.tokens.WETH.balanceOf(f.carol.address)) - carolWeth).to.equal(bought);
      // No worse than the discount: Bob was paid at least the oracle value less 1%.
      const paidWad = USDC(600n) * SCALE;
      expect(paidWad * 10n ** 18n).to.be.gte(bought * wad(2_600) * (10n ** 18n - DISCOUNT) / 10n ** 18n);
      expect(await f.vault.cash(f.bob.address)).to.equal(0n);
      expect(await f.vault.collateralBalance(f.bob.address, f.tokens.WETH)).to.equal(wad(5) - bought);

      const before: bigint = await f.tokens.USDC.balanceOf(f.alice.address);
      await (f.vault.connect(f.alice) as Contract).withdraw(f.tokens.USDC, USDC(10_600n), f.alice.address, f.alice.address);
      expect((await f.tokens.USDC.balanceOf(f.alice.address)) - before).to.equal(USDC(10_600n));
      await expectCashConserved(f, [f.alice.address, f.bob.address, f.carol.address]);
    });

    it("refuses a sale once the pool can pay the creditor, for a creditor with nothing to withdraw, or of USDC", async () => {
      const f = await networkHelpers.loadFixture(bobHoldsWeth);
      await (f.tokens.USDC.connect(f.carol) as Contract).approve(await f.vault.getAddress(), ethers.MaxUint256);
      const asCarol = f.cash.connect(f.carol) as Contract;
      // Carol has no cash: no claim, the pool (0) is not short for her.
      await expect(asCarol.buyDebtorCollateral(f.bob.address, f.tokens.WETH, wad(1), f.carol.address))
        .to.be.revertedWithCustomError(f.cash, "SettlementPoolNotShort")
        .withArgs(f.carol.address, 0n, 0n);
      await expect(asCarol.buyDebtorCollateral(f.bob.address, f.tokens.USDC, 1n, f.alice.address)).to.be.revertedWithCustomError(
        f.cash,
        "NotSettlementCollateral",
      );
      await expect(asCarol.buyDebtorCollateral(f.alice.address, f.tokens.WETH, 1n, f.alice.address))
        .to.be.revertedWithCustomError(f.cash, "NoCashDebt")
        .withArgs(f.alice.address);
      // A sale is cut to what the pool lacks: asking 5 WETH buys only 600 USDC's worth; a second sale is refused.
      await asCarol.buyDebtorCollateral(f.bob.address, f.tokens.WETH, wad(5), f.alice.address);
      await expect(asCarol.buyDebtorCollateral(f.bob.address, f.tokens.WETH, wad(1), f.alice.address))
        .to.be.revertedWithCustomError(f.cash, "NoCashDebt")
        .withArgs(f.bob.address);
    });

    it("sells at most the debtor's negative cash, whatever the creditor's claim", async () => {
      const f = await networkHelpers.loadFixture(bobHoldsWeth);
      // Carol wins 1,000 elsewhere (a claim above Bob's 600 of debt).
      await f.vault.harnessSetCash(f.carol.address, wad(1_000));
      await f.vault.harnessSetCash(f.admin.address, wad(-1_000));
      await (f.tokens.USDC.connect(f.carol) as Contract).approve(await f.vault.getAddress(), ethers.MaxUint256);
      const [bought, paid] = await (f.cash.connect(f.carol) as Contract).buyDebtorCollateral.staticCall(
        f.bob.address,
        f.tokens.WETH,
        wad(5),
        f.carol.address,
      );
      expect(paid).to.equal(USDC(600n));
      expect(bought).to.equal(233_100_233_100_233_100n);
    });
  });

  describe("debt and claims are profit and loss, not the cost basis of open positions", () => {
    it("sells a long's collateral for its loss only, and counts a short's proceeds as no claim", async () => {
      const f = await networkHelpers.loadFixture(bobHoldsWeth);
      // Bob (-600) buys 2 ETH from Alice at 2,600: Bob's cash -5,800 of which 5,200 is his long's cost basis;
      // Alice's +5,800 holds 5,200 of short proceeds.
      await trade(f, f.bob, f.alice, wad(2), wad(2_600));
      expect(await f.vault.cash(f.bob.address)).to.equal(wad(-5_800));
      await (f.tokens.USDC.connect(f.carol) as Contract).approve(await f.vault.getAddress(), ethers.MaxUint256);
      const [, paid] = await (f.cash.connect(f.carol) as Contract).buyDebtorCollateral.staticCall(
        f.bob.address,
        f.tokens.WETH,
        wad(5),
        f.alice.address,
      );
      expect(paid).to.equal(USDC(600n));
      // A short with no profit has no claim, however much cash its sale brought in.
      await trade(f, f.alice, f.bob, wad(2), wad(2_600)); // both flat again: Alice +600, Bob -600
      await (f.vault.connect(f.carol) as Contract).deposit(f.tokens.USDC, USDC(10_000n), f.carol.address);
      await trade(f, f.bob, f.carol, wad(1), wad(2_600)); // Carol short 1 at 2,600: cash +2,600, P&L 0
      await expect((f.cash.connect(f.alice) as Contract).buyDebtorCollateral(f.bob.address, f.tokens.WETH, wad(5), f.carol.address))
        .to.be.revertedWithCustomError(f.cash, "SettlementPoolNotShort")
        .withArgs(f.carol.address, 0n, 0n);
    });
  });

  describe("configuration", () => {
    it("bounds the settlement discount and the grace period, for the risk admin only", async () => {
      const f = await networkHelpers.loadFixture(bobHoldsUsdc);
      expect(await f.cash.cashConfig()).to.deep.equal([DISCOUNT, 3600n]);
      await expect((f.cash.connect(f.admin) as Contract).setCashConfig(wad(0.05) + 1n, 0))
        .to.be.revertedWithCustomError(f.cash, "InvalidCashConfig")
        .withArgs(wad(0.05) + 1n, 0n);
      await expect((f.cash.connect(f.admin) as Contract).setCashConfig(0, 4 * 3600 + 1)).to.be.revertedWithCustomError(
        f.cash,
        "InvalidCashConfig",
      );
      await expect((f.cash.connect(f.alice) as Contract).setCashConfig(0, 0)).to.be.revertedWithCustomError(
        f.cash,
        "AccessControlUnauthorizedAccount",
      );
      await expect((f.cash.connect(f.admin) as Contract).setCashConfig(wad(0.02), 60))
        .to.emit(f.cash, "CashConfigSet")
        .withArgs(wad(0.01), wad(0.02), 3600n, 60n);
    });
  });
});
