/**
 * The keeper's errors: one base (`KeeperError`, after viem's `BaseError`) with a short message, `metaMessages`
 * that say what to do next, and a `cause` chain. Every text that reaches a message goes through `redact`, so
 * that RPC credentials and registered secrets (private keys, passwords) never reach a terminal or a log line.
 */

const secrets = new Set<string>();

/**
 * Registers a secret value (a private key, a keystore password) so that `redact` removes it from any text.
 *
 * @param value The secret. Values shorter than 8 characters are ignored (they would redact ordinary text).
 * @example registerSecret(process.env.KEEPER_PRIVATE_KEY!)
 */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 8) secrets.add(value);
}

/**
 * Returns `url` reduced to its scheme, host and port. Credentials (`user:pass@`), the query string and the path
 * are dropped: providers put API keys in any of them (Infura and Alchemy in the path).
 *
 * @param url An RPC URL.
 * @returns e.g. `https://eth-mainnet.example.com/…` for `https://u:p@eth-mainnet.example.com/v2/KEY?x=1`.
 * @example redactUrl("https://user:pass@rpc.example.com/v2/abc?key=1") // "https://rpc.example.com/…"
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const rest = parsed.pathname.length > 1 || parsed.search !== "" || parsed.hash !== "" ? "/…" : "";
    return `${parsed.protocol}//${parsed.host}${rest}`;
  } catch {
    return "[unparsable URL]";
  }
}

const URL_PATTERN = /\b(?:https?|wss?):\/\/[^\s"'<>`]+/gi;

/**
 * Removes secrets from a text: every URL is reduced by `redactUrl`, every registered secret becomes `[redacted]`.
 *
 * @param text Any text (an error message, a log line).
 * @returns The text without secrets.
 */
export function redact(text: string): string {
  let out = text.replace(URL_PATTERN, (url) => redactUrl(url));
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

/** Options of every keeper error. */
export interface KeeperErrorParameters {
  /** The error that caused this one; its message is shown (redacted) under "Details". */
  cause?: unknown;
  /** Lines that say what happened in more detail and what to do next. */
  metaMessages?: string[];
  /** A technical detail; defaults to the cause's message. */
  details?: string;
}

/**
 * The base of every error the keeper throws.
 *
 * @example
 * throw new KeeperError("Cannot reach the RPC endpoint.", {
 *   cause: error,
 *   metaMessages: ["Check `rpcUrls` in keeper.config.json, or add a fallback endpoint."],
 * });
 */
export class KeeperError extends Error {
  override name: string = "KeeperError";
  /** The one-line message, without meta messages and details. */
  readonly shortMessage: string;
  /** What to do next. */
  readonly metaMessages: string[];
  /** A technical detail (redacted). */
  readonly details: string;

  constructor(shortMessage: string, parameters: KeeperErrorParameters = {}) {
    const details =
      parameters.details ??
      (parameters.cause instanceof KeeperError
        ? parameters.cause.details || parameters.cause.shortMessage
        : parameters.cause instanceof Error
          ? parameters.cause.message
          : parameters.cause !== undefined
            ? String(parameters.cause)
            : "");
    const metaMessages = (parameters.metaMessages ?? []).map(redact);
    const message = [
      redact(shortMessage),
      ...(metaMessages.length > 0 ? ["", ...metaMessages] : []),
      ...(details !== "" ? ["", `Details: ${redact(details)}`] : []),
    ].join("\n");
    super(message, parameters.cause !== undefined ? { cause: parameters.cause } : undefined);
    this.shortMessage = redact(shortMessage);
    this.metaMessages = metaMessages;
    this.details = redact(details);
  }

  /**
   * Walks the cause chain and returns the first error `predicate` accepts (or the deepest one without it).
   *
   * @param predicate Which error to look for.
   * @returns The error found, or null when a predicate is given and nothing matches.
   */
  walk(predicate?: (error: unknown) => boolean): unknown {
    let error: unknown = this;
    for (;;) {
      if (predicate?.(error)) return error;
      const next = error instanceof Error ? error.cause : undefined;
      if (next === undefined) return predicate ? null : error;
      error = next;
    }
  }
}

/** A configuration file that is missing, unreadable or invalid. */
export class ConfigError extends KeeperError {
  override name = "ConfigError";
}

/** An RPC request that failed after the transport's retries (and fallbacks). */
export class RpcError extends KeeperError {
  override name = "RpcError";
}

/** The local state is unusable: it belongs to another vault or chain, or is corrupt. */
export class StoreError extends KeeperError {
  override name = "StoreError";
}

/** The chain reorganised and the indexer must roll back; thrown inside a round, which is then retried. */
export class ReorgDetectedError extends KeeperError {
  override name = "ReorgDetectedError";
}

/** The chain reorganised deeper than the blocks the store keeps: the state cannot be rolled back. */
export class ReorgTooDeepError extends KeeperError {
  override name = "ReorgTooDeepError";
}

/**
 * The chain the state was built from is gone: the node was restarted empty (a chain reset), the vault has no code
 * at the configured address, or a reorg went deeper than the state can roll back. The keeper stops (non-zero exit)
 * rather than evaluate a state that no longer exists.
 */
export class ChainResetError extends KeeperError {
  override name = "ChainResetError";
}

/** A log of the vault that cannot be decoded or applied (ABI drift, or a bug). */
export class LogDecodeError extends KeeperError {
  override name = "LogDecodeError";
}

/** An account whose margin cannot be computed (a price is missing or rejected). */
export class EvaluationError extends KeeperError {
  override name = "EvaluationError";
}

/** A command or option that exists but is not built yet. */
export class NotImplementedError extends KeeperError {
  override name = "NotImplementedError";
}
