// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {ErrorsLib} from "./ErrorsLib.sol";

/// @title OracleLib
/// @notice Reads Chainlink price feeds and the Chainlink L2 sequencer uptime feed, and rejects any answer the
/// margin engine must not act on.
/// @dev Both functions make exactly one external call, so that a health check over several assets stays cheap.
/// Feed decimals are never read here: the vault caches them at listing (and checks they are at most 18).
library OracleLib {
    /// @notice Returns the price of `asset` read from `feed`, scaled to WAD.
    /// @dev Reverts, in this order, when the answer is not positive, the round is incomplete (no update time, or
    /// an answer carried over from an earlier round), the answer is older than `heartbeat`, or the scaled price is
    /// above `maxPrice`.
    /// @dev An `updatedAt` in the future counts as fresh (age zero) rather than reverting: L2 block timestamps may
    /// lag the feed's clock by a few seconds, and halting every health check for that would be worse than reading
    /// a price that is, if anything, newer than the block.
    /// @dev Warning: the feed is trusted to report the asset's price in its quote currency with `feedDecimals`
    /// decimals. A feed whose decimals change after listing is mis-scaled silently.
    /// @dev Warning: a feed that keeps answering within its heartbeat but at a wrong price (a compromised or
    /// malfunctioning aggregator, or one stuck at its min/max answer circuit breaker) is not detected, except by
    /// `maxPrice` from above.
    /// @dev Warning: `heartbeat` must match the feed's real heartbeat (plus a margin): a longer one accepts stale
    /// prices, a shorter one halts the protocol between two normal updates.
    /// @dev Warning: on an L2, call `checkSequencer` first: while the sequencer is down, a feed can look fresh
    /// with a price that the rest of the market has moved away from.
    /// @param feed The Chainlink price feed.
    /// @param feedDecimals The feed's decimals, cached at listing. Must be at most 18 (a larger value panics).
    /// @param heartbeat The largest accepted age of the answer, in seconds.
    /// @param maxPrice The largest accepted price (WAD), the bound that keeps accounts inside the engine's range.
    /// @param asset The asset id, only reported in the error.
    /// @return price The answer scaled to WAD, in (0, maxPrice].
    function readPrice(address feed, uint256 feedDecimals, uint256 heartbeat, uint256 maxPrice, uint256 asset)
        internal
        view
        returns (uint256 price)
    {
        (uint80 roundId, int256 answer,, uint256 updatedAt, uint80 answeredInRound) =
            AggregatorV3Interface(feed).latestRoundData();

        if (answer <= 0) revert ErrorsLib.OracleAnswerNotPositive(feed, answer);
        if (updatedAt == 0 || answeredInRound < roundId) {
            revert ErrorsLib.OracleRoundIncomplete(feed, roundId, answeredInRound);
        }
        // Comparing before subtracting keeps a future `updatedAt` from underflowing (it counts as fresh).
        if (block.timestamp > updatedAt && block.timestamp - updatedAt > heartbeat) {
            revert ErrorsLib.OracleAnswerStale(feed, updatedAt, heartbeat);
        }

        // Checked: a feed with more than 18 decimals must panic here rather than be mis-scaled.
        uint256 shift = 18 - feedDecimals;
        uint256 scale;
        // shift <= 18, so 10 ** shift <= 1e18 cannot overflow.
        unchecked {
            scale = 10 ** shift;
        }
        // answer > 0 was checked above, so the cast keeps its value.
        uint256 rawPrice = uint256(answer);

        // raw * scale > maxPrice <=> raw > floor(maxPrice / scale), so the bound is checked without overflow.
        if (rawPrice > maxPrice / scale) {
            // Saturating so that even an absurd answer reports the typed error rather than an overflow panic.
            price = rawPrice > type(uint256).max / scale ? type(uint256).max : rawPrice * scale;
            revert ErrorsLib.OraclePriceAboveMax(asset, price, maxPrice);
        }
        // rawPrice <= maxPrice / scale, so rawPrice * scale <= maxPrice cannot overflow.
        unchecked {
            price = rawPrice * scale;
        }
    }

    /// @notice Reverts unless the L2 sequencer is up and has been up for longer than `gracePeriod`.
    /// @dev Follows Chainlink's L2 sequencer uptime feed convention: answer 0 means up, 1 means down, and
    /// `startedAt` is when the current status began. Any answer other than 0 counts as down.
    /// @dev A `startedAt` of zero counts as down: on some L2s (Arbitrum) the feed reports it before its first
    /// round is initialised, when the status is not known, and `block.timestamp - 0` would otherwise look like a
    /// sequencer that has been up forever.
    /// @dev A `startedAt` in the future counts as "came up just now" (grace period not over), the cautious reading.
    /// @dev The grace period lets users whose accounts became unhealthy while the sequencer was down (and who
    /// could not act) restore their margin before liquidations resume.
    /// @dev Warning: the uptime feed is trusted; it is itself delivered through the sequencer's L1 inbox, so a
    /// status change is only seen once the sequencer has processed it.
    /// @param sequencerFeed The Chainlink sequencer uptime feed, or the zero address to skip the check (L1).
    /// @param gracePeriod The time after the sequencer comes back up during which this still reverts, in seconds.
    function checkSequencer(address sequencerFeed, uint256 gracePeriod) internal view {
        if (sequencerFeed == address(0)) return;

        (, int256 answer, uint256 startedAt,,) = AggregatorV3Interface(sequencerFeed).latestRoundData();

        if (answer != 0 || startedAt == 0) revert ErrorsLib.SequencerDown(sequencerFeed);
        // Comparing before subtracting keeps a future `startedAt` from underflowing (it counts as not over).
        if (block.timestamp <= startedAt || block.timestamp - startedAt <= gracePeriod) {
            revert ErrorsLib.SequencerGracePeriodNotOver(sequencerFeed, startedAt, gracePeriod);
        }
    }
}
