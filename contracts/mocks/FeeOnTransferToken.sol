// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice A test token that burns a fee on every transfer, so that the receiver gets less than the amount
/// sent. Used to check that the vault measures what it received instead of trusting the amount.
contract FeeOnTransferToken is ERC20 {
    /// @dev The basis point unit.
    uint256 private constant BPS = 10_000;

    /// @notice The fee burnt on every transfer, in basis points of the amount.
    uint256 public immutable feeBps;

    /// @notice Thrown when the fee is above 100%.
    error InvalidFeeBps(uint256 feeBps);

    /// @notice Creates the token.
    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    /// @param feeBps_ The fee burnt on every transfer, in basis points (at most 10,000).
    constructor(string memory name_, string memory symbol_, uint256 feeBps_) ERC20(name_, symbol_) {
        if (feeBps_ > BPS) revert InvalidFeeBps(feeBps_);
        feeBps = feeBps_;
    }

    /// @notice Mints `amount` tokens to `to`, without fee. Unrestricted: test token only.
    /// @param to The receiver.
    /// @param amount The amount to mint.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Moves tokens, burning the fee from the sender's amount on transfers (not on mints or burns).
    /// @dev Covers both `transfer` and `transferFrom`: the allowance is spent on the full amount, as with real
    /// fee-on-transfer tokens.
    /// @param from The sender (zero for a mint).
    /// @param to The receiver (zero for a burn).
    /// @param value The amount taken from the sender.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value * feeBps / BPS;
        super._update(from, address(0), fee);
        // fee <= value since feeBps <= BPS.
        unchecked {
            super._update(from, to, value - fee);
        }
    }
}
