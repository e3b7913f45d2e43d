import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, MARKET, networkHelpers, units, wad } from "../fixtures.js";
import { makeOrder, signOrder } from "../helpers/orders.js";

/**
 * Loose regression ceilings only (gas used by the transaction, intrinsic cost included), well above the current
 * figures. The figures themselves, beside the product targets, are printed by `npm run bench` (scripts/bench.ts).
 */
const BUDGET = { settleTrade: 400_000n, liquidate: { 1: 275_000n, 3: 375_000n, 6: 510_000n } as Record<number, bigint> };

async function gasUsed(tx: Promise<any>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt.gasUsed as bigint;
}

describe("gas", () => {
  it("settleTrade with two signed orders stays within budget", async () => {
    const f = await networkHelpers.loadFixture(deployDefault);
    for (const user of [f.alice, f.bob]) {
      await (f.vault.connect(user) as Contract).deposit(f.tokens.USDC, await units(f.tokens.USDC, 10_000), user.address);
    }
    const settler = f.settlement.connect(f.carol) as Contract;
    const figures: bigint[] = [];
    for (let i = 0; i < 2; i++) {
      const buy = await makeOrder(f.alice.address, MARKET.ETH, wad(1), wad(2_300));
      const sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), wad(2_300));
      const [bs, ss] = [await signOrder(f.settlement, f.alice, buy), await signOrder(f.settlement, f.bob, sell)];
      figures.push(await gasUsed(settler.settleTrade(buy, bs, sell, ss, wad(1), wad(2_300))));
    }
    for (const g of figures) expect(g).to.be.lessThanOrEqual(BUDGET.settleTrade);
  });

  for (const count of [1, 3, 6]) {
    it(`liquidate of the close factor on an account with ${count} position(s) and USDC stays within budget`, async () => {
      const f = await networkHelpers.loadFixture(deployDefault);
      // A sixth market (a second BTC perpetual) for the six-position case.
      await f.vault.listMarket(1, wad(0.005), wad(1_000));
      await (f.vault.connect(f.alice) as Contract).deposit(f.tokens.USDC, await units(f.tokens.USDC, 10_000), f.alice.address);
      await (f.vault.connect(f.carol) as Contract).deposit(f.tokens.USDC, await units(f.tokens.USDC, 100_000), f.carol.address);
      const sizes = [wad(0.1), wad(1), wad(10), wad(100), wad(10_000), wad(0.1)];
      for (let m = 0; m < count; m++) await f.vault.harnessSetPosition(f.alice.address, m, sizes[m]);
      // Cash such that E = 90% of MM.
      const margin = await f.vault.accountMargin(f.alice.address);
      const cash: bigint = (margin.maintenanceMargin * 9n) / 10n - margin.equity;
      await f.vault.harnessSetCash(f.alice.address, cash);
      expect(await f.vault.isLiquidatable(f.alice.address)).to.equal(true);
      // The close factor: a slice of every position and of the USDC.
      const gas = await gasUsed((f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, wad(1)));
      expect(gas).to.be.lessThanOrEqual(BUDGET.liquidate[count]);
    });
  }
});
