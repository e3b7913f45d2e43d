// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRiskRegistry
/// @notice The MarginVault's risk configuration (RISK_ADMIN_ROLE) and its views: assets and their feeds,
/// correlations, collateral tokens, markets, the margin and liquidation parameters.
interface IRiskRegistry {
    /// @notice A risk asset: the price feed, its staleness bound, the maintenance shock and the price bound.
    /// @dev The vault stores the first four fields in one slot and `maxPrice` apart, four to a slot in units of 1e9.
    struct AssetConfig {
        address feed;
        uint64 scan;
        uint8 feedDecimals;
        uint24 heartbeat;
        uint128 maxPrice;
    }

    /// @notice A collateral token: its risk asset, decimals, haircut (WAD), cap and current total (token units).
    struct CollateralConfig {
        address token;
        uint8 asset;
        uint8 decimals;
        uint64 haircut;
        uint128 depositCap;
        uint128 totalDeposits;
    }

    /// @notice A perpetual market: its risk asset, contingency rate k (WAD), open-interest cap and current
    /// long open interest (WAD base units; long and short open interest are always equal).
    struct MarketConfig {
        uint8 asset;
        uint64 k;
        uint128 openInterestCap;
        uint128 openInterest;
    }

    // ---------------------------------------------------------------- risk configuration (RISK_ADMIN_ROLE)

    /// @notice Lists a risk asset priced by a Chainlink-compatible `feed`. Asset ids are given in listing
    /// order; asset 0 must be USD, the unit of account (its collateral is left out of isolated margin).
    /// @param symbol A label for indexers and reports.
    /// @param feed The price feed (USD per whole unit); its decimals are read once here and must be <= 18.
    /// @param heartbeat The largest age, in seconds, of a usable answer.
    /// @param scan The one-day maintenance shock (WAD), in (0, 1e18].
    /// @param maxPrice The largest usable price (WAD); it bounds every account's exposure through the caps. Stored
    /// in units of 1e9 WAD in 64 bits: it must be a multiple of 1e9 and at most (2^64 - 1) * 1e9.
    /// @return asset The new asset's id.
    function listAsset(string calldata symbol, address feed, uint256 heartbeat, uint256 scan, uint256 maxPrice)
        external
        returns (uint256 asset);

    /// @notice Changes an asset's feed, heartbeat and maximum price.
    function setAssetOracle(uint256 asset, address feed, uint256 heartbeat, uint256 maxPrice) external;

    /// @notice Changes an asset's scan (WAD, in (0, 1e18]).
    function setAssetScan(uint256 asset, uint256 scan) external;

    /// @notice Sets the medium correlation of two different assets (WAD, |rho| <= 1e18, symmetric).
    function setCorrelation(uint256 assetA, uint256 assetB, int256 rho) external;

    /// @notice Sets the initial margin factor (WAD, in [1e18, 10e18]).
    function setImFactor(uint256 imFactor) external;

    /// @notice Sets the L2 sequencer uptime feed (zero to disable the check) and its grace period in seconds.
    function setSequencerFeed(address sequencerFeed, uint256 gracePeriod) external;

    /// @notice Lists an ERC20 as collateral of risk `asset`, with a liquidation `haircut` (WAD, <= 1e18) and a
    /// `depositCap` in token units. The token's decimals must be <= 18.
    /// @return collateralId The token's collateral id (bit of the account's collateral mask).
    function listCollateral(address token, uint256 asset, uint256 haircut, uint256 depositCap)
        external
        returns (uint256 collateralId);

    /// @notice Changes a collateral token's haircut and deposit cap. A cap below the current total only
    /// stops new deposits.
    function setCollateral(address token, uint256 haircut, uint256 depositCap) external;

    /// @notice Lists a perpetual market on risk `asset` with contingency rate `k` (WAD, <= 1e18) and an
    /// open-interest cap (WAD base units).
    /// @return market The new market's id.
    function listMarket(uint256 asset, uint256 k, uint256 openInterestCap) external returns (uint256 market);

    /// @notice Changes a market's contingency rate and open-interest cap.
    function setMarket(uint256 market, uint256 k, uint256 openInterestCap) external;

    /// @notice Sets the liquidation bonus rate (WAD, <= MAX_LIQUIDATION_BONUS, below one: the liquidator earns that
    /// fraction of the maintenance margin a slice releases), the insurance fund's share of the bonus (WAD, <= 1e18)
    /// and the dust threshold (WAD USD, <= MAX_DUST_THRESHOLD) under which the rest of an account is taken whole.
    function setLiquidationConfig(uint256 bonusRate, uint256 fundShare, uint256 dustThreshold) external;

    /// @notice Sets the insurance fund: an ERC-4626 vault whose asset (the settlement token, <= 18 decimals) it
    /// lets this vault pull to cover bad debt. Zero disables it (penalties all go to liquidators, bad debt is
    /// all recorded as unbacked).
    function setInsuranceFund(address fund) external;



    // ---------------------------------------------------------------- views

    /// @notice The configuration of risk `asset`.
    function assetConfig(uint256 asset) external view returns (AssetConfig memory);

    /// @notice The configuration of collateral `token`.
    function collateralConfig(address token) external view returns (CollateralConfig memory);

    /// @notice The configuration of `market`.
    function marketConfig(uint256 market) external view returns (MarketConfig memory);

    /// @notice The medium correlation of two assets (1e18 for an asset with itself).
    function correlation(uint256 assetA, uint256 assetB) external view returns (int256);

    /// @notice The number of listed assets, collateral tokens and markets.
    function listingCounts() external view returns (uint256 assets, uint256 collaterals, uint256 markets);

    /// @notice The initial margin factor (WAD).
    function imFactor() external view returns (uint256);

    /// @notice The L2 sequencer uptime feed (zero when unchecked) and its grace period.
    function sequencer() external view returns (address feed, uint256 gracePeriod);

    /// @notice The liquidation bonus rate, the fund's share of the bonus (WAD) and the dust threshold (WAD USD).
    function liquidationConfig() external view returns (uint256 bonusRate, uint256 fundShare, uint256 dustThreshold);

}
