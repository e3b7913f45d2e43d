/**
 * The logger of the keeper and the maker: pino, JSON lines on stderr (stdout belongs to command output), child loggers carrying
 * their context (`logger.child({ module: "indexer" })`). Secret fields are censored by path, and error messages
 * and stacks go through `redact`, so RPC credentials and keys never reach a log line.
 */
import { pino, stdSerializers, type DestinationStream, type Logger } from "pino";

import { redact } from "./errors.js";

export type { Logger } from "pino";

/** Field names whose values are never logged, at the top level or one level down. */
export const REDACTED_FIELDS = [
  "privateKey",
  "password",
  "mnemonic",
  "secret",
  "rpcUrl",
  "rpcUrls",
  "url",
  "key",
] as const;

/** Options of `createLogger`. */
export interface CreateLoggerParameters {
  /** The level. @default "info" */
  level?: string;
  /** Where lines go. @default stderr */
  destination?: DestinationStream;
  /** Fields added to every line. */
  base?: Record<string, unknown>;
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  // Redacts every string of the serialized error (message, stack, nested causes).
  return JSON.parse(JSON.stringify(serialized), (_key, value: unknown) => (typeof value === "string" ? redact(value) : value));
}

/**
 * Creates the root logger.
 *
 * @param parameters Level, destination and base fields.
 * @returns A pino logger; make a child per module: `logger.child({ module: "indexer" })`.
 * @example const logger = createLogger({ level: config.logLevel });
 */
export function createLogger(parameters: CreateLoggerParameters = {}): Logger {
  const paths = REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`]);
  return pino(
    {
      level: parameters.level ?? "info",
      base: parameters.base ?? {},
      redact: { paths, censor: "[redacted]" },
      serializers: { err: serializeError, error: serializeError },
    },
    parameters.destination ?? pino.destination(2),
  );
}
