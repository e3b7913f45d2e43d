/**
 * Fixed-point (WAD) arithmetic with an explicit rounding direction (spec §1), the bigint twin of
 * `contracts/libraries/MathLib.sol`. Unlike Solidity, bigint never overflows: the Solidity library reverts
 * outside the spec's range where this one keeps computing, so callers compare only inside that range.
 */

/** The fixed-point unit of every amount, price and rate (ConstantsLib.WAD). */
export const WAD: bigint = 10n ** 18n;

/** Mirrors `MathLib.mulDown`: floor(x * y / 1e18), toward minus infinity also for negatives. */
export function mulDown(x: bigint, y: bigint): bigint {
  const product: bigint = x * y;
  let z: bigint = product / WAD; // truncates toward zero, like Solidity
  if (product % WAD < 0n) z -= 1n;
  return z;
}

/** Mirrors `MathLib.mulUp`: ceil(x * y / 1e18) for x, y >= 0. */
export function mulUp(x: bigint, y: bigint): bigint {
  return ceilDiv(x * y, WAD);
}

/** Mirrors `MathLib.ceilDiv`: ceil(x / d) for x >= 0, d > 0. */
export function ceilDiv(x: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("ceilDiv: division by zero");
  let z: bigint = x / d;
  if (z * d !== x) z += 1n;
  return z;
}

/** Mirrors `MathLib.sqrtUp`: the smallest integer r with r * r >= x (x >= 0). */
export function sqrtUp(x: bigint): bigint {
  if (x < 0n) throw new RangeError("sqrtUp: negative argument");
  if (x === 0n) return 0n;
  // Newton's iteration from a power of two above the root decreases to floor(sqrt(x)).
  let r: bigint = 1n << BigInt(Math.floor(x.toString(2).length / 2) + 1);
  let next: bigint = (r + x / r) >> 1n;
  while (next < r) {
    r = next;
    next = (r + x / r) >> 1n;
  }
  if (r * r < x) r += 1n;
  return r;
}
