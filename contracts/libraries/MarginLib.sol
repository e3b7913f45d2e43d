// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MarginLib
/// @notice SKELETON - to be implemented (spec §3-§6). Signatures are the contract with the vault.
library MarginLib {
    /// @dev A collateral entry: its risk asset, haircut (WAD) and balance normalised to WAD.
    struct Collateral {
        uint256 asset;
        uint256 haircut;
        uint256 balance;
    }

    /// @dev A perpetual position: its risk asset, contingency rate k (WAD) and signed size (WAD).
    struct Position {
        uint256 asset;
        uint256 k;
        int256 size;
    }

    /// @dev An account as the engine sees it.
    struct Portfolio {
        int256 cash;
        Collateral[] collateral;
        Position[] positions;
    }

    /// @dev Risk parameters: scan per asset id, medium correlations by `pairIndex`, imFactor.
    struct RiskParams {
        uint256[] scan;
        int256[] rho;
        uint256 imFactor;
    }

    /// @dev Everything the engine computes for an account. Arrays are indexed by asset id.
    struct Margin {
        int256 equity;
        uint256 touched;
        int256[] exposures;
        int256[] weightedSensitivities;
        uint256 kLow;
        uint256 kMedium;
        uint256 kHigh;
        uint256 k;
        uint256 addOns;
        uint256 maintenanceMargin;
        uint256 initialMargin;
        uint256 isolatedMaintenanceMargin;
    }

    function pairIndex(uint256 a, uint256 b) internal pure returns (uint256) {
        return b * (b - 1) / 2 + a;
    }

    function marginRequirement(Portfolio memory p, RiskParams memory r, uint256[] memory prices)
        internal
        pure
        returns (int256 equity_, uint256 mm, uint256 im)
    {}

    function accountMargin(Portfolio memory p, RiskParams memory r, uint256[] memory prices)
        internal
        pure
        returns (Margin memory m)
    {}
}
