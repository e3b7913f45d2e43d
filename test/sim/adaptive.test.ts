import { expect } from "chai";

import { ADAPTIVE_DEFAULTS, adaptiveSchedule, adaptiveScanPath, ewmaVolatility, stepToward, targetScan } from "../../sim/adaptive.js";
import type { PriceWindow } from "../../sim/prices.js";
import { createRng } from "../../sim/rng.js";
import { expectNear } from "../helpers/near.js";

const WAD = 10n ** 18n;
const DAY = 86_400;
const STATIC = 12n * 10n ** 16n;

/** Closes with daily log returns of volatility `sigma` for `n` days, then `sigma2` for `n2` days. */
function closes(sigma: number, n: number, sigma2 = sigma, n2 = 0): number[] {
  const rng = createRng(5);
  const out = [100];
  for (let t = 1; t < n + n2; t++) out.push(out[t - 1]! * Math.exp((t < n ? sigma : sigma2) * rng.normal()));
  return out;
}

describe("sim/adaptive (model v1.1)", () => {
  it("updates the EWMA variance as lambda sigma^2 + (1 - lambda) r^2", () => {
    const s = ewmaVolatility([100, 110, 110], 0.94, 0.02);
    const v1 = 0.94 * 0.0004 + 0.06 * Math.log(1.1) ** 2;
    expect(s[0]).to.equal(0.02);
    expectNear(s[1], Math.sqrt(v1), 1e-15);
    expectNear(s[2], Math.sqrt(0.94 * v1), 1e-15);
  });

  it("targets 3.5 sigma clamped to [0.5x, 1.25x] the static scan, rounded up to 0.1%", () => {
    expect(targetScan(0.03, STATIC)).to.equal(105n * 10n ** 15n); // 3.5 x 3% = 10.5%
    expect(targetScan(0.001, STATIC)).to.equal(6n * 10n ** 16n); // floor 0.06
    expect(targetScan(0.2, STATIC)).to.equal(15n * 10n ** 16n); // cap 0.15
    expect(targetScan(0.03001, STATIC)).to.equal(106n * 10n ** 15n);
    expect(targetScan(0.9, 9n * 10n ** 17n)).to.equal(WAD); // never above 1e18
  });

  it("steps at most floor(current x maxStep) toward the target, as the registry allows", () => {
    expect(stepToward(STATIC, 2n * STATIC, ADAPTIVE_DEFAULTS.maxStep)).to.equal(132n * 10n ** 15n);
    expect(stepToward(STATIC, STATIC / 2n, ADAPTIVE_DEFAULTS.maxStep)).to.equal(108n * 10n ** 15n);
    expect(stepToward(STATIC, 115n * 10n ** 15n, ADAPTIVE_DEFAULTS.maxStep)).to.equal(115n * 10n ** 15n);
    expect(stepToward(7n, 100n, ADAPTIVE_DEFAULTS.maxStep)).to.equal(7n); // floor(0.7) = 0: a tiny value cannot move
  });

  it("replays a calm then stressed history within the step and the interval, starting at the static scan", () => {
    const c = closes(0.01, 120, 0.08, 60);
    const times = c.map((_, t) => t * DAY);
    const path = adaptiveScanPath(c, times, STATIC);
    expect(path.scan[0]).to.equal(STATIC);
    // Calm: down to the 0.5x floor; stressed: up to the 1.25x cap.
    expect(path.scan[119]).to.equal(6n * 10n ** 16n);
    expect(path.scan[179]).to.equal(15n * 10n ** 16n);
    for (const [i, u] of path.updates.entries()) {
      const delta = u.to > u.from ? u.to - u.from : u.from - u.to;
      expect(delta <= (u.from * ADAPTIVE_DEFAULTS.maxStep) / WAD, `update ${i}`).to.equal(true);
      if (i > 0) expect(times[u.index]! - times[path.updates[i - 1]!.index]!).to.be.at.least(ADAPTIVE_DEFAULTS.minInterval);
    }
    // A week's interval: never two updates within 7 days.
    const weekly = adaptiveScanPath(c, times, STATIC, { ...ADAPTIVE_DEFAULTS, minInterval: 7 * DAY });
    expect(weekly.updates.length).to.be.below(path.updates.length);
    weekly.updates.slice(1).forEach((u, i) => expect(u.index - weekly.updates[i]!.index).to.be.at.least(7));
  });

  it("schedules every asset's scans from the start index on, keeping unlisted ones static", () => {
    const window: PriceWindow = { assets: ["BTC"], dates: ["2021-01-01", "2021-01-02", "2021-01-03"], closes: { BTC: [100, 80, 100] } };
    const schedule = adaptiveSchedule(["USD", "BTC", "ETH"], [2n * 10n ** 16n, STATIC, 15n * 10n ** 16n], window, 1);
    expect(schedule.scans).to.have.length(2);
    expect(schedule.scans.map((s) => [s[0], s[2]])).to.deep.equal([
      [2n * 10n ** 16n, 15n * 10n ** 16n],
      [2n * 10n ** 16n, 15n * 10n ** 16n],
    ]);
    // A 20% fall lifts the target to the 1.25x cap; one 10% step a day.
    expect(schedule.scans.map((s) => s[1])).to.deep.equal([132n * 10n ** 15n, 1452n * 10n ** 14n]);
    expect(schedule.updates).to.equal(2);
  });
});
