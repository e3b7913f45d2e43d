// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ErrorsLib
/// @notice Every custom error of the protocol, in one place. Each carries the figures needed to act on it.
library ErrorsLib {
    // ---------------------------------------------------------------- oracle

    /// @notice Thrown when a price feed answers zero or a negative price.
    error OracleAnswerNotPositive(address feed, int256 answer);

    /// @notice Thrown when a price feed's last update is older than its heartbeat allows.
    error OracleAnswerStale(address feed, uint256 updatedAt, uint256 heartbeat);

    /// @notice Thrown when a price feed reports a round that has not completed (no update time, or an answer
    /// carried over from an earlier round).
    error OracleRoundIncomplete(address feed, uint80 roundId, uint80 answeredInRound);

    /// @notice Thrown when a price is above the asset's listed maximum, the bound that keeps every account
    /// inside the margin engine's exact range.
    error OraclePriceAboveMax(uint256 asset, uint256 price, uint256 maxPrice);

    /// @notice Thrown when the L2 sequencer uptime feed reports the sequencer as down.
    error SequencerDown(address sequencerFeed);

    /// @notice Thrown when the L2 sequencer came back up less than the grace period ago.
    error SequencerGracePeriodNotOver(address sequencerFeed, uint256 upSince, uint256 gracePeriod);

    // ---------------------------------------------------------------- risk configuration

    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();

    /// @notice Thrown when listing would exceed the number of ids the account masks can hold.
    error TooManyListings(uint256 max);

    /// @notice Thrown when an asset id is not listed.
    error AssetNotListed(uint256 asset);

    /// @notice Thrown when a token is not listed as collateral.
    error CollateralNotListed(address token);

    /// @notice Thrown when a token is listed as collateral twice.
    error CollateralAlreadyListed(address token);

    /// @notice Thrown when a market id is not listed.
    error MarketNotListed(uint256 market);

    /// @notice Thrown when a scan (maintenance shock) is outside (0, 1e18].
    error InvalidScan(uint256 scan);

    /// @notice Thrown when a correlation is outside [-1e18, 1e18], or names an asset with itself.
    error InvalidCorrelation(uint256 assetA, uint256 assetB, int256 rho);

    /// @notice Thrown when the initial margin factor is outside [1e18, MAX_IM_FACTOR].
    error InvalidImFactor(uint256 imFactor);

    /// @notice Thrown when a collateral haircut is above 1e18.
    error InvalidHaircut(uint256 haircut);

    /// @notice Thrown when a market's contingency rate is above 1e18.
    error InvalidContingency(uint256 k);

    /// @notice Thrown when a feed heartbeat is zero or above MAX_HEARTBEAT.
    error InvalidHeartbeat(uint256 heartbeat);

    /// @notice Thrown when a sequencer grace period is above MAX_GRACE_PERIOD.
    error InvalidGracePeriod(uint256 gracePeriod);

    /// @notice Thrown when a maximum price is zero, not a multiple of 1e9 (MAX_PRICE_UNIT) or above (2^64 - 1) * 1e9.
    error InvalidMaxPrice(uint256 maxPrice);

    /// @notice Thrown when a price feed reports more than 18 decimals.
    error InvalidFeedDecimals(address feed, uint8 decimals);

    /// @notice Thrown when a collateral token reports more than 18 decimals.
    error InvalidTokenDecimals(address token, uint8 decimals);

    /// @notice Thrown when the caps of an asset's collateral tokens and markets (`units`, WAD), valued at the
    /// asset's maximum price, could let an account's exposure leave the exact range (MAX_EXPOSURE).
    error AssetCapsExceedRange(uint256 asset, uint256 units, uint256 maxPrice);

    /// @notice Thrown when a maximum price is below the price the feed answers now (WAD): it would halt every account
    /// holding the asset (withdrawals and liquidations included).
    error MaxPriceBelowOraclePrice(uint256 asset, uint256 maxPrice, uint256 oraclePrice);

    // ---------------------------------------------------------------- governance (steward and guardian paths)

    /// @notice Thrown when a steward or guardian change moves parameter `param` of `id` by more than the registry's
    /// step allows (`maxDelta`: the step times the current value, or times 1e18 for a correlation).
    error RiskStepExceeded(uint8 param, uint256 id, int256 oldValue, int256 newValue, uint256 maxDelta);

    /// @notice Thrown when a steward or guardian changes parameter `param` of `id` again before `nextChangeAt`, one
    /// minimum interval after its last change.
    error RiskChangeTooSoon(uint8 param, uint256 id, uint256 nextChangeAt);

    /// @notice Thrown when a guardian change of parameter `param` of `id` is not more conservative (a guardian may only
    /// raise scans, haircuts, contingency rates and the IM factor, lower caps and narrow the price band).
    error GuardianCannotLoosen(uint8 param, uint256 id, int256 oldValue, int256 newValue);

    /// @notice Thrown when the steward path's bounds are outside theirs (step above MAX_RISK_STEP, interval outside
    /// [MIN_RISK_INTERVAL, MAX_RISK_INTERVAL]).
    error InvalidRiskSteps(uint256 maxStep, uint256 minInterval);

    /// @notice Thrown when the insurance fund is replaced while the current one still has vault cash it can claim
    /// (`units` settlement-token units): its holders' cash must leave first (`InsuranceFund.claimCash`).
    error InsuranceFundHoldsCash(address fund, uint256 units);

    // ---------------------------------------------------------------- margin engine

    /// @notice Thrown by the margin engine when a weighted sensitivity exceeds MAX_EXPOSURE in absolute value, i.e.
    /// the account left the range in which the engine is exact (spec §4). Unreachable under the listing caps.
    error WeightedSensitivityOutOfRange(uint256 asset, int256 weightedSensitivity);

    // ---------------------------------------------------------------- accounts

    /// @notice Thrown when an amount must be positive.
    error ZeroAmount();

    /// @notice Thrown when the caller may not act for the account (neither the owner nor an approved operator).
    error Unauthorized(address caller, address account);

    /// @notice Thrown when a deposit would take the token's total deposits above its cap.
    error DepositCapExceeded(address token, uint256 totalAfter, uint256 cap);

    /// @notice Thrown when the vault received fewer tokens than the amount asked (fee-on-transfer tokens).
    error TransferShortfall(address token, uint256 expected, uint256 received);

    /// @notice Thrown when a withdrawal exceeds the account's balance of the token.
    error InsufficientBalance(address token, uint256 balance, uint256 amount);

    /// @notice Thrown when an operation would leave the account with equity below its initial margin.
    error InsufficientMargin(address account, int256 equity, uint256 initialMargin);

    // ---------------------------------------------------------------- trades

    /// @notice Thrown when a trade names the same account on both sides.
    error SelfTrade(address account);

    /// @notice Thrown when a trade would take a market's long open interest above its cap (WAD base units).
    error OpenInterestCapExceeded(uint256 market, uint256 openInterest, uint256 cap);

    /// @notice Thrown when, while paused, a trade would open or grow `account`'s position in `market` (only
    /// trades that shrink both sides' positions without flipping them are accepted during a pause).
    error TradeAddsRiskWhilePaused(address account, uint256 market);

    /// @notice Thrown when an order's signed size has the wrong sign for its side (buy > 0, sell < 0).
    error InvalidOrderSide(bytes32 orderHash, int256 size);

    /// @notice Thrown when the two orders of a trade name different markets.
    error MarketMismatch(uint256 buyMarket, uint256 sellMarket);

    /// @notice Thrown when an order is past its expiry (unix seconds).
    error OrderExpired(bytes32 orderHash, uint256 expiry);

    /// @notice Thrown when an order was cancelled by its account.
    error OrderIsCancelled(bytes32 orderHash);

    /// @notice Thrown when an order's nonce is below the least nonce its account still accepts.
    error OrderNonceInvalidated(bytes32 orderHash, uint256 nonce, uint256 minNonce);

    /// @notice Thrown when a fill would take an order's filled amount above its size (a fully filled order
    /// replayed included).
    error OrderOverfilled(bytes32 orderHash, uint256 filled, uint256 fill, uint256 size);

    /// @notice Thrown when the trade price is worse than an order's limit (above a buy's, below a sell's).
    error LimitPriceExceeded(bytes32 orderHash, uint256 limitPrice, uint256 price);

    /// @notice Thrown when the trade price is further from the oracle price than the price band allows.
    error PriceOutsideBand(uint256 price, uint256 oraclePrice, uint256 bandBps);

    /// @notice Thrown when an order is neither signed by its account (EOA or ERC-1271) nor submitted by the
    /// account or an operator it approved.
    error InvalidSignature(bytes32 orderHash, address account);

    /// @notice Thrown when a price band is zero or above MAX_PRICE_BAND_BPS.
    error InvalidPriceBand(uint256 bandBps);

    // ---------------------------------------------------------------- liquidation

    /// @notice Thrown when an account tries to liquidate itself.
    error SelfLiquidation(address account);

    /// @notice Thrown when the account to liquidate is at or above maintenance margin (E >= MM).
    error AccountHealthy(address account, int256 equity, uint256 maintenanceMargin);

    /// @notice Thrown when a liquidation would not raise the account's E - MM.
    error LiquidationDidNotImproveHealth(address account, int256 slackBefore, int256 slackAfter);

    /// @notice Thrown when a liquidation bonus rate is above MAX_LIQUIDATION_BONUS, a fund share above 1e18 or a
    /// dust threshold above MAX_DUST_THRESHOLD.
    error InvalidLiquidationConfig(uint256 bonusRate, uint256 fundShare, uint256 dustThreshold);

    /// @notice Thrown when the insurance fund's asset has more than 18 decimals.
    error InvalidFundAsset(address asset);

    // ---------------------------------------------------------------- cash settlement and pause

    /// @notice Thrown when the cash configuration is out of bounds (settlement discount above
    /// MAX_SETTLEMENT_DISCOUNT, liquidation grace period above MAX_LIQUIDATION_GRACE_PERIOD).
    error InvalidCashConfig(uint256 settlementDiscount, uint256 liquidationGracePeriod);

    /// @notice Thrown when cash is settled before any collateral is listed on the USD asset (the settlement token).
    error NoSettlementToken();

    /// @notice Thrown when a debtor-collateral sale names the settlement token itself (it is netted by settleCash).
    error NotSettlementCollateral(address token);

    /// @notice Thrown when a withdrawal would pay out more cash than the account's positive cash (WAD).
    error InsufficientCash(address account, int256 cash, uint256 amount);

    /// @notice Thrown when a withdrawal would pay out more cash than the account's profit and loss (cash plus the
    /// notional of its positions, WAD), which it would leave at `profitAndLoss` < 0: a short's sale proceeds are its
    /// position's cost basis, paid out only as the position is closed.
    error CashPayoutAboveProfit(address account, int256 profitAndLoss);

    /// @notice Thrown when the settlement pool holds fewer settlement-token units than a withdrawal pays in cash.
    /// Someone may `settleCash` a debtor, or buy a debtor's collateral (`buyDebtorCollateral`), to refill it.
    error SettlementPoolShort(uint256 pool, uint256 amount);

    /// @notice Thrown when a debtor-collateral sale names a creditor whose withdrawable cash the pool can already pay
    /// (token units).
    error SettlementPoolNotShort(address creditor, uint256 claim, uint256 pool);

    /// @notice Thrown when a debtor-collateral sale names an account without negative cash (after netting).
    error NoCashDebt(address account);

    /// @notice Thrown when a debtor-collateral sale would leave the debtor under maintenance margin with a lower E - MM.
    error SaleWorsensHealth(address account, int256 slackBefore, int256 slackAfter);

    /// @notice Thrown when a liquidation is attempted while the vault is paused.
    error LiquidationPaused();

    /// @notice Thrown when a liquidation is attempted before the grace period after a pause has passed.
    error LiquidationGracePeriod(uint256 resumesAt);

    /// @notice Thrown when a third party deposits into an account a token it does not hold, or while paused (only
    /// the account and its operators may then deposit).
    error DepositNotAllowed(address caller, address account, address token);

    /// @notice Thrown when an insurance-fund redemption request is for no shares or more than the owner holds.
    error InvalidRedeemRequest(address owner, uint256 shares, uint256 balance);

    /// @notice Thrown when a function only the vault may call is called by anyone else.
    error OnlyVault(address caller);
}
