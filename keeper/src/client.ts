import { createPublicClient, fallback, http, webSocket, type PublicClient, type Transport } from "viem";

import type { KeeperMetrics } from "./metrics.js";

import type { KeeperConfig } from "./config/schema.js";
import { ConfigError, RpcError, redactUrl } from "./errors.js";

/**
 * The keeper's transport over `config.rpcUrls`: viem's `fallback` (endpoints in order; a failing endpoint passes
 * the request to the next one at once, each endpoint has no retries of its own), JSON-RPC batching on http(s), with every failed request
 * counted in `keeper_rpc_errors_total{endpoint="<index>"}`.
 *
 * @param config The endpoints.
 * @param metrics Where failures are counted.
 * @returns The transport, for public and wallet clients alike.
 */
export function createKeeperTransport(config: Pick<KeeperConfig, "rpcUrls">, metrics?: KeeperMetrics) {
  const transports: Transport[] = config.rpcUrls.map((url) =>
    // JSON-RPC batching: the requests of one tick (a round's feed reads, the simulate / estimate / fee triple) go
    // out as one HTTP request; a failing item of a batch fails alone.
    url.startsWith("ws") ? webSocket(url, { retryCount: 0 }) : http(url, { retryCount: 0, timeout: 10_000, batch: { wait: 0 } }),
  );
  const transport = fallback(transports, { retryCount: 1, retryDelay: 100 });
  if (metrics === undefined) return transport;
  return ((options: Parameters<typeof transport>[0]) => {
    const instance = transport(options);
    instance.value?.onResponse((response) => {
      if (response.status !== "error") return;
      // The endpoint is named by its index in rpcUrls only: the URL may hold an API key.
      const url = (response.transport as { value?: { url?: string } }).value?.url;
      const index = url === undefined ? -1 : config.rpcUrls.indexOf(url);
      metrics.rpcErrors.inc({ endpoint: String(index) });
    });
    return instance;
  }) as typeof transport;
}

/**
 * Creates the keeper's read client over `config.rpcUrls`, with viem's `fallback` transport (endpoints in order),
 * and checks that it serves `config.chainId`.
 *
 * @param config The keeper config.
 * @param metrics Counts failed requests by endpoint.
 * @returns A viem public client.
 * @throws RpcError when no endpoint answers; ConfigError when the chain id differs.
 * @example const client = await createKeeperClient(config);
 */
export async function createKeeperClient(config: Pick<KeeperConfig, "rpcUrls" | "chainId">, metrics?: KeeperMetrics): Promise<PublicClient> {
  const client = createPublicClient({ transport: createKeeperTransport(config, metrics) }) as PublicClient;
  return checkChainId(client, config.chainId, config.rpcUrls.map(redactUrl).join(", "));
}

/**
 * Checks that `client` serves `chainId`.
 *
 * @param client The client.
 * @param chainId The expected chain id.
 * @param label The endpoints, redacted, for messages.
 * @returns The same client.
 */
export async function checkChainId(client: PublicClient, chainId: number, label = "the RPC endpoint"): Promise<PublicClient> {
  let actual: number;
  try {
    actual = await client.getChainId();
  } catch (cause) {
    throw new RpcError(`Cannot reach ${label}.`, { cause, metaMessages: ["Check `rpcUrls` in the config and that the node is running."] });
  }
  if (actual !== chainId) {
    throw new ConfigError(`${label} serves chain ${actual}, but the config says chainId ${chainId}.`, {
      metaMessages: ["Fix `chainId` or `rpcUrls` in the config."],
    });
  }
  return client;
}
