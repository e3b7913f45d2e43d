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

    /// @notice Thrown when a maximum price is zero.
    error InvalidMaxPrice(uint256 maxPrice);

    /// @notice Thrown when a price feed reports more than 18 decimals.
    error InvalidFeedDecimals(address feed, uint8 decimals);

    /// @notice Thrown when a collateral token reports more than 18 decimals.
    error InvalidTokenDecimals(address token, uint8 decimals);

    /// @notice Thrown when the caps of an asset's collateral tokens and markets (`units`, WAD), valued at the
    /// asset's maximum price, could let an account's exposure leave the exact range (MAX_EXPOSURE).
    error AssetCapsExceedRange(uint256 asset, uint256 units, uint256 maxPrice);

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
}
