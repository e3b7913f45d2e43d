/** Daily closes to per-block oracle prices. */

/** How prices move between two closes. */
export type InterpolationMode = "linear" | "log";

/**
 * The prices of `(closes.length - 1) * stepsPerDay + 1` steps: step `i * stepsPerDay + j` lies `j / stepsPerDay`
 * of the way from close `i` to close `i + 1`; the last step is the last close. Log-linear interpolation (the
 * default) moves by a constant return each step, as a geometric path would.
 *
 * @param closes Daily closes (> 0), at least one.
 * @param stepsPerDay Steps per day (>= 1).
 * @param mode "log" (default) or "linear".
 * @returns The price of every step; every close appears unchanged at its step.
 * @example interpolateCloses([100, 200], 2, "linear") // [100, 150, 200]
 */
export function interpolateCloses(closes: readonly number[], stepsPerDay: number, mode: InterpolationMode = "log"): number[] {
  if (!Number.isInteger(stepsPerDay) || stepsPerDay < 1) throw new Error(`stepsPerDay must be a whole number >= 1, got ${stepsPerDay}`);
  if (closes.length === 0) throw new Error("interpolateCloses: no closes");
  const out: number[] = [];
  for (let i = 0; i + 1 < closes.length; i++) {
    const a = closes[i]!;
    const b = closes[i + 1]!;
    for (let j = 0; j < stepsPerDay; j++) {
      const f = j / stepsPerDay;
      out.push(j === 0 ? a : mode === "log" ? a * Math.pow(b / a, f) : a + (b - a) * f);
    }
  }
  out.push(closes[closes.length - 1]!);
  return out;
}

/** Feed decimals of the mock aggregators. */
export const FEED_DECIMALS = 8;

/**
 * A USD price as a Chainlink answer with `decimals` decimals (rounded to nearest, at least 1).
 *
 * @example toFeedAnswer(57123.456789123) // 5712345678912n
 */
export function toFeedAnswer(price: number, decimals = FEED_DECIMALS): bigint {
  const answer = BigInt(Math.round(price * 10 ** decimals));
  return answer > 0n ? answer : 1n;
}

/** A feed answer as a WAD price (what the vault reads). */
export function answerToWad(answer: bigint, decimals = FEED_DECIMALS): bigint {
  return answer * 10n ** BigInt(18 - decimals);
}
