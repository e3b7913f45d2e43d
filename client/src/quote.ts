/**
 * An RFQ quote: a maker's signed order, valid for seconds, that a taker fills by signing the opposite order and
 * settling both (the taker submits, so the maker never has to be online at settlement). Quotes travel as JSON with
 * every integer as a decimal string.
 */
import { getAddress, type Address, type Hex } from "viem";

import { PortfolioMarginError, redactUrl, type PortfolioMarginErrorParameters } from "./errors.js";
import type { Order } from "./orders.js";

/** What a taker asks for: `size` (WAD base units, > 0) of `market`, buying or selling. */
export interface QuoteRequest {
  market: number;
  /** The taker's side. */
  side: "buy" | "sell";
  size: bigint;
}

/** A maker's answer to a `QuoteRequest`. */
export interface Quote {
  /** The maker's order: the opposite side of the request, `limitPrice` = the quoted price. */
  order: Order & { account: Address };
  /** The maker's EIP-712 signature of `order`. */
  signature: Hex;
  /** The quoted price (WAD): the oracle price plus (taker buys) or minus (taker sells) the spread. */
  price: bigint;
  /** The oracle price the quote was made at (WAD). */
  oraclePrice: bigint;
  chainId: number;
  settlement: Address;
}

/** A quote as JSON (integers as decimal strings). */
export interface QuoteJson {
  order: { account: string; market: string; size: string; limitPrice: string; nonce: string; expiry: string };
  signature: string;
  price: string;
  oraclePrice: string;
  chainId: number;
  settlement: string;
}

/** Serialises a quote for the wire. */
export function quoteToJson(quote: Quote): QuoteJson {
  const o = quote.order;
  return {
    order: {
      account: o.account,
      market: o.market.toString(),
      size: o.size.toString(),
      limitPrice: o.limitPrice.toString(),
      nonce: o.nonce.toString(),
      expiry: o.expiry.toString(),
    },
    signature: quote.signature,
    price: quote.price.toString(),
    oraclePrice: quote.oraclePrice.toString(),
    chainId: quote.chainId,
    settlement: quote.settlement,
  };
}

/**
 * Parses a quote from the wire.
 *
 * @throws Error naming what is malformed.
 */
export function quoteFromJson(json: unknown): Quote {
  const q = json as QuoteJson;
  try {
    return {
      order: {
        account: getAddress(q.order.account),
        market: BigInt(q.order.market),
        size: BigInt(q.order.size),
        limitPrice: BigInt(q.order.limitPrice),
        nonce: BigInt(q.order.nonce),
        expiry: BigInt(q.order.expiry),
      },
      signature: q.signature as Hex,
      price: BigInt(q.price),
      oraclePrice: BigInt(q.oraclePrice),
      chainId: Number(q.chainId),
      settlement: getAddress(q.settlement),
    };
  } catch (cause) {
    throw new Error(`malformed quote: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** A maker's refusal: HTTP status and the reason it gives. */
export class QuoteRefusedError extends PortfolioMarginError {
  override name = "QuoteRefusedError";
  /** e.g. "stale-feed", "inventory-limit", "initial-margin", "rate-limited", "bad-request". */
  readonly reason: string;

  constructor(shortMessage: string, reason: string, parameters: PortfolioMarginErrorParameters = {}) {
    super(shortMessage, parameters);
    this.reason = reason;
  }
}

/** The JSON body of a quote request. */
export function quoteRequestToJson(request: QuoteRequest): { market: number; side: string; size: string } {
  return { market: request.market, side: request.side, size: request.size.toString() };
}

/**
 * Asks an RFQ maker (`npm run maker`) for a quote: `POST <url>/quote`.
 *
 * @param url The maker's base URL, e.g. http://127.0.0.1:8600.
 * @param request Market, side, size.
 * @returns The signed quote.
 * @throws QuoteRefusedError when the maker refuses (with its reason) or cannot be reached.
 */
export async function requestQuote(url: string, request: QuoteRequest, timeoutMs = 10_000): Promise<Quote> {
  let response: Response;
  try {
    response = await fetch(new URL("/quote", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(quoteRequestToJson(request)),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new QuoteRefusedError(`Cannot reach the maker at ${redactUrl(url)}.`, "unreachable", {
      cause,
      metaMessages: ["Check --maker (or makerUrl in the deployment file) and that `npm run maker` is running."],
    });
  }
  const body = (await response.json().catch(() => ({}))) as { error?: string; reason?: string; quote?: unknown };
  if (!response.ok || body.quote === undefined) {
    throw new QuoteRefusedError(`The maker refused the quote: ${body.error ?? `HTTP ${response.status}`}`, body.reason ?? `http-${response.status}`);
  }
  return quoteFromJson(body.quote);
}
