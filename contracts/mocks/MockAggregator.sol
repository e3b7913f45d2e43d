// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title MockAggregator
/// @notice A Chainlink-compatible feed for tests: `setAnswer` publishes a normal new round, `setRoundData` sets
/// every field, including broken rounds.
/// @dev Storage is two slots (the answer, then the four round fields packed), so that reading it in gas
/// benchmarks costs what a real aggregator's read roughly costs, not more.
contract MockAggregator is AggregatorV3Interface {
    using SafeCast for uint256;

    /// @dev The round fields, packed into one slot: 80 + 48 + 48 + 80 = 256 bits. 48-bit timestamps last until
    /// the year 8.9 million.
    struct Round {
        uint80 roundId;
        uint48 startedAt;
        uint48 updatedAt;
        uint80 answeredInRound;
    }

    /// @dev Immutable, so that `decimals()` reads no storage.
    uint8 private immutable _decimals;

    /// @dev The latest answer.
    int256 private _answer;

    /// @dev The latest round's fields.
    Round private _round;

    /// @dev The feed's description.
    string private _description;

    /// @dev Every round published, by round id, for `getRoundData`: the keeper's `risk propose` reads the feed's
    /// history as it would a Chainlink aggregator's. Written only, never read, by the latest-round path.
    mapping(uint80 roundId => Round) private _rounds;
    mapping(uint80 roundId => int256) private _answers;

    /// @notice Thrown by `getRoundData` for a round this feed never published (Chainlink reverts "No data present").
    error NoDataPresent(uint80 roundId);

    /// @notice Creates the feed and publishes `initialAnswer` as round 1 at the current time.
    /// @param decimals_ The decimals of the answers.
    /// @param initialAnswer The first answer.
    /// @param description_ The feed's description, e.g. "ETH / USD".
    constructor(uint8 decimals_, int256 initialAnswer, string memory description_) {
        _decimals = decimals_;
        _description = description_;
        setAnswer(initialAnswer);
    }

    /// @notice Publishes `answer` as a new, complete round at the current time.
    /// @param answer The new answer.
    function setAnswer(int256 answer) public {
        uint80 roundId = _round.roundId + 1;
        _answer = answer;
        // block.timestamp fits in 48 bits until the year 8.9 million.
        uint48 timestamp = uint48(block.timestamp);
        _round = Round({roundId: roundId, startedAt: timestamp, updatedAt: timestamp, answeredInRound: roundId});
        _rounds[roundId] = _round;
        _answers[roundId] = answer;
    }

    /// @notice Sets every field of the latest round, for tests of broken rounds.
    /// @dev Reverts (SafeCast) if `startedAt` or `updatedAt` does not fit in 48 bits.
    /// @param roundId The round id.
    /// @param answer The answer.
    /// @param startedAt When the round started.
    /// @param updatedAt When the answer was last updated (0 means incomplete).
    /// @param answeredInRound The round in which the answer was computed.
    function setRoundData(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
        external
    {
        _answer = answer;
        _round = Round({
            roundId: roundId,
            startedAt: startedAt.toUint48(),
            updatedAt: updatedAt.toUint48(),
            answeredInRound: answeredInRound
        });
        _rounds[roundId] = _round;
        _answers[roundId] = answer;
    }

    /// @notice Returns the data of round `roundId`, as Chainlink's `getRoundData`.
    /// @dev Reverts with `NoDataPresent` for a round never published.
    /// @param roundId The round id.
    /// @return The round id, the answer, when the round started, when it was updated and the round it was answered in.
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory round = _rounds[roundId];
        if (round.roundId == 0) revert NoDataPresent(roundId);
        return (round.roundId, _answers[roundId], round.startedAt, round.updatedAt, round.answeredInRound);
    }

    /// @notice Returns the latest round's data.
    /// @return roundId The round id.
    /// @return answer The answer.
    /// @return startedAt When the round started.
    /// @return updatedAt When the answer was last updated.
    /// @return answeredInRound The round in which the answer was computed.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round memory round = _round;
        return (round.roundId, _answer, round.startedAt, round.updatedAt, round.answeredInRound);
    }

    /// @notice Returns the decimals of the answers.
    /// @return The decimals.
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    /// @notice Returns the feed's description.
    /// @return The description.
    function description() external view returns (string memory) {
        return _description;
    }
}
