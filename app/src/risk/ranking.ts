/**
 * Every account's E, MM and IM at the current prices with the twin (`marginRequirement`, the same integers as
 * the vault), sorted nearest liquidation first: by E / MM ascending, accounts with no requirement last.
 */
import type { Address } from "viem";

import type { Deployment } from "../../../client/src/deployment.js";
import { marginRequirement } from "../../../client/src/margin/marginLib.js";
import { toPortfolio } from "../../../client/src/risk.js";
import type { AccountRecord, Book } from "../chain/book.js";

export interface RankedAccount {
  address: Address;
  equity: bigint;
  mm: bigint;
  im: bigint;
  /** E / MM as a float (Infinity when MM = 0). */
  ratio: number;
}

function rankOne(deployment: Deployment, account: AccountRecord, prices: bigint[]): RankedAccount | null {
  if (account.cash === 0n && !account.positions.some((x) => x !== 0n) && !account.balances.some((x) => x !== 0n)) return null;
  const { equity, mm, im } = marginRequirement(toPortfolio(deployment, account), deployment.risk, prices);
  return { address: account.address, equity, mm, im, ratio: mm === 0n ? Infinity : Number((equity * 1_000_000n) / mm) / 1e6 };
}

/** Ranks every account of `book` at WAD `prices` (by asset id). */
export function rankAccounts(book: Book, deployment: Deployment, prices: bigint[]): RankedAccount[] {
  const ranked: RankedAccount[] = [];
  for (const account of book.accounts.values()) {
    const r = rankOne(deployment, account, prices);
    if (r !== null) ranked.push(r);
  }
  return ranked.sort((x, y) => x.ratio - y.ratio);
}

/**
 * A ranking kept across blocks, as the keeper keeps its evaluations: when neither the prices nor the risk
 * configuration changed, only the accounts a block touched are re-evaluated; otherwise every account is.
 */
export function createRanker(): (book: Book, deployment: Deployment, prices: bigint[], touched: ReadonlySet<Address> | null) => RankedAccount[] {
  const cache = new Map<Address, RankedAccount>();
  let key = "";
  let last: Book | null = null;
  return (book, deployment, prices, touched) => {
    const next = `${book.configVersion}|${prices.join(",")}`;
    if (next !== key || book !== last || touched === null) {
      key = next;
      last = book;
      cache.clear();
      for (const r of rankAccounts(book, deployment, prices)) cache.set(r.address, r);
    } else {
      for (const address of touched) {
        const account = book.accounts.get(address);
        const r = account === undefined ? null : rankOne(deployment, account, prices);
        if (r === null) cache.delete(address);
        else cache.set(address, r);
      }
    }
    return [...cache.values()].sort((x, y) => x.ratio - y.ratio);
  };
}
