/**
 * The maker's HTTP service: `POST /quote` ({ market, side, size }: market id or symbol, "buy" | "sell" from the
 * taker's side, size in WAD base units as a decimal string) answers `{ quote }` or `{ error, reason }`;
 * `GET /metrics` (prom-client), `/healthz` (alive) and `/readyz` (the chain answered in the last 30 s). Requests are
 * rate-limited per client address (a token bucket).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { findMarket } from "../../client/src/deployment.js";
import { quoteToJson, type QuoteRequest } from "../../client/src/quote.js";
import type { Maker, RefusalReason } from "./maker.js";
import type { MakerMetrics } from "./metrics.js";

/** Options of `startMakerServer`. */
export interface StartMakerServerParameters {
  maker: Maker;
  metrics: MakerMetrics;
  host: string;
  port: number;
  rateLimitPerMinute: number;
  /** Whether the chain answered recently. */
  ready: () => Promise<boolean>;
}

const STATUS: Record<RefusalReason, number> = {
  "bad-request": 400,
  "size-limit": 422,
  "inventory-limit": 422,
  "initial-margin": 422,
  "stale-feed": 503,
  "rate-limited": 429,
  error: 500,
};

/** A token bucket per client: `perMinute` requests, refilled continuously. */
function rateLimiter(perMinute: number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: string): boolean => {
    const t = Date.now();
    const b = buckets.get(key) ?? { tokens: perMinute, at: t };
    b.tokens = Math.min(perMinute, b.tokens + ((t - b.at) / 60_000) * perMinute);
    b.at = t;
    buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
}

async function body(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request) {
    text += chunk;
    if (text.length > 10_000) throw new Error("request too large");
  }
  return JSON.parse(text);
}

function parseRequest(json: unknown, markets: (text: string) => number | undefined): QuoteRequest | string {
  const r = json as { market?: unknown; side?: unknown; size?: unknown };
  if (typeof r !== "object" || r === null) return "expected a JSON object { market, side, size }";
  const market = typeof r.market === "number" ? r.market : typeof r.market === "string" ? markets(r.market) : undefined;
  if (market === undefined) return `unknown market ${JSON.stringify(r.market)}`;
  if (r.side !== "buy" && r.side !== "sell") return 'side must be "buy" or "sell"';
  if (typeof r.size !== "string" || !/^[0-9]+$/.test(r.size)) return "size must be a decimal string of WAD base units";
  return { market, side: r.side, size: BigInt(r.size) };
}

/**
 * Starts the service.
 *
 * @returns The server, its bound port and `close`.
 */
export async function startMakerServer(parameters: StartMakerServerParameters): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const { maker, metrics } = parameters;
  const allow = rateLimiter(parameters.rateLimitPerMinute);
  const send = (response: import("node:http").ServerResponse, status: number, json: unknown) =>
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));

  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "GET" && path === "/metrics") {
      metrics.registry
        .metrics()
        .then((text) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text))
        .catch(() => response.writeHead(500).end());
    } else if (request.method === "GET" && path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (request.method === "GET" && path === "/readyz") {
      parameters
        .ready()
        .then((ok) => response.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "the chain does not answer\n"))
        .catch(() => response.writeHead(503).end());
    } else if (request.method === "POST" && path === "/quote") {
      if (!allow(request.socket.remoteAddress ?? "?")) {
        metrics.quotes.inc({ result: "rate-limited" });
        send(response, 429, { error: `more than ${parameters.rateLimitPerMinute} quote requests a minute`, reason: "rate-limited" });
        return;
      }
      body(request)
        .then(async (json) => {
          const deployment = maker.lastSnapshot()?.deployment;
          const parsed = parseRequest(json, (text) => (deployment ? findMarket(deployment, text)?.id : /^[0-9]+$/.test(text) ? Number(text) : undefined));
          if (typeof parsed === "string") {
            metrics.quotes.inc({ result: "bad-request" });
            send(response, 400, { error: parsed, reason: "bad-request" });
            return;
          }
          const result = await maker.quote(parsed);
          if (result.ok) send(response, 200, { quote: quoteToJson(result.quote) });
          else send(response, STATUS[result.reason], { error: result.error, reason: result.reason });
        })
        .catch(() => send(response, 400, { error: "expected a JSON body { market, side, size }", reason: "bad-request" }));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(parameters.port, parameters.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
