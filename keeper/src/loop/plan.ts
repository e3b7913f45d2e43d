/**
 * The plan step: for one account under maintenance margin, ask the strategy for a liquidation (state in -> planned
 * call and expected reward out), simulate it, estimate its gas (once per account shape, `gasLimits.ts`) and weigh
 * the reward against the gas at the current fee. The answer says whether to send, or why not and whether that
 * answer is definite (the account is then marked) or transient (an RPC error, a missing price: retried next round).
 */
import { formatUnits, type Address, type PublicClient } from "viem";

import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import { WAD } from "../../../client/src/margin/mathLib.js";
import type { LiquidationCandidate, LiquidationPlan, LiquidationStrategy } from "../liquidation/strategy.js";
import type { Fees } from "../send/sender.js";
import { LOST_RACE_ERRORS, vaultErrorName } from "./decodeRevert.js";
import { liquidationShape, type GasLimits } from "./gasLimits.js";

/** Options of `planLiquidation`. */
export interface PlanLiquidationParameters {
  client: PublicClient;
  vault: Address;
  liquidator: Address;
  /** The strategy, through its boundary only: `isApplicable`, `preview` (state in -> plan) and `simulate`. */
  strategy: Pick<LiquidationStrategy, "isApplicable" | "preview" | "simulate">;
  candidate: LiquidationCandidate;
  /** The fees to pay (null: the base fee is above the cap). */
  fees: () => Promise<Fees | null>;
  baseFeePerGas: bigint | null;
  /** The gas token's USD price (WAD), null when unknown. */
  nativePrice: bigint | null;
  minProfitUsd: number;
  gasLimitMultiplier: number;
  /** Whether every listed asset had a usable price this round (a plan is only refused for good with all of them). */
  pricesComplete: boolean;
  /** Estimates by account shape: a known shape is simulated at its cached limit, estimated only when that fails. */
  gasLimits?: GasLimits;
}

/** What to do with one candidate. */
export type PlanDecision =
  | { kind: "send"; plan: LiquidationPlan; gas: bigint; fees: Fees; figures: Record<string, unknown> }
  | { kind: "lost"; errorName: string }
  | { kind: "skip"; reason: string; mark: boolean; fields: Record<string, unknown> };

/** The arguments of `liquidate` for a plan (the one place that knows the call's shape). */
export function liquidateArgs(plan: { account: Address; fraction: bigint }) {
  return [plan.account, plan.fraction] as const;
}

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** A failed simulate / estimate: a decoded vault error is a definite answer, anything else is transient. */
function failure(error: unknown, stage: string): PlanDecision {
  const name = vaultErrorName(error);
  if (name === null) return { kind: "skip", reason: "rpc-error", mark: false, fields: { stage, error: error instanceof Error ? error.name : String(error) } };
  if (LOST_RACE_ERRORS.has(name)) return { kind: "lost", errorName: name };
  return { kind: "skip", reason: "simulation-revert", mark: true, fields: { stage, error: name } };
}

/**
 * Plans one liquidation.
 *
 * @param parameters Client, strategy, candidate, fee and price inputs.
 * @returns The decision: send (with gas and fees), lost (a decoded lost-race revert), or skip (reason, and whether
 * the answer is definite enough to mark the account).
 * @example
 * const decision = await planLiquidation({ client, vault, liquidator, strategy, candidate, fees: () => sender.fees(baseFee), ... });
 * if (decision.kind === "send") await sender.send({ ... });
 */
export async function planLiquidation(parameters: PlanLiquidationParameters): Promise<PlanDecision> {
  const { client, vault, liquidator, strategy, candidate } = parameters;
  if (!strategy.isApplicable(candidate)) return { kind: "skip", reason: "not-applicable", mark: parameters.pricesComplete, fields: {} };
  const plan = strategy.preview(candidate);
  if (plan === null) {
    // With a price missing the twin cannot know what the vault would accept: not a definite "no".
    return parameters.pricesComplete
      ? { kind: "skip", reason: "no-plan", mark: true, fields: { hint: "no item list passes the vault's checks; the keeper's vault account may lack collateral (it must stay >= IM)" } }
      : { kind: "skip", reason: "incomplete-prices", mark: false, fields: { hint: "a feed could not be read this round; retrying next round" } };
  }
  const pricing = settle(parameters.fees());
  // A shape seen before: one simulation at the limit the transaction would carry. Out of gas there (an account the
  // shape does not describe well: packed slots, a sign, a token pull) or any undecoded failure falls through to an
  // exact estimate, so a cached limit is never sent without having run at that limit.
  const shape = liquidationShape(candidate, plan);
  const known = parameters.gasLimits?.get(shape);
  if (known !== undefined) {
    const capped = await strategy.simulate(plan, { gas: gasLimitOf(known, parameters.gasLimitMultiplier) });
    if (!capped.ok && vaultErrorName(capped.error) !== null) return failure(capped.error, "simulation");
    if (capped.ok) {
      const decision = weigh(parameters, plan, known, await pricing);
      // A cached estimate may be a costlier account's: "unprofitable" is a definite answer only with this one's own.
      if (decision.kind !== "skip" || decision.reason !== "unprofitable") return decision;
    }
  }
  // The simulation, the gas estimate and the fees are independent requests: in flight together. The gas is
  // estimated at "latest", like the simulation (some nodes estimate at "pending" by default, which includes a
  // competitor's transaction: the race is then decided on-chain, not guessed here).
  const estimating = settle(client.estimateContractGas({ address: vault, abi: marginVaultAbi, functionName: "liquidate", args: liquidateArgs(plan), account: liquidator, blockTag: "latest" }));
  const simulation = await strategy.simulate(plan);
  if (!simulation.ok) return failure(simulation.error, "simulation");
  const estimated = await estimating;
  if (!estimated.ok) return failure(estimated.error, "estimate");
  parameters.gasLimits?.set(shape, estimated.value);
  return weigh(parameters, plan, estimated.value, await pricing);
}

/** The limit a transaction is sent with: the estimate times `gas.gasLimitMultiplier`. */
const gasLimitOf = (estimate: bigint, multiplier: number) => (estimate * BigInt(Math.round(multiplier * 1000))) / 1000n;

/** Weighs the reward of `plan` against `gasEstimate` at the fees: send, or skip (unprofitable marks the account). */
function weigh(parameters: PlanLiquidationParameters, plan: LiquidationPlan, gasEstimate: bigint, priced: { ok: true; value: Fees | null } | { ok: false; error: unknown }): PlanDecision {
  const { baseFeePerGas } = parameters;
  if (!priced.ok) return { kind: "skip", reason: "rpc-error", mark: false, fields: { stage: "fees" } };
  const fees = priced.value;
  if (fees === null) return { kind: "skip", reason: "fee-cap", mark: false, fields: { baseFeeGwei: formatUnits(baseFeePerGas ?? 0n, 9) } };
  if (parameters.nativePrice === null) return { kind: "skip", reason: "no-native-price", mark: false, fields: { hint: "set gas.nativePriceUsd or gas.nativeAssetSymbol" } };
  const feePerGas = (baseFeePerGas ?? 0n) + fees.maxPriorityFeePerGas;
  const gasCost = (gasEstimate * feePerGas * parameters.nativePrice) / WAD;
  const profit = plan.preview.reward - gasCost;
  const figures = {
    fraction: formatUnits(plan.fraction, 18),
    rewardUsd: formatUnits(plan.preview.reward, 18),
    gasCostUsd: formatUnits(gasCost, 18),
    profitUsd: formatUnits(profit, 18),
    gas: gasEstimate.toString(),
  };
  if (Number(formatUnits(profit, 18)) < parameters.minProfitUsd) return { kind: "skip", reason: "unprofitable", mark: true, fields: figures };
  return { kind: "send", plan, gas: gasLimitOf(gasEstimate, parameters.gasLimitMultiplier), fees, figures };
}
