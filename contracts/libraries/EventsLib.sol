// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title EventsLib
/// @notice Every event of the protocol, in one place. Balance, position and cash events carry the new
/// absolute value next to the change, so that an indexer can rebuild (and check) every account from logs.
library EventsLib {
    // ---------------------------------------------------------------- risk configuration

    /// @notice Emitted when a risk asset is listed.
    event AssetListed(
        uint256 indexed asset, string symbol, address feed, uint256 heartbeat, uint256 scan, uint256 maxPrice
    );

    /// @notice Emitted when a risk asset's oracle settings change, with the old values.
    event AssetOracleSet(
        uint256 indexed asset,
        address oldFeed,
        address feed,
        uint256 oldHeartbeat,
        uint256 heartbeat,
        uint256 oldMaxPrice,
        uint256 maxPrice
    );

    /// @notice Emitted when a risk asset's scan (maintenance shock) changes from `oldScan`.
    event AssetScanSet(uint256 indexed asset, uint256 oldScan, uint256 scan);

    /// @notice Emitted when the medium correlation of two assets changes from `oldRho` (symmetric: a < b).
    event CorrelationSet(uint256 indexed assetA, uint256 indexed assetB, int256 oldRho, int256 rho);

    /// @notice Emitted when the initial margin factor changes (from zero at construction).
    event ImFactorSet(uint256 oldImFactor, uint256 imFactor);

    /// @notice Emitted when the L2 sequencer uptime feed or its grace period changes, with the old values.
    event SequencerFeedSet(
        address oldSequencerFeed, address sequencerFeed, uint256 oldGracePeriod, uint256 gracePeriod
    );

    /// @notice Emitted when a token is listed as collateral.
    event CollateralListed(
        address indexed token, uint256 indexed collateralId, uint256 asset, uint256 decimals, uint256 haircut, uint256 depositCap
    );

    /// @notice Emitted when a collateral token's haircut or deposit cap changes, with the old values.
    event CollateralSet(
        address indexed token, uint256 oldHaircut, uint256 haircut, uint256 oldDepositCap, uint256 depositCap
    );

    /// @notice Emitted when a perpetual market is listed.
    event MarketListed(uint256 indexed market, uint256 asset, uint256 k, uint256 openInterestCap);

    /// @notice Emitted when a market's contingency rate or open-interest cap changes, with the old values.
    event MarketSet(
        uint256 indexed market, uint256 oldK, uint256 k, uint256 oldOpenInterestCap, uint256 openInterestCap
    );

    // ---------------------------------------------------------------- accounts

    /// @notice Emitted when `owner` approves or revokes `operator` to act for it.
    event OperatorSet(address indexed owner, address indexed operator, bool approved);

    /// @notice Emitted when tokens are deposited to `account`'s balance (in token units).
    event Deposit(address indexed account, address indexed token, address indexed caller, uint256 amount, uint256 balance);

    /// @notice Emitted when tokens leave `account`'s balance for `receiver` (in token units): a withdrawal, or cash
    /// settlement taking it (netting: `receiver` is the vault, whose settlement pool keeps the tokens; a debtor-collateral
    /// sale: `receiver` is the buyer).
    event Withdraw(
        address indexed account, address indexed token, address indexed receiver, uint256 amount, uint256 balance
    );

    /// @notice Emitted when `account`'s position in `market` changes (WAD, signed: + long, - short).
    event PositionChanged(address indexed account, uint256 indexed market, int256 delta, int256 size);

    /// @notice Emitted when `account`'s settled USD cash changes (WAD, signed).
    event CashChanged(address indexed account, int256 delta, int256 cash);

    /// @notice Emitted when collateral moves between two accounts inside the vault (liquidation), with both new
    /// balances (token units).
    event CollateralTransferred(
        address indexed from,
        address indexed to,
        address indexed token,
        uint256 amount,
        uint256 fromBalance,
        uint256 toBalance
    );

    // ---------------------------------------------------------------- trades

    /// @notice Emitted when `size` (WAD base units) of `market` is traded from `seller` to `buyer` at `price`
    /// (WAD); `cashAmount` = mulDown(size, price) moved from the buyer's cash to the seller's.
    event TradeSettled(
        address indexed buyer,
        address indexed seller,
        uint256 indexed market,
        uint256 size,
        uint256 price,
        int256 cashAmount
    );

    /// @notice Emitted when an order is filled by `fill`, taking its filled amount to `filled`.
    event OrderFilled(bytes32 indexed orderHash, address indexed account, uint256 fill, uint256 filled);

    /// @notice Emitted when an account cancels one order.
    event OrderCancelled(bytes32 indexed orderHash, address indexed account);

    /// @notice Emitted when an account invalidates every order with a nonce below `minNonce`.
    event NoncesInvalidated(address indexed account, uint256 minNonce);

    /// @notice Emitted when the vault's price band (basis points around the oracle price) changes.
    event PriceBandSet(uint256 oldBandBps, uint256 bandBps);

    // ---------------------------------------------------------------- governance

    /// @notice Emitted when the steward path's bounds change: the largest relative step (WAD) and the least interval
    /// between two bounded changes of one parameter (seconds).
    event RiskStepsSet(uint256 oldMaxStep, uint256 maxStep, uint256 oldMinInterval, uint256 minInterval);

    // ---------------------------------------------------------------- liquidation and insurance

    /// @notice Emitted when the insurance fund changes from `oldFund`; `asset` is its settlement token.
    event InsuranceFundSet(address indexed fund, address indexed asset, address oldFund);

    /// @notice Emitted when the liquidation bonus rate, the fund's share of the bonus or the dust threshold changes,
    /// with the old values.
    event LiquidationConfigSet(
        uint256 oldBonusRate,
        uint256 bonusRate,
        uint256 oldFundShare,
        uint256 fundShare,
        uint256 oldDustThreshold,
        uint256 dustThreshold
    );

    /// @notice Emitted when `liquidator` liquidates the slice `fraction` (WAD) of `account`: it paid `value` (WAD
    /// USD, at oracle prices) for the slice, which released `mmReleased` of maintenance margin; the account paid
    /// `bonus`, of which `fundShare` went to the insurance fund (or repaid bad debt).
    event Liquidated(
        address indexed account,
        address indexed liquidator,
        uint256 fraction,
        int256 value,
        uint256 mmReleased,
        uint256 bonus,
        uint256 fundShare
    );

    /// @notice Emitted when a liquidation takes the whole of an insolvent `account`: `shortfall` (WAD, its shortfall
    /// before the call plus the bonus) is paid from the fund's vault cash (`fromFundCash`), from its tokens
    /// (`fundTokens`, token units) and what is left is recorded as unbacked `badDebt` (`unbacked`); `totalBadDebt`
    /// is the new total.
    event BadDebtSettled(
        address indexed account,
        uint256 shortfall,
        uint256 fromFundCash,
        uint256 fundTokens,
        uint256 unbacked,
        uint256 totalBadDebt
    );

    // ---------------------------------------------------------------- cash settlement

    /// @notice Emitted when the settlement discount or the liquidation grace period changes, with the old values.
    event CashConfigSet(
        uint256 oldSettlementDiscount,
        uint256 settlementDiscount,
        uint256 oldLiquidationGracePeriod,
        uint256 liquidationGracePeriod
    );

    /// @notice Emitted when `account`'s settlement-token balance nets its negative cash into the settlement pool (now
    /// `pool`). The units moved and the balance left are in the `Withdraw` event emitted with it (receiver: the vault).
    event CashSettled(address indexed account, uint256 pool);

    /// @notice Emitted when `units` of `account`'s positive cash are paid out of the settlement pool (now `pool`).
    event CashPaid(address indexed account, uint256 units, uint256 pool);

    /// @notice Emitted when `buyer` buys `amount` of `debtor`'s collateral `token` for `paid` settlement-token units,
    /// credited to the debtor's cash and to the pool (now `pool`), so that the pool can pay `creditor`.
    event DebtorCollateralSold(
        address indexed debtor,
        address indexed buyer,
        address indexed token,
        address creditor,
        uint256 amount,
        uint256 paid,
        uint256 pool
    );

    /// @notice Emitted when `owner` asks to redeem `shares` of the insurance fund in the window [windowStart, windowEnd].
    event RedeemRequested(address indexed owner, uint256 shares, uint256 windowStart, uint256 windowEnd);

    /// @notice Emitted when new insurance-fund income (token units) joins its stream, which now holds `vesting`
    /// token units vesting linearly until `vestEnd`.
    event IncomeStreamed(uint256 income, uint256 vesting, uint256 vestEnd);

    /// @notice Emitted when the fund's bonus share pays down recorded bad debt.
    event BadDebtRepaid(uint256 amount, uint256 totalBadDebt);
}
