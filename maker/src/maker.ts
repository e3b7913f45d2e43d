/**
 * The RFQ maker's decision: given a request (market, side, size), either a signed order at the oracle price plus or
 * minus the spread, valid for a few seconds, or a refusal with its reason. It refuses when the feed is stale, when
 * its inventory (position plus the unfilled part of its outstanding quotes) would pass the limit, or when its own
 * account would fall under initial margin were every outstanding quote filled. Requests are decided one at a time,
 * so that two requests never reserve the same room.
 */
import { parseUnits, type Hex } from "viem";

import { aggregatorV3Abi, tradeSettlementAbi } from "../../client/src/abi/generated.js";
import type { PortfolioMarginClient } from "../../client/src/client.js";
import type { Deployment } from "../../client/src/deployment.js";
import type { Logger } from "../../client/src/log.js";
import type { Order } from "../../client/src/orders.js";
import type { Quote, QuoteRequest } from "../../client/src/quote.js";
import { whatIf, type AccountSnapshot } from "../../client/src/risk.js";
import type { MakerConfig } from "./config.js";
import type { MakerMetrics } from "./metrics.js";

/** Why a quote is refused (also the `reason` label of `maker_quotes_total`). */
export type RefusalReason = "bad-request" | "stale-feed" | "inventory-limit" | "initial-margin" | "size-limit" | "rate-limited" | "error";

/** `quote`'s result. */
export type QuoteResult = { ok: true; quote: Quote } | { ok: false; reason: RefusalReason; error: string };

interface Outstanding {
  order: Order;
  hash: Hex;
  size: bigint;
  price: bigint;
}

/** Options of `createMaker`. */
export interface CreateMakerParameters {
  /** The maker's client (its wallet is the maker's account). */
  pm: PortfolioMarginClient;
  config: Pick<MakerConfig, "spreadBps" | "quoteTtlSeconds" | "maxFeedAgeSeconds" | "maxInventory" | "marketInventory" | "maxQuoteSize">;
  metrics?: MakerMetrics;
  /** Logs every decision. */
  logger?: Logger;
  /** Wall-clock seconds. @default Date.now() / 1000 */
  now?: () => number;
}

const BPS = 10_000n;

/**
 * How long the maker uses a listing it read (ms): reading it is ~40 calls, more than the rest of a quote. A risk
 * parameter changed meanwhile only makes the maker's own IM check a few seconds late; the vault checks every fill.
 */
const DEPLOYMENT_REFRESH_MS = 10_000;

/**
 * Creates the maker.
 *
 * @example const maker = createMaker({ pm, config }); const result = await maker.quote({ market: 1, side: "buy", size: 10n ** 18n });
 */
export function createMaker(parameters: CreateMakerParameters) {
  const { pm, config, metrics } = parameters;
  const now = parameters.now ?? (() => Math.floor(Date.now() / 1000));
  const outstanding: Outstanding[] = [];
  let nonce = BigInt(Date.now()) * 1000n;
  let queue: Promise<unknown> = Promise.resolve();
  let lastSnapshot: AccountSnapshot | null = null;
  const maxQuoteSize = parseUnits(config.maxQuoteSize, 18);

  function inventoryLimit(symbol: string): bigint {
    return parseUnits(config.marketInventory[symbol] ?? config.maxInventory, 18);
  }

  /** Drops expired quotes and returns what is still unfilled of the others. */
  async function reservations(snapshot: AccountSnapshot, at: number): Promise<{ market: number; size: bigint; price: bigint }[]> {
    for (let i = outstanding.length - 1; i >= 0; i--) if (outstanding[i]!.order.expiry < BigInt(at)) outstanding.splice(i, 1);
    const left = await Promise.all(
      outstanding.map(async (o) => {
        const filled = await pm.publicClient.readContract({
          address: pm.addresses.settlement,
          abi: tradeSettlementAbi,
          functionName: "filled",
          args: [o.hash],
          blockNumber: snapshot.blockNumber,
        });
        const abs = o.size > 0n ? o.size : -o.size;
        const rest = abs - filled;
        return { quote: o, market: Number(o.order.market), size: o.size > 0n ? rest : -rest, price: o.price };
      }),
    );
    // A quote filled in full reserves nothing any more: forget it, so that a busy maker reads few fills per request.
    for (const r of left) if (r.size === 0n) outstanding.splice(outstanding.indexOf(r.quote), 1);
    return left.filter((r) => r.size !== 0n).map(({ market, size, price }) => ({ market, size, price }));
  }

  let listing: { deployment: Deployment; at: number } | null = null;
  /** The listing and risk parameters, re-read at most every `DEPLOYMENT_REFRESH_MS` (the vault checks every fill). */
  async function deployment(): Promise<Deployment> {
    const t = Date.now();
    if (listing === null || t - listing.at > DEPLOYMENT_REFRESH_MS) listing = { deployment: await pm.getDeployment(), at: t };
    return listing.deployment;
  }

  async function decide(request: QuoteRequest): Promise<QuoteResult> {
    const snapshot = await pm.getAccount(undefined, { deployment: await deployment() });
    lastSnapshot = snapshot;
    const d = snapshot.deployment;
    const market = d.markets[request.market];
    if (market === undefined) return { ok: false, reason: "bad-request", error: `market ${request.market} is not listed` };
    if (request.size <= 0n) return { ok: false, reason: "bad-request", error: "size must be > 0" };
    if (request.size > maxQuoteSize) return { ok: false, reason: "size-limit", error: `the largest quote is ${config.maxQuoteSize}` };

    const oraclePrice = snapshot.prices[market.asset] ?? 0n;
    if (oraclePrice === 0n) return { ok: false, reason: "stale-feed", error: `the ${d.assets[market.asset]!.symbol} feed is stale or rejected by the vault` };
    const [block, pending, [, , , updatedAt]] = await Promise.all([
      pm.publicClient.getBlock({ blockNumber: snapshot.blockNumber }),
      // The next block's timestamp is the chain's clock, which can run ahead of this machine's (a dev node that mined
      // many blocks a second, a skewed host clock): expiry and feed age follow it, as the contracts do.
      pm.publicClient.getBlock({ blockTag: "pending" }).catch(() => null),
      pm.publicClient.readContract({ address: d.assets[market.asset]!.feed, abi: aggregatorV3Abi, functionName: "latestRoundData", blockNumber: snapshot.blockNumber }),
    ]);
    const chainNow = Math.max(Number(block.timestamp), Number(pending?.timestamp ?? 0n), now());
    if (chainNow - Number(updatedAt) > config.maxFeedAgeSeconds) {
      return { ok: false, reason: "stale-feed", error: `the ${d.assets[market.asset]!.symbol} price is ${chainNow - Number(updatedAt)} s old (limit ${config.maxFeedAgeSeconds} s)` };
    }

    // The maker takes the other side: it sells when the taker buys.
    const makerSize = request.side === "buy" ? -request.size : request.size;
    const spread = BigInt(config.spreadBps);
    const price = request.side === "buy" ? (oraclePrice * (BPS + spread) + BPS - 1n) / BPS : (oraclePrice * (BPS - spread)) / BPS;

    const reserved = await reservations(snapshot, chainNow);
    const inventoryBefore = (snapshot.state.positions[market.id] ?? 0n) + reserved.filter((r) => r.market === market.id).reduce((s, r) => s + r.size, 0n);
    const inventoryAfter = inventoryBefore + makerSize;
    const abs = (x: bigint) => (x < 0n ? -x : x);
    if (abs(inventoryAfter) > inventoryLimit(market.symbol) && abs(inventoryAfter) > abs(inventoryBefore)) {
      return { ok: false, reason: "inventory-limit", error: `the maker's ${market.symbol} inventory would reach ${abs(inventoryAfter)} (limit ${inventoryLimit(market.symbol)}, WAD)` };
    }
    const before = whatIf(snapshot, { trades: reserved }).after;
    const after = whatIf(snapshot, { trades: [...reserved, { market: market.id, size: makerSize, price }] }).after;
    // The vault's rule for each side of a trade: E >= IM after, or MM strictly lower without a lower E - MM (a maker
    // under IM may still take trades that unwind its risk).
    const reduces = after.maintenanceMargin < before.maintenanceMargin && after.equity - after.maintenanceMargin >= before.equity - before.maintenanceMargin;
    if (after.equity < after.initialMargin && !reduces) {
      return { ok: false, reason: "initial-margin", error: "the maker's account would fall under its initial margin; ask for less" };
    }

    const order: Order = { account: snapshot.account, market: BigInt(market.id), size: makerSize, limitPrice: price, nonce: nonce++, expiry: BigInt(chainNow + config.quoteTtlSeconds) };
    const signature = await pm.signOrder(order);
    const hash = await pm.hashOrder(order);
    outstanding.push({ order, hash, size: makerSize, price });
    metrics?.inventory.set({ market: market.symbol }, Number(inventoryAfter) / 1e18);
    metrics?.equity.set(Number(after.equity) / 1e18);
    return {
      ok: true,
      quote: { order: { ...order, account: snapshot.account }, signature, price, oraclePrice, chainId: d.chainId, settlement: pm.addresses.settlement },
    };
  }

  return {
    /**
     * Answers a quote request (one at a time).
     *
     * @returns The signed quote, or the refusal and its reason.
     */
    quote(request: QuoteRequest): Promise<QuoteResult> {
      const result = queue.then(() =>
        decide(request).catch((error: unknown): QuoteResult => ({ ok: false, reason: "error", error: error instanceof Error ? error.message.split("\n")[0]! : String(error) })),
      );
      queue = result;
      return result.then((r) => {
        metrics?.quotes.inc({ result: r.ok ? "ok" : r.reason });
        parameters.logger?.info(
          { market: request.market, side: request.side, size: request.size.toString(), ...(r.ok ? { price: r.quote.price.toString() } : { reason: r.reason, error: r.error }) },
          r.ok ? "quoted" : "refused",
        );
        return r;
      });
    },
    /** The quotes still outstanding (unexpired at the last decision). */
    outstanding: (): readonly Outstanding[] => outstanding,
    /** The maker's account as last read. */
    lastSnapshot: (): AccountSnapshot | null => lastSnapshot,
  };
}

/** The maker returned by `createMaker`. */
export type Maker = ReturnType<typeof createMaker>;
