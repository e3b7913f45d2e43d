/** The page's stress module: historical moves from the closes, the grid in the high regime, the risk score. */
import { expect } from "chai";
import { readFileSync } from "node:fs";

import { accountMargin, type Portfolio, type RiskParams } from "../../client/src/margin/marginLib.js";
import { expectNear as near } from "../helpers/near.js";
import { GRID_SHOCKS, historicalMoves, historicalStress, movedPrices, parseCloses, riskScore, stressGrid } from "../../app/src/risk/stress.js";

const WAD = 10n ** 18n;
// USD, BTC, ETH; rho(BTC, ETH) = 0.8.
const params: RiskParams = { scan: [WAD / 50n, (WAD * 12n) / 100n, (WAD * 15n) / 100n], rho: [0n, 0n, (WAD * 8n) / 10n], imFactor: (WAD * 3n) / 2n };
const prices = [WAD, 40_000n * WAD, 2_000n * WAD];
// 100k USDC, long 1 BTC, short 20 ETH (a hedge).
const hedge: Portfolio = {
  cash: 0n,
  collateral: [{ asset: 0, haircut: 0n, balance: 100_000n * WAD }],
  positions: [
    { asset: 1, k: WAD / 200n, size: WAD },
    { asset: 2, k: WAD / 200n, size: -20n * WAD },
  ],
};

describe("app stress module", () => {
  it("finds 1-day and 3-day moves of the closes with their dates", () => {
    const series = [parseCloses("BTC", "datetime,close\n2022-11-07,100\n2022-11-08,80\n2022-11-09,60\n2022-11-10,90\n")];
    const d1 = historicalMoves(series, 1);
    expect(d1.map((m) => m.date)).to.deep.equal(["2022-11-08", "2022-11-09", "2022-11-10"]);
    near(d1[0]!.moves.get("BTC"), -0.2, 1e-12);
    near(historicalMoves(series, 3)[0]!.moves.get("BTC"), -0.1, 1e-12);
  });

  it("reports the worst historical move for the portfolio, not the largest market move", () => {
    const series = [
      parseCloses("BTC", "datetime,close\n2021-05-18,100\n2021-05-19,70\n2021-05-20,100\n2021-05-21,100\n"),
      parseCloses("ETH", "datetime,close\n2021-05-18,100\n2021-05-19,65\n2021-05-20,140\n2021-05-21,100\n"),
    ];
    const out = historicalStress(hedge, params, prices, ["USD", "BTC", "ETH"], historicalMoves(series, 1), historicalMoves(series, 3));
    // Short ETH: the ETH rally of 2021-05-20 (+115%) hurts more than the joint crash of 2021-05-19.
    expect(out.worst1d!.move.date).to.equal("2021-05-20");
    const moved = movedPrices(prices, (a) => (a === 1 ? 100 / 70 - 1 : a === 2 ? 140 / 65 - 1 : 0));
    expect(out.worst1d!.equity).to.equal(accountMargin(hedge, params, moved).equity);
  });

  it("computes the grid with MM in the high regime, the 0% column being today's E - MM_high", () => {
    const grid = stressGrid(hedge, params, prices, [0, 1, 2]);
    expect(grid.map((r) => r.asset)).to.deep.equal([null, 1, 2]);
    const today = accountMargin(hedge, params, prices);
    const zero = grid[0]!.cells[GRID_SHOCKS.indexOf(0)]!;
    expect(zero.loss).to.equal(0n);
    expect(zero.mm).to.equal(today.kHigh + today.addOns);
    expect(grid[2]!.cells[GRID_SHOCKS.indexOf(0.4)]!.loss).to.be.greaterThan(0n); // ETH alone up 40% hurts the short
  });

  it("defines the risk score as E over the sum of |WS|", () => {
    const m = accountMargin(hedge, params, prices);
    const sum = m.weightedSensitivities.reduce((s, w) => s + (w < 0n ? -w : w), 0n);
    near(riskScore(m.equity, m.weightedSensitivities), Number(m.equity) / Number(sum), 1e-3);
    expect(riskScore(5n, [0n, 0n])).to.equal(Infinity);
  });

  it("parses the shipped closes", () => {
    const btc = parseCloses("BTC", readFileSync("data/prices/BTC-USD_1d.csv", "utf8"));
    expect(btc.dates[0]).to.equal("2020-04-10");
    expect(btc.closes.every((c) => c > 0)).to.equal(true);
  });
});
