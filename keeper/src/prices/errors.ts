import type { Address } from "viem";

import { KeeperError, type KeeperErrorParameters } from "../errors.js";

/** A price the vault would refuse (it reverts with the same rule), or one that could not be read. */
export class OracleError extends KeeperError {
  override name = "OracleError";
  /** The asset id. */
  readonly asset: number;
  /** The feed read. */
  readonly feed: Address;

  constructor(shortMessage: string, parameters: KeeperErrorParameters & { asset: number; feed: Address }) {
    super(shortMessage, parameters);
    this.asset = parameters.asset;
    this.feed = parameters.feed;
  }
}

/** `answer <= 0` (OracleLib: OracleAnswerNotPositive). */
export class OracleAnswerNotPositiveError extends OracleError {
  override name = "OracleAnswerNotPositiveError";
}

/** `updatedAt == 0` or `answeredInRound < roundId` (OracleLib: OracleRoundIncomplete). */
export class OracleRoundIncompleteError extends OracleError {
  override name = "OracleRoundIncompleteError";
}

/** The answer is older than the heartbeat (OracleLib: OracleAnswerStale). */
export class OracleAnswerStaleError extends OracleError {
  override name = "OracleAnswerStaleError";
}

/** The WAD price is above the asset's maxPrice (OracleLib: OraclePriceAboveMax). */
export class OraclePriceAboveMaxError extends OracleError {
  override name = "OraclePriceAboveMaxError";
}

/** The feed could not be read (RPC failure, not a feed). */
export class OracleReadError extends OracleError {
  override name = "OracleReadError";
}

/** The L2 sequencer is down, or its status unknown (OracleLib: SequencerDown). */
export class SequencerDownError extends OracleError {
  override name = "SequencerDownError";
}

/** The L2 sequencer came back up less than the grace period ago (OracleLib: SequencerGracePeriodNotOver). */
export class SequencerGracePeriodNotOverError extends OracleError {
  override name = "SequencerGracePeriodNotOverError";
}
