/**
 * Starts the RFQ maker from its config: loads the key, connects, and serves `/quote`, `/metrics`, `/healthz` and
 * `/readyz`. Used by `npm run maker` and by `npm start -- --keep-running`.
 */
import { connect } from "../../client/src/client.js";
import type { Logger } from "../../client/src/log.js";
import { loadSigner } from "../../client/src/signer.js";
import type { MakerConfig } from "./config.js";
import { createMaker, type Maker } from "./maker.js";
import { createMakerMetrics } from "./metrics.js";
import { startMakerServer } from "./server.js";

/** A running maker. */
export interface RunningMaker {
  maker: Maker;
  /** The bound port. */
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the maker.
 *
 * @param config The validated config.
 * @param env Where the key's variables are read. @default process.env
 * @throws ConfigError (key), RpcError (node unreachable).
 */
export async function startMaker(config: MakerConfig, options: { env?: NodeJS.ProcessEnv; logger?: Logger } = {}): Promise<RunningMaker> {
  const account = await loadSigner({ key: config.key, env: options.env });
  const pm = await connect({ rpcUrl: config.rpcUrl, addresses: { vault: config.vault, settlement: config.settlement, fromBlock: BigInt(config.fromBlock) }, account });
  const chainId = await pm.publicClient.getChainId();
  if (chainId !== config.chainId) throw new Error(`the node serves chain ${chainId}, the config says ${config.chainId}`);
  const metrics = createMakerMetrics({ defaultMetrics: true });
  const logger = options.logger;
  const maker = createMaker({ pm, config, metrics, logger });
  // The first read also loads the listing, so that symbols are known to the first request.
  await pm.getAccount();
  const server = await startMakerServer({
    maker,
    metrics,
    host: config.http.host,
    port: config.http.port,
    rateLimitPerMinute: config.rateLimitPerMinute,
    ready: () =>
      pm.publicClient.getBlockNumber({ cacheTime: 0 }).then(
        () => true,
        () => false,
      ),
  });
  logger?.info({ maker: pm.address, port: server.port }, "maker ready");
  return { maker, port: server.port, url: `http://${config.http.host}:${server.port}`, close: server.close };
}
