/**
 * Serves the page: the production build (app/dist, built by Vite), /config.json (the deployment the page follows)
 * and /keeper-metrics (the keeper's Prometheus endpoint, proxied so the browser needs no CORS). Bound to 127.0.0.1.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address } from "viem";

import type { AppConfig } from "../src/config.js";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
export const DIST_DIR = path.join(APP_DIR, "dist");

/** Options of `serveApp`. */
export interface ServeAppParameters {
  rpcUrl: string;
  vault: Address;
  settlement?: Address | null;
  /** The vault's deployment block. @default 0 */
  startBlock?: number;
  /** The keeper's metrics URL (http://host:port/metrics), proxied at /keeper-metrics. */
  keeperMetricsUrl?: string | null;
  makerUrl?: string | null;
  /** @default 0 (a free port) */
  port?: number;
  /** Block polling interval of the page (ms). @default 500 */
  pollingIntervalMs?: number;
  /** `npm run bench` only: a synthetic book (`BookStateJson` as text) served as /bench.json instead of a chain. */
  benchState?: string;
}

/** A running server. */
export interface AppServer {
  url: string;
  /** Points the page's RFQ trades at a maker started after the server (pages loaded afterwards use it). */
  setMakerUrl(url: string): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** Builds app/dist with Vite (about two seconds). */
export async function buildApp(): Promise<void> {
  const { build } = await import("vite");
  await build({ configFile: path.join(APP_DIR, "vite.config.ts"), logLevel: "warn" });
}

/**
 * Serves the built page on 127.0.0.1.
 *
 * @throws Error when app/dist is missing (run `buildApp` first).
 */
export async function serveApp(parameters: ServeAppParameters): Promise<AppServer> {
  if (!existsSync(path.join(DIST_DIR, "index.html"))) throw new Error("app/dist is missing: build the page first (`npm run app` builds it).");
  const config: AppConfig = {
    rpcUrl: parameters.rpcUrl,
    vault: parameters.vault,
    settlement: parameters.settlement ?? null,
    startBlock: parameters.startBlock ?? 0,
    keeperMetrics: Boolean(parameters.keeperMetricsUrl),
    makerUrl: parameters.makerUrl ?? null,
    pollingIntervalMs: parameters.pollingIntervalMs ?? 500,
    bench: parameters.benchState !== undefined,
  };
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/config.json") {
      res.writeHead(200, { "content-type": TYPES[".json"]!, "cache-control": "no-store" }).end(JSON.stringify(config));
      return;
    }
    if (url.pathname === "/bench.json" && parameters.benchState !== undefined) {
      res.writeHead(200, { "content-type": TYPES[".json"]! }).end(parameters.benchState);
      return;
    }
    if (url.pathname === "/maker/quote" && req.method === "POST") {
      // The RFQ maker's POST /quote, proxied so that the page needs no CORS from the maker.
      if (!config.makerUrl) return void res.writeHead(404, { "content-type": TYPES[".json"]! }).end(JSON.stringify({ error: "no RFQ maker is configured (--maker URL)" }));
      try {
        let body = "";
        for await (const chunk of req) body += chunk;
        const upstream = await fetch(new URL("/quote", config.makerUrl), { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(5000) });
        res.writeHead(upstream.status, { "content-type": TYPES[".json"]! }).end(await upstream.text());
      } catch {
        res.writeHead(502, { "content-type": TYPES[".json"]! }).end(JSON.stringify({ error: "the RFQ maker did not answer" }));
      }
      return;
    }
    if (url.pathname === "/keeper-metrics") {
      if (!parameters.keeperMetricsUrl) return void res.writeHead(404).end("no keeper metrics endpoint given (--keeper-metrics)");
      try {
        const upstream = await fetch(parameters.keeperMetricsUrl, { signal: AbortSignal.timeout(2000) });
        res.writeHead(upstream.status, { "content-type": "text/plain; charset=utf-8" }).end(await upstream.text());
      } catch {
        res.writeHead(502).end("the keeper's metrics endpoint did not answer");
      }
      return;
    }
    const file = path.join(DIST_DIR, path.normalize(url.pathname === "/" ? "/index.html" : url.pathname));
    if (!file.startsWith(DIST_DIR) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  };
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(parameters.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    setMakerUrl: (makerUrl: string) => void (config.makerUrl = makerUrl),
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
