/**
 * The vault indexer: backfills the vault's logs from `startBlock` in chunks, then follows the head. Before each
 * round it checks that the checkpoint block is still canonical; when it is not, it walks back through the
 * remembered block hashes to the fork point, rolls the store back to it and re-indexes from there.
 */
import { BlockNotFoundError, type Address, type Hex, type PublicClient } from "viem";

import { aggregatorV3Abi } from "../../../client/src/abi/generated.js";
import { checksum } from "../address.js";
import { KeeperError, ReorgDetectedError, ReorgTooDeepError, RpcError } from "../errors.js";
import type { Logger } from "../log.js";
import type { KeeperMetrics } from "../metrics.js";
import type { BlockRef, KeeperStore, VaultEvent } from "../store/index.js";
import { decodeVaultLogs, VAULT_EVENT_SELECTORS, type DecodedVaultEvent } from "./decodeLogs.js";
import { getLogsInRange } from "./getLogsChunked.js";

/** Options of `createIndexer`. */
export interface CreateIndexerParameters {
  client: PublicClient;
  store: KeeperStore;
  vault: Address;
  /** The vault's deployment block. */
  startBlock: number;
  /** Blocks to stay behind the head. @default 0 */
  confirmations?: number;
  /** Recent blocks whose hashes are kept, the deepest reorg that can be rolled back. @default 12 */
  reorgWindow?: number;
  /** Blocks per `eth_getLogs` request. @default 2000 */
  chunkSize?: number;
  logger?: Logger;
  metrics?: KeeperMetrics;
  /** Called with the head as soon as it is read, before anything can fail (the readiness watchdog). */
  onHead?: (head: number) => void;
}

/**
 * What one `sync` did to the store, together with whatever earlier syncs that failed did to it: a rollback or a
 * chunk applied before a later step failed is reported by the next `sync` that returns, never lost.
 */
export interface SyncReturnType {
  /** The chain head seen. */
  head: number;
  /** The checkpoint after the round (null when nothing is indexed yet). */
  checkpoint: number | null;
  /** The deepest fork point rolled back to since the last `sync` that returned (null: no reorg). */
  reorgedTo: number | null;
  /** Vault events applied in this round. */
  applied: number;
  /** Accounts whose cash, balances or positions changed since the last `sync` that returned (checksummed). */
  touched: Set<Address>;
  /** Whether a risk or liquidation parameter changed since then (every account must be re-evaluated). */
  riskChanged: boolean;
}

/** Events that change an account's cash, balances or positions, and the fields naming the accounts changed. */
const ACCOUNT_EVENTS: Record<string, readonly string[]> = {
  Deposit: ["account"],
  Withdraw: ["account"],
  PositionChanged: ["account"],
  CashChanged: ["account"],
  CollateralTransferred: ["from", "to"],
};

/** Events that change what every account's margin depends on (listings, oracles, correlations, parameters). */
export const RISK_EVENTS = new Set([
  "AssetListed",
  "AssetOracleSet",
  "AssetScanSet",
  "CorrelationSet",
  "ImFactorSet",
  "SequencerFeedSet",
  "CollateralListed",
  "CollateralSet",
  "MarketListed",
  "MarketSet",
  "LiquidationConfigSet",
  "InsuranceFundSet",
]);

/**
 * Adds the accounts an event changes to `touched`; returns whether it changes the risk configuration instead.
 * Every other event (`TradeSettled`, `Liquidated`, `BadDebt*`, order and operator events) changes no account by
 * itself: the vault emits the account events above for each change it makes, so re-evaluating everyone for them
 * (a full reload per trade) would be wasted work.
 */
export function collectTouched(event: Pick<VaultEvent, "eventName" | "args">, touched: Set<Address>): boolean {
  const fields = ACCOUNT_EVENTS[event.eventName];
  if (fields === undefined) return RISK_EVENTS.has(event.eventName);
  const args = event.args as Record<string, unknown>;
  for (const field of fields) {
    const value = args[field];
    if (typeof value === "string") touched.add(checksum(value));
  }
  return false;
}

/** Options of `watch`. */
export interface WatchParameters {
  /** Milliseconds between rounds. */
  pollIntervalMs: number;
  /** Stops the loop. */
  signal: AbortSignal;
  /** Called after each successful round. */
  onSync?: (result: SyncReturnType) => void | Promise<void>;
}

/** The indexer. */
export interface Indexer {
  /** Checks for a reorg, then indexes to the head (minus confirmations). Throws on failure; the state is unchanged
   * past the last completed chunk. */
  sync(): Promise<SyncReturnType>;
  /** Runs `sync` every `pollIntervalMs` until aborted; a failed round is logged and counted, never fatal. */
  watch(parameters: WatchParameters): Promise<void>;
}

function rpc<T>(what: string, promise: Promise<T>): Promise<T> {
  return promise.catch((cause: unknown) => {
    throw cause instanceof KeeperError
      ? cause
      : new RpcError(`RPC request failed: ${what}.`, { cause, metaMessages: ["Check the RPC endpoints (`rpcUrls`)."] });
  });
}

/**
 * Creates an indexer of `vault` into `store`.
 *
 * @param parameters Client, store, vault and indexing options.
 * @returns `sync` (one round) and `watch` (the loop).
 * @example
 * const indexer = createIndexer({ client, store, vault: config.vault, startBlock: config.startBlock });
 * await indexer.sync();
 */
export function createIndexer(parameters: CreateIndexerParameters): Indexer {
  const { client, store, vault, startBlock, logger, metrics } = parameters;
  const confirmations = parameters.confirmations ?? 0;
  const reorgWindow = parameters.reorgWindow ?? 12;
  let chunkSize = parameters.chunkSize ?? 2000;
  /**
   * What the store has changed and no `sync` has returned yet. A sync can roll back or apply chunks and then fail
   * (a block read, a reorg found mid-range): the keeper must still hear of it, or it would keep evaluating accounts
   * a rollback removed, or never re-evaluate the ones a committed chunk changed.
   */
  let unreported = { reorgedTo: null as number | null, touched: new Set<Address>(), riskChanged: false };

  async function blockAt(number: number): Promise<BlockRef | null> {
    try {
      const block = await client.getBlock({ blockNumber: BigInt(number) });
      if (block.hash === null) return null;
      return { number, hash: block.hash, parentHash: block.parentHash };
    } catch (cause) {
      if (cause instanceof BlockNotFoundError) return null;
      throw new RpcError(`RPC request failed: block ${number}.`, { cause, metaMessages: ["Check the RPC endpoints (`rpcUrls`)."] });
    }
  }

  /** Rolls back to the fork point when the checkpoint block is no longer canonical (recorded in `unreported`). */
  async function checkReorg(): Promise<void> {
    const checkpoint = store.checkpoint();
    if (checkpoint === null) return;
    const canonical = await blockAt(checkpoint.number);
    if (canonical?.hash === checkpoint.hash) return;
    for (const remembered of store.recentBlocks()) {
      if (remembered.number >= checkpoint.number) continue;
      const chain = await blockAt(remembered.number);
      if (chain?.hash === remembered.hash) {
        store.rollback(remembered.number);
        // A rollback may have undone changes of any account: every account is re-evaluated then.
        unreported.reorgedTo = Math.min(unreported.reorgedTo ?? remembered.number, remembered.number);
        unreported.riskChanged = true;
        metrics?.reorgs.inc();
        metrics?.lastBlockProcessed.set(remembered.number);
        logger?.warn({ from: checkpoint.number, forkPoint: remembered.number }, "reorg: rolled back to the fork point");
        return;
      }
    }
    throw new ReorgTooDeepError(`The chain reorganised below the ${reorgWindow} remembered blocks (checkpoint ${checkpoint.number}).`, {
      metaMessages: ["Stop the keeper, delete the state file (`dbPath`) and re-index; consider a larger `reorgWindow`."],
    });
  }

  async function withFeedDecimals(events: DecodedVaultEvent[]): Promise<VaultEvent[]> {
    return Promise.all(
      events.map(async (event): Promise<VaultEvent> => {
        if (event.eventName !== "AssetListed" && event.eventName !== "AssetOracleSet") return event;
        // The vault caches the feed's decimals when the feed is set; read them as of that block.
        const read = (blockNumber?: bigint) =>
          client.readContract({ address: event.args.feed, abi: aggregatorV3Abi, functionName: "decimals", blockNumber });
        const decimals = await read(BigInt(event.blockNumber)).catch(() => rpc(`decimals() of feed ${event.args.feed}`, read()));
        return { ...event, feedDecimals: Number(decimals) } as VaultEvent;
      }),
    );
  }

  /** Indexes [from, to] as one batch; returns the events applied. */
  async function indexRange(from: number, to: number, target: number): Promise<number> {
    const fetched = await getLogsInRange({ client, address: vault, selectors: VAULT_EVENT_SELECTORS, fromBlock: from, toBlock: to, chunkSize });
    chunkSize = fetched.chunkSize; // keeps a halved size for the next ranges

    // Remember the blocks of the range that fall in the reorg window, and always the range's last block.
    const windowStart = Math.max(from, target - reorgWindow + 1);
    const numbers = new Set<number>([to]);
    for (let n = windowStart; n <= to; n++) numbers.add(n);
    const blocks: BlockRef[] = [];
    for (const n of [...numbers].sort((x, y) => x - y)) {
      const block = await blockAt(n);
      if (block === null) throw new ReorgDetectedError(`Block ${n} disappeared while indexing (the chain reorganised).`);
      blocks.push(block);
    }

    // The remembered blocks, the logs and the checkpoint must describe one chain.
    const byNumber = new Map(blocks.map((block) => [block.number, block.hash] as const));
    for (let i = 1; i < blocks.length; i++) {
      const [previous, current] = [blocks[i - 1]!, blocks[i]!];
      if (current.number === previous.number + 1 && current.parentHash !== previous.hash) {
        throw new ReorgDetectedError(`Block ${current.number} does not extend block ${previous.number} (the chain reorganised while indexing).`);
      }
    }
    const checkpoint = store.checkpoint();
    const first = blocks[0]!;
    if (checkpoint !== null && first.number === checkpoint.number + 1 && first.parentHash !== checkpoint.hash) {
      throw new ReorgDetectedError(`Block ${first.number} does not extend the checkpoint ${checkpoint.number}.`);
    }
    const events = await withFeedDecimals(decodeVaultLogs(fetched.logs));
    for (const event of events) {
      const hash: Hex | undefined = byNumber.get(event.blockNumber);
      if (hash !== undefined && hash !== event.blockHash) {
        throw new ReorgDetectedError(`A log of block ${event.blockNumber} belongs to another fork (the chain reorganised while indexing).`);
      }
    }
    const last = blocks[blocks.length - 1]!;
    store.applyBatch({ events, blocks, checkpoint: { number: last.number, hash: last.hash } }, reorgWindow);
    metrics?.lastBlockProcessed.set(last.number);
    logger?.debug({ from, to, events: events.length }, "indexed");
    for (const event of events) unreported.riskChanged = collectTouched(event, unreported.touched) || unreported.riskChanged;
    return events.length;
  }

  async function sync(): Promise<SyncReturnType> {
    const head = Number(await rpc("eth_blockNumber", client.getBlockNumber({ cacheTime: 0 })));
    metrics?.chainHead.set(head);
    parameters.onHead?.(head);
    await checkReorg();
    const target = head - confirmations;
    let applied = 0;
    const checkpoint = store.checkpoint();
    for (let from = checkpoint === null ? startBlock : checkpoint.number + 1; from <= target; ) {
      const to = Math.min(target, from + chunkSize - 1);
      applied += await indexRange(from, to, target);
      from = to + 1;
    }
    const { reorgedTo, touched, riskChanged } = unreported;
    unreported = { reorgedTo: null, touched: new Set(), riskChanged: false };
    return { head, checkpoint: store.checkpoint()?.number ?? null, reorgedTo, applied, touched, riskChanged };
  }

  async function watch({ pollIntervalMs, signal, onSync }: WatchParameters): Promise<void> {
    while (!signal.aborted) {
      try {
        const result = await sync();
        await onSync?.(result);
      } catch (error) {
        // One bad round never stops the loop: the checkpoint stays where it was (and the metric shows the stall).
        const name = error instanceof Error ? error.name : "Error";
        metrics?.indexerErrors.inc({ error: name });
        logger?.error({ err: error, checkpoint: store.checkpoint()?.number ?? null }, "indexing round failed; retrying");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  return { sync, watch };
}
