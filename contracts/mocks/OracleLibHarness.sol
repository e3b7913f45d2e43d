// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {OracleLib} from "../libraries/OracleLib.sol";

/// @title OracleLibHarness
/// @notice Exposes OracleLib's internal functions for tests.
contract OracleLibHarness {
    /// @notice See `OracleLib.readPrice`.
    /// @param feed The Chainlink price feed.
    /// @param feedDecimals The feed's decimals.
    /// @param heartbeat The largest accepted age of the answer, in seconds.
    /// @param maxPrice The largest accepted price (WAD).
    /// @param asset The asset id, only reported in errors.
    /// @return price The answer scaled to WAD.
    function readPrice(address feed, uint256 feedDecimals, uint256 heartbeat, uint256 maxPrice, uint256 asset)
        external
        view
        returns (uint256 price)
    {
        return OracleLib.readPrice(feed, feedDecimals, heartbeat, maxPrice, asset);
    }

    /// @notice See `OracleLib.checkSequencer`.
    /// @param sequencerFeed The sequencer uptime feed, or zero to skip the check.
    /// @param gracePeriod The grace period after the sequencer comes back up, in seconds.
    function checkSequencer(address sequencerFeed, uint256 gracePeriod) external view {
        OracleLib.checkSequencer(sequencerFeed, gracePeriod);
    }
}
