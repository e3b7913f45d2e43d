import { z } from "zod";

/** An integer given as a decimal string (or a safe JSON number), so that JSON keeps WAD amounts exact. */
const integer = z
  .union([z.string().regex(/^-?[0-9]+$/, "must be an integer as a decimal string"), z.number().int()])
  .transform((value) => BigInt(value));
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");
const count = z.number().int().nonnegative();

/** The governance section's defaults: a 2-day timelock, 10% steps at most once a day, no hand-over (local networks). */
export const DEFAULT_GOVERNANCE = {
  timelockDelay: 2 * 86_400,
  proposers: [] as string[],
  executors: [] as string[],
  maxStep: 10n ** 17n,
  minInterval: 86_400,
  handOver: false,
};

/**
 * The deployment config: which risk assets, correlations, collateral tokens and markets the protocol lists.
 * Bounds of the risk values are checked again on-chain; this schema catches shape errors early, naming the
 * field to fix.
 */
export const deploymentConfigSchema = z.object({
  /** Initial margin factor (WAD, >= 1e18). */
  imFactor: integer,
  /** Optional L2 sequencer uptime feed and its grace period (seconds). */
  sequencer: z.object({ feed: address, gracePeriod: count }).nullish(),
  /** Risk assets in id order; asset 0 must be USD, the unit of account. */
  assets: z
    .array(
      z.object({
        symbol: z.string().min(1),
        /** A feed address, or a mock feed to deploy (local networks). */
        feed: z.union([address, z.object({ mock: z.object({ decimals: count, answer: integer }) })]),
        heartbeat: count,
        scan: integer,
        maxPrice: integer,
      }),
    )
    .min(1),
  /** Medium correlations by asset symbol; unlisted pairs are 0. */
  correlations: z.array(z.object({ a: z.string(), b: z.string(), rho: integer })).default([]),
  /** Collateral tokens; `depositCap` in token units. */
  collateral: z
    .array(
      z.object({
        token: z.union([
          address,
          z.object({ mock: z.object({ name: z.string(), symbol: z.string().min(1), decimals: count }) }),
        ]),
        asset: z.string(),
        haircut: integer,
        depositCap: integer,
      }),
    )
    .default([]),
  /** Perpetual markets in id order; `openInterestCap` in WAD base units. */
  markets: z
    .array(
      z.object({
        symbol: z.string().optional(),
        asset: z.string(),
        k: integer,
        openInterestCap: integer,
      }),
    )
    .default([]),
  /** Trade settlement: the price band around the oracle price, in basis points (0, 5000]. */
  settlement: z.object({ priceBandBps: count }).default({ priceBandBps: 500 }),
  /**
   * Liquidation (docs/liquidation.md): the bonus rate on the maintenance margin a slice releases (WAD, <= 0.5e18),
   * the insurance fund's share of the bonus (WAD, <= 1e18) and the dust threshold (WAD USD, <= 1e24) below which
   * what would remain of an account is taken whole.
   */
  liquidation: z
    .object({
      bonusRate: integer.refine((v) => v <= 5n * 10n ** 17n, "bonusRate must be <= 0.5e18"),
      fundShare: integer.refine((v) => v <= 10n ** 18n, "fundShare must be <= 1e18"),
      dustThreshold: integer.refine((v) => v <= 10n ** 24n, "dustThreshold must be <= 1e24 (1,000,000 USD)"),
    })
    .default({ bonusRate: 0n, fundShare: 0n, dustThreshold: 0n }),
  /**
   * The insurance fund's asset: the symbol of a mock collateral token or a collateral token address. Omitted or
   * null: no fund is deployed.
   */
  insuranceFund: z
    .object({
      asset: z.string(),
      /**
       * Token units the deployer deposits into the fund at deployment, for shares sent to 0x…dEaD that no one can
       * redeem (with the fund's virtual shares, a donation can then never round a deposit to zero shares). Mock
       * tokens are minted for it; a real token must be held by the deployer.
       */
      seed: integer.default(0n),
    })
    .nullish(),
  /**
   * Cash settlement (docs/cash.md): the discount (WAD, <= 0.05e18) at which a debtor's collateral is sold for
   * settlement tokens, and the liquidation grace period after a pause (seconds, <= 4 hours).
   */
  cash: z
    .object({ settlementDiscount: integer, liquidationGracePeriod: count })
    .default({ settlementDiscount: 0n, liquidationGracePeriod: 0 }),
  /**
   * Governance (docs/governance.md). The module always deploys an OpenZeppelin TimelockController with `timelockDelay`
   * (seconds) and grants it DEFAULT_ADMIN_ROLE and RISK_ADMIN_ROLE (unbounded risk changes, listings, fund, feeds).
   * `steward` receives RISK_STEWARD_ROLE (bounded steps: at most `maxStep` (WAD) of a parameter's value per update,
   * a parameter at most once per `minInterval` seconds) and `guardian` GUARDIAN_ROLE (pause, tighten-only steps); each
   * is an address or `{ "account": i }`, the i-th account of the deploying network. `proposers` may schedule timelock
   * operations (default: the deployer), `executors` execute them once ready (default: anyone). With `handOver` the
   * deployer renounces every role it held at the end (production); without it the deployer keeps RISK_ADMIN_ROLE,
   * GUARDIAN_ROLE and DEFAULT_ADMIN_ROLE as well (local networks, tests).
   */
  governance: z
    .object({
      timelockDelay: count.refine((v) => v >= 3600, "timelockDelay must be at least 3600 s (1 hour)"),
      proposers: z.array(address).default([]),
      executors: z.array(address).default([]),
      steward: z.union([address, z.object({ account: count })]).nullish(),
      guardian: z.union([address, z.object({ account: count })]).nullish(),
      maxStep: integer.refine((v) => v <= 5n * 10n ** 17n, "maxStep must be <= 0.5e18 (50%)"),
      minInterval: count.refine((v) => v >= 3600 && v <= 30 * 86400, "minInterval must be in [1 hour, 30 days]"),
      handOver: z.boolean().default(false),
    })
    .default(DEFAULT_GOVERNANCE),
  /** Deploy the test harness (state setters) instead of the vault. Tests only. */
  harness: z.boolean().default(false),
});

export type DeploymentConfig = z.output<typeof deploymentConfigSchema>;

/**
 * Validates a parsed JSON deployment config.
 * @throws Error listing every wrong field by its path.
 */
export function parseDeploymentConfig(json: unknown): DeploymentConfig {
  const result = deploymentConfigSchema.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`deployment config is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}
