/**
 * What the vault lists (risk assets, collateral tokens, markets) and the risk parameters, read from the chain at one
 * block. Asset symbols and collateral token addresses are only in the listing events, so they are read once from
 * the logs (from `fromBlock`); every figure that an admin may change is read again at each snapshot.
 */
import { erc20Abi, getAddress, parseAbiItem, type Address, type PublicClient } from "viem";

import { marginVaultAbi, tradeSettlementAbi } from "./abi/generated.js";
import { pairIndex, type RiskParams } from "./margin/marginLib.js";

/** A listed risk asset. */
export interface AssetInfo {
  /** Asset id (0 is USD, the unit of account). */
  id: number;
  symbol: string;
  feed: Address;
  feedDecimals: number;
  heartbeat: number;
  /** The one-day maintenance shock (WAD). */
  scan: bigint;
  /** The largest usable price (WAD). */
  maxPrice: bigint;
}

/** A listed collateral token. */
export interface CollateralInfo {
  /** Collateral id (bit of the account's collateral mask). */
  id: number;
  token: Address;
  symbol: string;
  /** Its risk asset id. */
  asset: number;
  decimals: number;
  /** Liquidation haircut (WAD). */
  haircut: bigint;
  depositCap: bigint;
  totalDeposits: bigint;
}

/** A listed perpetual market. */
export interface MarketInfo {
  /** Market id. */
  id: number;
  /** e.g. "ETH-PERP". */
  symbol: string;
  /** Its risk asset id. */
  asset: number;
  /** Contingency rate k (WAD). */
  k: bigint;
  openInterestCap: bigint;
  openInterest: bigint;
}

/** The contracts' addresses and where the vault's logs start. */
export interface DeploymentAddresses {
  vault: Address;
  /** The TradeSettlement contract (orders are signed for it). */
  settlement: Address;
  /** The block the vault was deployed at (listing logs are read from there). @default 0n */
  fromBlock?: bigint;
}

/** Everything listed, and the risk parameters, at one block. */
export interface Deployment extends Required<DeploymentAddresses> {
  chainId: number;
  blockNumber: bigint;
  assets: AssetInfo[];
  collaterals: CollateralInfo[];
  markets: MarketInfo[];
  /** Scans by asset id, medium correlations by `pairIndex`, and the IM factor: what the margin engine takes. */
  risk: RiskParams;
  /** The settlement's price band, in basis points of the oracle price. */
  priceBandBps: bigint;
}

/** The parts of a deployment that never change once listed (read from the logs once). */
export interface Listing {
  symbols: string[];
  tokens: { token: Address; symbol: string; decimals: number }[];
}

const ASSET_LISTED = parseAbiItem(
  "event AssetListed(uint256 indexed asset, string symbol, address feed, uint256 heartbeat, uint256 scan, uint256 maxPrice)",
);
const COLLATERAL_LISTED = parseAbiItem(
  "event CollateralListed(address indexed token, uint256 indexed collateralId, uint256 asset, uint256 decimals, uint256 haircut, uint256 depositCap)",
);

/**
 * Reads the asset symbols and the collateral tokens from the vault's listing events.
 *
 * @param client A public client.
 * @param addresses The vault and the first block to read.
 * @returns Symbols by asset id, tokens by collateral id.
 */
export async function readListing(client: PublicClient, addresses: DeploymentAddresses): Promise<Listing> {
  const fromBlock = addresses.fromBlock ?? 0n;
  const [assetLogs, collateralLogs] = await Promise.all([
    client.getLogs({ address: addresses.vault, event: ASSET_LISTED, fromBlock, toBlock: "latest" }),
    client.getLogs({ address: addresses.vault, event: COLLATERAL_LISTED, fromBlock, toBlock: "latest" }),
  ]);
  const symbols: string[] = [];
  for (const log of assetLogs) symbols[Number(log.args.asset!)] = log.args.symbol!;
  const tokens: Listing["tokens"] = [];
  await Promise.all(
    collateralLogs.map(async (log) => {
      const token = getAddress(log.args.token!);
      const symbol = await client.readContract({ address: token, abi: erc20Abi, functionName: "symbol" }).catch(() => token.slice(0, 8));
      tokens[Number(log.args.collateralId!)] = { token, symbol, decimals: Number(log.args.decimals!) };
    }),
  );
  return { symbols, tokens };
}

/**
 * Reads the whole deployment at `blockNumber`: listing, risk parameters, caps and open interest.
 *
 * @param client A public client (a batching transport keeps this to one HTTP request).
 * @param addresses The contracts.
 * @param listing The listing read by `readListing` (read here when omitted).
 * @param blockNumber The block (the latest when omitted).
 * @returns The deployment.
 */
export async function readDeployment(
  client: PublicClient,
  addresses: DeploymentAddresses,
  listing?: Listing,
  blockNumber?: bigint,
): Promise<Deployment> {
  const block = blockNumber ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const vault = { address: addresses.vault, abi: marginVaultAbi, blockNumber: block } as const;
  const [list, chainId, counts, imFactor, priceBandBps] = await Promise.all([
    listing ?? readListing(client, addresses),
    client.getChainId(),
    client.readContract({ ...vault, functionName: "listingCounts" }),
    client.readContract({ ...vault, functionName: "imFactor" }),
    client.readContract({ address: addresses.settlement, abi: tradeSettlementAbi, functionName: "priceBand", blockNumber: block }),
  ]);
  const [assetCount, collateralCount, marketCount] = counts.map(Number) as [number, number, number];
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const pairs: [number, number][] = [];
  for (let b = 1; b < assetCount; b++) for (let a = 0; a < b; a++) pairs.push([a, b]);
  const [assetConfigs, collateralConfigs, marketConfigs, correlations] = await Promise.all([
    Promise.all(range(assetCount).map((a) => client.readContract({ ...vault, functionName: "assetConfig", args: [BigInt(a)] }))),
    Promise.all(range(collateralCount).map((c) => client.readContract({ ...vault, functionName: "collateralConfig", args: [list.tokens[c]!.token] }))),
    Promise.all(range(marketCount).map((m) => client.readContract({ ...vault, functionName: "marketConfig", args: [BigInt(m)] }))),
    Promise.all(pairs.map(([a, b]) => client.readContract({ ...vault, functionName: "correlation", args: [BigInt(a), BigInt(b)] }))),
  ]);
  const assets: AssetInfo[] = assetConfigs.map((c, id) => ({
    id,
    symbol: list.symbols[id] ?? `#${id}`,
    feed: c.feed,
    feedDecimals: c.feedDecimals,
    heartbeat: c.heartbeat,
    scan: c.scan,
    maxPrice: c.maxPrice,
  }));
  const rho: bigint[] = new Array<bigint>((assetCount * (assetCount - 1)) / 2).fill(0n);
  pairs.forEach(([a, b], i) => (rho[pairIndex(a, b)] = correlations[i]!));
  return {
    vault: addresses.vault,
    settlement: addresses.settlement,
    fromBlock: addresses.fromBlock ?? 0n,
    chainId,
    blockNumber: block,
    assets,
    collaterals: collateralConfigs.map((c, id) => ({
      id,
      token: list.tokens[id]!.token,
      symbol: list.tokens[id]!.symbol,
      asset: c.asset,
      decimals: c.decimals,
      haircut: c.haircut,
      depositCap: c.depositCap,
      totalDeposits: c.totalDeposits,
    })),
    markets: marketConfigs.map((c, id) => ({
      id,
      symbol: `${assets[c.asset]?.symbol ?? `#${c.asset}`}-PERP`,
      asset: c.asset,
      k: c.k,
      openInterestCap: c.openInterestCap,
      openInterest: c.openInterest,
    })),
    risk: { scan: assets.map((a) => a.scan), rho, imFactor },
    priceBandBps,
  };
}

/**
 * Finds a market by id or symbol ("ETH-PERP", "ETH", "eth", "1").
 *
 * @returns The market, or undefined.
 */
export function findMarket(deployment: Pick<Deployment, "markets">, nameOrId: string | number): MarketInfo | undefined {
  const text = String(nameOrId).trim().toUpperCase();
  if (/^[0-9]+$/.test(text)) return deployment.markets[Number(text)];
  return deployment.markets.find((m) => m.symbol.toUpperCase() === text || m.symbol.toUpperCase() === `${text}-PERP`);
}

/**
 * Finds a collateral token by symbol ("USDC"), address or id.
 *
 * @returns The collateral, or undefined.
 */
export function findCollateral(deployment: Pick<Deployment, "collaterals">, nameOrAddress: string | number): CollateralInfo | undefined {
  const text = String(nameOrAddress).trim();
  if (/^[0-9]+$/.test(text)) return deployment.collaterals[Number(text)];
  const lower = text.toLowerCase();
  return deployment.collaterals.find((c) => c.token.toLowerCase() === lower || c.symbol.toLowerCase() === lower);
}
