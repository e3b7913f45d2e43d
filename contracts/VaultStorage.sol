// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {RiskRegistry} from "./RiskRegistry.sol";
import {ErrorsLib} from "./libraries/ErrorsLib.sol";
import {EventsLib} from "./libraries/EventsLib.sol";
import {MAX_COLLATERALS, MAX_MARKETS} from "./libraries/ConstantsLib.sol";

/// @title VaultStorage
/// @notice The MarginVault's account storage and the few account updates shared by the vault and its cash module
/// (`CashModule`, which the vault runs by delegatecall so that cash settlement does not grow the vault's bytecode).
/// Both contracts inherit this one, so they share one storage layout.
/// @dev Cash settles in the settlement token at par (docs/cash.md). Conservation, to the wei (WAD; `scale` =
/// 10^(18 - settlement decimals)): sum of every account's cash = cashPool * scale + badDebt.
abstract contract VaultStorage is RiskRegistry, ReentrancyGuardTransient {
    using SafeCast for int256;

    /// @dev One slot per account: settled cash (|cash| stays far below 2^127 inside the engine's range) and the
    /// bitmaps of collateral tokens with a balance and markets with a position, so that a margin computation
    /// reads only what the account holds.
    struct Account {
        int128 cash;
        uint16 collateralMask;
        uint32 marketMask;
    }

    mapping(address account => Account) internal _accounts;
    /// @dev Token units, two to a slot: a balance is at most its token's total deposits, capped below 2^128.
    mapping(address account => uint128[MAX_COLLATERALS]) internal _balances;
    /// @dev WAD base units, two to a slot: |size| is at most the market's open interest (SafeCast-checked).
    mapping(address account => int128[MAX_MARKETS]) internal _positions;
    mapping(address owner => mapping(address operator => bool)) internal _operators;

    /// @dev Unbacked bad debt (WAD USD): shortfalls the insurance fund could not pay, owed by the system and
    /// repaid first from the fund's future bonus shares.
    uint256 internal _badDebt;

    /// @dev Settlement tokens netted from debtors (or paid by buyers of a debtor's collateral, or pulled from the
    /// insurance fund to cover bad debt) and not yet paid out to creditors. Token units, below 2^128.
    uint128 internal _cashPool;
    /// @dev The discount (WAD) at which a debtor's collateral is sold for settlement tokens. Set with the liquidation
    /// grace period (RiskRegistry) by the CashModule's `setCashConfig`.
    uint64 internal _settlementDiscount;

    /// @dev Moves `account`'s settled cash by `delta`.
    function _updateCash(address account, int256 delta) internal {
        int256 newCash = _accounts[account].cash + delta;
        _accounts[account].cash = newCash.toInt128();
        emit EventsLib.CashChanged(account, delta, newCash);
    }

    /// @dev Takes `amount` (<= the balance, checked by the callers) out of `account`'s balance of collateral `id` and
    /// of the token's total deposits, clearing the mask bit at zero. Returns the new balance.
    function _debitBalance(address account, uint256 id, uint256 amount) internal returns (uint256 balance) {
        balance = _balances[account][id] - amount;
        unchecked {
            // Safe: amount <= balance <= totalDeposits.
            _collaterals[id].totalDeposits -= uint128(amount);
        }
        _balances[account][id] = uint128(balance); // Safe cast: balance decreased from a uint128.
        if (balance == 0) _accounts[account].collateralMask &= ~uint16(1 << id);
    }

    /// @dev Pays `units` of `account`'s positive cash out of the pool (the caller transfers them). Reverts when the
    /// account's cash or the pool is short; the caller checks the account's initial margin afterwards.
    function _payCash(address account, uint256 sid, uint256 units) internal {
        // Cannot overflow: units is at most a requested token amount, far below 2^128, times at most 1e18.
        uint256 amount = units * _settlementScale(sid);
        int256 cash = _accounts[account].cash;
        // Cast: amount < 2^255.
        if (cash < int256(amount)) revert ErrorsLib.InsufficientCash(account, cash, amount);
        uint256 pool = _cashPool;
        if (units > pool) revert ErrorsLib.SettlementPoolShort(pool, units);
        unchecked {
            // Safe: units <= pool.
            pool -= units;
        }
        _cashPool = uint128(pool); // Safe cast: the pool decreased from a uint128.
        _updateCash(account, -int256(amount));
        emit EventsLib.CashPaid(account, units, pool);
    }

    /// @dev Reverts while liquidations are stopped: during a pause and for the grace period after it is lifted, so
    /// that accounts that could not trade their risk down while paused get the time to add margin (Aave 3.1's
    /// liquidation grace period).
    function _checkLiquidationAllowed() internal view {
        if (paused()) revert ErrorsLib.LiquidationPaused();
        uint256 resumesAt = uint256(_unpausedAt) + _liquidationGracePeriod;
        if (block.timestamp < resumesAt) revert ErrorsLib.LiquidationGracePeriod(resumesAt);
    }

    /// @dev Records when the pause was lifted, which starts the liquidation grace period.
    function _unpause() internal override {
        super._unpause();
        _unpausedAt = uint64(block.timestamp); // Safe cast: timestamps fit 64 bits.
    }

    /// @inheritdoc RiskRegistry
    function _claimableCash(address account) internal view override returns (uint256) {
        int256 cash = _accounts[account].cash;
        // Rounds down: whole token units only. Cast: cash > 0 there.
        return cash > 0 ? uint256(cash) / _settlementScale(_settlementId()) : 0;
    }

    /// @dev 10^(18 - decimals) of the settlement token `sid`: WAD cash per token unit.
    function _settlementScale(uint256 sid) internal view returns (uint256) {
        return 10 ** (18 - _collaterals[sid].decimals);
    }
}
