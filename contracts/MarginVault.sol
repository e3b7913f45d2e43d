// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IMarginVault} from "./interfaces/IMarginVault.sol";
import {RiskRegistry} from "./RiskRegistry.sol";
import {ErrorsLib} from "./libraries/ErrorsLib.sol";
import {EventsLib} from "./libraries/EventsLib.sol";
import {MarginLib} from "./libraries/MarginLib.sol";
import {OracleLib} from "./libraries/OracleLib.sol";

/// @title MarginVault
/// @notice Holds multi-token collateral, records positions and cash per account, and computes each account's
/// equity and portfolio margin requirement on-chain from oracle prices (spec v1).
/// @dev Entry points follow one order: validate, update, compute, emit, transfer.
contract MarginVault is RiskRegistry, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
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
    mapping(address account => mapping(uint256 collateralId => uint256)) internal _balances;
    mapping(address account => mapping(uint256 market => int256)) internal _positions;
    mapping(address owner => mapping(address operator => bool)) internal _operators;

    /// @param admin Receives DEFAULT_ADMIN_ROLE, which grants RISK_ADMIN_ROLE and GUARDIAN_ROLE.
    /// @param imFactor_ The initial margin factor (WAD, in [1e18, 10e18]).
    constructor(address admin, uint256 imFactor_) RiskRegistry(admin, imFactor_) {}

    // ---------------------------------------------------------------- guardian

    /// @inheritdoc IMarginVault
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @inheritdoc IMarginVault
    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- accounts

    /// @inheritdoc IMarginVault
    function setOperator(address operator, bool approved) external {
        _operators[msg.sender][operator] = approved;
        emit EventsLib.OperatorSet(msg.sender, operator, approved);
    }

    /// @inheritdoc IMarginVault
    function deposit(address token, uint256 amount, address account) external whenNotPaused nonReentrant {
        uint256 id = _collateralId(token);
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (account == address(0)) revert ErrorsLib.ZeroAddress();
        CollateralConfig storage config = _collaterals[id];
        uint256 totalAfter = config.totalDeposits + amount;
        if (totalAfter > config.depositCap) revert ErrorsLib.DepositCapExceeded(token, totalAfter, config.depositCap);

        // Safe cast: totalAfter <= depositCap < 2^128.
        config.totalDeposits = uint128(totalAfter);
        uint256 balance = _balances[account][id] + amount;
        _balances[account][id] = balance;
        _accounts[account].collateralMask |= uint16(1 << id);

        emit EventsLib.Deposit(account, token, msg.sender, amount, balance);

        // The received amount is measured because the account is credited with `amount`: a token that delivers
        // less (fee-on-transfer) would leave the vault short of what it owes.
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert ErrorsLib.TransferShortfall(token, amount, received);
    }

    /// @inheritdoc IMarginVault
    /// @dev Not stopped by a pause: a healthy account can always leave.
    function withdraw(address token, uint256 amount, address account, address receiver)
        external
        nonReentrant
    {
        uint256 id = _collateralId(token);
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (receiver == address(0)) revert ErrorsLib.ZeroAddress();
        _checkAuthorized(account);
        uint256 balance = _balances[account][id];
        if (amount > balance) revert ErrorsLib.InsufficientBalance(token, balance, amount);

        unchecked {
            // Safe: amount <= balance <= totalDeposits.
            balance -= amount;
            _collaterals[id].totalDeposits -= uint128(amount);
        }
        _balances[account][id] = balance;
        if (balance == 0) _accounts[account].collateralMask &= ~uint16(1 << id);

        _checkInitialMargin(account);

        emit EventsLib.Withdraw(account, token, receiver, amount, balance);

        IERC20(token).safeTransfer(receiver, amount);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IMarginVault
    function accountMargin(address account) external view returns (AccountMargin memory result) {
        (MarginLib.Portfolio memory p, MarginLib.RiskParams memory r, uint256[] memory prices) = _load(account);
        MarginLib.Margin memory m = MarginLib.accountMargin(p, r, prices);
        result = AccountMargin({
            equity: m.equity,
            maintenanceMargin: m.maintenanceMargin,
            initialMargin: m.initialMargin,
            kLow: m.kLow,
            kMedium: m.kMedium,
            kHigh: m.kHigh,
            k: m.k,
            addOns: m.addOns,
            isolatedMaintenanceMargin: m.isolatedMaintenanceMargin,
            touchedAssets: m.touched,
            exposures: m.exposures,
            weightedSensitivities: m.weightedSensitivities
        });
    }

    /// @inheritdoc IMarginVault
    function isLiquidatable(address account) external view returns (bool) {
        (int256 equity, uint256 mm,) = _requirement(account);
        return equity < int256(mm);
    }

    /// @inheritdoc IMarginVault
    function price(uint256 asset) external view returns (uint256) {
        _checkAssetListed(asset);
        OracleLib.checkSequencer(_sequencerFeed, _gracePeriod);
        return _price(asset);
    }

    /// @inheritdoc IMarginVault
    function isOperator(address owner, address operator) external view returns (bool) {
        return _operators[owner][operator];
    }

    /// @inheritdoc IMarginVault
    function collateralBalance(address account, address token) external view returns (uint256) {
        return _balances[account][_collateralId(token)];
    }

    /// @inheritdoc IMarginVault
    function position(address account, uint256 market) external view returns (int256) {
        return _positions[account][market];
    }

    /// @inheritdoc IMarginVault
    function cash(address account) external view returns (int256) {
        return _accounts[account].cash;
    }

    // ---------------------------------------------------------------- internal: account updates

    /// @dev Moves `account`'s position in `market` by `delta`, keeping the market mask and the long open
    /// interest in step. Caps are checked by the callers that may add risk, never here, so that a
    /// liquidation can always reduce a position.
    function _updatePosition(address account, uint256 market, int256 delta) internal {
        int256 size = _positions[account][market];
        int256 newSize = size + delta;
        _positions[account][market] = newSize;

        Account storage acc = _accounts[account];
        if (newSize == 0) acc.marketMask &= ~uint32(1 << market);
        else acc.marketMask |= uint32(1 << market);

        // Long open interest moves by the change of this account's long side.
        uint256 longBefore = size > 0 ? uint256(size) : 0;
        uint256 longAfter = newSize > 0 ? uint256(newSize) : 0;
        MarketConfig storage config = _markets[market];
        config.openInterest = (uint256(config.openInterest) + longAfter - longBefore).toUint128();

        emit EventsLib.PositionChanged(account, market, delta, newSize);
    }

    /// @dev Moves `account`'s settled cash by `delta`.
    function _updateCash(address account, int256 delta) internal {
        int256 newCash = _accounts[account].cash + delta;
        _accounts[account].cash = newCash.toInt128();
        emit EventsLib.CashChanged(account, delta, newCash);
    }

    function _checkAuthorized(address account) internal view {
        if (msg.sender != account && !_operators[account][msg.sender]) {
            revert ErrorsLib.Unauthorized(msg.sender, account);
        }
    }

    function _checkInitialMargin(address account) internal view {
        (int256 equity,, uint256 im) = _requirement(account);
        if (equity < int256(im)) revert ErrorsLib.InsufficientMargin(account, equity, im);
    }

    // ---------------------------------------------------------------- internal: margin

    /// @dev Equity, maintenance and initial margin of `account` (spec §3-§4), without the breakdown.
    function _requirement(address account) internal view returns (int256 equity, uint256 mm, uint256 im) {
        (MarginLib.Portfolio memory p, MarginLib.RiskParams memory r, uint256[] memory prices) = _load(account);
        return MarginLib.marginRequirement(p, r, prices);
    }

    /// @dev Gathers what the engine needs for `account`: its collateral (normalised to WAD) and positions, the
    /// prices, scans and correlations of the assets it touches. Assets it does not touch keep zero entries.
    function _load(address account)
        internal
        view
        returns (MarginLib.Portfolio memory p, MarginLib.RiskParams memory r, uint256[] memory prices)
    {
        Account memory acc = _accounts[account];
        uint256 assetCount = _assetCount;
        prices = new uint256[](assetCount);
        r.scan = new uint256[](assetCount);
        r.rho = new int256[](assetCount * (assetCount - 1) / 2);
        r.imFactor = _imFactor;
        p.cash = acc.cash;

        uint256 touched;
        p.collateral = new MarginLib.Collateral[](_popCount(acc.collateralMask));
        uint256 n;
        for (uint256 id; (acc.collateralMask >> id) != 0; ++id) {
            if ((acc.collateralMask >> id) & 1 == 0) continue;
            CollateralConfig storage config = _collaterals[id];
            uint256 asset = config.asset;
            // Normalising to WAD is exact: decimals <= 18.
            p.collateral[n++] = MarginLib.Collateral({
                asset: asset,
                haircut: config.haircut,
                balance: _balances[account][id] * 10 ** (18 - config.decimals)
            });
            touched |= 1 << asset;
        }

        p.positions = new MarginLib.Position[](_popCount(acc.marketMask));
        n = 0;
        for (uint256 market; (acc.marketMask >> market) != 0; ++market) {
            if ((acc.marketMask >> market) & 1 == 0) continue;
            MarketConfig storage config = _markets[market];
            uint256 asset = config.asset;
            p.positions[n++] =
                MarginLib.Position({asset: asset, k: config.k, size: _positions[account][market]});
            touched |= 1 << asset;
        }

        if (touched == 0) return (p, r, prices);
        OracleLib.checkSequencer(_sequencerFeed, _gracePeriod);
        for (uint256 b; (touched >> b) != 0; ++b) {
            if ((touched >> b) & 1 == 0) continue;
            prices[b] = _price(b);
            r.scan[b] = _assets[b].scan;
            for (uint256 a; a < b; ++a) {
                if ((touched >> a) & 1 == 1) {
                    uint256 index = MarginLib.pairIndex(a, b);
                    r.rho[index] = _rho[index];
                }
            }
        }
    }

    function _price(uint256 asset) internal view returns (uint256) {
        AssetConfig storage config = _assets[asset];
        return OracleLib.readPrice(config.feed, config.feedDecimals, config.heartbeat, config.maxPrice, asset);
    }

    function _popCount(uint256 x) private pure returns (uint256 count) {
        for (; x != 0; x &= x - 1) ++count;
    }
}
