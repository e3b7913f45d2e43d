/** The deployment the page follows, served by `npm run app` as /config.json. */
import type { Address } from "viem";

export interface AppConfig {
  /** JSON-RPC endpoint the browser reads (http(s) or ws(s)). */
  rpcUrl: string;
  vault: Address;
  settlement: Address | null;
  /** The vault's deployment block (the backfill starts there). */
  startBlock: number;
  /** Whether the keeper's metrics are proxied at /keeper-metrics. */
  keeperMetrics: boolean;
  /** The RFQ maker's URL, when one is given. */
  makerUrl: string | null;
  /** Block polling interval (ms) for http endpoints. */
  pollingIntervalMs: number;
  /** `npm run bench`: no chain, a synthetic book from /bench.json. */
  bench?: boolean;
}

/** Reads /config.json; throws a sentence saying what to run when it is missing. */
export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("./config.json");
  if (!response.ok) throw new Error("No /config.json: serve the page with `npm run app -- --rpc URL --vault ADDRESS`.");
  return (await response.json()) as AppConfig;
}
