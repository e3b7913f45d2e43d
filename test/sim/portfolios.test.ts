import { expect } from "chai";

import { answerToWad, toFeedAnswer } from "../../sim/interpolate.js";
import { applyFill, defaultMix, generatePortfolios, interleaveFills, PORTFOLIO_TYPES } from "../../sim/portfolios.js";
import { createRng } from "../../sim/rng.js";
import { defaultDeploymentConfig, emptyAccount, marginOf, riskModelOf } from "../../sim/riskModel.js";

const model = riskModelOf(defaultDeploymentConfig());
const closes: Record<string, number> = { USD: 1, BTC: 57_000, ETH: 3_500, SOL: 40, LINK: 45, DOGE: 0.55 };
const prices = model.assets.map((a) => answerToWad(toFeedAnswer(closes[a]!)));

describe("sim/portfolios", () => {
  const plans = generatePortfolios({ model, prices, counts: defaultMix(120), rng: createRng(42) });

  it("generates the requested mix", () => {
    expect(defaultMix(300)).to.deep.equal({ hedged: 60, pairs: 75, directional: 105, overlevered: 60 });
    for (const type of PORTFOLIO_TYPES) expect(plans.filter((p) => p.type === type)).to.have.length(defaultMix(120)[type]);
  });

  it("starts every account at or above IM after every fill, replayed independently with the twin", () => {
    for (const plan of plans) {
      const state = emptyAccount(model);
      for (const d of plan.deposits) state.balances[d.collateral] = state.balances[d.collateral]! + d.units;
      const steps = [marginOf(model, state, prices)];
      for (const fill of plan.fills) {
        applyFill(state, fill.market, fill.size, prices[model.markets[fill.market]!.asset]!);
        steps.push(marginOf(model, state, prices));
      }
      for (const m of steps) expect(m.equity >= m.initialMargin, `${plan.index} ${plan.description}`).to.equal(true);
      expect(state).to.deep.equal(plan.state);
      expect(plan.minEquityToIm).to.be.at.least(1);
    }
  });

  it("builds each family as described", () => {
    for (const plan of plans) {
      const open = plan.state.positions.filter((q) => q !== 0n);
      if (plan.type === "hedged") {
        expect(open).to.have.length(1);
        expect(open[0]! < 0n).to.equal(true);
        expect(plan.deposits[0]!.collateral).to.not.equal(model.collateralOf.USD);
      }
      if (plan.type === "pairs") expect(open.filter((q) => q > 0n).length + open.filter((q) => q < 0n).length).to.equal(2);
    }
    // Over-levered accounts end within 10% of IM; the others keep more.
    for (const plan of plans.filter((p) => p.type === "overlevered")) {
      const ratio = Number(plan.margin.equity) / Number(plan.margin.initialMargin);
      expect(ratio).to.be.within(1, 1.12);
    }
    // Hedges and pairs need less than isolated margin.
    for (const plan of plans.filter((p) => p.type === "hedged" || p.type === "pairs")) {
      expect(plan.margin.maintenanceMargin < plan.margin.isolatedMaintenanceMargin).to.equal(true);
    }
  });

  it("interleaves the legs' fills and fills each leg exactly", () => {
    const fills = interleaveFills([{ market: 0, size: 10n }, { market: 1, size: -7n }], 3);
    expect(fills.map((f) => [f.market, f.size])).to.deep.equal([[0, 3n], [1, -2n], [0, 3n], [1, -2n], [0, 4n], [1, -3n]]);
  });

  it("is reproducible from its seed", () => {
    const again = generatePortfolios({ model, prices, counts: defaultMix(120), rng: createRng(42) });
    expect(again.map((p) => p.deposits)).to.deep.equal(plans.map((p) => p.deposits));
  });
});
