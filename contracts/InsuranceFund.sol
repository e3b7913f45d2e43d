// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IMarginVault} from "./interfaces/IMarginVault.sol";
import {ICashSettlement} from "./interfaces/ICashSettlement.sol";
import {ErrorsLib} from "./libraries/ErrorsLib.sol";
import {EventsLib} from "./libraries/EventsLib.sol";
import {MathLib} from "./libraries/MathLib.sol";

/// @title InsuranceFund
/// @notice An ERC-4626 vault in the settlement token (USDC in the default deployment) that backs the MarginVault's
/// liquidations: it receives the fund's share of every liquidation penalty and pays the shortfall of accounts that a
/// liquidation leaves with no position, no collateral and negative equity. See docs/cash.md and docs/liquidation.md.
/// @dev How value flows:
/// - Penalty shares arrive as USD cash on the fund's own account in the MarginVault. That cash is real tokens: the
///   fund claims it as settlement tokens through the vault's `withdraw` (paid from the settlement pool), when a
///   redemption needs it or anyone calls `claimCash`. `maxWithdraw` counts it as far as the pool can pay.
/// - Income is streamed: a new penalty share enters `totalAssets` linearly over VESTING_PERIOD (a new share is
///   merged into the running stream, its end the amount-weighted average), so a deposit made just before a
///   liquidation earns only what vests while its shares bear the fund's risk. Losses (bad debt paid) are not
///   streamed: they lower `totalAssets` at once.
/// - Withdrawals go through a cooldown: `requestRedeem(shares)`, wait COOLDOWN, then redeem within REDEEM_WINDOW.
///   Shares in cooldown still bear bad debt, so a depositor cannot leave after an account's shortfall is public.
///   `maxWithdraw` and `maxRedeem` honour the cooldown (zero outside the window), as ERC-4626 allows.
/// - A decimals offset of 6 (OpenZeppelin's virtual shares) makes a donation unable to round a deposit to zero
///   shares; the deployment also seeds the fund with shares no one can redeem.
/// @dev Warning: the vault is trusted with the whole token balance (it pulls tokens to cover bad debt).
contract InsuranceFund is ERC4626 {
    using SafeERC20 for IERC20;

    /// @notice How long a redemption request waits before its window opens.
    uint256 public constant COOLDOWN = 7 days;
    /// @notice How long a request can be redeemed once its cooldown is over.
    uint256 public constant REDEEM_WINDOW = 2 days;
    /// @notice How long a penalty share takes to enter `totalAssets` (at most: merged shares end on a weighted
    /// average).
    uint256 public constant VESTING_PERIOD = 7 days;

    /// @dev A redemption request: how many shares, and when it was made (0: none).
    struct Cooldown {
        uint192 shares;
        uint64 start;
    }

    /// @notice The MarginVault this fund insures.
    IMarginVault public immutable vault;

    /// @dev 10^(18 - asset decimals): WAD cash per token unit.
    uint256 private immutable _scale;

    /// @notice Each owner's redemption request.
    mapping(address owner => Cooldown) public cooldowns;

    /// @dev The income stream: `_vesting` token units at `_vestStart`, vesting linearly until `_vestEnd`.
    uint128 private _vesting;
    uint64 private _vestStart;
    uint64 private _vestEnd;
    /// @dev The raw assets (tokens + claimable-or-not vault cash) at the last checkpoint: anything above it is new
    /// income not yet in the stream.
    uint256 private _lastRaw;

    /// @param asset_ The settlement token (<= 18 decimals).
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

    // ---------------------------------------------------------------- cooldown and income

    /// @notice Starts (or replaces) the caller's redemption request for `shares`: redeemable after COOLDOWN, for
    /// REDEEM_WINDOW. The shares stay in the fund, bearing its losses, until redeemed.
    function requestRedeem(uint256 shares) external {
        uint256 balance = balanceOf(msg.sender);
        if (shares == 0 || shares > balance) revert ErrorsLib.InvalidRedeemRequest(msg.sender, shares, balance);
        // Safe casts: shares <= total supply < 2^192; timestamps fit 64 bits.
        cooldowns[msg.sender] = Cooldown({shares: uint192(shares), start: uint64(block.timestamp)});
        uint256 opens = block.timestamp + COOLDOWN;
        emit EventsLib.RedeemRequested(msg.sender, shares, opens, opens + REDEEM_WINDOW);
    }

    /// @notice Claims the fund's vault cash as settlement tokens, as far as the settlement pool can pay.
    /// @return claimed The token units received.
    function claimCash() external returns (uint256 claimed) {
        claimed = _claimable();
        if (claimed != 0) vault.withdraw(asset(), claimed, address(this), address(this));
    }

    /// @notice Moves new income into the stream (also done by every deposit and redemption).
    function checkpoint() external {
        _checkpoint();
    }

    /// @notice The fund's USD cash in the vault, in token units (rounded down; zero when not positive).
    function vaultCashAssets() public view returns (uint256) {
        int256 cash = vault.cash(address(this));
        // Cast: cash > 0 in that branch. Rounds down: an asset the fund owns.
        return cash > 0 ? uint256(cash) / _scale : 0;
    }

    /// @notice Income received but not yet in `totalAssets` (streamed or not yet checkpointed), in token units.
    function lockedIncome() public view returns (uint256) {
        return _lockedIncome(_rawAssets());
    }

    /// @notice The shares `owner` may redeem now: its request, within its window, at most its balance.
    function redeemableShares(address owner) public view returns (uint256) {
        Cooldown memory c = cooldowns[owner];
        uint256 opens = uint256(c.start) + COOLDOWN;
        if (c.start == 0 || block.timestamp < opens || block.timestamp > opens + REDEEM_WINDOW) return 0;
        uint256 balance = balanceOf(owner);
        return c.shares < balance ? c.shares : balance;
    }

    // ---------------------------------------------------------------- ERC-4626

    /// @notice Tokens held plus the fund's vault cash in token units, less the income still streaming in.
    function totalAssets() public view override returns (uint256) {
        uint256 raw = _rawAssets();
        return raw - _lockedIncome(raw);
    }

    /// @notice What `owner`'s redeemable shares are worth, at most what the fund can pay in tokens now (tokens held
    /// plus the vault cash the settlement pool can pay).
    function maxWithdraw(address owner) public view override returns (uint256) {
        uint256 max = _convertToAssets(redeemableShares(owner), Math.Rounding.Floor);
        uint256 liquid = IERC20(asset()).balanceOf(address(this)) + _claimable();
        return max < liquid ? max : liquid;
    }

    /// @notice `owner`'s redeemable shares, at most the shares of what the fund can pay in tokens now.
    function maxRedeem(address owner) public view override returns (uint256) {
        uint256 max = redeemableShares(owner);
        // Rounds down: shares that can certainly be paid.
        uint256 liquid = _convertToShares(IERC20(asset()).balanceOf(address(this)) + _claimable(), Math.Rounding.Floor);
        return max < liquid ? max : liquid;
    }

    // ---------------------------------------------------------------- internal

    /// @dev Virtual shares: 1e6 shares per token unit, so a donation d can only round a deposit down by less than
    /// d / 1e6 of value (an attacker loses almost all of its donation to the fund).
    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }

    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        _checkpoint();
        super._deposit(caller, receiver, assets, shares);
        _lastRaw = _rawAssets();
    }

    function _withdraw(address caller, address receiver, address owner, uint256 assets, uint256 shares)
        internal
        override
    {
        _checkpoint();
        // The max functions bound shares by the request; the request is used up by what is redeemed.
        cooldowns[owner].shares -= uint192(shares); // Safe cast: shares <= the request < 2^192.
        uint256 held = IERC20(asset()).balanceOf(address(this));
        if (held < assets) vault.withdraw(asset(), assets - held, address(this), address(this));
        super._withdraw(caller, receiver, owner, assets, shares);
        _lastRaw = _rawAssets();
    }

    /// @dev A request never covers more shares than the owner keeps: shares moved away leave the request.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0)) {
            Cooldown storage c = cooldowns[from];
            uint256 balance = balanceOf(from);
            if (c.shares > balance) c.shares = uint192(balance); // Safe cast: balance < c.shares < 2^192.
        }
    }

    /// @dev Folds income received since the last checkpoint into the stream: the stream then holds its unvested
    /// rest plus the new income, ending at their amount-weighted end (the rest's end, the new income's now +
    /// VESTING_PERIOD), so neither a tiny donation nor frequent checkpoints can delay income already streaming.
    function _checkpoint() private {
        uint256 raw = _rawAssets();
        uint256 last = _lastRaw;
        if (raw > last) {
            uint256 income = raw - last;
            uint256 rest = _unvested();
            uint256 end = _vestEnd;
            uint256 restTime = end > block.timestamp ? end - block.timestamp : 0;
            uint256 vesting = rest + income;
            uint256 newEnd = block.timestamp + (rest * restTime + income * VESTING_PERIOD) / vesting;
            // Safe casts: vesting <= raw assets < 2^128; timestamps fit 64 bits.
            _vesting = uint128(vesting);
            _vestStart = uint64(block.timestamp);
            _vestEnd = uint64(newEnd);
            emit EventsLib.IncomeStreamed(income, vesting, newEnd);
        }
        _lastRaw = raw;
    }

    /// @dev The stream's part not vested yet. Rounds up: income is counted only once it has vested.
    function _unvested() private view returns (uint256) {
        uint256 end = _vestEnd;
        if (block.timestamp >= end) return 0;
        return MathLib.ceilDiv(uint256(_vesting) * (end - block.timestamp), end - _vestStart);
    }

    /// @dev The unvested stream plus income not yet checkpointed, at most `raw` (a loss can exceed the income).
    function _lockedIncome(uint256 raw) private view returns (uint256) {
        uint256 last = _lastRaw;
        uint256 locked = _unvested() + (raw > last ? raw - last : 0);
        return locked < raw ? locked : raw;
    }

    /// @dev Tokens held plus the fund's vault cash in token units.
    function _rawAssets() private view returns (uint256) {
        return IERC20(asset()).balanceOf(address(this)) + vaultCashAssets();
    }

    /// @dev The fund's vault cash the settlement pool can pay now, in token units.
    function _claimable() private view returns (uint256) {
        uint256 cashAssets = vaultCashAssets();
        (uint256 pool,) = ICashSettlement(address(vault)).cashPool();
        return cashAssets < pool ? cashAssets : pool;
    }
}
