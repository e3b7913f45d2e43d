/**
 * Every account's E, MM and IM at the current prices with the twin (`marginRequirement`, the same integers as
 * the vault), sorted nearest liquidation first: by E / MM ascending, accounts with no requirement last.
 */
import type { Address } from "viem";

import type { Deployment } from "../../../client/src/deployment.js";
import { marginRequirement } from "../../../client/src/margin/marginLib.js";
import { toPortfolio } from "../../../client/src/risk.js";
import type { AccountRecord } from "../chain/book.js";

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

/** Ranks `accounts` at WAD `prices` (by asset id). */
export function rankAccounts(accounts: Iterable<AccountRecord>, deployment: Deployment, prices: bigint[]): RankedAccount[] {
  const ranked: RankedAccount[] = [];
  for (const account of accounts) {
    const r = rankOne(deployment, account, prices);
    if (r !== null) ranked.push(r);
  }
  return ranked.sort((x, y) => x.ratio - y.ratio);
}

/** A ranker's input: every account (by address), the book's risk configuration version, and what changed. */
export type Ranker = (
  accounts: ReadonlyMap<Address, AccountRecord>,
  configVersion: number,
  deployment: Deployment,
  prices: bigint[],
  /** The accounts changed since the last call; null when the accounts were replaced (a rebuild). */
  touched: ReadonlySet<Address> | null,
) => RankedAccount[];

/**
 * A ranking kept across blocks, as the keeper keeps its evaluations: when neither the prices nor the risk
 * configuration changed, only the accounts a block touched are re-evaluated; otherwise every account is. The page
 * runs it in a Web Worker (`rankWorker.ts`).
 */
export function createRanker(): Ranker {
  const cache = new Map<Address, RankedAccount>();
  let key = "";
  return (accounts, configVersion, deployment, prices, touched) => {
    const next = `${configVersion}|${prices.join(",")}`;
    if (next !== key || touched === null) {
      key = next;
      cache.clear();
      for (const r of rankAccounts(accounts.values(), deployment, prices)) cache.set(r.address, r);
    } else {
      for (const address of touched) {
        const account = accounts.get(address);
        const r = account === undefined ? null : rankOne(deployment, account, prices);
        if (r === null) cache.delete(address);
        else cache.set(address, r);
      }
    }
    return [...cache.values()].sort((x, y) => x.ratio - y.ratio);
  };
}
