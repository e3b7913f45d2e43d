/**
 * The at-risk ranking in a Web Worker: re-ranking 100k accounts with the bigint twin takes seconds, which on the page's
 * thread would freeze scrolling and typing. The worker keeps its own copy of the accounts, fed incrementally (every
 * account once, then only the accounts each block touched), and answers each request with the whole ranking.
 */
import type { Address } from "viem";

import type { Deployment } from "../../../client/src/deployment.js";
import type { AccountRecord } from "../chain/book.js";
import { createRanker, type RankedAccount } from "./ranking.js";

/** One request: the state at `block`; `full` replaces every account, otherwise `accounts` are the changed ones. */
export interface RankRequest {
  seq: number;
  block: number;
  deployment: Deployment;
  prices: bigint[];
  configVersion: number;
  full: boolean;
  accounts: AccountRecord[];
}

/** The ranking at `block` and the time the worker spent on it. */
export interface RankResponse {
  seq: number;
  block: number;
  ranked: RankedAccount[];
  ms: number;
}

// The worker's global scope, typed without the WebWorker lib (which conflicts with the page's DOM lib).
const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<RankRequest>) => void) | null; postMessage(message: RankResponse): void };
const accounts = new Map<Address, AccountRecord>();
const rank = createRanker();

scope.onmessage = (event) => {
  const request = event.data;
  const started = performance.now();
  if (request.full) accounts.clear();
  for (const a of request.accounts) accounts.set(a.address, a);
  const touched = request.full ? null : new Set(request.accounts.map((a) => a.address));
  const ranked = rank(accounts, request.configVersion, request.deployment, request.prices, touched);
  scope.postMessage({ seq: request.seq, block: request.block, ranked, ms: performance.now() - started });
};
