/**
 * Every account's E, MM and IM at the current prices with the twin (`marginRequirement`, the same integers as
 * the vault), sorted nearest liquidation first: by E / MM ascending, accounts with no requirement last.
 */
import type { Address } from "viem";

import type { Deployment } from "../../../client/src/deployment.js";
import { marginRequirement } from "../../../client/src/margin/marginLib.js";
import { toPortfolio } from "../../../client/src/risk.js";
import type { Book } from "../chain/book.js";

export interface RankedAccount {
  address: Address;
  equity: bigint;
  mm: bigint;
  im: bigint;
  /** E / MM as a float (Infinity when MM = 0). */
  ratio: number;
}

/** Ranks every account of `book` at WAD `prices` (by asset id). */
export function rankAccounts(book: Book, deployment: Deployment, prices: bigint[]): RankedAccount[] {
  const params = deployment.risk;
  const ranked: RankedAccount[] = [];
  for (const account of book.accounts.values()) {
    if (account.cash === 0n && !account.positions.some((x) => x !== 0n) && !account.balances.some((x) => x !== 0n)) continue;
    const { equity, mm, im } = marginRequirement(toPortfolio(deployment, account), params, prices);
    ranked.push({ address: account.address, equity, mm, im, ratio: mm === 0n ? Infinity : Number((equity * 1_000_000n) / mm) / 1e6 });
  }
  return ranked.sort((x, y) => x.ratio - y.ratio);
}
