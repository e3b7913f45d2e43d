/**
 * The errors of the client and of every tool built on it (keeper, CLI, maker): one base (`PortfolioMarginError`,
 * after viem's `BaseError`) with a short message, `metaMessages` that say what to do next, and a `cause` chain.
 * Every text that reaches a message goes through `redact`, so that RPC credentials and registered secrets
 * (private keys, passwords) never reach a terminal or a log line.
 */
import type { DecodedError } from "./decodeError.js";

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

/** Options of every error. */
export interface PortfolioMarginErrorParameters {
  /** The error that caused this one; its message is shown (redacted) under "Details". */
  cause?: unknown;
  /** Lines that say what happened in more detail and what to do next. */
  metaMessages?: string[];
  /** A technical detail; defaults to the cause's message. */
  details?: string;
}

/**
 * The base of every error the client, the keeper, the CLI and the maker throw.
 *
 * @example
 * throw new PortfolioMarginError("Cannot reach the RPC endpoint.", {
 *   cause: error,
 *   metaMessages: ["Check `rpcUrls` in keeper.config.json, or add a fallback endpoint."],
 * });
 */
export class PortfolioMarginError extends Error {
  override name: string = "PortfolioMarginError";
  /** The one-line message, without meta messages and details. */
  readonly shortMessage: string;
  /** What to do next. */
  readonly metaMessages: string[];
  /** A technical detail (redacted). */
  readonly details: string;

  constructor(shortMessage: string, parameters: PortfolioMarginErrorParameters = {}) {
    const details =
      parameters.details ??
      (parameters.cause instanceof PortfolioMarginError
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
export class ConfigError extends PortfolioMarginError {
  override name = "ConfigError";
}

/** An RPC request that failed after the transport's retries (and fallbacks). */
export class RpcError extends PortfolioMarginError {
  override name = "RpcError";
}

/** A command-line argument or option that is not valid (exit code 2 in the CLIs). */
export class UsageError extends PortfolioMarginError {
  override name = "UsageError";
}

/** A contract call that reverted, with its custom error decoded (`decoded`: name, arguments, what to do). */
export class ContractError extends PortfolioMarginError {
  override name = "ContractError";
  /** The decoded custom error; null when the revert is not one of the protocol's errors. */
  readonly decoded: DecodedError | null;

  constructor(shortMessage: string, parameters: PortfolioMarginErrorParameters & { decoded: DecodedError | null }) {
    super(shortMessage, parameters);
    this.decoded = parameters.decoded;
  }
}
