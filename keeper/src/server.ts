/**
 * The operator endpoints: `/metrics` (the prom-client registry), `/healthz` (the process is alive) and `/readyz`
 * (the stale-block watchdog: synced to within `readiness.maxBlockLag` blocks of the head, and a block processed
 * in the last `readiness.maxStaleSeconds` seconds). Bound to `metrics.host` (127.0.0.1 by default).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { KeeperConfig } from "./config/schema.js";
import { ConfigError } from "./errors.js";
import type { KeeperStatus } from "./keeper.js";
import type { KeeperMetrics } from "./metrics.js";

/** Options of `startServer`. */
export interface StartServerParameters {
  host: string;
  port: number;
  metrics: KeeperMetrics;
  readiness: KeeperConfig["readiness"];
  status: () => KeeperStatus;
}

/** `startServer`'s result. */
export interface StartServerReturnType {
  server: Server;
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** Whether the keeper is ready, and why not. */
export function readiness(status: KeeperStatus, limits: KeeperConfig["readiness"], now = Date.now()): { ready: boolean; reason: string } {
  if (status.lastBlock === null) return { ready: false, reason: "no block processed yet" };
  if (status.failedRounds >= limits.maxFailedRounds) return { ready: false, reason: `${status.failedRounds} rounds failed in a row` };
  const age = (now - status.lastBlockAt) / 1000;
  if (age > limits.maxStaleSeconds) return { ready: false, reason: `last block processed ${age.toFixed(0)} s ago` };
  const lag = status.head === null ? 0n : status.head - status.lastBlock;
  if (lag > BigInt(limits.maxBlockLag)) return { ready: false, reason: `${lag} blocks behind the head` };
  return { ready: true, reason: "ok" };
}

/**
 * Starts the HTTP server.
 *
 * @param parameters Host, port, metrics, readiness limits and the keeper's status.
 * @returns The server, its port and `close`.
 * @example const http = await startServer({ host: "127.0.0.1", port: 9464, metrics, readiness: config.readiness, status: keeper.status });
 */
export async function startServer(parameters: StartServerParameters): Promise<StartServerReturnType> {
  const { metrics, status } = parameters;
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET") {
      response.writeHead(405).end();
      return;
    }
    if (path === "/metrics") {
      metrics.registry
        .metrics()
        .then((text) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text))
        .catch(() => response.writeHead(500).end());
    } else if (path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const { ready, reason } = readiness(status(), parameters.readiness);
      response.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(`${reason}\n`);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(`Cannot serve /metrics on ${parameters.host}:${parameters.port}${cause.code === "EADDRINUSE" ? ": the port is in use" : ""}.`, {
          cause,
          metaMessages: ["Set another `metrics.port` (or `metrics.host`) in the config, or stop what holds the port."],
        }),
      ),
    );
    server.listen(parameters.port, parameters.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
