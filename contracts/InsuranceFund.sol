// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IMarginVault} from "./interfaces/IMarginVault.sol";
import {ErrorsLib} from "./libraries/ErrorsLib.sol";

/// @title InsuranceFund
/// @notice An ERC-4626 vault in the settlement stablecoin (USDC in the default deployment) that backs the
/// MarginVault's liquidations: it receives the fund's share of every liquidation penalty and pays the shortfall
/// of accounts that a liquidation leaves with no position, no collateral and negative equity.
/// @dev How value flows (see docs/liquidation.md):
/// - Penalty shares arrive as USD cash on the fund's own account in the MarginVault (a ledger entry, 1 USD =
///   1e18). That cash is part of `totalAssets` (converted to token units, rounded down) but cannot be withdrawn
///   as tokens: `maxWithdraw` and `maxRedeem` are limited to the tokens the fund holds.
/// - Bad debt is paid from that cash first, then from the fund's tokens, which the vault pulls into itself
///   (this contract approves the vault for its whole balance at construction) and books as cash of the
///   bankrupt account, so the vault's token balance stays at least the sum of recorded collateral balances.
/// - What the fund cannot pay is recorded in the vault as `badDebt` and repaid first from later penalty shares.
/// So a depositor shares the fund's losses (bad debt paid) and income (penalty shares) pro rata.
/// @dev Warning: the vault is trusted with the whole token balance. Like every ERC-4626 vault, a first deposit
/// into an empty fund is exposed to donation rounding; OpenZeppelin's virtual shares bound the loss, and the
/// deployer should seed the fund.
contract InsuranceFund is ERC4626 {
    using SafeERC20 for IERC20;

    /// @notice The MarginVault this fund insures.
    IMarginVault public immutable vault;

    /// @dev 10^(18 - asset decimals): WAD cash per token unit.
    uint256 private immutable _scale;

    /// @param asset_ The settlement stablecoin (<= 18 decimals).
    /// @param vault_ The MarginVault, approved to pull the fund's tokens when it covers bad debt.
    constructor(IERC20 asset_, IMarginVault vault_)
        ERC20("Portfolio Margin Insurance Fund", "pmIF")
        ERC4626(asset_)
    {
        if (address(vault_) == address(0)) revert ErrorsLib.ZeroAddress();
        uint8 decimals_ = IERC20Metadata(address(asset_)).decimals();
        if (decimals_ > 18) revert ErrorsLib.InvalidFundAsset(address(asset_));
        vault = vault_;
        _scale = 10 ** (18 - decimals_);
        asset_.forceApprove(address(vault_), type(uint256).max);
    }

    /// @notice The fund's USD cash in the vault, in token units (rounded down; zero when not positive).
    function vaultCashAssets() public view returns (uint256) {
        int256 cash = vault.cash(address(this));
        // Cast: cash > 0 in that branch. Rounds down: an asset the fund owns.
        return cash > 0 ? uint256(cash) / _scale : 0;
    }

    /// @notice The tokens held plus the fund's vault cash in token units.
    /// @dev The cash part is not withdrawable as tokens; see `maxWithdraw`.
    function totalAssets() public view override returns (uint256) {
        return IERC20(asset()).balanceOf(address(this)) + vaultCashAssets();
    }

    /// @notice At most what `owner`'s shares are worth and what the fund holds in tokens.
    function maxWithdraw(address owner) public view override returns (uint256) {
        uint256 max = super.maxWithdraw(owner);
        uint256 liquid = IERC20(asset()).balanceOf(address(this));
        return max < liquid ? max : liquid;
    }

    /// @notice At most `owner`'s shares and the shares of what the fund holds in tokens.
    function maxRedeem(address owner) public view override returns (uint256) {
        uint256 max = super.maxRedeem(owner);
        // Rounds down: shares that can certainly be paid from the tokens held.
        uint256 liquid = convertToShares(IERC20(asset()).balanceOf(address(this)));
        return max < liquid ? max : liquid;
    }
}
