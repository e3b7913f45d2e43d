/**
 * The maker's config file (`npm run maker -- --config maker.config.json`). Every option is documented here; the
 * key is never in the file (only the name of the variable that holds it, or a keystore path).
 */
import { readFileSync } from "node:fs";
import { getAddress, isAddress } from "viem";
import { z } from "zod";

import { ConfigError } from "../../client/src/errors.js";

const address = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), { error: "expected a 20-byte hex address" })
  .transform((v) => getAddress(v));
const decimal = z.string().regex(/^[0-9]+(\.[0-9]+)?$/, { error: "expected a decimal number as a string, e.g. \"100\"" });
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" });

/** The maker's configuration. */
export const makerConfigSchema = z.strictObject({
  /** The JSON-RPC endpoint (http). */
  rpcUrl: z.string().url(),
  chainId: z.number().int().positive(),
  vault: address,
  settlement: address,
  /** The vault's deployment block (listing logs are read from there). @default "0" */
  fromBlock: z.string().regex(/^[0-9]+$/).default("0"),
  /** The maker's key: `{ "privateKeyEnv": "MAKER_PRIVATE_KEY" }` or `{ "keystore": { "path", "passwordEnv" } }`. */
  key: z.union([z.strictObject({ privateKeyEnv: envName }), z.strictObject({ keystore: z.strictObject({ path: z.string().min(1), passwordEnv: envName }) })]),
  /** Where the quote, metrics and health endpoints listen. @default 127.0.0.1:8600 */
  http: z.strictObject({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(8600) }).default({ host: "127.0.0.1", port: 8600 }),
  /** The spread around the oracle price, in basis points: a taker buys at oracle + spread, sells at oracle - spread. @default 10 */
  spreadBps: z.number().int().min(0).max(500).default(10),
  /** How long a quote stays valid, in seconds. @default 10 */
  quoteTtlSeconds: z.number().int().min(1).max(300).default(10),
  /** Refuse to quote when the feed's last update is older than this (seconds), even within its heartbeat. @default 3600 */
  maxFeedAgeSeconds: z.number().int().positive().default(3600),
  /** The largest |position| per market (base units, decimal string), counting the quotes still outstanding. @default "1000" */
  maxInventory: decimal.default("1000"),
  /** Per-market overrides of `maxInventory`, by market symbol ("ETH-PERP"). */
  marketInventory: z.record(z.string(), decimal).default({}),
  /** The largest size of one quote (base units). @default "100" */
  maxQuoteSize: decimal.default("100"),
  /** Quote requests allowed per client address per minute. @default 60 */
  rateLimitPerMinute: z.number().int().positive().default(60),
  /** pino log level. @default "info" */
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** A validated maker config. */
export type MakerConfig = z.infer<typeof makerConfigSchema>;

/**
 * Validates a parsed config.
 *
 * @throws ConfigError naming every wrong field.
 */
export function parseMakerConfig(value: unknown, source = "maker config"): MakerConfig {
  const result = makerConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new ConfigError(`Invalid ${source}: ${lines.join("; ")}.`, { metaMessages: ["Every option is documented in maker/src/config.ts."] });
}

/** Reads and validates a maker config file. */
export function loadMakerConfig(path: string): MakerConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ConfigError(`Cannot read the maker config ${path}.`, { cause, metaMessages: ["Pass the path with --config <file> (valid JSON)."] });
  }
  return parseMakerConfig(json, `maker config ${path}`);
}
