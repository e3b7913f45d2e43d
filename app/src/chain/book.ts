/**
 * The page's chain state: the vault's risk configuration and every account (cash, collateral balances, positions),
 * rebuilt from the vault's events exactly as the keeper's store does, but in memory. Each new block applies only
 * its own logs, so the page never re-reads every account; a price move re-evaluates every account with the twin.
 */
import { getAddress, keccak256, parseAbi, parseEventLogs, toHex, type Address, type Hex, type Log } from "viem";

import { eventsAbi } from "../../../client/src/abi/generated.js";
import { pairIndex, type RiskParams } from "../../../client/src/margin/marginLib.js";
import type { AccountState } from "../../../client/src/risk.js";

export interface AssetInfo {
  id: number;
  symbol: string;
  feed: Address;
  scan: bigint;
  heartbeat: bigint;
  maxPrice: bigint;
}

export interface CollateralInfo {
  id: number;
  token: Address;
  asset: number;
  decimals: number;
  haircut: bigint;
  depositCap: bigint;
  /** Sum of every account's balance (token units). */
  total: bigint;
}

export interface MarketInfo {
  id: number;
  asset: number;
  k: bigint;
  openInterestCap: bigint;
  /** Long open interest (WAD base units), the sum of positive positions. */
  openInterest: bigint;
}

/** What the vault stores for one account: cash, balances (token units) by collateral id, signed WAD positions by market id (sparse). */
export interface AccountRecord extends AccountState {
  address: Address;
}

/** One line of an account's history. */
export interface HistoryEntry {
  block: number;
  tx: Hex;
  kind: "deposit" | "withdraw" | "trade" | "liquidated" | "liquidator" | "bad debt" | "transfer" | "cash";
  text: string;
}

/** A change of the risk configuration seen in the logs, with its old and new values (docs/governance.md). */
export interface RiskChangeEntry {
  block: number;
  tx: Hex;
  /** What changed, e.g. "ETH scan" or "WETH haircut". */
  parameter: string;
  /** The old and new values, formatted ("15% → 16.5%"). */
  text: string;
}

/** A liquidation seen in the logs. */
export interface LiquidationEntry {
  block: number;
  tx: Hex;
  account: Address;
  liquidator: Address;
  /** The fraction of the portfolio taken (WAD). */
  fraction: bigint;
  /** The slice's value at oracle prices and the liquidator's bonus (WAD USD). */
  value: bigint;
  bonus: bigint;
}

type Parsed = ReturnType<typeof parseEventLogs<typeof eventsAbi>>[number];

const ROLE_EVENTS = parseAbi(["event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)", "event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)"]);
const SETTLER_ROLE = keccak256(toHex("SETTLER_ROLE"));

const HISTORY_LIMIT = 200;
const LIQUIDATION_LIMIT = 100;
const RISK_CHANGE_LIMIT = 100;

/** A WAD fraction as a percentage. */
const pct = (x: bigint): string => `${fmtUnits(x * 100n, 18, 4)}%`;
/** A WAD amount with two decimals. */
const wadText = (x: bigint): string => fmtUnits(x, 18, 2);

/** The vault as its events describe it. Create one per vault, feed it logs in chain order with `apply`. */
export class Book {
  readonly assets: AssetInfo[] = [];
  readonly collaterals: CollateralInfo[] = [];
  readonly markets: MarketInfo[] = [];
  readonly rho = new Map<string, bigint>();
  imFactor = 0n;
  /** The trade settlement contract: the holder of the vault's SETTLER_ROLE. */
  settlement: Address | null = null;
  fund: Address | null = null;
  /** Unbacked bad debt (WAD USD), from the last BadDebtSettled / BadDebtRepaid. */
  badDebt = 0n;
  readonly accounts = new Map<Address, AccountRecord>();
  readonly history = new Map<Address, HistoryEntry[]>();
  readonly liquidations: LiquidationEntry[] = [];
  /** Risk configuration changes after listing, newest first (the last 100), with old and new values. */
  readonly riskChanges: RiskChangeEntry[] = [];
  /** The vault's price band around the oracle price (basis points), checked for every settler. */
  priceBand = 0n;
  /** The steward path's bounds: the largest relative step (WAD) and the least interval (seconds). */
  riskSteps = { maxStep: 0n, minInterval: 0n };
  /** The last block whose logs are applied. */
  block = -1;
  /** Bumped whenever the risk configuration changes (every cached risk figure is then stale). */
  configVersion = 0;

  collateralByToken(token: Address): CollateralInfo | undefined {
    return this.collaterals.find((c) => c.token === token);
  }

  /** The twin's risk parameters (scan by asset, medium correlations by `pairIndex`, IM factor). */
  riskParams(): RiskParams {
    const n = this.assets.length;
    const rho = new Array<bigint>((n * (n - 1)) / 2).fill(0n);
    for (let b = 1; b < n; b++) for (let a = 0; a < b; a++) rho[pairIndex(a, b)] = this.rho.get(`${a},${b}`) ?? 0n;
    return { scan: this.assets.map((a) => a.scan), rho, imFactor: this.imFactor };
  }

  account(address: Address): AccountRecord {
    let a = this.accounts.get(address);
    if (a === undefined) {
      a = { address, cash: 0n, balances: [], positions: [] };
      this.accounts.set(address, a);
    }
    return a;
  }

  /** Records a change of `parameter` from `from` to `to` (unchanged values are left out). */
  #riskChange(block: number, tx: Hex, parameter: string, from: string, to: string): void {
    if (from === to) return;
    this.riskChanges.unshift({ block, tx, parameter, text: `${from} → ${to}` });
    if (this.riskChanges.length > RISK_CHANGE_LIMIT) this.riskChanges.pop();
  }

  #assetLabel(id: bigint): string {
    return this.assets[Number(id)]?.symbol ?? `asset ${id}`;
  }

  #note(address: Address, entry: HistoryEntry): void {
    let list = this.history.get(address);
    if (list === undefined) this.history.set(address, (list = []));
    list.unshift(entry);
    if (list.length > HISTORY_LIMIT) list.pop();
  }

  /**
   * Applies raw vault logs (in chain order).
   *
   * @returns The accounts whose state changed, and whether the risk configuration changed.
   */
  apply(logs: readonly Log[]): { touched: Set<Address>; configChanged: boolean } {
    const touched = new Set<Address>();
    let configChanged = false;
    for (const role of parseEventLogs({ abi: ROLE_EVENTS, logs: logs as Log[] })) {
      if (role.args.role !== SETTLER_ROLE) continue;
      if (role.eventName === "RoleGranted") this.settlement = getAddress(role.args.account);
      else if (this.settlement === getAddress(role.args.account)) this.settlement = null;
    }
    for (const event of parseEventLogs({ abi: eventsAbi, logs: logs as Log[], strict: true })) {
      configChanged = this.#applyOne(event, touched) || configChanged;
      if (event.blockNumber !== null) this.block = Math.max(this.block, Number(event.blockNumber));
    }
    if (configChanged) this.configVersion++;
    return { touched, configChanged };
  }

  /** Applies one event; returns whether it changed the risk configuration. */
  #applyOne(event: Parsed, touched: Set<Address>): boolean {
    const block = Number(event.blockNumber ?? 0n);
    const tx = (event.transactionHash ?? "0x") as Hex;
    switch (event.eventName) {
      case "AssetListed": {
        const a = event.args;
        this.assets[Number(a.asset)] = { id: Number(a.asset), symbol: a.symbol, feed: a.feed, scan: a.scan, heartbeat: a.heartbeat, maxPrice: a.maxPrice };
        return true;
      }
      case "AssetOracleSet": {
        const a = event.args;
        const label = this.#assetLabel(a.asset);
        const asset = this.assets[Number(a.asset)];
        if (asset) Object.assign(asset, { feed: a.feed, heartbeat: a.heartbeat, maxPrice: a.maxPrice });
        this.#riskChange(block, tx, `${label} feed`, a.oldFeed, a.feed);
        this.#riskChange(block, tx, `${label} heartbeat`, `${a.oldHeartbeat} s`, `${a.heartbeat} s`);
        this.#riskChange(block, tx, `${label} max price`, wadText(a.oldMaxPrice), wadText(a.maxPrice));
        return true;
      }
      case "AssetScanSet": {
        const asset = this.assets[Number(event.args.asset)];
        if (asset) asset.scan = event.args.scan;
        this.#riskChange(block, tx, `${this.#assetLabel(event.args.asset)} scan`, pct(event.args.oldScan), pct(event.args.scan));
        return true;
      }
      case "CorrelationSet": {
        const [x, y] = [Number(event.args.assetA), Number(event.args.assetB)].sort((p, q) => p - q) as [number, number];
        this.rho.set(`${x},${y}`, event.args.rho);
        const pair = `${this.#assetLabel(BigInt(x))}/${this.#assetLabel(BigInt(y))} correlation`;
        this.#riskChange(block, tx, pair, fmtUnits(event.args.oldRho, 18, 4), fmtUnits(event.args.rho, 18, 4));
        return true;
      }
      case "ImFactorSet":
        this.imFactor = event.args.imFactor;
        // The constructor's (from zero) is the initial value, not a change.
        if (event.args.oldImFactor !== 0n) this.#riskChange(block, tx, "IM factor", fmtUnits(event.args.oldImFactor, 18, 4), fmtUnits(event.args.imFactor, 18, 4));
        return true;
      case "CollateralListed": {
        const a = event.args;
        this.collaterals[Number(a.collateralId)] = {
          id: Number(a.collateralId), token: getAddress(a.token), asset: Number(a.asset), decimals: Number(a.decimals), haircut: a.haircut, depositCap: a.depositCap, total: 0n,
        };
        return true;
      }
      case "CollateralSet": {
        const a = event.args;
        const c = this.collateralByToken(getAddress(a.token));
        if (c) Object.assign(c, { haircut: a.haircut, depositCap: a.depositCap });
        const label = c ? this.collateralLabel(c) : shortAddress(a.token);
        this.#riskChange(block, tx, `${label} haircut`, pct(a.oldHaircut), pct(a.haircut));
        this.#riskChange(block, tx, `${label} deposit cap`, fmtUnits(a.oldDepositCap, c?.decimals ?? 18, 2), fmtUnits(a.depositCap, c?.decimals ?? 18, 2));
        return true;
      }
      case "MarketListed": {
        const a = event.args;
        this.markets[Number(a.market)] = { id: Number(a.market), asset: Number(a.asset), k: a.k, openInterestCap: a.openInterestCap, openInterest: 0n };
        return true;
      }
      case "MarketSet": {
        const a = event.args;
        const m = this.markets[Number(a.market)];
        if (m) Object.assign(m, { k: a.k, openInterestCap: a.openInterestCap });
        const label = this.marketLabel(Number(a.market));
        this.#riskChange(block, tx, `${label} k`, pct(a.oldK), pct(a.k));
        this.#riskChange(block, tx, `${label} open-interest cap`, wadText(a.oldOpenInterestCap), wadText(a.openInterestCap));
        return true;
      }
      case "InsuranceFundSet":
        this.fund = getAddress(event.args.fund);
        this.#riskChange(block, tx, "insurance fund", event.args.oldFund, event.args.fund);
        return false;
      case "LiquidationConfigSet": {
        const a = event.args;
        this.#riskChange(block, tx, "liquidation bonus rate", pct(a.oldBonusRate), pct(a.bonusRate));
        this.#riskChange(block, tx, "fund share of the bonus", pct(a.oldFundShare), pct(a.fundShare));
        this.#riskChange(block, tx, "dust threshold", wadText(a.oldDustThreshold), wadText(a.dustThreshold));
        return false;
      }
      case "CashConfigSet": {
        const a = event.args;
        this.#riskChange(block, tx, "settlement discount", pct(a.oldSettlementDiscount), pct(a.settlementDiscount));
        this.#riskChange(block, tx, "liquidation grace period", `${a.oldLiquidationGracePeriod} s`, `${a.liquidationGracePeriod} s`);
        return false;
      }
      case "PriceBandSet":
        this.priceBand = event.args.bandBps;
        // The constructor's (from zero) is the initial value, not a change.
        if (event.args.oldBandBps !== 0n) this.#riskChange(block, tx, "price band", `${event.args.oldBandBps} bps`, `${event.args.bandBps} bps`);
        return false;
      case "RiskStepsSet": {
        const a = event.args;
        this.riskSteps = { maxStep: a.maxStep, minInterval: a.minInterval };
        if (a.oldMinInterval !== 0n) {
          this.#riskChange(block, tx, "steward step", pct(a.oldMaxStep), pct(a.maxStep));
          this.#riskChange(block, tx, "steward interval", `${a.oldMinInterval} s`, `${a.minInterval} s`);
        }
        return false;
      }
      case "Deposit":
      case "Withdraw": {
        const account = getAddress(event.args.account);
        const token = getAddress(event.args.token);
        this.#setBalance(account, token, event.args.balance);
        touched.add(account);
        const c = this.collateralByToken(token);
        this.#note(account, { block, tx, kind: event.eventName === "Deposit" ? "deposit" : "withdraw", text: `${fmtUnits(event.args.amount, c?.decimals ?? 18)} ${this.#tokenLabel(token)}` });
        return false;
      }
      case "CollateralTransferred": {
        const from = getAddress(event.args.from);
        const to = getAddress(event.args.to);
        const token = getAddress(event.args.token);
        this.#setBalance(from, token, event.args.fromBalance);
        this.#setBalance(to, token, event.args.toBalance);
        touched.add(from).add(to);
        const text = `${fmtUnits(event.args.amount, this.collateralByToken(token)?.decimals ?? 18)} ${this.#tokenLabel(token)} ${shortAddress(from)} → ${shortAddress(to)}`;
        this.#note(from, { block, tx, kind: "transfer", text });
        this.#note(to, { block, tx, kind: "transfer", text });
        return false;
      }
      case "PositionChanged": {
        const account = getAddress(event.args.account);
        const id = Number(event.args.market);
        const record = this.account(account);
        const before = record.positions[id] ?? 0n;
        const after = event.args.size;
        record.positions[id] = after;
        const m = this.markets[id];
        if (m) m.openInterest += (after > 0n ? after : 0n) - (before > 0n ? before : 0n);
        touched.add(account);
        this.#note(account, { block, tx, kind: "trade", text: `${this.marketLabel(id)} ${fmtSigned(event.args.delta)} → ${fmtSigned(after)}` });
        return false;
      }
      case "CashChanged": {
        const account = getAddress(event.args.account);
        this.account(account).cash = event.args.cash;
        touched.add(account);
        return false;
      }
      case "Liquidated": {
        const entry: LiquidationEntry = {
          block, tx, account: getAddress(event.args.account), liquidator: getAddress(event.args.liquidator), fraction: event.args.fraction, value: event.args.value, bonus: event.args.bonus,
        };
        this.liquidations.unshift(entry);
        if (this.liquidations.length > LIQUIDATION_LIMIT) this.liquidations.pop();
        this.#note(entry.account, { block, tx, kind: "liquidated", text: `${fmtUnits(entry.fraction * 100n, 18, 2)}% of the portfolio ($${fmtUnits(entry.value, 18, 2)}), bonus $${fmtUnits(entry.bonus, 18, 2)}` });
        this.#note(entry.liquidator, { block, tx, kind: "liquidator", text: `took over ${shortAddress(entry.account)}` });
        return false;
      }
      case "CashSettled":
        this.#note(getAddress(event.args.account), { block, tx, kind: "cash", text: "negative cash settled from the settlement token (the Withdraw above)" });
        return false;
      case "BadDebtSettled":
        this.badDebt = event.args.totalBadDebt;
        this.#note(getAddress(event.args.account), { block, tx, kind: "bad debt", text: `shortfall $${fmtUnits(event.args.shortfall, 18, 2)}` });
        return false;
      case "BadDebtRepaid":
        this.badDebt = event.args.totalBadDebt;
        return false;
      default:
        return false;
    }
  }

  #setBalance(account: Address, token: Address, balance: bigint): void {
    const record = this.account(account);
    const c = this.collateralByToken(token);
    if (c === undefined) return;
    c.total += balance - (record.balances[c.id] ?? 0n);
    record.balances[c.id] = balance;
  }

  #tokenLabel(token: Address): string {
    const c = this.collateralByToken(token);
    return c ? this.collateralLabel(c) : shortAddress(token);
  }

  /** "USDC" style label of a collateral: the symbol of its risk asset ("USD" shown as USDC). */
  collateralLabel(c: CollateralInfo): string {
    const symbol = this.assets[c.asset]?.symbol ?? `asset ${c.asset}`;
    return symbol === "USD" ? "USDC" : `w${symbol}`;
  }

  marketLabel(id: number): string {
    const m = this.markets[id];
    return m ? `${this.assets[m.asset]?.symbol ?? m.asset}-PERP` : `market ${id}`;
  }
}

export function shortAddress(a: string): string {
  return `${a.slice(0, 6)}…${a.slice(-4)}`;
}

/** A token amount with `decimals` as a decimal string, cut to `digits` fraction digits (truncated). */
export function fmtUnits(value: bigint, decimals: number, digits = 4): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const unit = 10n ** BigInt(decimals);
  const whole = (abs / unit).toLocaleString("en-US");
  const fraction = (abs % unit).toString().padStart(decimals, "0").slice(0, digits).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** A signed WAD size with its sign. */
export function fmtSigned(value: bigint): string {
  return `${value > 0n ? "+" : ""}${fmtUnits(value, 18)}`;
}

/** A book as JSON (integers as decimal strings): a synthetic book for `npm run bench`, served as /bench.json. */
export interface BookStateJson {
  assets: { symbol: string; scan: string; maxPrice: string }[];
  /** Medium correlations as [a, b, rho]. */
  rho: [number, number, string][];
  imFactor: string;
  collaterals: { token: Address; symbol: string; asset: number; decimals: number; haircut: string }[];
  markets: { asset: number; k: string; openInterestCap: string }[];
  /** WAD prices by asset id. */
  prices: string[];
  accounts: { address: Address; cash: string; balances: string[]; positions: string[] }[];
}

/** Builds a book from its JSON state (no events: the bench's synthetic book). */
export function bookFromState(state: BookStateJson): Book {
  const book = new Book();
  const zero = "0x0000000000000000000000000000000000000000" as Address;
  state.assets.forEach((a, id) => book.assets.push({ id, symbol: a.symbol, feed: zero, scan: BigInt(a.scan), heartbeat: 3600n, maxPrice: BigInt(a.maxPrice) }));
  for (const [a, b, rho] of state.rho) book.rho.set(`${Math.min(a, b)},${Math.max(a, b)}`, BigInt(rho));
  book.imFactor = BigInt(state.imFactor);
  state.collaterals.forEach((c, id) => book.collaterals.push({ id, token: c.token, asset: c.asset, decimals: c.decimals, haircut: BigInt(c.haircut), depositCap: 0n, total: 0n }));
  state.markets.forEach((m, id) => book.markets.push({ id, asset: m.asset, k: BigInt(m.k), openInterestCap: BigInt(m.openInterestCap), openInterest: 0n }));
  for (const a of state.accounts) {
    const record = book.account(a.address);
    record.cash = BigInt(a.cash);
    record.balances = a.balances.map(BigInt);
    record.positions = a.positions.map(BigInt);
    record.positions.forEach((size, id) => size > 0n && (book.markets[id]!.openInterest += size));
  }
  book.block = 0;
  return book;
}
