/**
 * The schema of `keeper.config.json`. Every option is documented here; every error message says which field is
 * wrong and what to put there (`loadConfig` prefixes the field's path).
 */
import { getAddress, isAddress } from "viem";
import { z } from "zod";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An EVM address, returned checksummed. */
const address = z
  .string({ error: "expected an address string, e.g. \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"" })
  .refine((value) => isAddress(value, { strict: false }), {
    error: "expected a 20-byte hex address (0x followed by 40 hex digits)",
  })
  .transform((value) => getAddress(value));

/** An http(s) or ws(s) URL. The value is never echoed in errors: it may hold an API key. */
const rpcUrl = z.string({ error: "expected an RPC URL string, e.g. \"https://eth.example.com\"" }).refine(
  (value) => {
    try {
      return ["http:", "https:", "ws:", "wss:"].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { error: "expected an http(s):// or ws(s):// URL" },
);

/** The name of an environment variable (the secret itself never sits in the file). */
const envName = z
  .string({ error: "expected the NAME of an environment variable, e.g. \"KEEPER_PRIVATE_KEY\"" })
  .regex(ENV_NAME, { error: "expected an environment variable name: letters, digits and _, not starting with a digit" });

const nonNegativeInt = (what: string) =>
  z.number({ error: `expected a whole number (${what})` }).int({ error: `expected a whole number (${what})` }).nonnegative({
    error: `expected a number >= 0 (${what})`,
  });

const positiveInt = (what: string) =>
  z.number({ error: `expected a whole number (${what})` }).int({ error: `expected a whole number (${what})` }).positive({
    error: `expected a number > 0 (${what})`,
  });

/** Where the keeper's signing key comes from. Only one of the two forms. */
export const keySourceSchema = z.union(
  [
    z.strictObject({
      /** An encrypted JSON keystore (Web3 Secret Storage). */
      keystore: z.strictObject({
        /** Path of the keystore file. */
        path: z.string({ error: "expected the keystore file's path" }).min(1, { error: "expected the keystore file's path" }),
        /** Name of the environment variable that holds the keystore's password. */
        passwordEnv: envName,
      }),
    }),
    z.strictObject({
      /** Name of the environment variable that holds the hex private key (0x + 64 hex digits). */
      privateKeyEnv: envName,
    }),
  ],
  {
    error:
      'expected either { "keystore": { "path": "...", "passwordEnv": "KEEPER_KEYSTORE_PASSWORD" } } or { "privateKeyEnv": "KEEPER_PRIVATE_KEY" }',
  },
);

/** The Prometheus endpoint. */
export const metricsSchema = z.strictObject({
  /**
   * Interface the `/metrics`, `/healthz` and `/readyz` endpoints listen on.
   * @default "127.0.0.1" (not reachable from other hosts)
   */
  host: z.string({ error: "expected a host name or IP, e.g. \"127.0.0.1\"" }).min(1).default("127.0.0.1"),
  /**
   * TCP port of the endpoints.
   * @default 9464
   */
  port: z
    .number({ error: "expected a TCP port number, e.g. 9464" })
    .int({ error: "expected a TCP port number, e.g. 9464" })
    .min(1, { error: "expected a TCP port in 1..65535" })
    .max(65535, { error: "expected a TCP port in 1..65535" })
    .default(9464),
});

/** Gas, fees and profitability of the liquidation sender. */
export const gasSchema = z.strictObject({
  /**
   * The largest max fee per gas the keeper will pay, in gwei: fees (and their escalation) are capped here, and a
   * liquidation whose network base fee is above it is not sent.
   * @default 100
   */
  maxFeePerGasGwei: z.number({ error: "expected a number of gwei, e.g. 100" }).positive({ error: "expected a fee cap > 0 gwei" }).default(100),
  /**
   * The largest priority fee (tip) per gas, in gwei.
   * @default 2
   */
  maxPriorityFeePerGasGwei: z.number({ error: "expected a number of gwei, e.g. 2" }).nonnegative({ error: "expected a tip >= 0 gwei" }).default(2),
  /**
   * The smallest expected profit, in USD after gas, for which a liquidation is sent (reward = the bonus less the
   * insurance fund's share; gas = estimated gas x max fee x native price).
   * @default 0
   */
  minProfitUsd: z.number({ error: "expected a USD amount, e.g. 5" }).nonnegative({ error: "expected a USD amount >= 0" }).default(0),
  /**
   * A liquidation transaction not mined after this many blocks is replaced (same nonce) with higher fees.
   * @default 3
   */
  replaceAfterBlocks: positiveInt("blocks before a stuck transaction is replaced, e.g. 3").default(3),
  /**
   * By how much, in percent, a replacement raises both fees; at least 12.5 (nodes refuse smaller bumps).
   * @default 20
   */
  feeBumpPercent: z.number({ error: "expected a percentage, e.g. 20" }).min(12.5, { error: "expected at least 12.5 (the nodes' replacement rule)" }).default(20),
  /**
   * The gas limit sent is the estimate times this factor.
   * @default 1.25
   */
  gasLimitMultiplier: z.number({ error: "expected a factor, e.g. 1.25" }).min(1, { error: "expected a factor >= 1" }).default(1.25),
  /**
   * The symbol of the vault's risk asset that prices the native gas token (its oracle price converts gas to USD).
   * @default "ETH"
   */
  nativeAssetSymbol: z.string({ error: "expected an asset symbol, e.g. \"ETH\"" }).min(1).default("ETH"),
  /**
   * A fixed USD price of the native gas token; overrides `nativeAssetSymbol` (for chains whose gas token the
   * vault does not list).
   */
  nativePriceUsd: z.number({ error: "expected a USD price, e.g. 2500" }).positive({ error: "expected a price > 0" }).optional(),
  /**
   * The native balance (in ether units) under which the keeper refuses to send and raises the balance alert
   * (`keeper_balance_low` = 1, an error log line per block).
   * @default 0.05
   */
  minBalanceEth: z.number({ error: "expected an amount of ether, e.g. 0.05" }).nonnegative({ error: "expected an amount >= 0" }).default(0.05),
});

/** Readiness (`/readyz`): the stale-block watchdog. */
export const readinessSchema = z.strictObject({
  /**
   * Ready only when the last block processed is at most this many blocks behind the chain head.
   * @default 3
   */
  maxBlockLag: nonNegativeInt("blocks behind the head, e.g. 3").default(3),
  /**
   * Ready only when a block was processed in the last this-many seconds (the watchdog: a stalled loop or a
   * stalled chain makes the keeper unready).
   * @default 120
   */
  maxStaleSeconds: positiveInt("seconds, e.g. 120").default(120),
  /**
   * Ready only when fewer than this many rounds in a row have failed (an RPC down, a feed unreadable).
   * @default 3
   */
  maxFailedRounds: positiveInt("failed rounds in a row, e.g. 3").default(3),
});

/** How liquidations are attempted within a round. */
export const liquidationSchema = z.strictObject({
  /**
   * Candidates simulated and sent at the same time (each takes ~4 round trips: simulate, estimate, fees, send).
   * @default 8
   */
  concurrency: positiveInt("simultaneous attempts, e.g. 8").default(8),
  /**
   * The time a round may spend on attempts, in milliseconds; candidates left over wait for the next round (worst
   * first), so that blocks keep being processed while thousands of accounts are liquidatable.
   * @default 4000
   */
  roundBudgetMs: positiveInt("milliseconds, e.g. 4000").default(4000),
  /**
   * An account skipped on a definite answer (a decoded vault revert, no plan with every price known, unprofitable,
   * dry-run) is not tried again for this many blocks unless its state or a price of its assets changes.
   * @default 10
   */
  markExpiryBlocks: positiveInt("blocks, e.g. 10").default(10),
});

/** `keeper.config.json`. */
export const keeperConfigSchema = z.strictObject({
  /**
   * JSON-RPC endpoints, tried in order (viem's `fallback` transport). At least one. URLs may hold API keys:
   * they are never logged or shown in errors (only scheme and host are).
   */
  rpcUrls: z.array(rpcUrl, { error: "expected a list of RPC URLs, e.g. [\"https://eth.example.com\"]" }).min(1, {
    error: "expected at least one RPC URL, e.g. [\"https://eth.example.com\"]",
  }),
  /** The MarginVault's address. */
  vault: address,
  /** The chain id the endpoints must serve; the keeper refuses to start on another chain. */
  chainId: positiveInt("the chain id, e.g. 1 for Ethereum, 31337 for a local Hardhat node"),
  /** The block to start indexing from: the vault's deployment block (earlier blocks hold none of its logs). */
  startBlock: nonNegativeInt("the vault's deployment block number"),
  /**
   * How many blocks behind the head the indexer stays (0 follows the head and relies on the reorg window).
   * @default 0
   */
  confirmations: nonNegativeInt("blocks behind the head, e.g. 0").default(0),
  /**
   * How many recent blocks the indexer keeps hashes for and can roll back. A reorg deeper than this stops the
   * indexer (the state must then be rebuilt). Must be >= 1.
   * @default 12
   */
  reorgWindow: positiveInt("recent blocks that can be rolled back, e.g. 12").default(12),
  /**
   * The largest block range of one `eth_getLogs` request. Halved automatically when the endpoint answers
   * "too many results".
   * @default 2000
   */
  getLogsChunkSize: positiveInt("blocks per eth_getLogs request, e.g. 2000").default(2000),
  /**
   * How often the head is polled, in milliseconds.
   * @default 2000
   */
  pollIntervalMs: positiveInt("milliseconds between polls, e.g. 2000").default(2000),
  /**
   * Path of the SQLite state file (`:memory:` for a throwaway state).
   * @default "keeper-state.sqlite"
   */
  dbPath: z.string({ error: "expected a file path, e.g. \"keeper-state.sqlite\"" }).min(1, {
    error: "expected a file path, e.g. \"keeper-state.sqlite\"",
  }).default("keeper-state.sqlite"),
  /** The Prometheus endpoint. */
  metrics: metricsSchema.default({ host: "127.0.0.1", port: 9464 }),
  /**
   * `run` sends liquidations; `dry-run` finds and simulates them and sends nothing.
   * @default "dry-run"
   */
  mode: z.enum(["run", "dry-run"], { error: 'expected "run" or "dry-run"' }).default("dry-run"),
  /** Gas and profitability limits. */
  gas: gasSchema.default(gasSchema.parse({})),
  /** The stale-block watchdog behind `/readyz`. */
  readiness: readinessSchema.default(readinessSchema.parse({})),
  /** Concurrency, time budget and retry of liquidation attempts. */
  liquidation: liquidationSchema.default(liquidationSchema.parse({})),
  /**
   * The liquidator's address when no `key` is given (dry-run only): simulations are made from it. With a key,
   * the key's address is the liquidator and this must be omitted or equal to it.
   */
  liquidator: address.optional(),
  /** Where the signing key comes from. Required by `run` in mode "run"; read-only commands never read it. */
  key: keySourceSchema.optional(),
  /**
   * The log level.
   * @default "info"
   */
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
    error: 'expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent"',
  }).default("info"),
});

/** The keeper's configuration, after defaults. */
export type KeeperConfig = z.output<typeof keeperConfigSchema>;
/** What `keeper.config.json` may contain (defaults optional). */
export type KeeperConfigInput = z.input<typeof keeperConfigSchema>;
