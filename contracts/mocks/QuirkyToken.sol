// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MockERC20} from "./MockERC20.sol";

/// @title QuirkyToken
/// @notice TEST ONLY. An 18-decimal token with the quirks real tokens have, each switched on by a setter, for the
/// attack catalogue (test/attacks/tokens.test.ts, test/attacks/keeperGriefing.test.ts):
/// - returns `false` instead of reverting when told to (old tokens that signal failure by the return value);
/// - reverts every transfer to or from a blocked address (USDC / USDT style blocklists);
/// - a transfer hook that calls a configured target with configured data (ERC-777 style hooks, or a malicious
///   token), records whether the call succeeded and what it returned, and never reverts itself.
contract QuirkyToken is MockERC20 {
    /// @notice Whether `transfer` and `transferFrom` return false (moving nothing) instead of moving tokens.
    bool public returnFalse;
    /// @notice Addresses that can neither send nor receive the token.
    mapping(address account => bool) public blocked;

    /// @notice The contract the hook calls on every transfer (zero: no hook).
    address public hookTarget;
    /// @notice The calldata the hook sends.
    bytes public hookData;
    /// @notice Whether the hook's last call succeeded.
    bool public hookOk;
    /// @notice What the hook's last call returned (or its revert data).
    bytes public hookResult;
    /// @notice How many times the hook ran.
    uint256 public hookCalls;

    /// @notice Thrown on a transfer from or to a blocked address.
    error TransferBlocked(address account);

    constructor() MockERC20("Quirky", "QRK", 18) {}

    /// @notice Makes transfers return false (moving nothing) or behave normally.
    function setReturnFalse(bool on) external {
        returnFalse = on;
    }

    /// @notice Blocks or unblocks `account`.
    function setBlocked(address account, bool on) external {
        blocked[account] = on;
    }

    /// @notice Calls `target` with `data` from inside every later transfer (zero target: no hook).
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    /// @notice ERC-20 transfer, or `false` with nothing moved while `returnFalse` is on.
    function transfer(address to, uint256 value) public override returns (bool) {
        if (returnFalse) return false;
        return super.transfer(to, value);
    }

    /// @notice ERC-20 transferFrom, or `false` with nothing moved while `returnFalse` is on.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (returnFalse) return false;
        return super.transferFrom(from, to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert TransferBlocked(from);
        if (blocked[to]) revert TransferBlocked(to);
        super._update(from, to, value);
        address target = hookTarget;
        if (target != address(0) && from != address(0) && to != address(0)) {
            ++hookCalls;
            (hookOk, hookResult) = target.call(hookData);
        }
    }
}
