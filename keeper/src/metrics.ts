/**
 * The keeper's Prometheus metrics (prom-client), on a registry of their own so that tests can create several.
 * `startServer` (server.ts) serves them on `/metrics`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** The keeper's metrics. */
export interface KeeperMetrics {
  registry: Registry;
  /** The last block whose logs are all applied; stays stale while indexing fails (alert on its age). */
  lastBlockProcessed: Gauge;
  /** Unix time (s) at which the last block was processed; the stale-block watchdog reads it. */
  lastBlockProcessedTime: Gauge;
  /** The last block whose round (evaluate, plan, send) has finished: its liquidations are out. */
  lastBlockEvaluated: Gauge;
  /** The chain head seen at the last poll. */
  chainHead: Gauge;
  /** Indexing rounds that failed, by error name. */
  indexerErrors: Counter<"error">;
  /** Reorgs rolled back. */
  reorgs: Counter;
  /** Accounts the keeper tracks (every account that ever had cash, collateral or a position). */
  accountsTracked: Gauge;
  /** Accounts under maintenance margin (E < MM) at the last block. */
  atRiskAccounts: Gauge;
  /** Accounts whose margin cannot be computed (a price is missing or rejected). */
  unpricedAccounts: Gauge;
  /** Liquidation transactions sent (replacements not counted). */
  liquidationsSent: Counter;
  /** Liquidation transactions mined with success. */
  liquidationsSucceeded: Counter;
  /** Liquidations lost: another liquidator got there first, or the account was already healthy (by stage). */
  liquidationsLost: Counter<"stage">;
  /** Liquidations found but not sent, by reason (unprofitable, dry-run, fee-cap, balance-low, no-plan, ...). */
  liquidationsSkipped: Counter<"reason">;
  /** Replacement transactions sent for stuck liquidations. */
  replacements: Counter;
  /** RPC requests that failed, by endpoint index in `rpcUrls` (never the URL: it may hold a key). */
  rpcErrors: Counter<"endpoint">;
  /** Per-block rounds of the decision loop that failed, by error name. */
  loopErrors: Counter<"error">;
  /** The keeper's native balance, in ether units. */
  keeperBalance: Gauge;
  /** 1 while the native balance is under `gas.minBalanceEth` (the keeper then sends nothing). */
  balanceLow: Gauge;
  /** Seconds from a new block seen to its liquidations sent (the decision latency). */
  decisionSeconds: Gauge;
  /** Blocks between the chain head (polled every round, even a failing one) and the last block processed. */
  blockLag: Gauge;
  /** Rounds failed in a row (0 after a successful round); `/readyz` fails at `readiness.maxFailedRounds`. */
  failedRounds: Gauge;
  /** Rounds evaluated with some price missing (a feed unreadable or rejected): its holders are not evaluated. */
  degradedRounds: Counter;
  /** Accounts under MM not tried again for now (a definite answer: lost race, no plan, unprofitable, dry-run). */
  markedAccounts: Gauge;
  /** Candidates left for the next round when the round's time budget ran out. */
  deferredCandidates: Gauge;
}

/** Options of `createMetrics`. */
export interface CreateMetricsParameters {
  /** Also collect Node's default process metrics. @default false */
  defaultMetrics?: boolean;
}

/**
 * Creates the keeper's metrics on a new registry.
 *
 * @param parameters Whether to add Node's default metrics.
 * @returns The registry and each metric.
 * @example const metrics = createMetrics({ defaultMetrics: true }); await metrics.registry.metrics();
 */
export function createMetrics(parameters: CreateMetricsParameters = {}): KeeperMetrics {
  const registry = new Registry();
  if (parameters.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "keeper_" });
  const registers = [registry];
  return {
    registry,
    lastBlockProcessed: new Gauge({ name: "keeper_last_block_processed", help: "Last block whose vault logs are all applied.", registers }),
    lastBlockProcessedTime: new Gauge({ name: "keeper_last_block_processed_timestamp_seconds", help: "Unix time at which the last block was processed.", registers }),
    lastBlockEvaluated: new Gauge({ name: "keeper_last_block_evaluated", help: "Last block whose round (evaluate, plan, send) has finished.", registers }),
    chainHead: new Gauge({ name: "keeper_chain_head", help: "Chain head at the last poll.", registers }),
    indexerErrors: new Counter({ name: "keeper_indexer_errors_total", help: "Indexing rounds that failed.", labelNames: ["error"], registers }),
    reorgs: new Counter({ name: "keeper_reorgs_total", help: "Chain reorganisations rolled back.", registers }),
    accountsTracked: new Gauge({ name: "keeper_accounts_tracked", help: "Accounts tracked.", registers }),
    atRiskAccounts: new Gauge({ name: "keeper_accounts_at_risk", help: "Accounts under maintenance margin at the last block.", registers }),
    unpricedAccounts: new Gauge({ name: "keeper_accounts_unpriced", help: "Accounts whose margin cannot be computed (missing or rejected price).", registers }),
    liquidationsSent: new Counter({ name: "keeper_liquidations_sent_total", help: "Liquidation transactions sent.", registers }),
    liquidationsSucceeded: new Counter({ name: "keeper_liquidations_succeeded_total", help: "Liquidation transactions mined with success.", registers }),
    liquidationsLost: new Counter({ name: "keeper_liquidations_lost_total", help: "Liquidations lost to another liquidator or to a healthy account.", labelNames: ["stage"], registers }),
    liquidationsSkipped: new Counter({ name: "keeper_liquidations_skipped_total", help: "Liquidations found but not sent.", labelNames: ["reason"], registers }),
    replacements: new Counter({ name: "keeper_replacements_total", help: "Replacement transactions sent for stuck liquidations.", registers }),
    rpcErrors: new Counter({ name: "keeper_rpc_errors_total", help: "RPC requests that failed, by endpoint index.", labelNames: ["endpoint"], registers }),
    loopErrors: new Counter({ name: "keeper_loop_errors_total", help: "Decision rounds that failed.", labelNames: ["error"], registers }),
    keeperBalance: new Gauge({ name: "keeper_balance_eth", help: "The keeper's native balance (ether units).", registers }),
    balanceLow: new Gauge({ name: "keeper_balance_low", help: "1 while the native balance is under gas.minBalanceEth.", registers }),
    decisionSeconds: new Gauge({ name: "keeper_decision_seconds", help: "Seconds from a round's start (after indexing) to its first liquidation sent.", registers }),
    blockLag: new Gauge({ name: "keeper_block_lag", help: "Blocks between the chain head and the last block processed.", registers }),
    failedRounds: new Gauge({ name: "keeper_failed_rounds", help: "Rounds failed in a row.", registers }),
    degradedRounds: new Counter({ name: "keeper_degraded_rounds_total", help: "Rounds evaluated with some price missing.", registers }),
    markedAccounts: new Gauge({ name: "keeper_accounts_marked", help: "Accounts under MM not tried again for now.", registers }),
    deferredCandidates: new Gauge({ name: "keeper_candidates_deferred", help: "Candidates left for the next round (time budget).", registers }),
  };
}
