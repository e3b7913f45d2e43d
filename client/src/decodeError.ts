/**
 * Decoding of the protocol's custom errors: from a revert (viem's error chain, or raw revert data) to the error's
 * name, its named arguments and one sentence that says what happened and what to do next.
 */
import {
  BaseError as ViemBaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  formatUnits,
  type Abi,
  type Hex,
} from "viem";

import { errorsAbi, insuranceFundAbi, marginVaultAbi, tradeSettlementAbi } from "./abi/generated.js";
import { formatUsd } from "./format.js";

/** Every error the contracts can revert with (protocol, OpenZeppelin, ERC20, ERC-4626), deduplicated by name. */
export const allErrorsAbi: Abi = (() => {
  const seen = new Set<string>();
  const out: Abi[number][] = [];
  for (const abi of [errorsAbi, marginVaultAbi, tradeSettlementAbi, insuranceFundAbi] as readonly Abi[]) {
    for (const item of abi) {
      if (item.type !== "error" || seen.has(item.name)) continue;
      seen.add(item.name);
      out.push(item);
    }
  }
  return out;
})();

/** What the decoder may know about the tokens and markets an error names, to print amounts in their units. */
export interface DecodeErrorContext {
  /** A collateral token's symbol and decimals by address (any case). */
  token?: (address: string) => { symbol: string; decimals: number } | undefined;
  /** A market's label by id (e.g. "ETH-PERP"). */
  market?: (id: bigint) => string | undefined;
  /** For a refused withdrawal: the most of `token` that can be withdrawn now (token units). */
  maxWithdrawable?: { token: string; amount: bigint };
}

/** A decoded custom error. */
export interface DecodedError {
  /** The Solidity error's name, e.g. "InsufficientMargin". */
  name: string;
  /** Its arguments by name (bigint, string, boolean as decoded by viem). */
  args: Record<string, unknown>;
  /** One sentence: what happened, with the figures, and what to do next. */
  sentence: string;
}

type Args = Record<string, any>;
type Sentence = (a: Args, c: DecodeErrorContext) => string;

const usd = (wad: bigint): string => `${formatUsd(wad)} USD`;
const wad = (x: bigint): string => formatUnits(x, 18);
const pct = (x: bigint): string => `${formatUnits(x * 100n, 18)}%`;
/** Names of IRiskGovernance.RiskParam, in enum order. */
export const RISK_PARAMS = [
  "scan",
  "correlation",
  "imFactor",
  "haircut",
  "depositCap",
  "k",
  "openInterestCap",
  "bonusRate",
  "fundShare",
  "dustThreshold",
  "maxPrice",
  "heartbeat",
  "priceBand",
  "settlementDiscount",
  "liquidationGracePeriod",
] as const;
const riskParam = (param: number | bigint): string => RISK_PARAMS[Number(param)] ?? `#${param}`;
const tokenAmount = (c: DecodeErrorContext, token: string, amount: bigint): string => {
  const t = c.token?.(token);
  return t === undefined ? `${amount} units of ${token}` : `${formatUnits(amount, t.decimals)} ${t.symbol}`;
};
const market = (c: DecodeErrorContext, id: bigint): string => c.market?.(id) ?? `market ${id}`;
const short = (hash: string): string => `${hash.slice(0, 10)}…`;

/**
 * One sentence per custom error. Every error of `allErrorsAbi` has one (a test checks it), so a new error added to
 * the contracts without a sentence here fails the client's tests.
 */
export const ERROR_SENTENCES: Record<string, Sentence> = {
  // oracle
  OracleAnswerNotPositive: (a) => `The price feed ${a.feed} answers ${a.answer}, not a positive price; no margin can be computed until it does: wait for the feed to recover.`,
  OracleAnswerStale: (a) => `The price feed ${a.feed} was last updated at ${a.updatedAt} (unix), older than its ${a.heartbeat} s heartbeat; wait for a fresh price and retry.`,
  OracleRoundIncomplete: (a) => `The price feed ${a.feed} reports an incomplete round (${a.roundId}, answered in ${a.answeredInRound}); wait for the next update and retry.`,
  OraclePriceAboveMax: (a) => `The price of asset ${a.asset} (${wad(a.price)}) is above its listed maximum ${wad(a.maxPrice)}; the risk admin must raise the maximum before margin can be computed.`,
  SequencerDown: (a) => `The L2 sequencer is down (uptime feed ${a.sequencerFeed}); wait until it is back up.`,
  SequencerGracePeriodNotOver: (a) => `The L2 sequencer came back up at ${a.upSince} (unix), less than its ${a.gracePeriod} s grace period ago; retry after it ends.`,
  // risk configuration
  ZeroAddress: () => "An address argument is zero; pass a real address (the account, receiver or token).",
  TooManyListings: (a) => `The vault cannot list more than ${a.max} items of this kind.`,
  AssetNotListed: (a) => `Asset ${a.asset} is not listed; use an asset id the vault lists (see the account view).`,
  CollateralNotListed: (a) => `The token ${a.token} is not a listed collateral; deposit one of the listed tokens.`,
  CollateralAlreadyListed: (a) => `The token ${a.token} is already listed as collateral.`,
  MarketNotListed: (a, c) => `${market(c, a.market)} is not listed; use one of the vault's markets.`,
  InvalidScan: (a) => `The scan ${wad(a.scan)} is outside (0, 1].`,
  InvalidCorrelation: (a) => `The correlation ${wad(a.rho)} of assets ${a.assetA} and ${a.assetB} is outside [-1, 1] or names an asset with itself.`,
  InvalidImFactor: (a) => `The initial margin factor ${wad(a.imFactor)} is outside [1, 10].`,
  InvalidHaircut: (a) => `The haircut ${wad(a.haircut)} is above 1.`,
  InvalidContingency: (a) => `The contingency rate ${wad(a.k)} is above 1.`,
  InvalidHeartbeat: (a) => `The heartbeat ${a.heartbeat} s is zero or above the maximum.`,
  InvalidGracePeriod: (a) => `The grace period ${a.gracePeriod} s is above the maximum.`,
  InvalidMaxPrice: (a) => `The maximum price ${a.maxPrice} is zero, not a multiple of 1e9, or too large.`,
  InvalidFeedDecimals: (a) => `The feed ${a.feed} reports ${a.decimals} decimals; at most 18 are supported.`,
  InvalidTokenDecimals: (a) => `The token ${a.token} has ${a.decimals} decimals; at most 18 are supported.`,
  AssetCapsExceedRange: (a) => `The caps of asset ${a.asset} (${wad(a.units)} units at a maximum price of ${wad(a.maxPrice)}) could take an account outside the engine's exact range; lower a cap or the maximum price.`,
  // margin engine
  WeightedSensitivityOutOfRange: (a) => `The weighted sensitivity of asset ${a.asset} (${usd(a.weightedSensitivity)}) is outside the engine's exact range; trade a smaller size.`,
  // accounts
  ZeroAmount: () => "The amount (or size, or price) is zero; pass a positive amount.",
  Unauthorized: (a) => `${a.caller} may not act for ${a.account}; sign with the account's own key, or have it approve you with setOperator.`,
  DepositCapExceeded: (a, c) => `This deposit would take the total deposits of the token to ${tokenAmount(c, a.token, a.totalAfter)}, above its cap of ${tokenAmount(c, a.token, a.cap)}; deposit ${tokenAmount(c, a.token, (a.totalAfter as bigint) - (a.cap as bigint))} less, or another token.`,
  TransferShortfall: (a, c) => `The vault received ${tokenAmount(c, a.token, a.received)} instead of ${tokenAmount(c, a.token, a.expected)} (a fee-on-transfer token); this token cannot be deposited.`,
  InsufficientBalance: (a, c) => `The account holds ${tokenAmount(c, a.token, a.balance)}, less than the ${tokenAmount(c, a.token, a.amount)} asked; withdraw at most ${tokenAmount(c, a.token, a.balance)}.`,
  InsufficientMargin: (a, c) =>
    `This would leave ${a.account} with equity E = ${usd(a.equity)} below its initial margin IM = ${usd(a.initialMargin)}` +
    (c.maxWithdrawable !== undefined
      ? `; at most ${tokenAmount(c, c.maxWithdrawable.token, c.maxWithdrawable.amount)} can be withdrawn now.`
      : "; reduce the size, add collateral, or withdraw less."),
  // trades
  SelfTrade: (a) => `Both sides of the trade are ${a.account}; trade with another account.`,
  OpenInterestCapExceeded: (a, c) => `This trade would take the open interest of ${market(c, a.market)} to ${wad(a.openInterest)}, above its cap ${wad(a.cap)}; trade ${wad((a.openInterest as bigint) - (a.cap as bigint))} less, or a trade that reduces open interest.`,
  TradeAddsRiskWhilePaused: (a, c) => `The vault is paused: ${a.account} may only reduce its position in ${market(c, a.market)}, not open or grow it; wait for the pause to end.`,
  InvalidOrderSide: (a) => `Order ${short(a.orderHash)} has size ${wad(a.size)} with the wrong sign for its side (a buy must be > 0, a sell < 0).`,
  MarketMismatch: (a) => `The buy order is for market ${a.buyMarket} and the sell order for market ${a.sellMarket}; both orders must name the same market.`,
  OrderExpired: (a) => `Order ${short(a.orderHash)} expired at ${a.expiry} (unix); ask for a new quote or sign a new order.`,
  OrderIsCancelled: (a) => `Order ${short(a.orderHash)} was cancelled by its account; ask for a new quote.`,
  OrderNonceInvalidated: (a) => `Nonce ${a.nonce} is below ${a.minNonce}, the least its account still accepts; sign the order again with a nonce >= ${a.minNonce}.`,
  OrderOverfilled: (a) => `Order ${short(a.orderHash)} has ${wad(a.filled)} of ${wad(a.size)} filled already, so ${wad(a.fill)} more does not fit (someone else took it first?); ask for a new quote.`,
  LimitPriceExceeded: (a) => `The price ${wad(a.price)} is worse than order ${short(a.orderHash)}'s limit ${wad(a.limitPrice)}; ask for a new quote.`,
  PriceOutsideBand: (a) => `The price ${wad(a.price)} is more than ${Number(a.bandBps) / 100}% away from the oracle price ${wad(a.oraclePrice)}; quote near the oracle price.`,
  InvalidSignature: (a) => `Order ${short(a.orderHash)} is not signed by ${a.account} (nor submitted by it or its operator); sign it with that account's key for this chain and settlement contract.`,
  InvalidPriceBand: (a) => `The price band ${a.bandBps} bps is zero or above the maximum.`,
  MaxPriceBelowOraclePrice: (a) => `The maximum price ${wad(a.maxPrice)} of asset ${a.asset} is below its oracle price ${wad(a.oraclePrice)}; it would halt every account holding it. Set a higher one.`,
  RiskStepExceeded: (a) => `Risk parameter ${riskParam(a.param)} #${a.id} would move from ${a.oldValue} to ${a.newValue}, more than the step allows (${a.maxDelta}); make a smaller change, or go through the timelock.`,
  RiskChangeTooSoon: (a) => `Risk parameter ${riskParam(a.param)} #${a.id} changed less than the minimum interval ago; the next bounded change is accepted from ${a.nextChangeAt} (unix seconds).`,
  GuardianCannotLoosen: (a) => `A guardian may only make risk parameters more conservative: ${riskParam(a.param)} #${a.id} from ${a.oldValue} to ${a.newValue} is not.`,
  InvalidRiskSteps: (a) => `The steward step ${pct(a.maxStep)} or interval ${a.minInterval} s is outside its bounds (step <= 50%, interval 1 hour to 30 days).`,
  InsuranceFundHoldsCash: (a) => `The insurance fund ${a.fund} still has ${a.units} token units of vault cash; claim them (InsuranceFund.claimCash) before replacing it.`,
  // liquidation
  SelfLiquidation: (a) => `${a.account} cannot liquidate itself.`,
  AccountHealthy: (a) => `${a.account} is healthy (E = ${usd(a.equity)} >= MM = ${usd(a.maintenanceMargin)}); it cannot be liquidated.`,
  LiquidationDidNotImproveHealth: (a) => `The liquidation would not raise ${a.account}'s E - MM (from ${usd(a.slackBefore)} to ${usd(a.slackAfter)}); the slice releases no maintenance margin; try a larger fraction.`,
  InvalidLiquidationConfig: (a) => `The liquidation bonus rate ${pct(a.bonusRate)}, fund share ${pct(a.fundShare)} or dust threshold ${usd(a.dustThreshold)} is above its maximum.`,
  InvalidFundAsset: (a) => `The insurance fund's asset ${a.asset} has more than 18 decimals.`,
  // cash settlement and the insurance fund
  InvalidCashConfig: (a) => `The settlement discount ${pct(a.settlementDiscount)} or liquidation grace period ${a.liquidationGracePeriod} s is above its maximum.`,
  NoSettlementToken: () => "No collateral is listed on the USD asset yet, so there is no settlement token; list USDC first.",
  NotSettlementCollateral: (a) => `${a.token} is the settlement token: a debtor's USDC is netted by settleCash, not sold.`,
  InsufficientCash: (a) => `The withdrawal needs ${usd(a.amount)} of cash beyond the token balance, but the account's cash is ${usd(a.cash)}; withdraw at most the balance plus the positive cash.`,
  CashPayoutAboveProfit: (a) => `The withdrawal would pay out cash beyond the account's profit and loss (it would be left at ${usd(a.profitAndLoss)}): a short's sale proceeds are paid only as the position is closed; close it or withdraw less.`,
  SettlementPoolShort: (a) => `The settlement pool holds ${a.pool} token units, less than the ${a.amount} this withdrawal pays in cash; settle a debtor (settle-cash) or buy a debtor's collateral, then retry.`,
  SettlementPoolNotShort: (a) => `The pool (${a.pool} units) can already pay ${a.creditor}'s claim of ${a.claim}; a debtor's collateral is sold only while the pool is short.`,
  NoCashDebt: (a) => `${a.account} has no cash debt left after netting; there is nothing to settle by a sale.`,
  SaleWorsensHealth: (a) => `The sale would leave ${a.account} under maintenance margin with a lower E - MM (from ${usd(a.slackBefore)} to ${usd(a.slackAfter)}); sell less.`,
  LiquidationPaused: () => "The vault is paused: liquidations are stopped until it is unpaused and the grace period has passed.",
  LiquidationGracePeriod: (a) => `Liquidations resume after the grace period that follows a pause, at ${new Date(Number(a.resumesAt) * 1000).toISOString()}; retry then.`,
  DepositNotAllowed: (a) => `${a.caller} may not deposit ${a.token} into ${a.account}: a third party may only add a token the account already holds (never while paused), unless it is the account's operator.`,
  InvalidRedeemRequest: (a) => `A redemption request for ${a.shares} shares is zero or above the ${a.balance} shares ${a.owner} holds.`,
  OnlyVault: (a) => `${a.caller} is not the vault; only the vault may call this.`,
  // OpenZeppelin and tokens
  AccessControlBadConfirmation: () => "A role can only be renounced by its holder.",
  AccessControlUnauthorizedAccount: (a) => `${a.account} lacks the role ${a.neededRole}; use an account that holds it.`,
  EnforcedPause: () => "The vault is paused: deposits and trades that add risk are stopped; withdrawals of healthy accounts still work.",
  ExpectedPause: () => "The vault is not paused.",
  ReentrancyGuardReentrantCall: () => "A re-entrant call was refused.",
  SafeCastOverflowedIntDowncast: (a) => `The value ${a.value} does not fit in int${a.bits}; use a smaller amount.`,
  SafeCastOverflowedUintDowncast: (a) => `The value ${a.value} does not fit in uint${a.bits}; use a smaller amount.`,
  SafeCastOverflowedUintToInt: (a) => `The value ${a.value} does not fit in a signed integer; use a smaller amount.`,
  SafeERC20FailedOperation: (a) => `A transfer of the token ${a.token} failed; check the token balance and allowance.`,
  InvalidShortString: () => "A string is too long for its slot.",
  StringTooLong: () => "A string is too long.",
  ERC20InsufficientAllowance: (a) => `The allowance of ${a.spender} is ${a.allowance}, less than the ${a.needed} needed; approve the vault for the amount first.`,
  ERC20InsufficientBalance: (a) => `${a.sender} holds ${a.balance} token units, less than the ${a.needed} needed; deposit less or get more of the token.`,
  ERC20InvalidApprover: (a) => `The approver ${a.approver} is invalid.`,
  ERC20InvalidReceiver: (a) => `The receiver ${a.receiver} is invalid.`,
  ERC20InvalidSender: (a) => `The sender ${a.sender} is invalid.`,
  ERC20InvalidSpender: (a) => `The spender ${a.spender} is invalid.`,
  ERC4626ExceededMaxDeposit: (a) => `At most ${a.max} can be deposited to the fund for ${a.receiver} now (asked ${a.assets}).`,
  ERC4626ExceededMaxMint: (a) => `At most ${a.max} shares can be minted for ${a.receiver} now (asked ${a.shares}).`,
  ERC4626ExceededMaxRedeem: (a) => `At most ${a.max} shares of ${a.owner} can be redeemed now (asked ${a.shares}).`,
  ERC4626ExceededMaxWithdraw: (a) => `At most ${a.max} can be withdrawn from the fund by ${a.owner} now (asked ${a.assets}).`,
};

function namedArgs(abi: Abi, name: string, values: readonly unknown[] | undefined): Record<string, unknown> {
  const item = abi.find((x) => x.type === "error" && x.name === name);
  const out: Record<string, unknown> = {};
  if (item === undefined || item.type !== "error") return out;
  item.inputs.forEach((input, i) => {
    out[input.name ?? String(i)] = values?.[i];
  });
  return out;
}

/**
 * Builds the decoded form of an error from its name and positional arguments.
 *
 * @param name The error's name.
 * @param values Its arguments in ABI order.
 * @param context Token and market names for the sentence.
 * @returns Name, named arguments and the sentence.
 */
export function describeError(name: string, values: readonly unknown[] | undefined, context: DecodeErrorContext = {}): DecodedError {
  const args = namedArgs(allErrorsAbi, name, values);
  const sentence = ERROR_SENTENCES[name];
  return {
    name,
    args,
    sentence: sentence ? sentence(args, context) : `The contract reverted with ${name}; see contracts/libraries/ErrorsLib.sol for what it means.`,
  };
}

function revertData(error: unknown): Hex | undefined {
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 20; depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data as Hex;
    if (typeof data === "object" && data !== null && typeof (data as { data?: unknown }).data === "string") return (data as { data: Hex }).data;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Decodes a revert into the protocol's custom error: from a viem error (a `ContractFunctionRevertedError` in its
 * chain), from any error whose chain carries revert data, or from the raw revert data itself.
 *
 * @param error A thrown error or revert data (0x…).
 * @param context Token and market names, and the maximum withdrawable amount, for the sentence.
 * @returns The decoded error, or null when the revert is not one of the protocol's errors.
 * @example
 * try { await pm.withdraw({ token, amount }) } catch (e) { console.log(decodeError(e)?.sentence) }
 */
export function decodeError(error: unknown, context: DecodeErrorContext = {}): DecodedError | null {
  if (error instanceof ViemBaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data?.errorName !== undefined && reverted.data.errorName !== "Error" && reverted.data.errorName !== "Panic") {
      return describeError(reverted.data.errorName, reverted.data.args as readonly unknown[] | undefined, context);
    }
  }
  const data = typeof error === "string" ? (error as Hex) : revertData(error);
  if (data === undefined) return null;
  try {
    const decoded = decodeErrorResult({ abi: allErrorsAbi, data });
    return describeError(decoded.errorName, decoded.args as readonly unknown[] | undefined, context);
  } catch {
    return null;
  }
}
