import { expect } from "chai";
import { getAddress, zeroAddress, type Address } from "viem";

import { createLiquidationContext, requirementOf } from "../../../keeper/src/liquidation/previewLiquidation.js";
import { createAccountView, type AccountViewStore } from "../../../keeper/src/loop/evaluate.js";
import type { RiskConfig } from "../../../keeper/src/store/types.js";

const WAD = 10n ** 18n;
const USDC = getAddress("0x0000000000000000000000000000000000000a01");
const risk: RiskConfig = {
  assets: [
    { id: 0, symbol: "USD", feed: zeroAddress, feedDecimals: 8, heartbeat: 86_400n, scan: 2n * 10n ** 16n, maxPrice: 2n * WAD },
    { id: 1, symbol: "ETH", feed: zeroAddress, feedDecimals: 8, heartbeat: 3_600n, scan: 15n * 10n ** 16n, maxPrice: 10n ** 23n },
  ],
  collaterals: [{ token: USDC, id: 0, asset: 0, decimals: 6, haircut: 0n, depositCap: 10n ** 18n }],
  markets: [{ id: 0, asset: 1, k: 5n * 10n ** 15n, openInterestCap: 10n ** 30n }],
  rho: new Map([["0,1", 0n]]),
  imFactor: 15n * 10n ** 17n,
  sequencer: { feed: zeroAddress, gracePeriod: 0n },
  liquidation: { bonusRate: 0n, fundShare: 0n, dustThreshold: 0n, fund: zeroAddress },
};

/** `n` ETH longs against USDC; account 4321 is the most leveraged (10 ETH against 14,000 USD of debt). */
function population(n: number): AccountViewStore {
  const accounts = Array.from({ length: n }, (_, i) => getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`) as Address);
  const state = new Map(accounts.map((account, i) => [account, i === 4321 ? { size: 10n * WAD, cash: -14_000n * WAD } : { size: BigInt(1 + (i % 7)) * WAD, cash: 0n }]));
  return {
    accounts: () => accounts,
    cash: (account) => state.get(account)!.cash,
    balances: () => [{ token: USDC, amount: 1_000n * 10n ** 6n }],
    positions: (account) => [{ market: 0, size: state.get(account)!.size }],
  };
}

describe("keeper account view", () => {
  it("decides the accounts nearest to the boundary first (onNearest), and every verdict exactly, whatever the order", async () => {
    const store = population(20_000);
    const view = createAccountView({ store });
    const at = async (eth: bigint, onNearest?: () => void) => {
      const prices = [WAD, eth * WAD];
      const ctx = createLiquidationContext(risk, prices);
      const result = await view.evaluate({ touched: [], full: false, evict: false }, risk, ctx, prices, { chunk: 256, onNearest });
      return { ctx, result };
    };
    const first = await at(2_300n);
    expect(first.result.reevaluated).to.equal(20_000);
    expect(view.atRisk()).to.deep.equal([]);

    // ETH falls: the leveraged account is decided before the 20,000 others, which all hold ETH.
    let atNearest: Address[] = [];
    const crash = await at(1_500n, () => (atNearest = view.atRisk().map((a) => a.account)));
    const victim = store.accounts()[4321]!;
    expect(atNearest).to.deep.equal([victim]);
    expect(crash.result.reevaluated).to.equal(20_000);
    for (const account of store.accounts()) {
      const req = requirementOf(view.get(account)!.state, crash.ctx)!;
      expect(view.atRisk().some((a) => a.account === account), account).to.equal(req.equity < req.mm);
    }
  });
});
