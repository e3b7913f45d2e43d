import { expect } from "chai";

import { answerToWad, interpolateCloses, toFeedAnswer } from "../../sim/interpolate.js";

describe("sim/interpolate", () => {
  it("keeps every close at its step and fills (days - 1) * n + 1 steps", () => {
    const steps = interpolateCloses([100, 200, 50], 4);
    expect(steps).to.have.length(9);
    expect([steps[0], steps[4], steps[8]]).to.deep.equal([100, 200, 50]);
  });

  it("moves linearly or by a constant return", () => {
    expect(interpolateCloses([100, 200], 2, "linear")).to.deep.equal([100, 150, 200]);
    const log = interpolateCloses([100, 400], 2, "log");
    expect(Math.abs(log[1]! - 200)).to.be.below(1e-9);
    const returns = interpolateCloses([100, 50], 4, "log").map((p, i, a) => (i === 0 ? 0 : p / a[i - 1]!)).slice(1);
    for (const r of returns) expect(Math.abs(r - Math.pow(0.5, 0.25))).to.be.below(1e-12);
  });

  it("refuses a bad step count and empty input", () => {
    expect(() => interpolateCloses([1, 2], 0)).to.throw(/stepsPerDay/);
    expect(() => interpolateCloses([], 2)).to.throw(/no closes/);
    expect(interpolateCloses([7], 3)).to.deep.equal([7]);
  });

  it("converts prices to 8-decimal answers and WAD", () => {
    expect(toFeedAnswer(57123.456789123)).to.equal(5_712_345_678_912n);
    expect(toFeedAnswer(0.0000000001)).to.equal(1n);
    expect(answerToWad(5_712_345_678_912n)).to.equal(57_123_456_789_120_000_000_000n);
  });
});
