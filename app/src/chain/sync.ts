/**
 * Keeps a `Book` at the chain head: one backfill of the vault's logs from the deployment block, then, on every new
 * block (viem's `watchBlocks`), only that block's logs and the oracle prices. A block that does not extend the last
 * one seen (a reorg) rebuilds the book from the deployment block.
 */
import { erc20Abi, formatLog, getAddress, zeroAddress, numberToHex, type Address, type Hash, type PublicClient } from "viem";

import { aggregatorV3Abi, insuranceFundAbi, marginVaultAbi } from "../../../client/src/abi/generated.js";
import type { Deployment } from "../../../client/src/deployment.js";
import { Book } from "./book.js";
import { toDeployment } from "./deployment.js";

/** A shareholder's redemption request (`InsuranceFund.requestRedeem`), from its `RedeemRequested` event. */
export interface RedeemRequest {
  owner: Address;
  /** Shares asked for, and still in the request at the block (0 once redeemed or replaced by a smaller one). */
  shares: bigint;
  sharesLeft: bigint;
  /** The redemption window (block timestamps, s): redeemable from `opens` to `closes`. */
  opens: number;
  closes: number;
  block: number;
}

/** The insurance fund as the page shows it. */
export interface FundState {
  address: Address;
  /** Total assets (token units) and shares. */
  totalAssets: bigint;
  totalSupply: bigint;
  decimals: number;
  /** Income received but not yet in totalAssets (still streaming), and the fund's cash in the vault (token units). */
  lockedIncome: bigint;
  vaultCash: bigint;
  /** The decimals of its asset (the shares have more: ERC-4626 virtual shares). */
  assetDecimals: number;
  /** The fund's constants (s): a request waits `cooldown`, then can be redeemed for `redeemWindow`. */
  cooldown: number;
  redeemWindow: number;
  /** The latest requests, newest first (at most `FUND_REQUESTS_SHOWN`). */
  requests: RedeemRequest[];
}

type FundConstants = Pick<FundState, "cooldown" | "redeemWindow" | "assetDecimals">;

/** How many redemption requests the page reads and shows. */
export const FUND_REQUESTS_SHOWN = 10;

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
  /** Redemption requests by owner (the latest one each), of the fund `fundTracked`, followed from its events. */
  let requests = new Map<Address, Omit<RedeemRequest, "sharesLeft">>();
  let fundTracked: Address | null = null;
  let fundConstants: FundConstants | null = null;
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

  /** Follows the fund's `RedeemRequested` events up to `to` (from the deployment block when the fund is new). */
  async function fetchRequests(from: number, to: number): Promise<void> {
    const fund = book.fund;
    if (fund === null || /^0x0+$/.test(fund)) return;
    if (fund !== fundTracked) {
      // A new (or replaced) fund: its requests from the start, and its constants.
      requests = new Map();
      fundTracked = fund;
      fundConstants = null;
      from = startBlock;
    }
    for (let lo = from; lo <= to; lo += chunkSize) {
      const hi = Math.min(to, lo + chunkSize - 1);
      const events = await client.getContractEvents({ address: fund, abi: insuranceFundAbi, eventName: "RedeemRequested", fromBlock: BigInt(lo), toBlock: BigInt(hi) });
      for (const e of events) {
        const owner = getAddress(e.args.owner!);
        requests.delete(owner); // re-inserted last: the map stays in request order
        requests.set(owner, { owner, shares: e.args.shares!, opens: Number(e.args.windowStart!), closes: Number(e.args.windowEnd!), block: Number(e.blockNumber) });
      }
    }
  }

  async function readFund(block: bigint): Promise<FundState | null> {
    if (book.fund === null || /^0x0+$/.test(book.fund)) return null;
    const address = book.fund;
    const read = <F extends "totalAssets" | "totalSupply" | "decimals" | "lockedIncome" | "vaultCashAssets" | "COOLDOWN" | "REDEEM_WINDOW">(functionName: F) =>
      client.readContract({ address, abi: insuranceFundAbi, functionName, blockNumber: block } as never) as Promise<F extends "decimals" ? number : bigint>;
    // The constants, read once per fund.
    const constants: FundConstants =
      fundConstants ??
      (await Promise.all([
        read("COOLDOWN"),
        read("REDEEM_WINDOW"),
        client.readContract({ address, abi: insuranceFundAbi, functionName: "asset" }).then((asset) => client.readContract({ address: asset, abi: erc20Abi, functionName: "decimals" })),
      ]).then(([cooldown, redeemWindow, assetDecimals]): FundConstants => ({ cooldown: Number(cooldown), redeemWindow: Number(redeemWindow), assetDecimals })));
    fundConstants = constants;
    const latest = [...requests.values()].reverse().slice(0, FUND_REQUESTS_SHOWN);
    const [totalAssets, totalSupply, decimals, lockedIncome, vaultCash, left] = await Promise.all([
      read("totalAssets"),
      read("totalSupply"),
      read("decimals"),
      read("lockedIncome"),
      read("vaultCashAssets"),
      Promise.all(latest.map((r) => client.readContract({ address, abi: insuranceFundAbi, functionName: "cooldowns", args: [r.owner], blockNumber: block }))),
    ]);
    return {
      address,
      totalAssets: totalAssets as bigint,
      totalSupply: totalSupply as bigint,
      decimals: Number(decimals),
      lockedIncome: lockedIncome as bigint,
      vaultCash: vaultCash as bigint,
      ...constants,
      requests: latest.map((r, i) => ({ ...r, sharesLeft: left[i]![0] })),
    };
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
      fundTracked = null;
    }
    const fresh = synced < startBlock;
    const touched = new Set<Address>();
    await fetchLogs(synced + 1, number, touched);
    await fetchRequests(synced + 1, number);
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
