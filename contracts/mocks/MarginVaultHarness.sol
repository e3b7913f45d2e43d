// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {MarginVault} from "../MarginVault.sol";

/// @title MarginVaultHarness
/// @notice TEST ONLY. A MarginVault whose account state can be written directly, so that margin vectors and
/// tests can place any portfolio (positions and cash come from trades once those exist) without caps.
contract MarginVaultHarness is MarginVault {
    constructor(address admin, uint256 imFactor_) MarginVault(admin, imFactor_) {}

    /// @notice Sets `account`'s balance of `token` (token units), without moving tokens.
    function harnessSetBalance(address account, address token, uint256 amount) external {
        uint256 id = _collateralId(token);
        _balances[account][id] = SafeCast.toUint128(amount);
        if (amount == 0) _accounts[account].collateralMask &= ~uint16(1 << id);
        else _accounts[account].collateralMask |= uint16(1 << id);
    }

    /// @notice Sets `account`'s position in `market`.
    function harnessSetPosition(address account, uint256 market, int256 size) external {
        _checkMarketListed(market);
        (uint256 longBefore, uint256 longAfter) = _setPosition(account, market, size - _positions[account][market]);
        MarketState storage config = _markets[market];
        config.openInterest = SafeCast.toUint128(uint256(config.openInterest) + longAfter - longBefore);
    }

    /// @notice Sets `account`'s cash.
    function harnessSetCash(address account, int256 newCash) external {
        _updateCash(account, newCash - _accounts[account].cash);
    }
}
