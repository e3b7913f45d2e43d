import { expect } from "chai";

import {
  createBatchParams,
  createBatchScratch,
  createMarginBook,
  isLiquidatableBigint,
  liquidatableBigint,
  liquidatableScreened,
  prepareBatchPrices,
  screenAccount,
  slackBigint,
} from "../../../keeper/src/margin/batch.js";
import { marginRequirement, pairIndex, type Portfolio, type RiskParams } from "../../../client/src/margin/marginLib.js";
import { populationBook, randomBook } from "../../../scripts/bench-keeper-data.js";

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

  it("the bigint engine is exact where the three regimes tie or nearly tie, and at E - MM = -1, 0, +1 wei", () => {
    // One asset (no pairs: the three regime sums are equal); two assets with exposures of opposite signs and
    // sizes chosen so that the regimes are close; the bigint engine must then compute all three.
    const accounts: Portfolio[] = [];
    for (let i = 0; i < 300; i++) {
      const size = BigInt(1 + i) * 10n ** 17n + BigInt(i * 7919);
      const asset = 1 + (i % 5);
      const other = 1 + ((i + 1) % 5);
      const positions =
        i % 3 === 0
          ? [{ asset, k: 5n * 10n ** 15n, size: i % 2 === 0 ? size : -size }]
          : [
              { asset, k: 5n * 10n ** 15n, size },
              { asset: other, k: 0n, size: -((size * prices[asset]!) / prices[other]!) * BigInt(1 + (i % 2)) + BigInt(i) },
            ];
      const p: Portfolio = { cash: 0n, collateral: [{ asset: 0, haircut: 0n, balance: BigInt(i) * 10n ** 18n }], positions };
      const r = marginRequirement(p, riskParams, prices);
      accounts.push({ ...p, cash: -(r.equity - r.mm) + BigInt((i % 3) - 1) });
    }
    const book = createMarginBook(accounts);
    const params = createBatchParams(riskParams);
    const bp = prepareBatchPrices(prices);
    const scratch = createBatchScratch(params.assets);
    accounts.forEach((p, i) => {
      const r = marginRequirement(p, riskParams, prices);
      expect(slackBigint(book, params, bp, i, scratch), `account ${i}`).to.equal(r.equity - r.mm);
      expect(isLiquidatableBigint(book, params, bp, i, scratch), `account ${i}`).to.equal(r.equity < r.mm);
      expect(screenAccount(book, params, bp, i, scratch), `account ${i} is at the boundary`).to.equal(-1);
    });
  });

  it("on a generated population with 2 % at the boundary, the screen defers those to bigint and decides as marginRequirement", () => {
    const population = populationBook({ accounts: 2_000, positions: 5, seed: 11, nearBoundary: 0.02 });
    const params = createBatchParams(population.riskParams);
    const screened = liquidatableScreened(population.book, params, population.prices);
    expect(screened.deferred).to.be.at.least(population.near);
    expect(screened.deferred).to.be.lessThan(population.near + 40);
    const bp = prepareBatchPrices(population.prices);
    for (let i = 0; i < population.book.count; i++) {
      const portfolio: Portfolio = { cash: population.book.cash[i]!, collateral: [], positions: [] };
      for (let j = population.book.offsets[i]!; j < population.book.offsets[i + 1]!; j++) {
        const entry = { asset: population.book.asset[j]!, rate: population.book.rate[j]!, amount: population.book.amount[j]! };
        if (population.book.isCollateral[j]) portfolio.collateral.push({ asset: entry.asset, haircut: entry.rate, balance: entry.amount });
        else portfolio.positions.push({ asset: entry.asset, k: entry.rate, size: entry.amount });
      }
      const r = marginRequirement(portfolio, population.riskParams, population.prices);
      expect(screened.liquidatable[i], `account ${i}`).to.equal(r.equity < r.mm ? 1 : 0);
      expect(slackBigint(population.book, params, bp, i), `account ${i}`).to.equal(r.equity - r.mm);
    }
  });
});
