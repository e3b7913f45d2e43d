/**
 * The keeper's Prometheus metrics (prom-client), on a registry of their own so that tests can create several.
 * The HTTP endpoint that serves them comes with the run loop.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** The keeper's metrics. */
export interface KeeperMetrics {
  registry: Registry;
  /** The last block whose logs are all applied; stays stale while indexing fails (alert on its age). */
  lastBlockProcessed: Gauge;
  /** The chain head seen at the last poll. */
  chainHead: Gauge;
  /** Indexing rounds that failed, by error name. */
  indexerErrors: Counter<"error">;
  /** Reorgs rolled back. */
  reorgs: Counter;
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
  return {
    registry,
    lastBlockProcessed: new Gauge({ name: "keeper_last_block_processed", help: "Last block whose vault logs are all applied.", registers: [registry] }),
    chainHead: new Gauge({ name: "keeper_chain_head", help: "Chain head at the last poll.", registers: [registry] }),
    indexerErrors: new Counter({ name: "keeper_indexer_errors_total", help: "Indexing rounds that failed.", labelNames: ["error"], registers: [registry] }),
    reorgs: new Counter({ name: "keeper_reorgs_total", help: "Chain reorganisations rolled back.", registers: [registry] }),
  };
}
