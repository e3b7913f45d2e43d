// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginVault} from "../interfaces/IMarginVault.sol";

/// @title GasProbe
/// @notice BENCHMARKS ONLY. Measures the gas an integrating contract pays for the vault's health views, with
/// cold storage and feeds as in a fresh transaction.
contract GasProbe {
    /// @notice Gas used by `vault.accountMargin(account)`, including the call itself.
    function measureAccountMargin(IMarginVault vault, address account) external view returns (uint256 used) {
        uint256 before = gasleft();
        vault.accountMargin(account);
        used = before - gasleft();
    }

    /// @notice Gas used by `vault.isLiquidatable(account)`, including the call itself.
    function measureIsLiquidatable(IMarginVault vault, address account) external view returns (uint256 used) {
        uint256 before = gasleft();
        vault.isLiquidatable(account);
        used = before - gasleft();
    }
}
