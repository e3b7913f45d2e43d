/**
 * The replay: daily closes interpolated into one oracle update per block (every feed in every block), mined one
 * block per step with automine off, so that the keeper's transactions land in the next block as on a real chain.
 * After each block the vault's events update the ledger and every account is evaluated with the margin twin:
 * that measures when accounts fall under maintenance margin and how many blocks the keeper takes.
 */
import type { Contract } from "ethers";

import { answerToWad, interpolateCloses, toFeedAnswer, type InterpolationMode } from "./interpolate.js";
import { waitForKeeper, type KeeperProcess } from "./keeper.js";
import type { VaultLedger } from "./ledger.js";
import type { PortfolioType } from "./portfolios.js";
import type { PriceWindow } from "./prices.js";
import { marginOf, type RiskModel } from "./riskModel.js";
import { sendFeedUpdates, type Protocol } from "./chain.js";

/** An account the replay follows. */
export interface TrackedAccount {
  address: string;
  type: PortfolioType | "market maker" | "keeper";
}

/** Equity and MM of one group of accounts at each step (USD). */
export interface GroupSeries {
  equity: number[];
  mm: number[];
  /** Accounts under MM (E < MM). */
  under: number[];
}

/** One liquidation as the replay saw it. */
export interface ReplayLiquidation {
  block: number;
  step: number;
  account: string;
  type: TrackedAccount["type"];
  /** The fraction of the portfolio that moved (WAD). */
  fraction: bigint;
  bonus: bigint;
  fundShare: bigint;
  /** Whether the account had E >= 0 before (no bad-debt settlement of it in the block). */
  solventBefore: boolean;
  /** Its equity right after, at the prices the liquidation saw (the previous step's: liquidations come first). */
  equityAfter: bigint;
  /** Blocks from the first block of the account's E < MM episode to this liquidation (null: never seen under MM). */
  delayBlocks: number | null;
}

/** What the replay recorded. */
export interface ReplayRecord {
  steps: number;
  stepsPerDay: number;
  /** Block number and date label of each step (drain blocks included). */
  blocks: number[];
  labels: string[];
  /** USD price of each asset at each step. */
  prices: Record<string, number[]>;
  series: Record<string, GroupSeries>;
  liquidations: ReplayLiquidation[];
  /** First block each account was seen under MM. */
  firstUnder: Map<string, number>;
  drainBlocks: number;
  /** Blocks the keeper did not report as processed within the timeout. */
  keeperLate: number;
}

/** Options of `replay`. */
export interface ReplayParameters {
  protocol: Protocol;
  model: RiskModel;
  ledger: VaultLedger;
  window: PriceWindow;
  stepsPerDay: number;
  mode: InterpolationMode;
  /** Wall time given to the keeper after it has processed each block (to send its liquidations), in ms. */
  blockMs: number;
  /** The keeper's metrics URL and how long to wait for it to process each block, in ms (fixed pacing without it). */
  keeperMetricsUrl: string | null;
  keeperTimeoutMs: number;
  /**
   * Called after the block of each daily close but the last (day index, 0-based) once the keeper has had its turn:
   * the adaptive run's risk steward updates the scans there.
   */
  onClose?: (day: number) => Promise<void>;
  /** Extra blocks after the last close while accounts are still under MM. */
  maxDrainBlocks: number;
  accounts: readonly TrackedAccount[];
  keeper: KeeperProcess | null;
  onStep?: (step: number, total: number, info: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Prices of every step by asset: the window's closes interpolated. */
export function stepPrices(window: PriceWindow, stepsPerDay: number, mode: InterpolationMode): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const a of window.assets) out[a] = interpolateCloses(window.closes[a]!, stepsPerDay, mode);
  return out;
}

/**
 * Replays the window on the node. Leaves automine off (the caller stops the node).
 *
 * @returns Everything the report needs.
 */
export async function replay(parameters: ReplayParameters): Promise<ReplayRecord> {
  const { protocol, model, ledger, window, stepsPerDay, accounts } = parameters;
  const provider = protocol.provider;
  const vaultAddress = await (protocol.vault as Contract).getAddress();
  const prices = stepPrices(window, stepsPerDay, parameters.mode);
  const steps = prices[window.assets[0]!]!.length;
  const groups = [...new Set(accounts.map((a) => a.type))];
  const record: ReplayRecord = {
    steps,
    stepsPerDay,
    blocks: [],
    labels: [],
    prices: Object.fromEntries(window.assets.map((a) => [a, [] as number[]])),
    series: Object.fromEntries(groups.map((g) => [g, { equity: [], mm: [], under: [] }])),
    liquidations: [],
    firstUnder: new Map(),
    drainBlocks: 0,
    keeperLate: 0,
  };
  const typeOf = new Map(accounts.map((a) => [a.address.toLowerCase(), a.type]));
  const underSince = new Map<string, number>();
  let answers: Record<string, bigint> = {};
  // The prices the liquidations of the next block see: the keeper's transactions are ordered before the price move.
  let previousWad: bigint[] | null = null;

  await provider.send("evm_setAutomine", [false]);
  // Blocks mined between two steps (the adaptive run's scan updates, which also carry any liquidation waiting in the
  // mempool) are applied with the next step's block.
  let applied = await provider.getBlockNumber();
  const block = async (step: number, label: string): Promise<number> => {
    const updates = await sendFeedUpdates(protocol, answers);
    await provider.send("evm_mine", []);
    for (const tx of updates) await tx.wait();
    const number = await provider.getBlockNumber();
    const logs = await provider.getLogs({ address: vaultAddress, fromBlock: applied + 1, toBlock: number });
    applied = number;
    const seen = ledger.liquidations.length;
    ledger.apply(logs);
    const wad = model.assets.map((a) => (a === "USD" ? 10n ** 18n : answerToWad(answers[a]!)));
    const settled = new Set(ledger.badDebts.filter((b) => b.block === number).map((b) => b.account));
    for (const l of ledger.liquidations.slice(seen)) {
      const since = underSince.get(l.account);
      record.liquidations.push({
        block: l.block,
        step,
        account: l.account,
        type: typeOf.get(l.account) ?? "keeper",
        fraction: l.fraction,
        bonus: l.bonus,
        fundShare: l.fundShare,
        solventBefore: !settled.has(l.account),
        equityAfter: marginOf(model, ledger.state(l.account), previousWad ?? wad).equity,
        delayBlocks: since === undefined ? null : l.block - since,
      });
    }
    previousWad = wad;
    const totals = new Map(groups.map((g) => [g, { equity: 0, mm: 0, under: 0 }]));
    for (const account of accounts) {
      const key = account.address.toLowerCase();
      const m = marginOf(model, ledger.state(key), wad);
      const t = totals.get(account.type)!;
      t.equity += Number(m.equity) / 1e18;
      t.mm += Number(m.maintenanceMargin) / 1e18;
      if (m.equity < m.maintenanceMargin) {
        t.under++;
        if (!underSince.has(key)) underSince.set(key, number);
        if (!record.firstUnder.has(key)) record.firstUnder.set(key, number);
      } else {
        underSince.delete(key);
      }
    }
    for (const [g, t] of totals) {
      record.series[g]!.equity.push(t.equity);
      record.series[g]!.mm.push(t.mm);
      record.series[g]!.under.push(t.under);
    }
    record.blocks.push(number);
    record.labels.push(label);
    for (const a of window.assets) record.prices[a]!.push(Number(answers[a]!) / 1e8);
    return number;
  };

  /** Lets the keeper see block `number` and send its liquidations before the next block is mined. */
  const pace = async (number: number) => {
    const { keeper, keeperMetricsUrl } = parameters;
    if (keeper !== null && keeper.exit === null && keeperMetricsUrl !== null) {
      if (!(await waitForKeeper(keeper, keeperMetricsUrl, number, parameters.keeperTimeoutMs))) record.keeperLate++;
    }
    await sleep(parameters.blockMs);
  };
  const keeperNote = () => (parameters.keeper?.exit ? " (keeper stopped)" : "");
  for (let s = 0; s < steps; s++) {
    answers = Object.fromEntries(window.assets.map((a) => [a, toFeedAnswer(prices[a]![s]!)]));
    const day = window.dates[Math.floor(s / stepsPerDay)]!;
    const number = await block(s, day);
    const under = [...underSince.keys()].filter((k) => typeOf.get(k) !== undefined).length;
    parameters.onStep?.(s + 1, steps, `${day} under MM ${under}, liquidations ${record.liquidations.length}${keeperNote()}`);
    await pace(number);
    // Not after the last close: no day follows it (and the feeds must stay fresh for what comes after the replay).
    if (s % stepsPerDay === 0 && s < steps - 1) await parameters.onClose?.(s / stepsPerDay);
  }
  // Give the keeper the blocks it still needs at the last prices (feeds refreshed each block).
  const last = window.dates[window.dates.length - 1]!;
  for (let d = 0; d < parameters.maxDrainBlocks && underSince.size > 0 && !parameters.keeper?.exit; d++) {
    const number = await block(steps - 1, last);
    record.drainBlocks++;
    await pace(number);
  }
  return record;
}
