/**
 * The evaluate step: the keeper's in-memory view of every account (state, assets held, engine portfolio) and the
 * verdict E < MM per account, kept current by re-evaluating only what can have changed — the accounts the store
 * says changed, and the holders of an asset whose price moved (everyone after a risk change or a reorg). After a
 * reorg the view is rebuilt from the store and accounts the store no longer has are evicted.
 */
import type { Address } from "viem";

import type { Collateral, Position } from "../../../client/src/margin/marginLib.js";
import { requirementOf, stateFromStore, type AccountState, type LiquidationContext } from "../liquidation/previewLiquidation.js";
import {
  createBatchParams,
  createBatchScratch,
  createMarginBook,
  isLiquidatableBigint,
  prepareBatchPrices,
  screenAccount,
  type BatchParams,
  type MarginBook,
} from "../margin/batch.js";
import type { RiskConfig } from "../store/types.js";
import type { AccountStateSource } from "../liquidation/previewLiquidation.js";

/** The store as the view reads it. */
export interface AccountViewStore extends AccountStateSource {
  accounts(): readonly Address[];
}

/** What changed since the last evaluation. */
export interface EvaluateChanges {
  /** Accounts whose state changed in the store. */
  touched: Iterable<Address>;
  /** Re-read every account (risk configuration changed, first round, reorg). */
  full: boolean;
  /** Drop accounts the store no longer has (after a reorg rolled them back). */
  evict: boolean;
}

/** `evaluate`'s result. */
export interface EvaluateReturnType {
  /** Accounts re-evaluated. */
  reevaluated: number;
  /** Of those, how many the float screen could not decide (decided in bigint). */
  decidedInBigint: number;
  /** Accounts evicted. */
  evicted: number;
}

/** One account in the view. */
export interface TrackedAccount {
  account: Address;
  state: AccountState;
  /** Raised each time the account is re-evaluated because something changed (marks compare it). */
  version: number;
}

/** Options of `AccountView.evaluate`. */
export interface EvaluateOptions {
  /**
   * Called once the accounts nearest to the boundary are decided, before the others (the keeper starts sending
   * their liquidations then, so that the first send does not wait for the whole re-evaluation).
   */
  onNearest?: () => void;
  /**
   * How many of the re-evaluated accounts, nearest first by their last distance to the boundary, are decided before
   * `onNearest`; the others follow in chunks of that size, the event loop served between chunks.
   * @default 2048
   */
  chunk?: number;
}

/** The account view. */
export interface AccountView {
  /**
   * Re-evaluates what `changes` and the price moves since the last call can have changed: every such account is
   * decided (exactly) before it resolves; the nearest to the boundary first.
   */
  evaluate(changes: EvaluateChanges, risk: RiskConfig, ctx: LiquidationContext, prices: bigint[], options?: EvaluateOptions): Promise<EvaluateReturnType>;
  /** The accounts under maintenance margin, worst (largest MM - E) first. */
  atRisk(): { account: Address; shortfall: bigint }[];
  get(account: Address): TrackedAccount | undefined;
  /** Accounts tracked. */
  readonly size: number;
  /** Accounts whose margin cannot be computed (an asset without a usable price, an unlisted item). */
  readonly unpriced: number;
}

interface Tracked extends TrackedAccount {
  assets: Set<number>;
  book: MarginBook | null;
  mask: number;
  round: number;
  unpriced: boolean;
  atRisk: boolean;
  /** The float screen's E - MM over gross value at the last evaluation (-Infinity before the first): the order. */
  distance: number;
  /** The round in which it was among the nearest (decided first). */
  near: number;
}

/**
 * About the `k` accounts of `dirty` nearest to the boundary (smallest last distance), marked `near = round`: those
 * under the distance that ranks k-th in an even sample of 512, and ties while fewer than k (one pass, no sort of the
 * whole list). `dirty` itself when it is small.
 */
function nearest(dirty: Tracked[], k: number, round: number): Tracked[] {
  if (dirty.length <= k) return dirty;
  const samples = Math.min(512, dirty.length);
  const sample = new Float64Array(samples);
  for (let i = 0; i < samples; i++) sample[i] = dirty[Math.floor((i * dirty.length) / samples)]!.distance;
  sample.sort();
  const threshold = sample[Math.min(samples - 1, Math.ceil((samples * k) / dirty.length))]!;
  const near: Tracked[] = [];
  for (const t of dirty) {
    // Ties at the threshold (many accounts alike) only while there is room: the first pass stays small.
    if (t.distance < threshold || (t.distance === threshold && near.length < k)) {
      t.near = round;
      near.push(t);
    }
  }
  return near;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

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

/**
 * Creates the account view over `store`.
 *
 * @param parameters The store the states are read from.
 * @returns The view.
 * @example
 * const view = createAccountView({ store });
 * await view.evaluate({ touched: sync.touched, full: false, evict: false }, risk, ctx, prices);
 * for (const { account } of view.atRisk()) plan(account);
 */
export function createAccountView(parameters: { store: AccountViewStore }): AccountView {
  const { store } = parameters;
  const tracked = new Map<Address, Tracked>();
  /** The reverse index: the accounts holding each asset (a price move re-evaluates only those). */
  const holders = new Map<number, Set<Tracked>>();
  const shortfalls = new Map<Address, bigint>();
  let lastPrices: bigint[] = [];
  let round = 0;
  let unpricedCount = 0;
  let batchParams: BatchParams | null = null;
  let scratch = createBatchScratch(1);
  let riskSeen: RiskConfig | null = null;

  function load(account: Address, r: RiskConfig): Tracked {
    const state = stateFromStore(store, r, account);
    let t = tracked.get(account);
    if (t === undefined) {
      t = { account, state, assets: new Set(), book: null, mask: 0, version: 0, round: 0, unpriced: false, atRisk: false, distance: -Infinity, near: 0 };
      tracked.set(account, t);
    }
    for (const asset of t.assets) holders.get(asset)?.delete(t);
    const assets = new Set<number>();
    for (const [id, amount] of state.balances) if (amount !== 0n && r.collaterals[id]) assets.add(r.collaterals[id].asset);
    for (const [market, size] of state.positions) if (size !== 0n && r.markets[market]) assets.add(r.markets[market].asset);
    t.state = state;
    t.assets = assets;
    ({ book: t.book, mask: t.mask } = bookOf(state, r));
    for (const asset of assets) {
      let set = holders.get(asset);
      if (set === undefined) holders.set(asset, (set = new Set()));
      set.add(t);
    }
    return t;
  }

  function evict(t: Tracked): void {
    for (const asset of t.assets) holders.get(asset)?.delete(t);
    if (t.unpriced) unpricedCount--;
    shortfalls.delete(t.account);
    tracked.delete(t.account);
  }

  return {
    async evaluate(changes, r, ctx, prices, options = {}) {
      const chunk = options.chunk ?? 2048;
      round++;
      const full = changes.full || riskSeen !== r || batchParams === null;
      const dirty: Tracked[] = [];
      const visit = (t: Tracked) => {
        if (t.round === round) return;
        t.round = round;
        dirty.push(t);
      };
      let evicted = 0;
      if (full) {
        const present = new Set(store.accounts());
        if (changes.evict) {
          for (const t of [...tracked.values()]) if (!present.has(t.account)) (evict(t), evicted++);
        }
        for (const account of present) visit(load(account, r));
        batchParams = createBatchParams(ctx.riskParams);
        scratch = createBatchScratch(r.assets.length);
        riskSeen = r;
      } else {
        for (const account of changes.touched) visit(load(account, r));
        for (let asset = 0; asset < prices.length; asset++) {
          if (prices[asset] === lastPrices[asset]) continue;
          for (const t of holders.get(asset) ?? []) visit(t);
        }
      }
      lastPrices = prices;
      const bp = prepareBatchPrices(prices);
      let unpricedMask = 0;
      for (let asset = 0; asset < prices.length; asset++) if (!(prices[asset]! > 0n)) unpricedMask |= 1 << asset;
      let decidedInBigint = 0;
      const decide = (t: Tracked) => {
        t.version++;
        const unpriced = t.book === null || (t.mask & unpricedMask) !== 0;
        if (unpriced !== t.unpriced) {
          t.unpriced = unpriced;
          unpricedCount += unpriced ? 1 : -1;
        }
        let verdict = 0;
        if (!unpriced) {
          verdict = screenAccount(t.book!, batchParams!, bp, 0, scratch);
          t.distance = scratch.distance;
          if (verdict < 0) {
            decidedInBigint++;
            verdict = isLiquidatableBigint(t.book!, batchParams!, bp, 0, scratch) ? 1 : 0;
          }
        }
        if (verdict === 0) {
          if (t.atRisk) {
            t.atRisk = false;
            shortfalls.delete(t.account);
          }
          return;
        }
        // A candidate: the full requirement (as the vault computes it) gives the shortfall that ranks it.
        const req = requirementOf(t.state, ctx)!;
        t.atRisk = true;
        shortfalls.set(t.account, req.mm - req.equity);
      };
      // The accounts nearest to the boundary first (a price move reaches them first), then the others in chunks
      // with the event loop served in between (the first liquidations are planned and sent meanwhile). Every
      // verdict is exact whatever the order: the order only decides when each is known within the round.
      const near = nearest(dirty, chunk, round);
      for (const t of near) decide(t);
      options.onNearest?.();
      if (near !== dirty) {
        let n = 0;
        for (const t of dirty) {
          if (t.near === round) continue;
          decide(t);
          if (++n % chunk === 0) await nextTurn();
        }
      }
      return { reevaluated: dirty.length, decidedInBigint, evicted };
    },
    atRisk() {
      const list = [...shortfalls].map(([account, shortfall]) => ({ account, shortfall }));
      return list.sort((x, y) => (x.shortfall > y.shortfall ? -1 : x.shortfall < y.shortfall ? 1 : x.account < y.account ? -1 : 1));
    },
    get: (account) => tracked.get(account),
    get size() {
      return tracked.size;
    },
    get unpriced() {
      return unpricedCount;
    },
  };
}
