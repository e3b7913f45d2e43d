// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IMarginVault} from "./interfaces/IMarginVault.sol";
import {ICashSettlement} from "./interfaces/ICashSettlement.sol";
import {IRiskGovernance} from "./interfaces/IRiskGovernance.sol";
import {RiskRegistry} from "./RiskRegistry.sol";
import {VaultStorage} from "./VaultStorage.sol";
import {ErrorsLib} from "./libraries/ErrorsLib.sol";
import {EventsLib} from "./libraries/EventsLib.sol";
import {ListingLib} from "./libraries/ListingLib.sol";
import {MathLib} from "./libraries/MathLib.sol";
import {WAD, MAX_SETTLEMENT_DISCOUNT, MAX_LIQUIDATION_GRACE_PERIOD} from "./libraries/ConstantsLib.sol";

/// @title CashModule
/// @notice The MarginVault's cash settlement, run by the vault with delegatecall (on the vault's storage): nets
/// negative cash against the account's own settlement-token balance (USDC, the collateral on the USD asset) into the
/// settlement pool, and sells a debtor's other collateral for settlement tokens at the oracle price less a bounded
/// discount while the pool cannot pay a creditor. Positive cash is paid out by the vault's `withdraw`. See
/// docs/cash.md.
/// @dev It also runs RiskRegistry's setters for the vault (which keeps their ABI as stubs that delegate), so that
/// their code is not in the vault's bytecode, and serves the governance bounds (IRiskGovernance) at the vault's
/// address.
/// @dev Deployed by the vault's constructor; called directly it only sees its own empty storage. Margins and prices
/// are read through the vault's own external views (a sale is rare; the margin code stays in the vault only).
contract CashModule is VaultStorage, ICashSettlement, IRiskGovernance {
    using SafeERC20 for IERC20;

    /// @dev The module's own storage is never used; the constructor arguments only satisfy RiskRegistry's checks.
    constructor() RiskRegistry(msg.sender, WAD) {}

    // ---------------------------------------------------------------- entry points

    /// @inheritdoc ICashSettlement
    function settleCash(address account) external nonReentrant returns (uint256 units) {
        uint256 id = _settlementId();
        units = _settleCash(account, id);
    }

    /// @inheritdoc ICashSettlement
    function buyDebtorCollateral(address debtor, address token, uint256 amount, address creditor)
        external
        nonReentrant
        returns (uint256 bought, uint256 paid)
    {
        uint256 sid = _settlementId();
        uint256 id = _collateralId(token);
        if (id == sid) revert ErrorsLib.NotSettlementCollateral(token);
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        uint256 scale = _settlementScale(sid);
        _settleCash(debtor, sid);
        uint256 limit = _saleLimit(debtor, creditor, scale);

        (int256 equityBefore, uint256 mmBefore,) = _margins(debtor);
        CollateralConfig storage config = _collaterals[id];
        // Rounds up: the debtor is paid the higher price (it is the one that did not choose the sale).
        uint256 salePrice = MathLib.mulUp(IMarginVault(address(this)).price(config.asset), WAD - _settlementDiscount);
        uint256 decimalsScale = 10 ** (18 - config.decimals);
        uint256 balance = _balances[debtor][id];
        bought = amount < balance ? amount : balance;
        // The most the limit buys: floor(limit * scale * WAD / salePrice) WAD units, in whole token units.
        uint256 affordable = limit * scale * WAD / salePrice / decimalsScale;
        if (bought > affordable) bought = affordable;
        if (bought == 0) revert ErrorsLib.ZeroAmount();
        // Rounds up: the buyer pays whole settlement-token units, at least the value; paid <= limit since
        // bought * decimalsScale * salePrice <= limit * scale * WAD.
        paid = MathLib.ceilDiv(bought * decimalsScale * salePrice, WAD * scale);

        uint256 debtorBalance = _debitBalance(debtor, id, bought);
        _cashPool += uint128(paid); // Safe cast: paid <= limit <= the debtor's debt in token units < 2^128.
        // Cast: paid * scale <= -cash, inside the engine's range.
        _updateCash(debtor, int256(paid * scale));

        (int256 equityAfter, uint256 mmAfter,) = _margins(debtor);
        // Casts: margins are bounded by the engine's range (spec §4), far below 2^255.
        if (equityAfter < int256(mmAfter) && equityAfter - int256(mmAfter) < equityBefore - int256(mmBefore)) {
            revert ErrorsLib.SaleWorsensHealth(debtor, equityBefore - int256(mmBefore), equityAfter - int256(mmAfter));
        }

        // The balance left the debtor's account for the buyer: the same event as a withdrawal, so that indexers that
        // follow balances by `Withdraw` (the keeper, the web page) see it.
        emit EventsLib.Withdraw(debtor, token, msg.sender, bought, debtorBalance);
        emit EventsLib.DebtorCollateralSold(debtor, msg.sender, token, creditor, bought, paid, _cashPool);

        IERC20 settlementToken = IERC20(_collaterals[sid].token);
        settlementToken.safeTransferFrom(msg.sender, address(this), paid);
        IERC20(token).safeTransfer(msg.sender, bought);
    }

    /// @inheritdoc ICashSettlement
    /// @dev Bounded (IRiskGovernance); no direction is conservative for every party, so the guardian cannot move them.
    function setCashConfig(uint256 settlementDiscount, uint256 liquidationGracePeriod) external {
        Path path = _riskPath();
        if (settlementDiscount > MAX_SETTLEMENT_DISCOUNT || liquidationGracePeriod > MAX_LIQUIDATION_GRACE_PERIOD) {
            revert ErrorsLib.InvalidCashConfig(settlementDiscount, liquidationGracePeriod);
        }
        uint256 oldDiscount = _settlementDiscount;
        uint256 oldGrace = _liquidationGracePeriod;
        _checkRiskChange(path, RiskParam.SettlementDiscount, 0, oldDiscount, settlementDiscount, Tighter.Never);
        _checkRiskChange(path, RiskParam.LiquidationGracePeriod, 0, oldGrace, liquidationGracePeriod, Tighter.Never);
        _settlementDiscount = uint64(settlementDiscount); // Safe cast: <= 0.05e18.
        _liquidationGracePeriod = uint32(liquidationGracePeriod); // Safe cast: <= 4 hours.
        emit EventsLib.CashConfigSet(oldDiscount, settlementDiscount, oldGrace, liquidationGracePeriod);
    }

    // ---------------------------------------------------------------- governance bounds

    /// @inheritdoc IRiskGovernance
    function setRiskSteps(uint256 maxStep, uint256 minInterval) external onlyRole(RISK_ADMIN_ROLE) {
        _setRiskSteps(maxStep, minInterval);
    }

    /// @inheritdoc IRiskGovernance
    function setPriceBand(uint256 bandBps) external {
        Path path = _riskPath();
        _checkRiskChange(path, RiskParam.PriceBand, 0, _priceBandBps, bandBps, Tighter.Down);
        _setPriceBand(bandBps);
    }

    /// @inheritdoc IRiskGovernance
    function riskSteps() external view returns (uint256 maxStep, uint256 minInterval) {
        return (_riskStep, _riskInterval);
    }

    /// @inheritdoc IRiskGovernance
    function lastRiskChange(RiskParam param, uint256 id) external view returns (uint256 changedAt) {
        return _lastRiskChange[_riskKey(param, id)];
    }

    /// @inheritdoc IRiskGovernance
    function priceBand() external view returns (uint256) {
        return _priceBandBps;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICashSettlement
    function cashPool() external view returns (uint256 pool, address token) {
        return (_cashPool, _collaterals[_settlementId()].token);
    }

    /// @inheritdoc ICashSettlement
    function liquidationResumesAt() external view returns (uint256 unpausedAt, uint256 resumesAt) {
        unpausedAt = _unpausedAt;
        resumesAt = unpausedAt == 0 ? 0 : unpausedAt + _liquidationGracePeriod;
    }

    /// @inheritdoc ICashSettlement
    function cashConfig() external view returns (uint256 settlementDiscount, uint256 liquidationGracePeriod) {
        return (_settlementDiscount, _liquidationGracePeriod);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Nets `account`'s negative cash against its balance of the settlement token `sid`. Returns the units moved.
    function _settleCash(address account, uint256 sid) internal returns (uint256 units) {
        int256 cash = _accounts[account].cash;
        if (cash >= 0) return 0;
        uint256 balance = _balances[account][sid];
        if (balance == 0) return 0;
        uint256 scale = _settlementScale(sid);
        // Rounds up: the debtor pays whole token units, at least its debt; the excess below one unit stays as its
        // positive cash. Cast: cash < 0.
        uint256 owed = MathLib.ceilDiv(uint256(-cash), scale);
        units = owed < balance ? owed : balance;
        balance = _debitBalance(account, sid, units);
        uint256 pool = _cashPool + units;
        _cashPool = uint128(pool); // Safe cast: the pool is at most the token's total supply held by the vault.
        // Cast: units * scale <= -cash + scale, inside the engine's range.
        _updateCash(account, int256(units * scale));
        // The balance left the account for the settlement pool (held by the vault): the same event as a withdrawal,
        // so that indexers that follow balances by `Withdraw` (the keeper, the web page) see it.
        emit EventsLib.Withdraw(account, _collaterals[sid].token, address(this), units, balance);
        emit EventsLib.CashSettled(account, pool);
    }

    /// @dev The most `debtor`'s collateral may raise now (settlement-token units): what the pool lacks for
    /// `creditor`'s claim, at most the debtor's debt. Both sides are measured by their profit and loss, cash plus the
    /// notional of their positions, so that the cost basis of an open position is neither a debt (a long's negative
    /// cash) nor a claim (a short's positive cash): only realised or unrealised losses can be sold for.
    /// - debt: min(-cash, -pnl), the debtor's negative cash that its positions do not account for;
    /// - claim: min(cash, pnl, E - IM), the creditor's positive cash it could withdraw now.
    function _saleLimit(address debtor, address creditor, uint256 scale) private view returns (uint256) {
        int256 debt = _minSigned(-_accounts[debtor].cash, -_profitAndLoss(debtor));
        if (debt <= 0) revert ErrorsLib.NoCashDebt(debtor);
        (int256 equity,, uint256 im) = _margins(creditor);
        // Cast: margins are bounded by the engine's range.
        int256 withdrawable =
            _minSigned(_minSigned(equity - int256(im), _accounts[creditor].cash), _profitAndLoss(creditor));
        // Rounds down: the claim the pool must meet, in whole token units. Cast: withdrawable > 0 when used.
        uint256 claim = withdrawable > 0 ? uint256(withdrawable) / scale : 0;
        uint256 pool = _cashPool;
        if (claim <= pool) revert ErrorsLib.SettlementPoolNotShort(creditor, claim, pool);
        // Rounds down: the sale never raises more than the debt (cash stays <= 0). Cast: debt > 0.
        uint256 debtUnits = uint256(debt) / scale;
        uint256 shortfall = claim - pool;
        return shortfall < debtUnits ? shortfall : debtUnits;
    }

    /// @dev `account`'s cash plus the notional of its positions at oracle prices (WAD, each notional rounded down
    /// as in the margin engine): its profit and loss, realised or not.
    function _profitAndLoss(address account) private view returns (int256 pnl) {
        pnl = _accounts[account].cash;
        uint256 marketMask = _accounts[account].marketMask;
        for (uint256 market; (marketMask >> market) != 0; ++market) {
            if ((marketMask >> market) & 1 == 0) continue;
            (uint256 asset,) = ListingLib.unpackMarket(_marketRisk[market]);
            uint256 assetPrice = IMarginVault(address(this)).price(asset);
            // Cast: prices are capped by the asset's listed maximum, far below 2^255.
            pnl += MathLib.mulDown(_positions[account][market], int256(assetPrice));
        }
    }

    function _minSigned(int256 x, int256 y) private pure returns (int256) {
        return x < y ? x : y;
    }

    /// @dev `account`'s equity, maintenance and initial margin, from the vault's view.
    function _margins(address account) private view returns (int256 equity, uint256 mm, uint256 im) {
        IMarginVault.AccountMargin memory m = IMarginVault(address(this)).accountMargin(account);
        return (m.equity, m.maintenanceMargin, m.initialMargin);
    }
}
