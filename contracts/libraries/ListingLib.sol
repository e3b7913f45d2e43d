// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ListingLib
/// @notice Packs what a margin computation reads of a collateral token or a market into one small word, so that
/// the registry stores several of them per slot and a computation over many listings reads few slots.
/// @dev Layouts (low bits first): collateral = asset (8 bits) | decimals (8) | haircut (64), 80 bits;
/// market = asset (8 bits) | k (64), 72 bits. The registry bounds every field before packing (asset < 16,
/// decimals <= 18, haircut and k <= 1e18 < 2^64), so packing loses nothing.
library ListingLib {
    /// @notice Packs a collateral token's risk asset, decimals and haircut (WAD).
    function packCollateral(uint256 asset, uint256 decimals, uint256 haircut) internal pure returns (uint80) {
        // Safe cast: the fields are bounded by the registry (see the library's @dev) and fit their 80 bits.
        return uint80(asset | decimals << 8 | haircut << 16);
    }

    /// @notice The fields packed by `packCollateral`.
    function unpackCollateral(uint80 packed)
        internal
        pure
        returns (uint256 asset, uint256 decimals, uint256 haircut)
    {
        return (uint8(packed), uint8(packed >> 8), uint64(packed >> 16));
    }

    /// @notice Packs a market's risk asset and contingency rate k (WAD).
    function packMarket(uint256 asset, uint256 k) internal pure returns (uint72) {
        // Safe cast: asset < 16 and k <= 1e18 < 2^64 (bounded by the registry) fit their 72 bits.
        return uint72(asset | k << 8);
    }

    /// @notice The fields packed by `packMarket`.
    function unpackMarket(uint72 packed) internal pure returns (uint256 asset, uint256 k) {
        return (uint8(packed), uint64(packed >> 8));
    }
}
