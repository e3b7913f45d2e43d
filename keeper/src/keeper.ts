/**
 * The keeper's per-block loop, in four steps a reader can hold:
 *
 * 1. **index** (`indexer/`): the vault's logs to the head into the store; reorgs rolled back within the window.
 * 2. **evaluate** (`loop/evaluate.ts`): the prices at that block, then E < MM re-decided only where something can
 *    have changed — the accounts the store says changed since the last evaluated round (kept across failed rounds),
 *    and the holders of an asset whose price moved; everyone after a risk change, and after a reorg, which also
 *    evicts the accounts the store no longer has.
 * 3. **plan** (`loop/plan.ts`): for each account under MM, worst first, the strategy's liquidation, simulated,
 *    estimated (once per account shape, `loop/gasLimits.ts`) and weighed against gas; a definite "no" marks the
 *    account (`loop/marks.ts`), a transient one does not.
 * 4. **send** (`send/sender.ts`): with bounded concurrency and a per-round time budget (the rest waits for the next
 *    round), then the receipts and replacements of what is in flight. Plan and send start on the candidates among
 *    the accounts nearest to the boundary as soon as those are decided, while the others are still being decided.
 *
 * A failing round is logged and counted and the loop goes on (`/readyz` turns unready after
 * `readiness.maxFailedRounds` in a row, or when the live head runs ahead); a missing price makes the round degraded,
 * not silent. What a failing round did is not lost: the indexer reports its rollbacks and committed chunks at the
 * next sync, the transactions in flight are followed whatever failed after indexing, and one candidate that throws
 * does not hold up the others. A chain reset, a vault without code, or a reorg deeper than the window stops the
 * keeper with a `ChainResetError` (non-zero exit): its state describes a chain that no longer exists.
 */
import type { Address, PublicClient } from "viem";

import type { KeeperConfig } from "./config/schema.js";
import { ChainResetError, ReorgTooDeepError } from "./errors.js";
import { createIndexer, type Indexer } from "./indexer/indexer.js";
import { createLiquidationContext, pricesByAsset, type LiquidationContext } from "./liquidation/previewLiquidation.js";
import { createProRataLiquidationStrategy, type LiquidationStrategy } from "./liquidation/strategy.js";
import type { Logger } from "./log.js";
import { createAccountView } from "./loop/evaluate.js";
import { createGasLimits } from "./loop/gasLimits.js";
import { createMarks } from "./loop/marks.js";
import { planLiquidation } from "./loop/plan.js";
import type { KeeperMetrics } from "./metrics.js";
import { readPrices } from "./prices/readPrices.js";
import type { Sender, SettledLiquidation } from "./send/sender.js";
import type { KeeperStore } from "./store/store.js";
import type { RiskConfig } from "./store/types.js";

/** Options of `createKeeper`. */
export interface CreateKeeperParameters {
  config: KeeperConfig;
  client: PublicClient;
  store: KeeperStore;
  /** The sender; null in dry-run without a key. */
  sender: Sender | null;
  /** The keeper's own vault account (the key's address, or `config.liquidator`). */
  liquidator: Address;
  /** @default the partial-liquidation strategy */
  strategy?: LiquidationStrategy;
  metrics: KeeperMetrics;
  logger: Logger;
  /** Replaces the indexer (tests); it must call `onHead` with the head it reads, before anything can fail. */
  indexer?: (hooks: { onHead(head: number): void }) => Indexer;
}

/** What one round did. */
export interface TickReturnType {
  /** The block evaluated (null when nothing is indexed yet). */
  block: bigint | null;
  /** Whether the block was new (a round on an already evaluated block only follows transactions in flight). */
  evaluated: boolean;
  /** Accounts re-evaluated. */
  reevaluated: number;
  /** Of those, how many the float screen could not decide (decided in bigint). */
  decidedInBigint: number;
  /** Accounts under maintenance margin, worst first. */
  atRisk: Address[];
  /** Liquidation transactions sent in this round. */
  sent: number;
  /** Whether some price was missing (its holders were not evaluated). */
  degraded: boolean;
}

/** The keeper's liveness figures, for `/readyz`. */
export interface KeeperStatus {
  /** The last block fully processed (null before the first). */
  lastBlock: bigint | null;
  /** When it was processed (ms since epoch; 0 before the first). */
  lastBlockAt: number;
  /** The chain head, read at the start of every round (also of a round that then fails). */
  head: bigint | null;
  /** Rounds failed in a row. */
  failedRounds: number;
}

/** The keeper. */
export interface Keeper {
  /** One round. Throws when indexing or reading the block fails (the loop catches it). */
  tick(): Promise<TickReturnType>;
  /**
   * Rounds every `pollIntervalMs` until `signal` aborts; resolves after the round in progress has finished.
   * Rejects with a `ChainResetError` when the chain the state describes is gone.
   */
  run(signal: AbortSignal): Promise<void>;
  status(): KeeperStatus;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Checks that `vault` has code at the head: an EOA, a wrong address or a chain restarted empty has none.
 *
 * @param client The client.
 * @param vault The vault.
 * @throws ChainResetError when there is no code.
 */
export async function assertVaultCode(client: PublicClient, vault: Address): Promise<void> {
  const code = await client.getCode({ address: vault });
  if (code === undefined || code === "0x") {
    throw new ChainResetError(`No contract at the vault address ${vault}.`, {
      metaMessages: [
        "Either `vault` is wrong (an EOA, another contract's address), or the node was restarted empty since the deployment.",
        "Check `vault` (`keeper init` reads it from the Ignition deployment); after a chain reset, delete the state file (`dbPath`).",
      ],
    });
  }
}

/**
 * Creates the keeper.
 *
 * @param parameters Config, client, store, sender, liquidator, metrics, logger.
 * @returns `tick`, `run` and `status`.
 * @example
 * const keeper = createKeeper({ config, client, store, sender, liquidator: account.address, metrics, logger });
 * await keeper.run(controller.signal);
 */
export function createKeeper(parameters: CreateKeeperParameters): Keeper {
  const { config, client, store, sender, liquidator, metrics } = parameters;
  const logger = parameters.logger.child({ module: "keeper" });
  let head: bigint | null = null;
  let lastBlock: bigint | null = null;
  let lastBlockAt = 0;
  let failedRounds = 0;
  /** The base fee of the last evaluated block (a round on the same block follows transactions in flight with it). */
  let lastBaseFee: bigint | null = null;
  const updateLag = () => {
    if (head !== null && lastBlock !== null) metrics.blockLag.set(Number(head - lastBlock));
  };
  const onHead = (number: number) => {
    head = BigInt(number);
    updateLag();
  };
  const indexer =
    parameters.indexer?.({ onHead }) ??
    createIndexer({
      client,
      store,
      vault: config.vault,
      startBlock: config.startBlock,
      confirmations: config.confirmations,
      reorgWindow: config.reorgWindow,
      chunkSize: config.getLogsChunkSize,
      logger: parameters.logger.child({ module: "indexer" }),
      metrics,
      onHead,
    });
  const strategy = parameters.strategy ?? createProRataLiquidationStrategy({ client, vault: config.vault, liquidator });
  const view = createAccountView({ store });
  const marks = createMarks(config.liquidation.markExpiryBlocks);
  const gasLimits = createGasLimits(config.gas.gasLimitMultiplier);
  let risk: RiskConfig | null = null;
  /** What the store changed since the last evaluated round: kept until a round evaluates it (a failed round keeps it). */
  const pending = { touched: new Set<Address>(), full: true, evict: false };
  /**
   * Whether the last evaluated round left work that the next poll must redo even on the same block: a candidate
   * with a transient answer (no RPC answer, a missing price, a failed send, an unexpected error), candidates deferred
   * by the round budget, a degraded round, or a failed round. On a quiet chain the next block may be minutes away.
   * At most `RETRIES_PER_BLOCK` times per block: a cause that does not clear (a feed that stays stale, a revert the
   * keeper cannot decode) must not turn every poll into a full round.
   */
  let retry = false;
  let retriesAtBlock = 0;
  const RETRIES_PER_BLOCK = 3;
  /** The transient skip reasons worth another attempt at the same block (a fee cap or a low balance waits for one). */
  const RETRY_AT_SAME_BLOCK = new Set(["rpc-error", "incomplete-prices"]);

  function nativePrice(r: RiskConfig, prices: bigint[]): bigint | null {
    if (config.gas.nativePriceUsd !== undefined) return BigInt(Math.round(config.gas.nativePriceUsd * 1e6)) * 10n ** 12n;
    const asset = r.assets.find((a) => a.symbol === config.gas.nativeAssetSymbol);
    const price = asset === undefined ? 0n : (prices[asset.id] ?? 0n);
    return price > 0n ? price : null;
  }

  /** A liquidation that reverted, or used more gas than its shape's estimate, makes every shape estimated again. */
  function learn(settled: readonly SettledLiquidation[]) {
    if (!gasLimits.learn(settled)) return;
    const seen = settled.map((s) => ({ account: s.account, status: s.status, gas: s.gas.toString(), gasUsed: s.gasUsed?.toString() }));
    logger.warn({ settled: seen }, "a liquidation reverted or used more gas than estimated for its shape: gas is estimated again");
  }

  /** Plans one candidate and sends it (or logs why not); true when sent. */
  async function attempt(account: Address, ctx: LiquidationContext, r: RiskConfig, blockNumber: bigint, baseFee: bigint | null, balanceOk: Promise<boolean>, pricesComplete: boolean): Promise<boolean> {
    const log = logger.child({ account, block: Number(blockNumber) });
    const version = view.get(account)!.version;
    const candidate = { account, state: view.get(account)!.state, liquidator: view.get(liquidator)?.state ?? { cash: 0n, balances: new Map(), positions: new Map() }, ctx };
    const decision = await planLiquidation({
      client,
      vault: config.vault,
      liquidator,
      strategy,
      candidate,
      fees: () => (sender ? sender.fees(baseFee) : Promise.resolve({ maxFeePerGas: (baseFee ?? 0n) * 2n, maxPriorityFeePerGas: 0n })),
      baseFeePerGas: baseFee,
      nativePrice: nativePrice(r, ctx.prices),
      minProfitUsd: config.gas.minProfitUsd,
      gasLimitMultiplier: config.gas.gasLimitMultiplier,
      pricesComplete,
      gasLimits,
    });
    if (decision.kind === "lost") {
      metrics.liquidationsLost.inc({ stage: "simulation" });
      marks.mark(account, version, blockNumber);
      log.info({ error: decision.errorName }, "liquidation lost before sending (already liquidated or healthy at the head)");
      return false;
    }
    const skip = (reason: string, fields: Record<string, unknown>, mark: boolean) => {
      metrics.liquidationsSkipped.inc({ reason });
      if (mark) marks.mark(account, version, blockNumber);
      if (RETRY_AT_SAME_BLOCK.has(reason)) retry = true;
      log.info({ reason, ...fields }, "liquidation skipped");
      return false;
    };
    if (decision.kind === "skip") return skip(decision.reason, decision.fields, decision.mark);
    if (config.mode === "dry-run" || sender === null) {
      metrics.liquidationsSkipped.inc({ reason: "dry-run" });
      marks.mark(account, version, blockNumber);
      log.info(decision.figures, "dry run: would liquidate");
      return false;
    }
    if (!(await balanceOk)) return skip("balance-low", decision.figures, false);
    try {
      await sender.send({ account, fraction: decision.plan.fraction, gas: decision.gas, fees: decision.fees, blockNumber });
      log.info(decision.figures, "liquidating");
      return true;
    } catch (error) {
      // Not a definite answer (a node refusing or timing out): not marked, tried again next round unless in flight.
      metrics.liquidationsSkipped.inc({ reason: "send-failed" });
      retry = true;
      log.error({ err: error }, "sending the liquidation failed; retrying next round");
      return false;
    }
  }

  /**
   * The send step's queue: candidates are attempted in the order pushed, `liquidation.concurrency` at a time, until
   * `deadline` (the round's budget); the rest wait for the next round. Candidates can be pushed while others run.
   */
  function attemptQueue(run: (account: Address) => Promise<boolean>, deadline: number) {
    const queue: Address[] = [];
    const workers: Promise<void>[] = [];
    let next = 0;
    let active = 0;
    let sent = 0;
    const worker = async () => {
      active++;
      try {
        while (next < queue.length && performance.now() < deadline) {
          const account = queue[next++]!;
          try {
            if (await run(account)) sent++;
          } catch (error) {
            // One candidate that fails unexpectedly never holds up the others: logged and counted, not marked (it
            // is tried again next round).
            metrics.liquidationsSkipped.inc({ reason: "error" });
            retry = true;
            logger.error({ err: error, account }, "planning the liquidation failed; retrying next round");
          }
        }
      } finally {
        active--;
      }
    };
    return {
      push(accounts: readonly Address[]) {
        queue.push(...accounts);
        while (active < config.liquidation.concurrency && active < queue.length - next) workers.push(worker());
      },
      async done(): Promise<{ sent: number; deferred: number }> {
        await Promise.all(workers);
        return { sent, deferred: queue.length - next };
      },
    };
  }

  async function tick(): Promise<TickReturnType> {
    const sync = await indexer.sync().catch(async (error: unknown) => {
      metrics.indexerErrors.inc({ error: error instanceof Error ? error.name : "Error" });
      if (error instanceof ReorgTooDeepError) {
        await assertVaultCode(client, config.vault);
        throw new ChainResetError("The chain no longer holds the blocks the state was built from.", {
          cause: error,
          metaMessages: ["The node was restarted or reorganised deeper than `reorgWindow`: delete the state file (`dbPath`) and restart to re-index."],
        });
      }
      throw error;
    });
    const started = performance.now();
    head = BigInt(sync.head);
    for (const account of sync.touched) pending.touched.add(account);
    pending.full ||= sync.riskChanged;
    if (sync.reorgedTo !== null) {
      // Recorded before anything else can fail: the next round must still evict what the rollback removed.
      pending.full = pending.evict = true;
      marks.clear();
      // A rollback may have removed the vault itself (a chain reset that a shallow window mistakes for a reorg).
      await assertVaultCode(client, config.vault);
    }
    const empty = { evaluated: false, reevaluated: 0, decidedInBigint: 0, atRisk: [], sent: 0, degraded: false };
    if (sync.checkpoint === null) return { block: null, ...empty };
    const blockNumber = BigInt(sync.checkpoint);
    const again = lastBlock === blockNumber;
    const unchanged = again && pending.touched.size === 0 && !pending.full && !(retry && retriesAtBlock < RETRIES_PER_BLOCK);
    if (unchanged) {
      if (sender) learn(await sender.onBlock(blockNumber, lastBaseFee));
      lastBlockAt = Date.now();
      metrics.lastBlockProcessedTime.set(Math.floor(lastBlockAt / 1000));
      return { block: blockNumber, ...empty };
    }
    retriesAtBlock = again ? retriesAtBlock + 1 : 0;
    const block = await client.getBlock({ blockNumber });
    lastBaseFee = block.baseFeePerGas;
    let round: Awaited<ReturnType<typeof evaluatePlanSend>>;
    try {
      round = await evaluatePlanSend(blockNumber, block, started);
    } catch (error) {
      retry = true; // a failed retry round on an evaluated block would otherwise read as "unchanged"
      throw error;
    } finally {
      // What is in flight is followed whatever happened to the other steps (receipts counted, stuck ones replaced):
      // a failing evaluation must not leave a liquidation stuck under a risen base fee.
      if (sender) learn(await sender.onBlock(blockNumber, block.baseFeePerGas));
    }
    const { result, tried } = round;
    if (sender && tried === 0 && sender.pending().length === 0 && Number(blockNumber) % 20 === 0) await sender.checkBalance().catch(() => undefined);
    lastBlock = blockNumber;
    lastBlockAt = Date.now();
    updateLag();
    metrics.lastBlockEvaluated.set(Number(blockNumber));
    metrics.lastBlockProcessedTime.set(Math.floor(lastBlockAt / 1000));
    if (result.atRisk.length > 0 || result.reevaluated > 0) {
      logger.debug({ block: Number(blockNumber), reevaluated: result.reevaluated, atRisk: result.atRisk.length, sent: result.sent }, "block processed");
    }
    return { block: blockNumber, evaluated: true, ...result };
  }

  /** The evaluate, plan and send steps at `blockNumber` (the indexer has run). */
  async function evaluatePlanSend(blockNumber: bigint, block: { baseFeePerGas: bigint | null; timestamp: bigint }, started: number) {
    retry = false;
    if (risk === null || pending.full) {
      risk = store.riskConfig();
      gasLimits.clear(); // listings and feeds change what a liquidation loops over
    }
    const r = risk;
    const read = await readPrices({ client, assets: r.assets, sequencer: r.sequencer, blockNumber, timestamp: block.timestamp });
    const prices = pricesByAsset(r.assets.length, read);
    const degraded = read.sequencerError !== null || read.prices.some((p) => !p.ok);
    if (degraded) {
      metrics.degradedRounds.inc();
      const missing = read.prices.filter((p) => !p.ok).map((p) => p.asset);
      logger.warn({ block: Number(blockNumber), missing, sequencer: read.sequencerError?.shortMessage }, "degraded round: some prices are missing; their holders are not evaluated");
    }
    const ctx = createLiquidationContext(r, prices);
    if (pending.touched.has(liquidator)) marks.clear(); // a deposit of the keeper may make impossible liquidations possible
    // The send step starts as soon as the accounts nearest to the boundary are decided, and takes the others'
    // candidates once every account is: the first liquidation does not wait for the whole re-evaluation.
    let balance: Promise<boolean> | null = null;
    let sentAt: number | null = null;
    const tried = new Set<Address>();
    const queue = attemptQueue(async (account) => {
      const ok = await attempt(account, ctx, r, blockNumber, block.baseFeePerGas, balance!, !degraded);
      if (ok && sentAt === null) {
        sentAt = performance.now();
        metrics.decisionSeconds.set((sentAt - started) / 1000);
      }
      return ok;
    }, started + config.liquidation.roundBudgetMs);
    const launch = () => {
      const targets = view
        .atRisk()
        .map(({ account }) => account)
        .filter((account) => !tried.has(account) && account !== liquidator && !sender?.isPending(account) && !marks.isMarked(account, view.get(account)!.version, blockNumber));
      if (targets.length === 0) return;
      for (const account of targets) tried.add(account);
      if (balance === null) {
        balance = sender ? sender.checkBalance() : Promise.resolve(true);
        balance.catch(() => undefined); // awaited by each send; a failure fails those attempts, never the process
      }
      queue.push(targets);
    };
    let evaluated: Awaited<ReturnType<typeof view.evaluate>>;
    let atRisk: ReturnType<typeof view.atRisk>;
    try {
      evaluated = await view.evaluate(pending, r, ctx, prices, { onNearest: launch });
      if (evaluated.evicted > 0) logger.warn({ evicted: evaluated.evicted }, "reorg: accounts the store no longer has were evicted");
      pending.touched = new Set();
      pending.full = pending.evict = false;
      atRisk = view.atRisk();
      metrics.accountsTracked.set(view.size);
      metrics.atRiskAccounts.set(atRisk.length);
      metrics.unpricedAccounts.set(view.unpriced);
      launch();
    } catch (error) {
      await queue.done(); // the candidates already launched finish first: no send outlives its round
      throw error;
    }
    const { reevaluated, decidedInBigint } = evaluated;
    const { sent, deferred } = await queue.done();
    if (tried.size > 0) metrics.deferredCandidates.set(deferred);
    if (deferred > 0 || degraded) retry = true;
    if (deferred > 0) logger.warn({ deferred, budgetMs: config.liquidation.roundBudgetMs }, "round budget spent: the remaining candidates wait for the next round");
    metrics.markedAccounts.set(marks.count(blockNumber));
    return { result: { reevaluated, decidedInBigint, atRisk: atRisk.map((a) => a.account), sent, degraded }, tried: tried.size };
  }

  return {
    tick,
    async run(signal) {
      logger.info({ mode: config.mode, liquidator, vault: config.vault }, "keeper started");
      while (!signal.aborted) {
        try {
          await tick();
          failedRounds = 0;
        } catch (error) {
          if (error instanceof ChainResetError) {
            logger.fatal({ err: error, lastBlock: lastBlock === null ? null : Number(lastBlock) }, "stopping: the chain the state describes is gone");
            throw error;
          }
          failedRounds++;
          metrics.loopErrors.inc({ error: error instanceof Error ? error.name : "Error" });
          logger.error({ err: error, lastBlock: lastBlock === null ? null : Number(lastBlock), failedRounds }, "round failed; the loop goes on");
        }
        metrics.failedRounds.set(failedRounds);
        await sleep(config.pollIntervalMs, signal);
      }
      logger.info({ lastBlock: lastBlock === null ? null : Number(lastBlock), inFlight: sender?.pending().length ?? 0 }, "keeper stopped");
    },
    status: () => ({ lastBlock, lastBlockAt, head, failedRounds }),
  };
}

/** The settle callback to give the sender: logs a liquidation lost on-chain (its account's next event re-evaluates it). */
export function onLiquidationSettled(logger: Logger) {
  return (pending: { account: Address; hashes: readonly string[] }, status: string) => {
    if (status !== "success") logger.warn({ account: pending.account, hash: pending.hashes.at(-1), status }, "liquidation lost (reverted or replaced)");
  };
}
