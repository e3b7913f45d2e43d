/**
 * The liquidation strategy: which fraction to send for an account under maintenance margin. The interface
 * (`isApplicable` / `preview` / `simulate`) keeps the choice testable without a chain: `preview` is pure (the
 * bigint twin of `previewLiquidation`), `simulate` is the `eth_call` of the chosen fraction.
 *
 * The pro-rata strategy asks for the account's close factor (`maxLiquidationFraction`): the smallest slice that
 * restores initial margin, the whole portfolio when the account is insolvent or the rest would be dust. The
 * reward is the bonus (bonus rate x MM released) less the fund's share; the keeper subtracts gas. When the
 * liquidator's own account would fall under initial margin, the fraction is halved until it does not.
 */
import { BaseError, ContractFunctionRevertedError, type Address, type PublicClient } from "viem";

import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import { WAD } from "../../../client/src/margin/mathLib.js";
import {
  maxFractionOf,
  previewLiquidation,
  requirementOf,
  type AccountState,
  type LiquidationContext,
  type PreviewLiquidationReturnType,
} from "./previewLiquidation.js";

/** A liquidatable account the strategy is asked about. */
export interface LiquidationCandidate {
  account: Address;
  state: AccountState;
  /** The keeper's own vault account. */
  liquidator: AccountState;
  ctx: LiquidationContext;
}

/** A chosen liquidation: the fraction to send and what the twin says it does. */
export interface LiquidationPlan {
  account: Address;
  /** The fraction sent (WAD). */
  fraction: bigint;
  preview: Extract<PreviewLiquidationReturnType, { ok: true }>;
}

/** `simulate`'s result: the vault's answer to the `eth_call` (the bonus it would pay). */
export type SimulationResult =
  | { ok: true; bonus: bigint; request: unknown }
  | { ok: false; errorName: string; error: unknown };

/** A liquidation strategy. */
export interface LiquidationStrategy {
  readonly name: string;
  /** Whether the strategy can liquidate this account at all (E < MM and prices usable). */
  isApplicable(candidate: LiquidationCandidate): boolean;
  /** Chooses the fraction (pure). Null when no fraction passes the vault's checks. */
  preview(candidate: LiquidationCandidate): LiquidationPlan | null;
  /**
   * `eth_call`s the plan from the liquidator's address at the latest block; with `gas`, at that gas limit (the
   * limit the transaction would be sent with: out of gas there is out of gas on-chain).
   */
  simulate(plan: LiquidationPlan, options?: { gas?: bigint }): Promise<SimulationResult>;
}

/** The smallest fraction the strategy still tries before it gives up on the liquidator's own margin. */
const MIN_FRACTION: bigint = WAD / 1_000_000n;

/**
 * Chooses the fraction of a pro-rata liquidation (see the module comment).
 *
 * @param candidate The account, the keeper's account and the context.
 * @returns The plan, or null when no fraction passes every check of the vault.
 */
export function chooseFraction(candidate: LiquidationCandidate): LiquidationPlan | null {
  const { ctx } = candidate;
  const max = maxFractionOf(candidate.state, ctx);
  if (max === null || max === 0n) return null;
  for (let fraction = max; fraction >= MIN_FRACTION; fraction /= 2n) {
    const preview = previewLiquidation({ ctx, account: candidate.state, liquidator: candidate.liquidator, fraction });
    if (preview.ok) return { account: candidate.account, fraction, preview };
    // Only the liquidator's own margin depends on the fraction (an insolvent account goes whole anyway).
    if (preview.revert !== "InsufficientMargin") return null;
  }
  return null;
}

/** Options of `createProRataLiquidationStrategy`. */
export interface CreateProRataLiquidationStrategyParameters {
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
 * The pro-rata liquidation strategy over a vault.
 *
 * @param parameters Client, vault, liquidator address.
 * @returns The strategy.
 * @example
 * const strategy = createProRataLiquidationStrategy({ client, vault: config.vault, liquidator: account.address });
 * const plan = strategy.isApplicable(candidate) ? strategy.preview(candidate) : null;
 * if (plan && (await strategy.simulate(plan)).ok) send(plan);
 */
export function createProRataLiquidationStrategy(parameters: CreateProRataLiquidationStrategyParameters): LiquidationStrategy {
  const { client, vault, liquidator } = parameters;
  return {
    name: "pro-rata",
    isApplicable(candidate) {
      const r = requirementOf(candidate.state, candidate.ctx);
      return r !== null && r.equity < r.mm;
    },
    preview: chooseFraction,
    async simulate(plan, options) {
      try {
        const { result, request } = await client.simulateContract({
          address: vault,
          abi: marginVaultAbi,
          functionName: "liquidate",
          args: [plan.account, plan.fraction],
          account: liquidator,
          ...(options?.gas !== undefined ? { gas: options.gas } : {}),
        });
        return { ok: true, bonus: result.bonus, request };
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
