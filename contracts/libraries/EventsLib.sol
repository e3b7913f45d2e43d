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

    /// @notice Emitted when a risk asset's oracle settings change.
    event AssetOracleSet(uint256 indexed asset, address feed, uint256 heartbeat, uint256 maxPrice);

    /// @notice Emitted when a risk asset's scan (maintenance shock) changes.
    event AssetScanSet(uint256 indexed asset, uint256 scan);

    /// @notice Emitted when the medium correlation of two assets changes (symmetric: a < b).
    event CorrelationSet(uint256 indexed assetA, uint256 indexed assetB, int256 rho);

    /// @notice Emitted when the initial margin factor changes.
    event ImFactorSet(uint256 imFactor);

    /// @notice Emitted when the L2 sequencer uptime feed or its grace period changes.
    event SequencerFeedSet(address sequencerFeed, uint256 gracePeriod);

    /// @notice Emitted when a token is listed as collateral.
    event CollateralListed(
        address indexed token, uint256 indexed collateralId, uint256 asset, uint256 decimals, uint256 haircut, uint256 depositCap
    );

    /// @notice Emitted when a collateral token's haircut or deposit cap changes.
    event CollateralSet(address indexed token, uint256 haircut, uint256 depositCap);

    /// @notice Emitted when a perpetual market is listed.
    event MarketListed(uint256 indexed market, uint256 asset, uint256 k, uint256 openInterestCap);

    /// @notice Emitted when a market's contingency rate or open-interest cap changes.
    event MarketSet(uint256 indexed market, uint256 k, uint256 openInterestCap);

    // ---------------------------------------------------------------- accounts

    /// @notice Emitted when `owner` approves or revokes `operator` to act for it.
    event OperatorSet(address indexed owner, address indexed operator, bool approved);

    /// @notice Emitted when tokens are deposited to `account`'s balance (in token units).
    event Deposit(address indexed account, address indexed token, address indexed caller, uint256 amount, uint256 balance);

    /// @notice Emitted when tokens leave `account`'s balance for `receiver` (in token units).
    event Withdraw(
        address indexed account, address indexed token, address indexed receiver, uint256 amount, uint256 balance
    );

    /// @notice Emitted when `account`'s position in `market` changes (WAD, signed: + long, - short).
    event PositionChanged(address indexed account, uint256 indexed market, int256 delta, int256 size);

    /// @notice Emitted when `account`'s settled USD cash changes (WAD, signed).
    event CashChanged(address indexed account, int256 delta, int256 cash);
}
