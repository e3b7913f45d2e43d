/**
 * The book seen through the typed client's types: a `Deployment` (listing, risk parameters, caps, open interest)
 * and an `AccountSnapshot` per account, so that every risk view of client/src/risk.ts (free collateral, maximum
 * withdrawable, liquidation prices, trade impact) runs on the page's incremental state without another RPC read.
 */
import type { Address } from "viem";

import type { Deployment } from "../../../client/src/deployment.js";
import type { AccountSnapshot, AccountState } from "../../../client/src/risk.js";
import type { Book } from "./book.js";

/** What the logs do not carry: the chain, the settlement contract, token symbols and feed decimals. */
export interface DeploymentExtras {
  chainId: number;
  vault: Address;
  settlement: Address;
  startBlock: number;
  symbols: ReadonlyMap<Address, string>;
  /** Feed decimals by asset id (read from the feeds). */
  feedDecimals: readonly number[];
}

/** The client's `Deployment` of `book` at its current block. */
export function toDeployment(book: Book, extras: DeploymentExtras): Deployment {
  const assets = book.assets.map((a) => ({
    id: a.id, symbol: a.symbol, feed: a.feed, feedDecimals: extras.feedDecimals[a.id] ?? 18, heartbeat: Number(a.heartbeat), scan: a.scan, maxPrice: a.maxPrice,
  }));
  return {
    vault: extras.vault,
    settlement: extras.settlement,
    fromBlock: BigInt(extras.startBlock),
    chainId: extras.chainId,
    blockNumber: BigInt(book.block),
    assets,
    collaterals: book.collaterals.map((c) => ({
      id: c.id, token: c.token, symbol: extras.symbols.get(c.token) ?? book.collateralLabel(c), asset: c.asset, decimals: c.decimals, haircut: c.haircut, depositCap: c.depositCap, totalDeposits: c.total,
    })),
    markets: book.markets.map((m) => ({ id: m.id, symbol: book.marketLabel(m.id), asset: m.asset, k: m.k, openInterestCap: m.openInterestCap, openInterest: m.openInterest })),
    risk: book.riskParams(),
    priceBandBps: 0n,
  };
}

/** The account's state as dense arrays (balances by collateral id, positions by market id). */
export function accountState(book: Book, address: Address): AccountState {
  const record = book.accounts.get(address);
  return {
    cash: record?.cash ?? 0n,
    balances: book.collaterals.map((c) => record?.balances[c.id] ?? 0n),
    positions: book.markets.map((m) => record?.positions[m.id] ?? 0n),
  };
}

/** The client's `AccountSnapshot` of `address` at `prices`. */
export function accountSnapshot(deployment: Deployment, book: Book, address: Address, prices: bigint[]): AccountSnapshot {
  return {
    account: address,
    blockNumber: deployment.blockNumber,
    deployment,
    state: accountState(book, address),
    prices,
    unpriced: prices.flatMap((p, a) => (p === 0n ? [a] : [])),
  };
}
