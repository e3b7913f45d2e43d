/**
 * The vault's account state rebuilt from its events (every balance, position and cash event carries the new
 * value), so that the demonstration can evaluate every account with the margin twin at each block without an
 * `eth_call` per account. Also collects liquidations and bad-debt settlements. Read-only: it never acts.
 */
import type { Interface, Log } from "ethers";

import { emptyAccount, type AccountState, type RiskModel } from "./riskModel.js";

/** A `Liquidated` event. */
export interface LiquidationEvent {
  block: number;
  account: string;
  liquidator: string;
  /** The fraction of the portfolio that moved (WAD). */
  fraction: bigint;
  /** What the liquidator paid for the slice at oracle prices (WAD USD). */
  value: bigint;
  bonus: bigint;
  fundShare: bigint;
}

/** A `BadDebtSettled` event. */
export interface BadDebtEvent {
  block: number;
  account: string;
  shortfall: bigint;
  fromFundCash: bigint;
  fundTokens: bigint;
  unbacked: bigint;
  totalBadDebt: bigint;
}

/** Account states keyed by lower-case address. */
export class VaultLedger {
  readonly accounts = new Map<string, AccountState>();
  readonly liquidations: LiquidationEvent[] = [];
  readonly badDebts: BadDebtEvent[] = [];
  private readonly collateralIndex: Map<string, number>;

  /**
   * @param model The risk model (collateral order, markets).
   * @param vaultInterface The vault's ABI (its events).
   * @param tokenAddresses Collateral token addresses in the model's collateral order.
   */
  constructor(
    private readonly model: RiskModel,
    private readonly vaultInterface: Interface,
    tokenAddresses: readonly string[],
  ) {
    this.collateralIndex = new Map(tokenAddresses.map((t, i) => [t.toLowerCase(), i]));
  }

  /** The state of `account` (an empty one when it has no event yet). */
  state(account: string): AccountState {
    const key = account.toLowerCase();
    let state = this.accounts.get(key);
    if (state === undefined) {
      state = emptyAccount(this.model);
      this.accounts.set(key, state);
    }
    return state;
  }

  private setBalance(account: string, token: string, balance: bigint): void {
    const index = this.collateralIndex.get(token.toLowerCase());
    if (index === undefined) throw new Error(`ledger: balance event for unlisted token ${token}`);
    this.state(account).balances[index] = balance;
  }

  /** Applies the vault's logs, in block and log order. */
  apply(logs: readonly Log[]): void {
    for (const log of logs) {
      const parsed = this.vaultInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed === null) continue;
      const a = parsed.args;
      switch (parsed.name) {
        case "Deposit":
        case "Withdraw":
          this.setBalance(a.account, a.token, a.balance);
          break;
        case "CollateralTransferred":
          this.setBalance(a.from, a.token, a.fromBalance);
          this.setBalance(a.to, a.token, a.toBalance);
          break;
        case "PositionChanged":
          this.state(a.account).positions[Number(a.market)] = a.size;
          break;
        case "CashChanged":
          this.state(a.account).cash = a.cash;
          break;
        case "Liquidated":
          this.liquidations.push({
            block: log.blockNumber,
            account: String(a.account).toLowerCase(),
            liquidator: String(a.liquidator).toLowerCase(),
            fraction: a.fraction,
            value: a.value,
            bonus: a.bonus,
            fundShare: a.fundShare,
          });
          break;
        case "BadDebtSettled":
          this.badDebts.push({
            block: log.blockNumber,
            account: String(a.account).toLowerCase(),
            shortfall: a.shortfall,
            fromFundCash: a.fromFundCash,
            fundTokens: a.fundTokens,
            unbacked: a.unbacked,
            totalBadDebt: a.totalBadDebt,
          });
          break;
        default:
          break;
      }
    }
  }
}
