// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockERC20
/// @notice A test token with configurable decimals that anyone can mint.
contract MockERC20 is ERC20 {
    /// @dev Immutable, so that `decimals()` reads no storage.
    uint8 private immutable _decimals;

    /// @notice Creates the token.
    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    /// @param decimals_ The token's decimals.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @notice Mints `amount` tokens to `to`. Unrestricted: test token only.
    /// @param to The receiver.
    /// @param amount The amount to mint.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Returns the token's decimals.
    /// @return The decimals.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
