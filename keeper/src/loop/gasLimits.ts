/**
 * Gas limits of liquidations, estimated once per account shape instead of once per candidate.
 *
 * `eth_estimateGas` executes a call many times over (a binary search on the limit): after one price move that makes
 * a thousand accounts liquidatable, estimating each one is most of the node's work. The gas `liquidate` uses
 * depends mostly on what it loops over and on which storage slots it creates or clears, not on the amounts: the
 * shape below holds those, and accounts of one shape share the largest estimate seen for it.
 *
 * The shape is a guess, not a proof: two accounts of one shape can differ by a fifth in gas (balances and positions
 * are packed two to a slot, a slice may or may not move open interest, bad debt may pull tokens from the fund). So
 * the plan step simulates every candidate of a known shape AT the limit it would send (`eth_call` with that gas):
 * out of gas there, it estimates that account exactly instead. No limit from this cache is sent without having run
 * at that limit against the latest block. The estimates are dropped when the risk configuration changes and when a
 * liquidation reverts on-chain or uses more gas than the estimate it was sent with.
 */
import type { LiquidationCandidate, LiquidationPlan } from "../liquidation/strategy.js";
import type { SettledLiquidation } from "../send/sender.js";

const count = (entries: Map<number, bigint>) => {
  let n = 0;
  for (const value of entries.values()) if (value !== 0n) n++;
  return n;
};

/** Of `account`'s non-zero entries, how many `other` has none of (a slot the slice creates for the liquidator). */
const newEntries = (account: Map<number, bigint>, other: Map<number, bigint>) => {
  let n = 0;
  for (const [id, value] of account) if (value !== 0n && (other.get(id) ?? 0n) === 0n) n++;
  return n;
};

/**
 * The shape of a liquidation, as far as its gas goes: the entries both accounts hold (the vault loops over them),
 * the slots the slice creates on the liquidator, whether the account is taken whole (its slots cleared), whether
 * it ends in bad debt (the fund pays: a token transfer) or pays the fund a share, and which cash slots start at zero.
 *
 * @param candidate The account and the liquidator, as planned.
 * @param plan The plan (fraction and preview).
 * @returns A key: accounts that differ only in amounts share it (their gas is close, not equal).
 * @example liquidationShape(candidate, plan) // "3,2|0,1|1,0|whole|debt|share|cash01"
 */
export function liquidationShape(candidate: LiquidationCandidate, plan: LiquidationPlan): string {
  const { state: account, liquidator } = candidate;
  const { preview } = plan;
  return [
    `${count(account.positions)},${count(account.balances)}`,
    `${count(liquidator.positions)},${count(liquidator.balances)}`,
    `${newEntries(account.positions, liquidator.positions)},${newEntries(account.balances, liquidator.balances)}`,
    preview.fraction === 10n ** 18n ? "whole" : "part",
    preview.account.badDebt ? "debt" : "solvent",
    preview.fundShare === 0n ? "noshare" : "share",
    `cash${account.cash === 0n ? 1 : 0}${liquidator.cash === 0n ? 1 : 0}`,
  ].join("|");
}

/** The estimates, by shape. */
export interface GasLimits {
  /** The estimate for a shape, if one is known. */
  get(shape: string): bigint | undefined;
  /** Records an estimate; a shape keeps the largest seen (a cheaper account of it must not lower the others' limit). */
  set(shape: string, estimate: bigint): void;
  /** Drops every estimate (the risk configuration changed). */
  clear(): void;
  /**
   * Learns from settled liquidations: a revert, or a mined one that used more than its estimate (its limit over the
   * multiplier), drops every estimate. Returns whether it did.
   */
  learn(settled: readonly SettledLiquidation[]): boolean;
  readonly size: number;
}

/**
 * Creates the estimates' cache.
 *
 * @param gasLimitMultiplier The factor between an estimate and the limit sent (`gas.gasLimitMultiplier`).
 * @returns An empty cache.
 * @example
 * const gasLimits = createGasLimits(config.gas.gasLimitMultiplier);
 * const known = gasLimits.get(liquidationShape(candidate, plan)); // simulate at known x multiplier before sending
 */
export function createGasLimits(gasLimitMultiplier: number): GasLimits {
  const byShape = new Map<string, bigint>();
  const perMille = BigInt(Math.round(gasLimitMultiplier * 1000));
  return {
    get: (shape) => byShape.get(shape),
    set(shape, estimate) {
      const known = byShape.get(shape);
      if (known === undefined || estimate > known) byShape.set(shape, estimate);
    },
    clear: () => byShape.clear(),
    learn(settled) {
      const suspicious = settled.some(
        (s) => s.status === "reverted" || (s.gasUsed !== null && s.gasUsed * perMille > s.gas * 1000n),
      );
      if (suspicious) byShape.clear();
      return suspicious;
    },
    get size() {
      return byShape.size;
    },
  };
}
