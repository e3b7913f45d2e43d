// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MockERC20} from "./MockERC20.sol";
import {IMarginVault} from "../interfaces/IMarginVault.sol";

/// @title HookToken
/// @notice TEST ONLY. A token with a transfer hook (as ERC-777 or a malicious token has): on every transfer into the
/// vault it reads the watched account's recorded balance of this token, as a third-party view would mid-deposit.
contract HookToken is MockERC20 {
    address public vault;
    address public watched;
    /// @notice The watched account's vault balance of this token as seen from inside the last transfer to the vault.
    uint256 public seenBalance;

    constructor() MockERC20("Hook", "HOOK", 18) {}

    /// @notice Watches `account`'s balance in `vault_` during transfers to it.
    function watch(address vault_, address account) external {
        vault = vault_;
        watched = account;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (to == vault && watched != address(0)) {
            seenBalance = IMarginVault(vault).collateralBalance(watched, address(this));
        }
    }
}
