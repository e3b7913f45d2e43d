// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRiskGovernance
/// @notice The bounds of the vault's risk changes (docs/governance.md), served at the vault's address by its module.
/// Three paths change a bounded risk parameter through the same setters (`setAssetScan`, `setCollateral`, ...):
/// - RISK_ADMIN_ROLE, held only by the TimelockController in production: any value inside the absolute bounds;
/// - RISK_STEWARD_ROLE (a keeper key): at most `maxStep` relative to the current value per update, and a parameter
///   at most once per `minInterval`;
/// - GUARDIAN_ROLE: as the steward, and only in the conservative direction (higher scan, haircut, k or imFactor, lower
///   caps, a narrower price band).
/// Listings, feeds, the sequencer feed, the insurance fund and these bounds themselves need RISK_ADMIN_ROLE.
interface IRiskGovernance {
    /// @notice A bounded risk parameter; with an id (asset, pair index, collateral id, market or 0) it keys the time of
    /// its last change.
    enum RiskParam {
        Scan,
        Correlation,
        ImFactor,
        Haircut,
        DepositCap,
        ContingencyRate,
        OpenInterestCap,
        BonusRate,
        FundShare,
        DustThreshold,
        MaxPrice,
        Heartbeat,
        PriceBand,
        SettlementDiscount,
        LiquidationGracePeriod
    }

    /// @notice Sets the steward path's bounds: the largest relative step (WAD, <= MAX_RISK_STEP) and the least interval
    /// between two bounded changes of one parameter (seconds, in [MIN_RISK_INTERVAL, MAX_RISK_INTERVAL]).
    /// RISK_ADMIN_ROLE (the timelock) only.
    function setRiskSteps(uint256 maxStep, uint256 minInterval) external;

    /// @notice Sets the band around the oracle price inside which the vault settles trades, for every settler
    /// (basis points, in (0, MAX_PRICE_BAND_BPS]). Bounded: the guardian may only narrow it.
    function setPriceBand(uint256 bandBps) external;

    /// @notice The steward path's bounds: the largest relative step (WAD) and the least interval (seconds).
    function riskSteps() external view returns (uint256 maxStep, uint256 minInterval);

    /// @notice When parameter `param` of `id` last changed (0: never since listing). A steward or guardian change is
    /// accepted from `changedAt + minInterval` on.
    function lastRiskChange(RiskParam param, uint256 id) external view returns (uint256 changedAt);

    /// @notice The price band, in basis points of the oracle price.
    function priceBand() external view returns (uint256);
}
