/**
 * The keeper's errors. The base (`KeeperError`), `ConfigError`, `RpcError` and the redaction of secrets live in the
 * client (shared with the trader's CLI and the maker); the errors below are the keeper's own.
 */
import { PortfolioMarginError } from "../../client/src/errors.js";

export {
  ConfigError,
  PortfolioMarginError as KeeperError,
  RpcError,
  redact,
  redactUrl,
  registerSecret,
  type PortfolioMarginErrorParameters as KeeperErrorParameters,
} from "../../client/src/errors.js";

/** The local state is unusable: it belongs to another vault or chain, or is corrupt. */
export class StoreError extends PortfolioMarginError {
  override name = "StoreError";
}

/** The chain reorganised and the indexer must roll back; thrown inside a round, which is then retried. */
export class ReorgDetectedError extends PortfolioMarginError {
  override name = "ReorgDetectedError";
}

/** The chain reorganised deeper than the blocks the store keeps: the state cannot be rolled back. */
export class ReorgTooDeepError extends PortfolioMarginError {
  override name = "ReorgTooDeepError";
}

/**
 * The chain the state was built from is gone: the node was restarted empty (a chain reset), the vault has no code
 * at the configured address, or a reorg went deeper than the state can roll back. The keeper stops (non-zero exit)
 * rather than evaluate a state that no longer exists.
 */
export class ChainResetError extends PortfolioMarginError {
  override name = "ChainResetError";
}

/** A log of the vault that cannot be decoded or applied (ABI drift, or a bug). */
export class LogDecodeError extends PortfolioMarginError {
  override name = "LogDecodeError";
}

/** An account whose margin cannot be computed (a price is missing or rejected). */
export class EvaluationError extends PortfolioMarginError {
  override name = "EvaluationError";
}

/** A command or option that exists but is not built yet. */
export class NotImplementedError extends PortfolioMarginError {
  override name = "NotImplementedError";
}
