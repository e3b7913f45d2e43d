/** The maker's Prometheus metrics (prom-client), on a registry of their own. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** The maker's metrics. */
export interface MakerMetrics {
  registry: Registry;
  /** Quote requests answered, by result ("ok" or the refusal reason). */
  quotes: Counter<"result">;
  /** The maker's inventory per market (base units, with outstanding quotes) after its last quote. */
  inventory: Gauge<"market">;
  /** The maker's equity (USD) as if every outstanding quote were filled, at its last quote. */
  equity: Gauge;
}

/** Creates the maker's metrics. */
export function createMakerMetrics(parameters: { defaultMetrics?: boolean } = {}): MakerMetrics {
  const registry = new Registry();
  if (parameters.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "maker_" });
  const registers = [registry];
  return {
    registry,
    quotes: new Counter({ name: "maker_quotes_total", help: "Quote requests answered, by result.", labelNames: ["result"], registers }),
    inventory: new Gauge({ name: "maker_inventory", help: "Inventory per market (base units) including outstanding quotes.", labelNames: ["market"], registers }),
    equity: new Gauge({ name: "maker_equity_usd", help: "Equity if every outstanding quote were filled (USD).", registers }),
  };
}
