import { expect } from "chai";

import { createBatchParams, createMarginBook, liquidatableBigint, liquidatableScreened, slackBigint } from "../../../keeper/src/margin/batch.js";
import { marginRequirement, pairIndex, type Portfolio, type RiskParams } from "../../../keeper/src/margin/marginLib.js";
import { randomBook } from "../../../scripts/bench-keeper-data.js";

describe("keeper batch margin engines", () => {
  const { portfolios, riskParams, prices } = randomBook({ accounts: 1_500, positions: 5, seed: 7 });

  it("the fast bigint engine gives E - MM exactly as marginRequirement", () => {
    const book = createMarginBook(portfolios);
    const params = createBatchParams(riskParams);
    for (let i = 0; i < portfolios.length; i++) {
      const r = marginRequirement(portfolios[i]!, riskParams, prices);
      expect(slackBigint(book, params, prices, i), `account ${i}`).to.equal(r.equity - r.mm);
    }
  });

  it("the float screen decides exactly as bigint, on adversarial accounts at the boundary", () => {
    // Each account is moved so that E - MM is exactly -3..+3 wei, or +-1e-12 .. 1e-6 of its size: the hardest
    // cases for a float screen. Plus hedged accounts whose exposures cancel inside K.
    const adversarial: Portfolio[] = [];
    const offsets = [-3n, -2n, -1n, 0n, 1n, 2n, 3n, 10n ** 6n, -(10n ** 6n), 10n ** 9n, -(10n ** 9n), 10n ** 12n, -(10n ** 12n)];
    portfolios.forEach((p, i) => {
      const r = marginRequirement(p, riskParams, prices);
      const offset = offsets[i % offsets.length]!;
      adversarial.push({ ...p, cash: p.cash - (r.equity - r.mm) + offset });
    });
    for (let i = 0; i < 200; i++) {
      const size = BigInt(1 + i) * 10n ** 18n;
      const hedged: Portfolio = {
        cash: 0n,
        collateral: [],
        positions: [
          { asset: 1, k: 5n * 10n ** 15n, size },
          { asset: 2, k: 5n * 10n ** 15n, size: -(size * prices[1]!) / prices[2]! },
        ],
      };
      const r = marginRequirement(hedged, riskParams, prices);
      adversarial.push({ ...hedged, cash: hedged.cash - (r.equity - r.mm) + BigInt((i % 7) - 3) });
    }
    const book = createMarginBook(adversarial);
    const params = createBatchParams(riskParams);
    const exact = liquidatableBigint(book, params, prices);
    const screened = liquidatableScreened(book, params, prices);
    expect([...screened.liquidatable]).to.deep.equal([...exact]);
    expect(screened.deferred).to.be.greaterThan(0);
    const byRequirement = adversarial.map((p) => {
      const r = marginRequirement(p, riskParams, prices);
      return r.equity < r.mm ? 1 : 0;
    });
    expect([...exact]).to.deep.equal(byRequirement);
    // And on the random (mostly far from the boundary) accounts, with few deferrals.
    const plain = createMarginBook(portfolios);
    const plainScreened = liquidatableScreened(plain, params, prices);
    expect([...plainScreened.liquidatable]).to.deep.equal([...liquidatableBigint(plain, params, prices)]);
    expect(plainScreened.deferred).to.be.lessThan(portfolios.length / 10);
    void pairIndex;
    void (riskParams as RiskParams);
  });
});
