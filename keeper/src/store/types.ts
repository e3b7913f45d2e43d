import type { Address, Hex } from "viem";

/** A listed risk asset, as the vault holds it (`IMarginVault.AssetConfig`) plus its symbol. */
export interface AssetRecord {
  id: number;
  symbol: string;
  feed: Address;
  /** The feed's decimals, read from the feed when the asset (or its oracle) was set, as the vault caches them. */
  feedDecimals: number;
  heartbeat: bigint;
  scan: bigint;
  maxPrice: bigint;
}

/** A listed collateral token (`IMarginVault.CollateralConfig`, without the running total). */
export interface CollateralRecord {
  token: Address;
  id: number;
  asset: number;
  decimals: number;
  haircut: bigint;
  depositCap: bigint;
}

/** A listed perpetual market (`IMarginVault.MarketConfig`, without the running open interest). */
export interface MarketRecord {
  id: number;
  asset: number;
  k: bigint;
  openInterestCap: bigint;
}

/** The L2 sequencer uptime feed (zero address: unchecked). */
export interface SequencerRecord {
  feed: Address;
  gracePeriod: bigint;
}

/** The liquidation parameters (`IMarginVault.liquidationConfig`, `insurance`). */
export interface LiquidationRecord {
  /** Bonus rate on the maintenance margin a slice releases (WAD). */
  bonusRate: bigint;
  /** The insurance fund's share of the bonus (WAD); 0 in effect when `fund` is the zero address. */
  fundShare: bigint;
  /** Gross value (WAD USD) under which what would remain of an account is taken whole. */
  dustThreshold: bigint;
  /** The insurance fund (zero address: none). */
  fund: Address;
}

/** The vault's risk configuration, rebuilt from its events. */
export interface RiskConfig {
  /** By asset id (ids are dense, in listing order). */
  assets: AssetRecord[];
  /** By collateral id. */
  collaterals: CollateralRecord[];
  /** By market id. */
  markets: MarketRecord[];
  /** Medium correlations by "a,b" (a < b); missing pairs are 0. */
  rho: Map<string, bigint>;
  imFactor: bigint;
  sequencer: SequencerRecord;
  liquidation: LiquidationRecord;
}

/** Where a log sits in the chain. */
export interface LogPosition {
  blockNumber: number;
  logIndex: number;
  blockHash: Hex;
  transactionHash: Hex;
}

/** A block's identity, for reorg detection. */
export interface BlockRef {
  number: number;
  hash: Hex;
  parentHash: Hex;
}

/** The last block whose logs are all applied. */
export interface Checkpoint {
  number: number;
  hash: Hex;
}

/**
 * A decoded vault event, as the store applies it. `feedDecimals` is added by the indexer to the two events
 * that set a feed, because the vault caches it from the feed rather than emitting it.
 */
export type VaultEvent = LogPosition &
  (
    | { eventName: "AssetListed"; args: { asset: bigint; symbol: string; feed: Address; heartbeat: bigint; scan: bigint; maxPrice: bigint }; feedDecimals: number }
    | {
        eventName: "AssetOracleSet";
        args: { asset: bigint; oldFeed: Address; feed: Address; oldHeartbeat: bigint; heartbeat: bigint; oldMaxPrice: bigint; maxPrice: bigint };
        feedDecimals: number;
      }
    | { eventName: "AssetScanSet"; args: { asset: bigint; oldScan: bigint; scan: bigint } }
    | { eventName: "CorrelationSet"; args: { assetA: bigint; assetB: bigint; oldRho: bigint; rho: bigint } }
    | { eventName: "ImFactorSet"; args: { oldImFactor: bigint; imFactor: bigint } }
    | { eventName: "SequencerFeedSet"; args: { oldSequencerFeed: Address; sequencerFeed: Address; oldGracePeriod: bigint; gracePeriod: bigint } }
    | { eventName: "CollateralListed"; args: { token: Address; collateralId: bigint; asset: bigint; decimals: bigint; haircut: bigint; depositCap: bigint } }
    | { eventName: "CollateralSet"; args: { token: Address; oldHaircut: bigint; haircut: bigint; oldDepositCap: bigint; depositCap: bigint } }
    | { eventName: "MarketListed"; args: { market: bigint; asset: bigint; k: bigint; openInterestCap: bigint } }
    | { eventName: "MarketSet"; args: { market: bigint; oldK: bigint; k: bigint; oldOpenInterestCap: bigint; openInterestCap: bigint } }
    | { eventName: "OperatorSet"; args: { owner: Address; operator: Address; approved: boolean } }
    | { eventName: "Deposit"; args: { account: Address; token: Address; caller: Address; amount: bigint; balance: bigint } }
    | { eventName: "Withdraw"; args: { account: Address; token: Address; receiver: Address; amount: bigint; balance: bigint } }
    | { eventName: "PositionChanged"; args: { account: Address; market: bigint; delta: bigint; size: bigint } }
    | { eventName: "CashChanged"; args: { account: Address; delta: bigint; cash: bigint } }
    | { eventName: "CollateralTransferred"; args: { from: Address; to: Address; token: Address; amount: bigint; fromBalance: bigint; toBalance: bigint } }
    | {
        eventName: "LiquidationConfigSet";
        args: { oldBonusRate: bigint; bonusRate: bigint; oldFundShare: bigint; fundShare: bigint; oldDustThreshold: bigint; dustThreshold: bigint };
      }
    | { eventName: "InsuranceFundSet"; args: { fund: Address; asset: Address; oldFund: Address } }
  );

/** The names of the events the store applies. */
export type VaultEventName = VaultEvent["eventName"];

/** A liquidation transaction the keeper sent, as journaled in the store. */
export interface LiquidationTransactionRecord {
  /** The keeper's address (the transaction's `from`). */
  sender: Address;
  nonce: number;
  /** The liquidated account. */
  account: Address;
  /** Every hash sent for this nonce (the original and its replacements), latest last. */
  hashes: Hex[];
  /** The fraction sent (WAD). */
  fraction: bigint;
  gas: bigint;
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
  /** The block at which the latest hash was sent. */
  sentAtBlock: bigint;
  /** When it was first sent (ms since epoch). */
  sentAt: number;
  status: "pending" | "success" | "reverted" | "dropped";
}
