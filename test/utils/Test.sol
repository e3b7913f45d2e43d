// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The cheatcodes the tests use, served by Hardhat's EDR at the standard address.
interface Vm {
    function assume(bool condition) external pure;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 selector) external;
    function expectRevert() external;
    function label(address account, string calldata name) external;
}

/// @notice Minimal test base: Hardhat 3 runs `test*`, `testFuzz*` and `invariant*` functions of any
/// contract in a `.t.sol` file. The npm forge-std does not work with Hardhat 3, so this replaces it.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address[] private _targetContracts;

    error AssertionFailed(string message, int256 left, int256 right);
    error AssertionFailedUint(string message, uint256 left, uint256 right);
    error BoundMinAboveMax();

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (min > max) revert BoundMinAboveMax();
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        return min + (x % size);
    }

    function boundInt(int256 x, int256 min, int256 max) internal pure returns (int256) {
        if (min > max) revert BoundMinAboveMax();
        if (x >= min && x <= max) return x;
        // Distance fits in uint256 because both ends are int256.
        uint256 size = uint256(max - min) + 1;
        uint256 offset = uint256(x >= 0 ? x : -(x + 1)) % size;
        return min + int256(offset);
    }

    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        if (left != right) revert AssertionFailedUint(message, left, right);
    }

    function assertEq(int256 left, int256 right, string memory message) internal pure {
        if (left != right) revert AssertionFailed(message, left, right);
    }

    function assertLe(uint256 left, uint256 right, string memory message) internal pure {
        if (left > right) revert AssertionFailedUint(message, left, right);
    }

    function assertGe(uint256 left, uint256 right, string memory message) internal pure {
        if (left < right) revert AssertionFailedUint(message, left, right);
    }

    function assertLe(int256 left, int256 right, string memory message) internal pure {
        if (left > right) revert AssertionFailed(message, left, right);
    }

    function assertGe(int256 left, int256 right, string memory message) internal pure {
        if (left < right) revert AssertionFailed(message, left, right);
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert AssertionFailedUint(message, 0, 1);
    }
}
