/**
 * The keeper's per-block loop. Each round indexes the vault to the head, reads every feed at that block, and
 * re-evaluates only the accounts that can have changed: those touched by new vault events, and every account
 * holding an asset whose price moved (all of them after a risk-parameter change or a reorg). The accounts under
 * maintenance margin are liquidated worst first (by MM - E): the strategy chooses the fraction, the call is
 * simulated, the reward is weighed against the gas at the current fee, and the sender sends (or, in dry-run,
 * the decision is logged). An account whose attempt failed (a lost race, an unprofitable or impossible
 * liquidation) is not tried again until its state or its prices change. A failing round is logged and counted
 * and the loop goes on; `keeper_last_block_processed` then stays stale and `/readyz` turns unready.
 */
import { formatUnits, type Address, type PublicClient } from "viem";

import { marginVaultAbi } from "../../client/src/abi/generated.js";
import type { KeeperConfig } from "./config/schema.js";
import { createIndexer, type Indexer, type SyncReturnType } from "./indexer/indexer.js";
import {
  createLiquidationContext,
  pricesByAsset,
  requirementOf,
  stateFromStore,
  type AccountState,
  type LiquidationContext,
} from "./liquidation/previewLiquidation.js";
import { createProRataLiquidationStrategy, revertName, type LiquidationStrategy } from "./liquidation/strategy.js";
import type { Logger } from "./log.js";
import {
  createBatchParams,
  createBatchScratch,
  createMarginBook,
  isLiquidatableBigint,
  prepareBatchPrices,
  screenAccount,
  type BatchParams,
  type MarginBook,
} from "./margin/batch.js";
import type { Collateral, Position } from "../../client/src/margin/marginLib.js";
import { WAD } from "../../client/src/margin/mathLib.js";
import type { KeeperMetrics } from "./metrics.js";
import { readPrices } from "./prices/readPrices.js";
import type { Sender } from "./send/sender.js";
import type { KeeperStore } from "./store/store.js";
import type { RiskConfig } from "./store/types.js";

/** Vault errors that mean someone else liquidated first, or the account recovered: a lost race, not a fault. */
export const LOST_RACE_ERRORS = new Set(["AccountHealthy", "LiquidationDidNotImproveHealth"]);

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
  /** Replaces the indexer (tests). */
  indexer?: Indexer;
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
}

/** The keeper's liveness figures, for `/readyz`. */
export interface KeeperStatus {
  /** The last block fully processed (null before the first). */
  lastBlock: bigint | null;
  /** When it was processed (ms since epoch; 0 before the first). */
  lastBlockAt: number;
  /** The chain head seen at the last poll. */
  head: bigint | null;
}

/** The keeper. */
export interface Keeper {
  /** One round. Throws when indexing or reading the prices fails (the loop catches it). */
  tick(): Promise<TickReturnType>;
  /** Rounds every `pollIntervalMs` until `signal` aborts; resolves after the round in progress has finished. */
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
  const indexer =
    parameters.indexer ??
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
    });
  const strategy = parameters.strategy ?? createProRataLiquidationStrategy({ client, vault: config.vault, liquidator });

  let risk: RiskConfig | null = null;
  let lastPrices: bigint[] = [];
  let lastBlock: bigint | null = null;
  let lastBlockAt = 0;
  let head: bigint | null = null;
  /**
   * Everything the loop keeps per account, in one record (one map lookup per account per round): the state, the
   * assets it touches, its engine portfolio as a one-account margin book and the bitmask of its assets (book null:
   * it names an unlisted collateral or market, so it has no margin, like a missing price), a version raised
   * whenever it is re-evaluated because something changed, the round that last visited it, its last verdict.
   */
  interface Tracked {
    account: Address;
    state: AccountState;
    assets: Set<number>;
    book: MarginBook | null;
    mask: number;
    version: number;
    round: number;
    unpriced: boolean;
    atRisk: boolean;
  }
  const tracked = new Map<Address, Tracked>();
  /** The reverse index: the accounts holding each asset (a price move re-evaluates only those). */
  const holders = new Map<number, Set<Tracked>>();
  let round = 0;
  let batchParams: BatchParams | null = null;
  let scratch = createBatchScratch(1);
  /** The shortfall MM - E (> 0) of each account under maintenance margin at the last evaluation. */
  const atRiskShortfalls = new Map<Address, bigint>();
  /** How many accounts have no computable margin (a touched asset has no usable price). */
  let unpricedCount = 0;
  /** Accounts not to try again until their version changes. */
  const marks = new Map<Address, number>();

  /** (Re)loads `account`'s state from the store and re-indexes it. */
  function load(account: Address, r: RiskConfig): Tracked {
    const state = stateFromStore(store, r, account);
    let t = tracked.get(account);
    if (t === undefined) {
      t = { account, state, assets: new Set(), book: null, mask: 0, version: 0, round: 0, unpriced: false, atRisk: false };
      tracked.set(account, t);
    }
    for (const asset of t.assets) holders.get(asset)?.delete(t);
    const assets = new Set<number>();
    for (const [id, amount] of state.balances) if (amount !== 0n && r.collaterals[id]) assets.add(r.collaterals[id].asset);
    for (const [market, size] of state.positions) if (size !== 0n && r.markets[market]) assets.add(r.markets[market].asset);
    t.state = state;
    t.assets = assets;
    const { book, mask } = bookOf(state, r);
    t.book = book;
    t.mask = mask;
    for (const asset of assets) {
      let set = holders.get(asset);
      if (set === undefined) holders.set(asset, (set = new Set()));
      set.add(t);
    }
    return t;
  }

  /** The engine portfolio of `state` as `MarginVault._load` builds it (zero entries left out, balances in WAD). */
  function bookOf(state: AccountState, r: RiskConfig): { book: MarginBook | null; mask: number } {
    const collateral: Collateral[] = [];
    const positions: Position[] = [];
    let mask = 0;
    for (const [id, amount] of state.balances) {
      if (amount === 0n) continue;
      const c = r.collaterals[id];
      if (c === undefined) return { book: null, mask: 0 };
      collateral.push({ asset: c.asset, haircut: c.haircut, balance: amount * 10n ** BigInt(18 - c.decimals) });
      mask |= 1 << c.asset;
    }
    for (const [market, size] of state.positions) {
      if (size === 0n) continue;
      const m = r.markets[market];
      if (m === undefined) return { book: null, mask: 0 };
      positions.push({ asset: m.asset, k: m.k, size });
      mask |= 1 << m.asset;
    }
    return { book: createMarginBook([{ cash: state.cash, collateral, positions }]), mask };
  }

  function mark(account: Address): void {
    marks.set(account, tracked.get(account)?.version ?? 0);
  }

  function nativePrice(r: RiskConfig, prices: bigint[]): bigint | null {
    if (config.gas.nativePriceUsd !== undefined) return BigInt(Math.round(config.gas.nativePriceUsd * 1e6)) * 10n ** 12n;
    const asset = r.assets.find((a) => a.symbol === config.gas.nativeAssetSymbol);
    const price = asset === undefined ? 0n : (prices[asset.id] ?? 0n);
    return price > 0n ? price : null;
  }

  /**
   * Re-evaluates what can have changed: the float screen decides E < MM where it is clear, the fast bigint engine
   * decides the rest exactly (the same decisions as `marginRequirement`), and only the accounts under MM get the
   * full requirement (their shortfall ranks them). Returns how many accounts were evaluated, and how many of them
   * needed bigint.
   */
  function reevaluate(sync: SyncReturnType, r: RiskConfig, ctx: LiquidationContext, prices: bigint[], full: boolean): { reevaluated: number; decidedInBigint: number } {
    round++;
    const dirty: Tracked[] = [];
    const visit = (t: Tracked) => {
      if (t.round === round) return;
      t.round = round;
      dirty.push(t);
    };
    // Accounts whose state changed are read again; a price move re-evaluates the cached state of its holders.
    for (const account of sync.touched) visit(load(account, r));
    if (full) {
      for (const account of store.accounts()) if (!sync.touched.has(account)) visit(load(account, r));
      batchParams = createBatchParams(ctx.riskParams);
      scratch = createBatchScratch(r.assets.length);
    } else {
      for (let asset = 0; asset < prices.length; asset++) {
        if (prices[asset] === lastPrices[asset]) continue;
        for (const t of holders.get(asset) ?? []) visit(t);
      }
    }
    if (sync.touched.has(liquidator)) marks.clear(); // a new collateral deposit of the keeper may make impossible liquidations possible
    const params = batchParams!;
    const bp = prepareBatchPrices(prices);
    let unpricedMask = 0;
    for (let asset = 0; asset < prices.length; asset++) if (!(prices[asset]! > 0n)) unpricedMask |= 1 << asset;
    let decidedInBigint = 0;
    for (const t of dirty) {
      t.version++;
      const unpriced = t.book === null || (t.mask & unpricedMask) !== 0;
      if (unpriced !== t.unpriced) {
        t.unpriced = unpriced;
        unpricedCount += unpriced ? 1 : -1;
      }
      let verdict: number = 0;
      if (!unpriced) {
        verdict = screenAccount(t.book!, params, bp, 0, scratch);
        if (verdict < 0) {
          decidedInBigint++;
          verdict = isLiquidatableBigint(t.book!, params, bp, 0, scratch) ? 1 : 0;
        }
      }
      if (verdict === 0) {
        if (t.atRisk) {
          t.atRisk = false;
          atRiskShortfalls.delete(t.account);
        }
        continue;
      }
      // A candidate: the full requirement (as the vault computes it) gives the shortfall that ranks it.
      const req = requirementOf(t.state, ctx)!;
      t.atRisk = true;
      atRiskShortfalls.set(t.account, req.mm - req.equity);
    }
    return { reevaluated: dirty.length, decidedInBigint };
  }

  async function attempt(account: Address, ctx: LiquidationContext, r: RiskConfig, blockNumber: bigint, baseFee: bigint | null, balanceOk: boolean): Promise<boolean> {
    const log = logger.child({ account, block: Number(blockNumber) });
    const skip = (reason: string, fields: Record<string, unknown> = {}, remember = true) => {
      metrics.liquidationsSkipped.inc({ reason });
      if (remember) mark(account);
      log.info({ reason, ...fields }, "liquidation skipped");
      return false;
    };
    const candidate = { account, state: tracked.get(account)!.state, liquidator: tracked.get(liquidator)?.state ?? { cash: 0n, balances: new Map(), positions: new Map() }, ctx };
    if (!strategy.isApplicable(candidate)) return skip("not-applicable");
    const plan = strategy.preview(candidate);
    if (plan === null) return skip("no-plan", { hint: "no fraction passes the vault's checks; the keeper's vault account may lack collateral (it must stay >= IM)" });
    // The simulation, the gas estimate and the fees are independent requests: in flight together. The gas is
    // estimated at "latest", like the simulation (some nodes estimate at "pending" by default, which includes a
    // competitor's transaction: the race is then decided on-chain, not guessed here).
    const settle = <T,>(promise: Promise<T>) => promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
    const estimating = settle(client.estimateContractGas({ address: config.vault, abi: marginVaultAbi, functionName: "liquidate", args: [plan.account, plan.fraction], account: liquidator, blockTag: "latest" }));
    const pricing = settle(sender ? sender.fees(baseFee) : Promise.resolve({ maxFeePerGas: (baseFee ?? 0n) * 2n, maxPriorityFeePerGas: 0n }));
    const simulation = await strategy.simulate(plan);
    if (!simulation.ok) {
      if (LOST_RACE_ERRORS.has(simulation.errorName)) {
        metrics.liquidationsLost.inc({ stage: "simulation" });
        mark(account);
        log.info({ error: simulation.errorName }, "liquidation lost before sending (already liquidated or healthy at the head)");
        return false;
      }
      return skip("simulation-revert", { error: simulation.errorName });
    }
    const estimated = await estimating;
    if (!estimated.ok) return skip("simulation-revert", { error: revertName(estimated.error) });
    const gasEstimate = estimated.value;
    const priced = await pricing;
    if (!priced.ok) throw priced.error;
    const fees = priced.value;
    if (fees === null) return skip("fee-cap", { baseFeeGwei: formatUnits(baseFee ?? 0n, 9) }, false);
    const native = nativePrice(r, ctx.prices);
    if (native === null) return skip("no-native-price", { hint: "set gas.nativePriceUsd or gas.nativeAssetSymbol" }, false);
    const feePerGas = (baseFee ?? 0n) + fees.maxPriorityFeePerGas;
    const gasCost = (gasEstimate * feePerGas * native) / WAD;
    const profit = plan.preview.reward - gasCost;
    const figures = {
      fraction: formatUnits(plan.fraction, 18),
      rewardUsd: formatUnits(plan.preview.reward, 18),
      gasCostUsd: formatUnits(gasCost, 18),
      profitUsd: formatUnits(profit, 18),
      gas: gasEstimate.toString(),
    };
    if (Number(formatUnits(profit, 18)) < config.gas.minProfitUsd) return skip("unprofitable", figures);
    if (config.mode === "dry-run" || sender === null) {
      metrics.liquidationsSkipped.inc({ reason: "dry-run" });
      mark(account);
      log.info(figures, "dry run: would liquidate");
      return false;
    }
    if (!balanceOk) return skip("balance-low", figures, false);
    const gasLimit = (gasEstimate * BigInt(Math.round(config.gas.gasLimitMultiplier * 1000))) / 1000n;
    try {
      await sender.send({ account, fraction: plan.fraction, gas: gasLimit, fees, blockNumber });
      log.info(figures, "liquidating");
      return true;
    } catch (error) {
      metrics.liquidationsSkipped.inc({ reason: "send-failed" });
      log.error({ err: error }, "sending the liquidation failed; retrying at the next change");
      mark(account);
      return false;
    }
  }

  async function tick(): Promise<TickReturnType> {
    let sync: SyncReturnType;
    try {
      sync = await indexer.sync();
    } catch (error) {
      metrics.indexerErrors.inc({ error: error instanceof Error ? error.name : "Error" });
      throw error;
    }
    const started = performance.now();
    head = BigInt(sync.head);
    if (sync.checkpoint === null) return { block: null, evaluated: false, reevaluated: 0, decidedInBigint: 0, atRisk: [], sent: 0 };
    const blockNumber = BigInt(sync.checkpoint);
    if (lastBlock === blockNumber && sync.applied === 0 && sync.reorgedTo === null) {
      if (sender) await sender.onBlock(blockNumber);
      lastBlockAt = Date.now();
      metrics.lastBlockProcessedTime.set(Math.floor(lastBlockAt / 1000));
      return { block: blockNumber, evaluated: false, reevaluated: 0, decidedInBigint: 0, atRisk: [], sent: 0 };
    }
    const block = await client.getBlock({ blockNumber });
    const full = risk === null || sync.riskChanged;
    if (full) risk = store.riskConfig();
    const r = risk!;
    const read = await readPrices({ client, assets: r.assets, sequencer: r.sequencer, blockNumber, timestamp: block.timestamp });
    const prices = pricesByAsset(r.assets.length, read);
    const ctx = createLiquidationContext(r, prices);
    const { reevaluated, decidedInBigint } = reevaluate(sync, r, ctx, prices, full);
    lastPrices = prices;

    const atRisk: { account: Address; shortfall: bigint }[] = [];
    const unpriced = unpricedCount;
    for (const [account, shortfall] of atRiskShortfalls) atRisk.push({ account, shortfall });
    atRisk.sort((x, y) => (x.shortfall > y.shortfall ? -1 : x.shortfall < y.shortfall ? 1 : x.account < y.account ? -1 : 1));
    metrics.accountsTracked.set(tracked.size);
    metrics.atRiskAccounts.set(atRisk.length);
    metrics.unpricedAccounts.set(unpriced);

    let sent = 0;
    const targets = atRisk.filter(({ account }) => account !== liquidator && !sender?.isPending(account) && marks.get(account) !== tracked.get(account)?.version);
    if (targets.length > 0) {
      const balanceOk = sender ? await sender.checkBalance() : true;
      for (const { account } of targets) {
        if (await attempt(account, ctx, r, blockNumber, block.baseFeePerGas, balanceOk)) sent++;
      }
      if (sent > 0) metrics.decisionSeconds.set((performance.now() - started) / 1000);
    }
    if (sender) {
      await sender.onBlock(blockNumber);
      if (targets.length === 0 && sender.pending().length === 0 && Number(blockNumber) % 20 === 0) await sender.checkBalance().catch(() => undefined);
    }
    lastBlock = blockNumber;
    lastBlockAt = Date.now();
    metrics.lastBlockProcessedTime.set(Math.floor(lastBlockAt / 1000));
    if (atRisk.length > 0 || reevaluated > 0) {
      logger.debug({ block: Number(blockNumber), reevaluated, atRisk: atRisk.length, sent }, "block processed");
    }
    return { block: blockNumber, evaluated: true, reevaluated, decidedInBigint, atRisk: atRisk.map((a) => a.account), sent };
  }

  /** Called by the sender when a liquidation in flight is mined or dropped. */
  return {
    tick,
    async run(signal) {
      logger.info({ mode: config.mode, liquidator, vault: config.vault }, "keeper started");
      while (!signal.aborted) {
        try {
          await tick();
        } catch (error) {
          metrics.loopErrors.inc({ error: error instanceof Error ? error.name : "Error" });
          logger.error({ err: error, lastBlock: lastBlock === null ? null : Number(lastBlock) }, "round failed; the loop goes on");
        }
        await sleep(config.pollIntervalMs, signal);
      }
      logger.info({ lastBlock: lastBlock === null ? null : Number(lastBlock), inFlight: sender?.pending().length ?? 0 }, "keeper stopped");
    },
    status: () => ({ lastBlock, lastBlockAt, head }),
  };
}

/**
 * The settle callback to give the sender: a reverted liquidation (a lost race) marks nothing by itself, since the
 * account's next event re-evaluates it; this only logs. Kept as a function for symmetry with the sender's API.
 */
export function onLiquidationSettled(logger: Logger) {
  return (pending: { account: Address; hashes: readonly string[] }, status: string) => {
    if (status !== "success") logger.warn({ account: pending.account, hash: pending.hashes.at(-1), status }, "liquidation lost (reverted or replaced)");
  };
}
