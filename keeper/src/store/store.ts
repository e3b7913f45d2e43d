/**
 * The keeper's state in Node's embedded SQLite (`node:sqlite`): apply a batch of vault events with the blocks
 * they span and a new checkpoint in one transaction, roll back the blocks a reorg dropped, and read the current
 * state (accounts, balances, positions, risk configuration). See `schema.ts` for the design.
 */
import { DatabaseSync } from "node:sqlite";
import { getAddress, zeroAddress, type Address, type Hex } from "viem";

import { checksum } from "../address.js";
import { StoreError } from "../errors.js";
import { STORE_SCHEMA, STORE_SCHEMA_VERSION } from "./schema.js";
import type {
  AssetRecord,
  BlockRef,
  Checkpoint,
  CollateralRecord,
  LiquidationTransactionRecord,
  MarketRecord,
  RiskConfig,
  SequencerRecord,
  VaultEvent,
} from "./types.js";

/** Options of `openStore`. */
export interface OpenStoreParameters {
  /** The SQLite file, or `:memory:`. */
  path: string;
  /** The vault whose state this is; a file written for another vault is refused. */
  vault: Address;
  /** The chain; a file written for another chain is refused. */
  chainId: number;
}

/** `openStore`'s error. */
export type OpenStoreErrorType = StoreError;

/** One balance of an account, in token units. */
export interface BalanceRow {
  token: Address;
  amount: bigint;
}

/** One position of an account, in WAD base units (signed). */
export interface PositionRow {
  market: number;
  size: bigint;
}

/** `applyBatch`'s input: events in chain order, the blocks to remember, and the new checkpoint. */
export interface ApplyBatchParameters {
  events: readonly VaultEvent[];
  /** Blocks of the batch that fall inside the reorg window (their hashes detect a later reorg). */
  blocks: readonly BlockRef[];
  checkpoint: Checkpoint;
}

type Row = Record<string, unknown>;

/** One account's current state in the in-memory mirror. */
interface AccountRows {
  cash: bigint;
  /** By token (checksummed), zero balances included. */
  balances: Map<Address, bigint>;
  /** By market id, zero positions included. */
  positions: Map<number, bigint>;
}

// Config rows are JSON; these fields are integers kept as decimal strings.
const BIGINT_FIELDS = new Set([
  "heartbeat", "scan", "maxPrice", "haircut", "depositCap", "k", "openInterestCap", "gracePeriod", "bonusRate", "fundShare", "dustThreshold",
]);
const toJson = (value: object): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
const fromJson = <T>(text: string): T =>
  JSON.parse(text, (k, v: unknown) => (BIGINT_FIELDS.has(k) && typeof v === "string" ? BigInt(v) : v)) as T;

/**
 * The keeper's SQLite state. Create it with `openStore`.
 *
 * Every account's current cash, balances and positions are also mirrored in memory (built from SQLite by one query on
 * the first read, kept current by `applyBatch`, rebuilt after a rollback or a failed batch): the per-block loop reads
 * accounts from the mirror, never row by row from SQLite, which stays the durable copy written once per batch.
 */
export class KeeperStore {
  readonly #db: DatabaseSync;
  #mirror: Map<Address, AccountRows> | null = null;
  /** `accounts()`, sorted, until an account is added or the mirror rebuilt. */
  #sortedAccounts: Address[] | null = null;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Closes the file. */
  close(): void {
    this.#db.close();
  }

  /** Runs `fn` in one transaction: all of it is written, or none. */
  transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  // ------------------------------------------------------------------ checkpoint and blocks

  /** The last block whose logs are all applied, or null for an empty store. */
  checkpoint(): Checkpoint | null {
    const row = this.#db.prepare("SELECT number, hash FROM checkpoint WHERE id = 1").get() as Row | undefined;
    return row ? { number: Number(row.number), hash: row.hash as Hex } : null;
  }

  /** The remembered blocks (the reorg window), highest first. */
  recentBlocks(): BlockRef[] {
    return (this.#db.prepare("SELECT number, hash, parent_hash FROM blocks ORDER BY number DESC").all() as Row[]).map((row) => ({
      number: Number(row.number),
      hash: row.hash as Hex,
      parentHash: row.parent_hash as Hex,
    }));
  }

  /**
   * Applies a batch atomically: the events' state rows, the blocks, the checkpoint; then forgets blocks more
   * than `keepBlocks` below the checkpoint.
   *
   * @param parameters Events in chain order, blocks, checkpoint.
   * @param keepBlocks How many recent block hashes to keep (the reorg window).
   */
  applyBatch(parameters: ApplyBatchParameters, keepBlocks: number): void {
    try {
      this.transaction(() => {
        for (const event of parameters.events) this.#apply(event);
        const insertBlock = this.#db.prepare("INSERT OR REPLACE INTO blocks (number, hash, parent_hash) VALUES (?, ?, ?)");
        for (const block of parameters.blocks) insertBlock.run(block.number, block.hash, block.parentHash);
        this.#db
          .prepare("INSERT OR REPLACE INTO checkpoint (id, number, hash) VALUES (1, ?, ?)")
          .run(parameters.checkpoint.number, parameters.checkpoint.hash);
        this.#db.prepare("DELETE FROM blocks WHERE number <= ?").run(parameters.checkpoint.number - keepBlocks);
      });
    } catch (error) {
      this.#forgetMirror(); // the transaction rolled back: the mirror may hold part of the batch
      throw error;
    }
  }

  /**
   * Rolls the state back to the end of block `number`: every row of a later block is deleted, and the checkpoint
   * becomes that block (whose hash must be remembered).
   *
   * @param number The fork point: the highest block that is still on the canonical chain.
   */
  rollback(number: number): void {
    this.transaction(() => {
      const block = this.#db.prepare("SELECT hash FROM blocks WHERE number = ?").get(number) as Row | undefined;
      if (block === undefined) {
        throw new StoreError(`Cannot roll back to block ${number}: its hash is not remembered.`, {
          metaMessages: ["The reorg is deeper than the reorg window: delete the state file and re-index."],
        });
      }
      this.#db.prepare("DELETE FROM state_log WHERE block_number > ?").run(number);
      this.#db.prepare("DELETE FROM blocks WHERE number > ?").run(number);
      this.#db.prepare("INSERT OR REPLACE INTO checkpoint (id, number, hash) VALUES (1, ?, ?)").run(number, block.hash as string);
    });
    this.#forgetMirror();
  }

  // ------------------------------------------------------------------ the in-memory mirror of the accounts

  #forgetMirror(): void {
    this.#mirror = null;
    this.#sortedAccounts = null;
  }

  /** The mirror, built from SQLite when needed (one query over the current state). */
  #accountsMirror(): Map<Address, AccountRows> {
    if (this.#mirror !== null) return this.#mirror;
    const mirror = new Map<Address, AccountRows>();
    const rows = this.#db
      .prepare("SELECT kind, account, key, value FROM current_state WHERE kind IN ('cash', 'balance', 'position')")
      .all() as Row[];
    for (const row of rows) this.#mirrorSet(mirror, row.kind as string, row.account as Address, row.key as string, BigInt(row.value as string));
    this.#mirror = mirror;
    return mirror;
  }

  #mirrorSet(mirror: Map<Address, AccountRows>, kind: string, account: Address, key: string, value: bigint): void {
    let rows = mirror.get(account);
    if (rows === undefined) {
      mirror.set(account, (rows = { cash: 0n, balances: new Map(), positions: new Map() }));
      this.#sortedAccounts = null;
    }
    if (kind === "cash") rows.cash = value;
    else if (kind === "balance") rows.balances.set(key as Address, value);
    else rows.positions.set(Number(key), value);
  }

  /** Writes an account row to SQLite (in the caller's transaction) and to the mirror when it is built. */
  #account(event: VaultEvent, kind: "cash" | "balance" | "position", account: Address, key: string, value: bigint): void {
    this.#insert(event, kind, account, key, value.toString());
    if (this.#mirror !== null) this.#mirrorSet(this.#mirror, kind, account, key, value);
  }

  /** `account`'s rows (an address in any case). */
  #rows(account: Address): AccountRows | undefined {
    const mirror = this.#accountsMirror();
    return mirror.get(account) ?? mirror.get(checksum(account));
  }

  // ------------------------------------------------------------------ applying events

  /** Prepared once: a cold index inserts hundreds of thousands of rows. */
  #insertStatement: ReturnType<DatabaseSync["prepare"]> | null = null;

  #insert(event: VaultEvent, kind: string, account: string, key: string, value: string): void {
    this.#insertStatement ??= this.#db.prepare(
      "INSERT INTO state_log (kind, account, key, block_number, log_index, block_hash, tx_hash, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.#insertStatement.run(kind, account, key, event.blockNumber, event.logIndex, event.blockHash, event.transactionHash, value);
  }

  #latest(kind: string, account: string, key: string): string | undefined {
    const row = this.#db
      .prepare(
        "SELECT value FROM state_log WHERE kind = ? AND account = ? AND key = ? ORDER BY block_number DESC, log_index DESC LIMIT 1",
      )
      .get(kind, account, key) as Row | undefined;
    return row?.value as string | undefined;
  }

  #latestJson<T>(kind: string, key: string, event: VaultEvent): T {
    const value = this.#latest(kind, "", key);
    if (value === undefined) {
      throw new StoreError(`${event.eventName} at block ${event.blockNumber} changes ${kind} ${key}, which was never listed.`, {
        metaMessages: ["The store missed the listing: check `startBlock` (it must be at or before the vault's deployment)."],
      });
    }
    return fromJson<T>(value);
  }

  #apply(event: VaultEvent): void {
    switch (event.eventName) {
      case "Deposit":
      case "Withdraw":
        return this.#account(event, "balance", checksum(event.args.account), checksum(event.args.token), event.args.balance);
      case "PositionChanged":
        return this.#account(event, "position", checksum(event.args.account), event.args.market.toString(), event.args.size);
      case "CashChanged":
        return this.#account(event, "cash", checksum(event.args.account), "", event.args.cash);
      case "CollateralTransferred": {
        const token = checksum(event.args.token);
        this.#account(event, "balance", checksum(event.args.from), token, event.args.fromBalance);
        return this.#account(event, "balance", checksum(event.args.to), token, event.args.toBalance);
      }
      case "LiquidationConfigSet": {
        const { bonusRate, fundShare, dustThreshold } = event.args;
        return this.#insert(event, "liquidation", "", "", toJson({ bonusRate, fundShare, dustThreshold }));
      }
      case "InsuranceFundSet":
        return this.#insert(event, "insuranceFund", "", "", getAddress(event.args.fund));
      case "OperatorSet":
        return this.#insert(event, "operator", getAddress(event.args.owner), getAddress(event.args.operator), event.args.approved ? "1" : "0");
      case "AssetListed": {
        const { asset, symbol, feed, heartbeat, scan, maxPrice } = event.args;
        const record: AssetRecord = { id: Number(asset), symbol, feed: getAddress(feed), feedDecimals: event.feedDecimals, heartbeat, scan, maxPrice };
        return this.#insert(event, "asset", "", asset.toString(), toJson(record));
      }
      case "AssetOracleSet": {
        const { asset, feed, heartbeat, maxPrice } = event.args;
        const previous = this.#latestJson<AssetRecord>("asset", asset.toString(), event);
        const record: AssetRecord = { ...previous, feed: getAddress(feed), feedDecimals: event.feedDecimals, heartbeat, maxPrice };
        return this.#insert(event, "asset", "", asset.toString(), toJson(record));
      }
      case "AssetScanSet": {
        const previous = this.#latestJson<AssetRecord>("asset", event.args.asset.toString(), event);
        return this.#insert(event, "asset", "", event.args.asset.toString(), toJson({ ...previous, scan: event.args.scan }));
      }
      case "CorrelationSet": {
        const { assetA, assetB, rho } = event.args;
        const [a, b] = assetA < assetB ? [assetA, assetB] : [assetB, assetA];
        return this.#insert(event, "rho", "", `${a},${b}`, rho.toString());
      }
      case "ImFactorSet":
        return this.#insert(event, "imFactor", "", "", event.args.imFactor.toString());
      case "SequencerFeedSet": {
        const record: SequencerRecord = { feed: getAddress(event.args.sequencerFeed), gracePeriod: event.args.gracePeriod };
        return this.#insert(event, "sequencer", "", "", toJson(record));
      }
      case "CollateralListed": {
        const { token, collateralId, asset, decimals, haircut, depositCap } = event.args;
        const record: CollateralRecord = {
          token: getAddress(token),
          id: Number(collateralId),
          asset: Number(asset),
          decimals: Number(decimals),
          haircut,
          depositCap,
        };
        return this.#insert(event, "collateral", "", getAddress(token), toJson(record));
      }
      case "CollateralSet": {
        const key = getAddress(event.args.token);
        const previous = this.#latestJson<CollateralRecord>("collateral", key, event);
        const record: CollateralRecord = { ...previous, haircut: event.args.haircut, depositCap: event.args.depositCap };
        return this.#insert(event, "collateral", "", key, toJson(record));
      }
      case "MarketListed": {
        const { market, asset, k, openInterestCap } = event.args;
        const record: MarketRecord = { id: Number(market), asset: Number(asset), k, openInterestCap };
        return this.#insert(event, "market", "", market.toString(), toJson(record));
      }
      case "MarketSet": {
        const key = event.args.market.toString();
        const previous = this.#latestJson<MarketRecord>("market", key, event);
        return this.#insert(event, "market", "", key, toJson({ ...previous, k: event.args.k, openInterestCap: event.args.openInterestCap }));
      }
    }
  }

  // ------------------------------------------------------------------ reading the current state

  #current(kind: string, account?: string): { account: string; key: string; value: string }[] {
    const sql =
      account === undefined
        ? "SELECT account, key, value FROM current_state WHERE kind = ? ORDER BY account, key"
        : "SELECT account, key, value FROM current_state WHERE kind = ? AND account = ? ORDER BY key";
    const rows = (account === undefined ? this.#db.prepare(sql).all(kind) : this.#db.prepare(sql).all(kind, account)) as Row[];
    return rows.map((row) => ({ account: row.account as string, key: row.key as string, value: row.value as string }));
  }

  /** Every account that ever had cash, a balance or a position, sorted (the caller must not modify the array). */
  accounts(): readonly Address[] {
    this.#sortedAccounts ??= [...this.#accountsMirror().keys()].sort();
    return this.#sortedAccounts;
  }

  /** `account`'s settled cash (WAD, signed); 0 when it never changed. */
  cash(account: Address): bigint {
    return this.#rows(account)?.cash ?? 0n;
  }

  /** `account`'s balances (token units), zero balances included, by token address. */
  balances(account: Address): BalanceRow[] {
    const rows = this.#rows(account);
    if (rows === undefined) return [];
    return [...rows.balances].map(([token, amount]) => ({ token, amount })).sort((x, y) => (x.token < y.token ? -1 : 1));
  }

  /** `account`'s positions (WAD, signed), zero positions included, by market id. */
  positions(account: Address): PositionRow[] {
    const rows = this.#rows(account);
    if (rows === undefined) return [];
    return [...rows.positions].map(([market, size]) => ({ market, size })).sort((x, y) => x.market - y.market);
  }

  /** The vault's risk configuration as of the checkpoint. */
  riskConfig(): RiskConfig {
    const assets = this.#current("asset").map((row) => fromJson<AssetRecord>(row.value)).sort((x, y) => x.id - y.id);
    const collaterals = this.#current("collateral").map((row) => fromJson<CollateralRecord>(row.value)).sort((x, y) => x.id - y.id);
    const markets = this.#current("market").map((row) => fromJson<MarketRecord>(row.value)).sort((x, y) => x.id - y.id);
    const rho = new Map(this.#current("rho").map((row) => [row.key, BigInt(row.value)] as const));
    const imFactor = this.#current("imFactor")[0];
    const sequencer = this.#current("sequencer")[0];
    const liquidation = this.#current("liquidation")[0];
    const params = liquidation
      ? fromJson<{ bonusRate: bigint; fundShare: bigint; dustThreshold: bigint }>(liquidation.value)
      : { bonusRate: 0n, fundShare: 0n, dustThreshold: 0n };
    const fund = this.#current("insuranceFund")[0];
    return {
      assets,
      collaterals,
      markets,
      rho,
      imFactor: imFactor ? BigInt(imFactor.value) : 0n,
      sequencer: sequencer ? fromJson<SequencerRecord>(sequencer.value) : { feed: zeroAddress, gracePeriod: 0n },
      liquidation: {
        ...params,
        fund: fund ? (fund.value as Address) : zeroAddress,
      },
    };
  }

  /** How many state rows the journal holds (for tests and metrics). */
  rowCount(): number {
    return Number((this.#db.prepare("SELECT COUNT(*) AS n FROM state_log").get() as Row).n);
  }

  // ------------------------------------------------------------------ liquidation transactions

  /**
   * Journals a liquidation transaction sent, or updates it (a replacement's new hash and fees, a new status).
   * Written before the sender returns, so that a restart right after knows about it.
   */
  recordLiquidationTransaction(record: LiquidationTransactionRecord): void {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO liquidation_txs
           (sender, nonce, account, hashes, fraction, gas, max_fee, max_priority_fee, sent_at_block, sent_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        getAddress(record.sender),
        record.nonce,
        getAddress(record.account),
        JSON.stringify(record.hashes),
        record.fraction.toString(),
        record.gas.toString(),
        record.fees.maxFeePerGas.toString(),
        record.fees.maxPriorityFeePerGas.toString(),
        Number(record.sentAtBlock),
        record.sentAt,
        record.status,
      );
  }

  /** Sets the final status of the liquidation transaction of `sender` at `nonce`. */
  settleLiquidationTransaction(sender: Address, nonce: number, status: LiquidationTransactionRecord["status"]): void {
    this.#db.prepare("UPDATE liquidation_txs SET status = ? WHERE sender = ? AND nonce = ?").run(status, getAddress(sender), nonce);
  }

  /**
   * The journaled liquidation transactions, oldest nonce first.
   *
   * @param filter Only those of `sender`, only those with `status`.
   */
  liquidationTransactions(filter: { sender?: Address; status?: LiquidationTransactionRecord["status"] } = {}): LiquidationTransactionRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM liquidation_txs WHERE (?1 IS NULL OR sender = ?1) AND (?2 IS NULL OR status = ?2) ORDER BY sender, nonce`,
      )
      .all(filter.sender === undefined ? null : getAddress(filter.sender), filter.status ?? null) as Row[];
    return rows.map((row) => ({
      sender: row.sender as Address,
      nonce: Number(row.nonce),
      account: row.account as Address,
      hashes: JSON.parse(row.hashes as string) as Hex[],
      fraction: BigInt(row.fraction as string),
      gas: BigInt(row.gas as string),
      fees: { maxFeePerGas: BigInt(row.max_fee as string), maxPriorityFeePerGas: BigInt(row.max_priority_fee as string) },
      sentAtBlock: BigInt(row.sent_at_block as number),
      sentAt: Number(row.sent_at),
      status: row.status as LiquidationTransactionRecord["status"],
    }));
  }
}

/**
 * Opens (or creates) the keeper's state file.
 *
 * @param parameters The file, and the vault and chain it must belong to.
 * @returns The store.
 * @throws StoreError when the file belongs to another vault, chain or schema version.
 * @example const store = openStore({ path: config.dbPath, vault: config.vault, chainId: config.chainId });
 */
export function openStore(parameters: OpenStoreParameters): KeeperStore {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(parameters.path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    db.exec(STORE_SCHEMA);
  } catch (cause) {
    throw new StoreError(`Cannot open the state file ${parameters.path}.`, {
      cause,
      metaMessages: ["Check `dbPath` in the config: the directory must exist and be writable."],
    });
  }
  const expected: Record<string, string> = {
    schemaVersion: String(STORE_SCHEMA_VERSION),
    vault: getAddress(parameters.vault),
    chainId: String(parameters.chainId),
  };
  const rows = db.prepare("SELECT key, value FROM meta").all() as Row[];
  if (rows.length === 0) {
    const insert = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
    for (const [key, value] of Object.entries(expected)) insert.run(key, value);
  } else {
    const found = new Map(rows.map((row) => [row.key as string, row.value as string]));
    for (const [key, value] of Object.entries(expected)) {
      if (found.get(key) !== value) {
        db.close();
        throw new StoreError(`The state file ${parameters.path} was written for ${key} ${found.get(key)}, not ${value}.`, {
          metaMessages: ["Point `dbPath` at another file, or delete this one to re-index from `startBlock`."],
        });
      }
    }
  }
  return new KeeperStore(db);
}
