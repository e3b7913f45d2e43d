import { createPublicClient, fallback, http, webSocket, type PublicClient, type Transport } from "viem";

import type { KeeperConfig } from "./config/schema.js";
import { ConfigError, RpcError, redactUrl } from "./errors.js";

/**
 * Creates the keeper's read client over `config.rpcUrls`, with viem's `fallback` transport (endpoints in order),
 * and checks that it serves `config.chainId`.
 *
 * @param config The keeper config.
 * @returns A viem public client.
 * @throws RpcError when no endpoint answers; ConfigError when the chain id differs.
 * @example const client = await createKeeperClient(config);
 */
export async function createKeeperClient(config: Pick<KeeperConfig, "rpcUrls" | "chainId">): Promise<PublicClient> {
  const transports: Transport[] = config.rpcUrls.map((url) => (url.startsWith("ws") ? webSocket(url) : http(url)));
  const client = createPublicClient({ transport: fallback(transports) }) as PublicClient;
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
