/**
 * The liquidation strategy: which items to send for an account under maintenance margin. The interface
 * (`isApplicable` / `preview` / `simulate`) keeps the choice testable without a chain: `preview` is pure (the
 * bigint twin of `liquidate`), `simulate` is the `eth_call` of the chosen items.
 *
 * The partial strategy takes positions first (the ones whose removal helps most first), then collateral; every
 * item but the last is taken whole, and the last is sized so that the account is just back at initial margin
 * (the vault refuses a last item that is not needed). An insolvent account (E < 0) or one whose gross value is
 * under the dust threshold is taken whole. When the liquidator's own account would fall under initial margin,
 * the liquidation is shrunk until it does not.
 */
import { BaseError, ContractFunctionRevertedError, type Address, type PublicClient } from "viem";

import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import { toPortfolio, grossValue, applyItem, cloneState, previewLiquidation, requirementOf, type AccountState, type LiquidationContext, type LiquidationItem, type PreviewLiquidationReturnType } from "./previewLiquidation.js";
import { WAD, mulUp } from "../../../client/src/margin/mathLib.js";
import { marginRequirement } from "../../../client/src/margin/marginLib.js";

/** A liquidatable account the strategy is asked about. */
export interface LiquidationCandidate {
  account: Address;
  state: AccountState;
  /** The keeper's own vault account. */
  liquidator: AccountState;
  ctx: LiquidationContext;
}

/** A chosen liquidation: the items and what the twin says they do. */
export interface LiquidationPlan {
  account: Address;
  items: LiquidationItem[];
  preview: Extract<PreviewLiquidationReturnType, { ok: true }>;
}

/** `simulate`'s result: the vault's answer to the `eth_call`. */
export type SimulationResult =
  | { ok: true; penalty: bigint; request: unknown }
  | { ok: false; errorName: string; error: unknown };

/** A liquidation strategy. */
export interface LiquidationStrategy {
  readonly name: string;
  /** Whether the strategy can liquidate this account at all (E < MM and prices usable). */
  isApplicable(candidate: LiquidationCandidate): boolean;
  /** Chooses the items (pure). Null when no item list passes the vault's checks. */
  preview(candidate: LiquidationCandidate): LiquidationPlan | null;
  /** `eth_call`s the plan from the liquidator's address at the latest block. */
  simulate(plan: LiquidationPlan): Promise<SimulationResult>;
}

interface Candidate {
  collateral: boolean;
  id: number;
  full: bigint;
  benefit: bigint;
}

/** Items, positions first, each ordered by how much taking it whole alone improves E - MM. */
function orderedCandidates(candidate: LiquidationCandidate): Candidate[] {
  const { state, ctx } = candidate;
  const before = requirementOf(state, ctx);
  if (before === null) return [];
  const scored = (collateral: boolean, id: number, full: bigint): Candidate => {
    const account = cloneState(state);
    const result = applyItem(account, cloneState(candidate.liquidator), { collateral, id: BigInt(id), amount: full }, ctx);
    const after = typeof result === "string" ? null : requirementOf(account, ctx);
    const benefit = after === null ? -(1n << 255n) : after.equity - after.mm - (before.equity - before.mm);
    return { collateral, id, full, benefit };
  };
  const byBenefit = (x: Candidate, y: Candidate) => (x.benefit > y.benefit ? -1 : x.benefit < y.benefit ? 1 : x.id - y.id);
  const positions = [...state.positions].filter(([, size]) => size !== 0n).map(([id, size]) => scored(false, id, size < 0n ? -size : size));
  const collateral = [...state.balances].filter(([, amount]) => amount !== 0n).map(([id, amount]) => scored(true, id, amount));
  return [...positions.sort(byBenefit), ...collateral.sort(byBenefit)];
}

const toItem = (c: Candidate, amount: bigint): LiquidationItem => ({ collateral: c.collateral, id: BigInt(c.id), amount });

/** Whether the account, after `items` and the penalty on them, is at or above IM (the vault's pre-last check). */
function reachesInitialMargin(candidate: LiquidationCandidate, items: readonly LiquidationItem[]): boolean {
  const { ctx } = candidate;
  const account = cloneState(candidate.state);
  const liquidator = cloneState(candidate.liquidator);
  let liquidated = 0n;
  for (const item of items) {
    const result = applyItem(account, liquidator, item, ctx);
    if (typeof result === "string") return false;
    liquidated += result;
  }
  const portfolio = toPortfolio(account, ctx);
  if (portfolio === null) return false;
  const r = marginRequirement(portfolio, ctx.riskParams, ctx.prices);
  return r.equity - mulUp(liquidated, ctx.risk.liquidation.penalty) >= r.im;
}

/** The smallest amount in (0, full] (to about full / 2^20) for which `ok` holds, given that ok(full) holds. */
function smallestAmount(full: bigint, ok: (amount: bigint) => boolean): bigint {
  let lo = 0n; // ok(lo) false (or lo = 0)
  let hi = full; // ok(hi) true
  const precision = full >> 20n;
  while (hi - lo > 1n && hi - lo > precision) {
    const mid = (lo + hi) / 2n;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The largest amount in (0, full] for which `ok` holds, or 0 when none (to about full / 2^20). */
function largestAmount(full: bigint, ok: (amount: bigint) => boolean): bigint {
  if (ok(full)) return full;
  let lo = 0n;
  let hi = full;
  const precision = full >> 20n;
  while (hi - lo > 1n && hi - lo > precision) {
    const mid = (lo + hi) / 2n;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo > 0n && ok(lo) ? lo : 0n;
}

/**
 * Chooses the items of a partial liquidation (see the module comment).
 *
 * @param candidate The account, the keeper's account and the context.
 * @returns The plan, or null when no item list passes every check of the vault.
 */
export function chooseItems(candidate: LiquidationCandidate): LiquidationPlan | null {
  const { ctx } = candidate;
  const before = requirementOf(candidate.state, ctx);
  if (before === null || before.equity >= before.mm) return null;
  const ordered = orderedCandidates(candidate);
  if (ordered.length === 0) return null;
  const portfolio = toPortfolio(candidate.state, ctx)!;
  const takeAll = before.equity < 0n || grossValue(portfolio, ctx.prices) < ctx.risk.liquidation.dustThreshold;

  let items: LiquidationItem[] = [];
  if (takeAll) {
    items = ordered.map((c) => toItem(c, c.full));
  } else {
    for (const c of ordered) {
      const whole = [...items, toItem(c, c.full)];
      if (reachesInitialMargin(candidate, whole)) {
        const amount = smallestAmount(c.full, (a) => reachesInitialMargin(candidate, [...items, toItem(c, a)]));
        items.push(toItem(c, amount));
        break;
      }
      items = whole;
    }
  }

  const preview = (list: readonly LiquidationItem[]) =>
    previewLiquidation({ ctx, account: candidate.state, liquidator: candidate.liquidator, items: list });
  // Shrink from the end until the vault would accept it (the liquidator's own IM is the usual limit).
  while (items.length > 0) {
    const result = preview(items);
    if (result.ok) return { account: candidate.account, items, preview: result };
    const last = items[items.length - 1]!;
    const head = items.slice(0, -1);
    const amount = largestAmount(last.amount, (a) => preview([...head, { ...last, amount: a }]).ok);
    if (amount > 0n) {
      const shrunk = [...head, { ...last, amount }];
      const result2 = preview(shrunk);
      if (result2.ok) return { account: candidate.account, items: shrunk, preview: result2 };
    }
    items = head;
  }
  return null;
}

/** Options of `createPartialLiquidationStrategy`. */
export interface CreatePartialLiquidationStrategyParameters {
  client: PublicClient;
  vault: Address;
  /** The liquidator (the keeper's address): the `eth_call` is made from it. */
  liquidator: Address;
}

/** The vault error name of a failed call, or the error's class name. */
export function revertName(error: unknown): string {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) return reverted.data?.errorName ?? reverted.reason ?? "Reverted";
    return error.name;
  }
  return error instanceof Error ? error.name : "Error";
}

/**
 * The partial-liquidation strategy over a vault.
 *
 * @param parameters Client, vault, liquidator address.
 * @returns The strategy.
 * @example
 * const strategy = createPartialLiquidationStrategy({ client, vault: config.vault, liquidator: account.address });
 * const plan = strategy.isApplicable(candidate) ? strategy.preview(candidate) : null;
 * if (plan && (await strategy.simulate(plan)).ok) send(plan);
 */
export function createPartialLiquidationStrategy(parameters: CreatePartialLiquidationStrategyParameters): LiquidationStrategy {
  const { client, vault, liquidator } = parameters;
  return {
    name: "partial",
    isApplicable(candidate) {
      const r = requirementOf(candidate.state, candidate.ctx);
      return r !== null && r.equity < r.mm;
    },
    preview: chooseItems,
    async simulate(plan) {
      try {
        const { result, request } = await client.simulateContract({
          address: vault,
          abi: marginVaultAbi,
          functionName: "liquidate",
          args: [plan.account, plan.items],
          account: liquidator,
        });
        return { ok: true, penalty: result, request };
      } catch (error) {
        return { ok: false, errorName: revertName(error), error };
      }
    },
  };
}

/** The liquidator's reward in USD as a float, for logs and the profitability check. */
export function rewardUsd(plan: LiquidationPlan): number {
  return Number(plan.preview.reward) / Number(WAD);
}
