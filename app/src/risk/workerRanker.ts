/**
 * The page's side of the ranking worker (`rankWorker.ts`): posts each snapshot's changes, and hands back each ranking
 * as it arrives. The page shows the block a ranking is of; a newer snapshot never waits for an older ranking.
 */
import type { Book } from "../chain/book.js";
import type { ChainSnapshot } from "../chain/sync.js";
import { recordTiming } from "../timing.js";
import type { RankRequest, RankResponse } from "./rankWorker.js";

/** A ranking worker. */
export interface WorkerRanker {
  /** Sends the snapshot's changes (every account after a rebuild, else the accounts its block touched). */
  rank(snapshot: ChainSnapshot): void;
  stop(): void;
}

let early: Worker | null = null;

/** Starts the worker before the page has its data, so that its script loads and compiles meanwhile. */
export function prestartRankWorker(): void {
  early ??= new Worker(new URL("./rankWorker.ts", import.meta.url), { type: "module" });
}

/**
 * Starts the worker (or takes the one `prestartRankWorker` started).
 *
 * @param onRanked Called with each ranking, in request order.
 * @param onError Called when the worker fails (the page shows it; the ranking stays as it was).
 */
export function createWorkerRanker(onRanked: (response: RankResponse) => void, onError: (error: Error) => void): WorkerRanker {
  const worker = early ?? new Worker(new URL("./rankWorker.ts", import.meta.url), { type: "module" });
  early = null;
  worker.onmessage = (event: MessageEvent<RankResponse>) => {
    recordTiming("rankReceived", performance.now());
    onRanked(event.data);
  };
  worker.onerror = (event) => onError(new Error(`ranking worker: ${event.message}`));
  let seq = 0;
  let sentBook: Book | null = null;
  return {
    rank(snapshot) {
      if (snapshot.prices === null) return;
      const { book } = snapshot;
      // A new book object is a rebuild (first load, reorg): the worker gets every account again.
      const full = snapshot.touched === null || book !== sentBook;
      sentBook = book;
      const accounts = full ? [...book.accounts.values()] : [...snapshot.touched!].flatMap((a) => book.accounts.get(a) ?? []);
      const request: RankRequest = { seq: ++seq, block: snapshot.block, deployment: snapshot.deployment, prices: snapshot.prices, configVersion: book.configVersion, full, accounts };
      worker.postMessage(request);
      recordTiming("rankPosted", performance.now());
    },
    stop: () => worker.terminate(),
  };
}
