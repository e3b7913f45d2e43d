/**
 * Keeps a `Book` at the chain head: one backfill of the vault's logs from the deployment block, then, on every new
 * block (viem's `watchBlocks`), only that block's logs and the oracle prices. A block that does not extend the last
 * one seen (a reorg) rebuilds the book from the deployment block.
 */
import { erc20Abi, formatLog, zeroAddress, numberToHex, type Address, type Hash, type PublicClient } from "viem";

import { aggregatorV3Abi, insuranceFundAbi, marginVaultAbi } from "../../../client/src/abi/generated.js";
import type { Deployment } from "../../../client/src/deployment.js";
import { Book } from "./book.js";
import { toDeployment } from "./deployment.js";

/** The insurance fund as the page shows it. */
export interface FundState {
  address: Address;
  /** Total assets (token units) and shares. */
  totalAssets: bigint;
  totalSupply: bigint;
  decimals: number;
}

/** What the page knows at one block. */
export interface ChainSnapshot {
  book: Book;
  /** The book as the typed client's `Deployment` (for its risk views). */
  deployment: Deployment;
  block: number;
  /** Block timestamp (s). */
  timestamp: number;
  /** WAD price by asset id; null when the oracle refused (the reason in `priceError`). */
  prices: bigint[] | null;
  priceError: string | null;
  fund: FundState | null;
  /** Token symbols by collateral token. */
  symbols: Map<Address, string>;
  /** Accounts changed since the previous snapshot; null when the book was (re)built from scratch. */
  touched: ReadonlySet<Address> | null;
}

export interface StartSyncParameters {
  client: PublicClient;
  vault: Address;
  /** The trade settlement contract; found from the vault's SETTLER_ROLE grant when null. */
  settlement: Address | null;
  chainId: number;
  startBlock: number;
  /** Blocks per eth_getLogs request of the backfill. @default 5000 */
  chunkSize?: number;
  onUpdate: (snapshot: ChainSnapshot) => void;
  onError: (error: Error) => void;
}

/**
 * Starts following the vault.
 *
 * @returns A function that stops it.
 */
export function startSync(parameters: StartSyncParameters): () => void {
  const { client, vault, settlement, chainId, startBlock, onUpdate, onError } = parameters;
  const chunkSize = parameters.chunkSize ?? 5000;
  let book = new Book();
  let synced = startBlock - 1;
  let lastHash: Hash | null = null;
  const symbols = new Map<Address, string>();
  /** Feed decimals by feed address: the vault caches them when a feed is set, the logs do not carry them. */
  const feedDecimals = new Map<Address, number>();
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function fetchLogs(from: number, to: number, touched: Set<Address>): Promise<void> {
    for (let lo = from; lo <= to; lo += chunkSize) {
      const hi = Math.min(to, lo + chunkSize - 1);
      const raw = await client.request({ method: "eth_getLogs", params: [{ address: vault, fromBlock: numberToHex(lo), toBlock: numberToHex(hi) }] });
      for (const a of book.apply(raw.map((log) => formatLog(log))).touched) touched.add(a);
    }
  }

  async function readPrices(block: bigint): Promise<{ prices: bigint[] | null; priceError: string | null }> {
    try {
      const prices = await Promise.all(
        book.assets.map((_, asset) => client.readContract({ address: vault, abi: marginVaultAbi, functionName: "price", args: [BigInt(asset)], blockNumber: block })),
      );
      return { prices, priceError: null };
    } catch (error) {
      return { prices: null, priceError: error instanceof Error ? (error as { shortMessage?: string }).shortMessage ?? error.message : String(error) };
    }
  }

  async function readFund(block: bigint): Promise<FundState | null> {
    if (book.fund === null || /^0x0+$/.test(book.fund)) return null;
    const address = book.fund;
    const read = <F extends "totalAssets" | "totalSupply" | "decimals">(functionName: F) =>
      client.readContract({ address, abi: insuranceFundAbi, functionName, blockNumber: block } as never) as Promise<F extends "decimals" ? number : bigint>;
    const [totalAssets, totalSupply, decimals] = await Promise.all([read("totalAssets"), read("totalSupply"), read("decimals")]);
    return { address, totalAssets: totalAssets as bigint, totalSupply: totalSupply as bigint, decimals: Number(decimals) };
  }

  async function readListingExtras(): Promise<void> {
    for (const c of book.collaterals) {
      if (c === undefined || symbols.has(c.token)) continue;
      symbols.set(c.token, await client.readContract({ address: c.token, abi: erc20Abi, functionName: "symbol" }).catch(() => book.collateralLabel(c)));
    }
    for (const a of book.assets) {
      if (a === undefined || feedDecimals.has(a.feed)) continue;
      feedDecimals.set(a.feed, await client.readContract({ address: a.feed, abi: aggregatorV3Abi, functionName: "decimals" }));
    }
  }

  async function advance(head: { number: bigint; hash: Hash; parentHash: Hash; timestamp: bigint }): Promise<void> {
    const number = Number(head.number);
    if (number <= synced) return;
    if (lastHash !== null && number === synced + 1 && head.parentHash !== lastHash) {
      // The chain reorganised under the page: rebuild from the deployment block (cheap next to a keeper's store).
      book = new Book();
      synced = startBlock - 1;
    }
    const fresh = synced < startBlock;
    const touched = new Set<Address>();
    await fetchLogs(synced + 1, number, touched);
    synced = number;
    lastHash = head.hash;
    book.block = number;
    await readListingExtras();
    const [{ prices, priceError }, fund] = await Promise.all([readPrices(head.number), readFund(head.number).catch(() => null)]);
    const deployment = toDeployment(book, { chainId, vault, settlement: settlement ?? book.settlement ?? zeroAddress, startBlock, symbols, feedDecimals: book.assets.map((a) => feedDecimals.get(a.feed) ?? 18) });
    if (!stopped) onUpdate({ book, deployment, block: number, timestamp: Number(head.timestamp), prices, priceError, fund, symbols, touched: fresh ? null : touched });
  }

  const queue = (head: Parameters<typeof advance>[0]) => {
    running = running.then(() => advance(head)).catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));
  };

  const unwatch = client.watchBlocks({
    emitOnBegin: true,
    includeTransactions: false,
    onBlock: (block) => {
      if (block.number !== null && block.hash !== null) queue({ number: block.number, hash: block.hash, parentHash: block.parentHash, timestamp: block.timestamp });
    },
    onError: (error) => onError(error),
  });
  return () => {
    stopped = true;
    unwatch();
  };
}
