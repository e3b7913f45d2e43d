import { expect } from "chai";

/**
 * Asserts |x - y| <= eps for numbers. Chai's `closeTo` cannot be used: in `npm test` the bigint matchers of
 * hardhat-ethers-chai-matchers take it over (for every file of the run) and refuse non-integers.
 */
export function expectNear(x: number | undefined, y: number, eps: number): void {
  expect(Math.abs((x ?? NaN) - y) <= eps, `${x} is not within ${eps} of ${y}`).to.equal(true);
}
