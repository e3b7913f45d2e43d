/**
 * Marks: accounts not to try again for a while. An account is marked only on a definite answer (a decoded vault
 * revert, no plan with every price known, unprofitable, dry-run), never on a transient one (an RPC error, a missing
 * price): those are retried at the next round. A mark lapses when the account is re-evaluated because its state or
 * one of its prices changed (its version moves), or after `expiryBlocks` blocks, so nothing is blocked for good.
 */
import type { Address } from "viem";

/** The marks. */
export interface Marks {
  /** Marks `account` at `version`, at `block`. */
  mark(account: Address, version: number, block: bigint): void;
  /** Whether `account` at `version` is still marked at `block`. */
  isMarked(account: Address, version: number, block: bigint): boolean;
  /** Forgets every mark (the keeper's own account changed: an impossible liquidation may be possible now). */
  clear(): void;
  /** Marks in force at `block` (the `keeper_accounts_marked` gauge). */
  count(block: bigint): number;
}

/**
 * Creates the marks.
 *
 * @param expiryBlocks Blocks after which a mark lapses.
 * @returns The marks.
 * @example const marks = createMarks(10); marks.mark(account, version, block);
 */
export function createMarks(expiryBlocks: number): Marks {
  const marks = new Map<Address, { version: number; block: bigint }>();
  const live = (m: { block: bigint } | undefined, block: bigint) => m !== undefined && block - m.block < BigInt(expiryBlocks);
  return {
    mark: (account, version, block) => void marks.set(account, { version, block }),
    isMarked(account, version, block) {
      const m = marks.get(account);
      if (m === undefined) return false;
      if (m.version !== version || !live(m, block)) {
        marks.delete(account);
        return false;
      }
      return true;
    },
    clear: () => marks.clear(),
    count(block) {
      let n = 0;
      for (const m of marks.values()) if (live(m, block)) n++;
      return n;
    },
  };
}
