// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title OracleLib
/// @notice SKELETON - to be implemented.
library OracleLib {
    function readPrice(address feed, uint256 feedDecimals, uint256 heartbeat, uint256 maxPrice, uint256 asset)
        internal
        view
        returns (uint256 price)
    {}

    function checkSequencer(address sequencerFeed, uint256 gracePeriod) internal view {}
}
