import type { Address } from "viem";

import {
  OracleAnswerNotPositiveError,
  OracleAnswerStaleError,
  OraclePriceAboveMaxError,
  OracleRoundIncompleteError,
  SequencerDownError,
  SequencerGracePeriodNotOverError,
  type OracleError,
} from "./errors.js";

/** A feed's `latestRoundData`. */
export interface RoundData {
  roundId: bigint;
  answer: bigint;
  startedAt: bigint;
  updatedAt: bigint;
  answeredInRound: bigint;
}

/** What `checkPrice` checks a round against: the asset's listing and the block's time. */
export interface CheckPriceParameters {
  asset: number;
  feed: Address;
  feedDecimals: number;
  /** Largest accepted age, seconds. */
  heartbeat: bigint;
  /** Largest accepted WAD price. */
  maxPrice: bigint;
  /** The timestamp of the block the price is for (the vault's `block.timestamp`). */
  timestamp: bigint;
}

/** `checkPrice`'s result: the WAD price, or the error the vault would revert with. */
export type CheckPriceReturnType = { ok: true; price: bigint } | { ok: false; error: OracleError };

/**
 * Mirrors `OracleLib.readPrice` on a round already read: the same checks in the same order (not positive,
 * incomplete, stale, above max), and the same scaling to WAD.
 *
 * @param round The feed's latest round.
 * @param parameters The asset's listing and the block timestamp.
 * @returns The WAD price, or the typed error (never throws).
 * @example checkPrice(round, { asset: 2, feed, feedDecimals: 8, heartbeat: 3600n, maxPrice, timestamp })
 */
export function checkPrice(round: RoundData, parameters: CheckPriceParameters): CheckPriceReturnType {
  const { asset, feed, feedDecimals, heartbeat, maxPrice, timestamp } = parameters;
  const where = { asset, feed };
  if (round.answer <= 0n) {
    return { ok: false, error: new OracleAnswerNotPositiveError(`Asset ${asset}: the feed's answer ${round.answer} is not positive.`, { ...where, metaMessages: ["The vault refuses every margin computation that needs this asset until the feed recovers."] }) };
  }
  if (round.updatedAt === 0n || round.answeredInRound < round.roundId) {
    return { ok: false, error: new OracleRoundIncompleteError(`Asset ${asset}: the feed's round ${round.roundId} is incomplete (answered in ${round.answeredInRound}, updated at ${round.updatedAt}).`, { ...where, metaMessages: ["Wait for the feed's next round."] }) };
  }
  // A future updatedAt counts as fresh, as in OracleLib.
  if (timestamp > round.updatedAt && timestamp - round.updatedAt > heartbeat) {
    return { ok: false, error: new OracleAnswerStaleError(`Asset ${asset}: the feed's answer is ${timestamp - round.updatedAt}s old, above the ${heartbeat}s heartbeat.`, { ...where, metaMessages: ["Wait for the feed's next update; the vault refuses this price too."] }) };
  }
  const price = round.answer * 10n ** BigInt(18 - feedDecimals);
  if (price > maxPrice) {
    return { ok: false, error: new OraclePriceAboveMaxError(`Asset ${asset}: the price ${price} is above the listed maximum ${maxPrice}.`, { ...where, metaMessages: ["The risk admin must raise maxPrice (setAssetOracle) or the feed is wrong."] }) };
  }
  return { ok: true, price };
}

/** What `checkSequencer` checks: the uptime feed's round, grace period and the block's time. */
export interface CheckSequencerParameters {
  feed: Address;
  gracePeriod: bigint;
  timestamp: bigint;
}

/**
 * Mirrors `OracleLib.checkSequencer` on a round already read (answer 0 = up; startedAt 0 counts as down).
 *
 * @param round The uptime feed's latest round.
 * @param parameters The feed, grace period and block timestamp.
 * @returns null when the sequencer is usable, else the typed error (asset -1).
 */
export function checkSequencer(round: RoundData, parameters: CheckSequencerParameters): OracleError | null {
  const where = { asset: -1, feed: parameters.feed };
  if (round.answer !== 0n || round.startedAt === 0n) {
    return new SequencerDownError("The L2 sequencer is down (or its status is unknown).", { ...where, metaMessages: ["No margin can be computed until it is back up and the grace period is over."] });
  }
  if (parameters.timestamp <= round.startedAt || parameters.timestamp - round.startedAt <= parameters.gracePeriod) {
    return new SequencerGracePeriodNotOverError(`The L2 sequencer came back up at ${round.startedAt}; the ${parameters.gracePeriod}s grace period is not over.`, { ...where, metaMessages: ["Liquidations resume when the grace period ends."] });
  }
  return null;
}
