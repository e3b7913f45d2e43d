// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IMarginVault} from "./interfaces/IMarginVault.sol";
import {IRiskRegistry} from "./interfaces/IRiskRegistry.sol";
import {RiskRegistry} from "./RiskRegistry.sol";
import {VaultStorage} from "./VaultStorage.sol";
import {CashModule} from "./CashModule.sol";
import {ErrorsLib} from "./libraries/ErrorsLib.sol";
import {EventsLib} from "./libraries/EventsLib.sol";
import {LiquidationLib} from "./libraries/LiquidationLib.sol";
import {MarginLib} from "./libraries/MarginLib.sol";
import {MathLib} from "./libraries/MathLib.sol";
import {OracleLib} from "./libraries/OracleLib.sol";
import {ListingLib} from "./libraries/ListingLib.sol";
import {BPS, MAX_COLLATERALS, MAX_MARKETS, MAX_PRICE_UNIT} from "./libraries/ConstantsLib.sol";

/// @title MarginVault
/// @notice Holds multi-token collateral, records positions and cash per account, and computes each account's
/// equity and portfolio margin requirement on-chain from oracle prices (spec v1).
/// @dev Entry points follow one order: validate, update, compute, emit, transfer.
contract MarginVault is VaultStorage, IMarginVault {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SafeCast for int256;

    /// @dev Prices, scans and correlations read so far by one entry point, so that it reads each feed and risk
    /// parameter at most once however many margin computations it makes. Prices cannot change inside a call: the
    /// vault calls nothing that could move a feed (only views, and token transfers after the last computation).
    struct RiskCache {
        MarginLib.RiskParams r;
        uint256[] prices;
        // Bit a is set once asset a's price and scan, and its correlations with every other loaded asset, are in.
        uint256 loaded;
    }

    /// @dev Runs ICashSettlement (`fallback`) and the RiskRegistry setters by delegatecall on this vault's storage.
    address private immutable CASH_MODULE;

    /// @param admin Receives DEFAULT_ADMIN_ROLE, which grants RISK_ADMIN_ROLE and GUARDIAN_ROLE.
    /// @param imFactor_ The initial margin factor (WAD, in [1e18, 10e18]).
    constructor(address admin, uint256 imFactor_) RiskRegistry(admin, imFactor_) {
        CASH_MODULE = address(new CashModule());
    }

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
    /// @dev Not stopped by a pause for the account itself and its operators (adding margin). A third party may only
    /// add to a token the account already holds, and not while paused: it cannot make the account depend on a new feed.
    /// The tokens arrive before the balance is credited (a token hook sees no balance it has not paid for).
    function deposit(address token, uint256 amount, address account) external nonReentrant {
        uint256 id = _collateralId(token);
        if (amount == 0) revert ErrorsLib.ZeroAmount();
        if (account == address(0)) revert ErrorsLib.ZeroAddress();
        uint256 balance = _balances[account][id];
        if (msg.sender != account && !_operators[account][msg.sender] && (balance == 0 || paused())) {
            revert ErrorsLib.DepositNotAllowed(msg.sender, account, token);
        }
        CollateralConfig storage config = _collaterals[id];
        uint256 totalAfter = config.totalDeposits + amount;
        if (totalAfter > config.depositCap) revert ErrorsLib.DepositCapExceeded(token, totalAfter, config.depositCap);

        // The received amount is measured because the account is credited with `amount`: a token that delivers
        // less (fee-on-transfer) would leave the vault short of what it owes.
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert ErrorsLib.TransferShortfall(token, amount, received);

        // Safe cast: totalAfter <= depositCap < 2^128.
        config.totalDeposits = uint128(totalAfter);
        balance += amount;
        _balances[account][id] = balance.toUint128();
        _accounts[account].collateralMask |= uint16(1 << id);

        emit EventsLib.Deposit(account, token, msg.sender, amount, balance);
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
        uint256 fromBalance = amount;
        bool paysCash = amount > balance;
        if (paysCash) {
            // Balance first, then positive cash from the settlement pool, in the settlement token only.
            if (id + 1 != _settlementIdPlusOne) revert ErrorsLib.InsufficientBalance(token, balance, amount);
            fromBalance = balance;
            _payCash(account, id, amount - balance);
        }
        if (fromBalance != 0) balance = _debitBalance(account, id, fromBalance);

        _checkWithdrawal(account, paysCash);

        emit EventsLib.Withdraw(account, token, receiver, amount, balance);

        IERC20(token).safeTransfer(receiver, amount);
    }

    // ---------------------------------------------------------------- trades

    /// @inheritdoc IMarginVault
    function settle(address buyer, address seller, uint256 market, uint256 size, uint256 tradePrice)
        external
        onlyRole(SETTLER_ROLE)
        nonReentrant
    {
        _checkMarketListed(market);
        if (size == 0 || tradePrice == 0) revert ErrorsLib.ZeroAmount();
        if (buyer == seller) revert ErrorsLib.SelfTrade(buyer);
        int256 s = size.toInt256();
        if (paused()) {
            // Risk-reducing only: the buyer must be short and stay <= 0, the seller long and stay >= 0.
            if (_positions[buyer][market] + s > 0) revert ErrorsLib.TradeAddsRiskWhilePaused(buyer, market);
            if (_positions[seller][market] - s < 0) revert ErrorsLib.TradeAddsRiskWhilePaused(seller, market);
        }
        // Both portfolios as they are before the trade, the traded market included even where flat (a zero
        // position adds nothing to any sum), so that the margin after the trade is computed from them in memory.
        RiskCache memory c = _newCache();
        uint256 marketBit = 1 << market;
        MarginLib.Portfolio memory buyerPortfolio = _load(buyer, marketBit, c);
        MarginLib.Portfolio memory sellerPortfolio = _load(seller, marketBit, c);
        uint256 buyerIndex = MathLib.popCount(_accounts[buyer].marketMask & (marketBit - 1));
        uint256 sellerIndex = MathLib.popCount(_accounts[seller].marketMask & (marketBit - 1));
        _checkPriceBand(tradePrice, c.prices[buyerPortfolio.positions[buyerIndex].asset]);
        // Spec §2: the buyer pays mulDown(size, price), the seller receives the same amount.
        int256 amount = MathLib.mulDown(s, tradePrice.toInt256());

        _moveTrade(buyer, seller, market, s, amount);

        _checkTradeMargin(buyer, buyerPortfolio, buyerIndex, s, -amount, c);
        _checkTradeMargin(seller, sellerPortfolio, sellerIndex, -s, amount, c);

        emit EventsLib.TradeSettled(buyer, seller, market, size, tradePrice, amount);
    }

    // ---------------------------------------------------------------- liquidation

    /// @inheritdoc IMarginVault
    function liquidate(address account, uint256 fraction) external nonReentrant returns (Liquidation memory result) {
        _checkLiquidationAllowed();
        if (fraction == 0) revert ErrorsLib.ZeroAmount();
        if (account == msg.sender) revert ErrorsLib.SelfLiquidation(account);
        RiskCache memory c = _newCache();
        // The masks before the slice moves: the slice's entries follow their order.
        Account memory held = _accounts[account];
        (LiquidationLib.Plan memory pl, MarginLib.Portfolio memory taken, uint256[] memory scales) =
            _planLiquidation(account, held.collateralMask, fraction, c);
        if (pl.fraction == 0) revert ErrorsLib.AccountHealthy(account, pl.equityBefore, pl.mmBefore);
        // Casts: margins are bounded by the engine's range (spec §4), far below 2^255. A slice that releases no MM
        // (a degenerate book whose every entry rounds to no margin) cannot raise E - MM and is refused.
        if (pl.mmReleased == 0) {
            revert ErrorsLib.LiquidationDidNotImproveHealth(
                account, pl.equityBefore - int256(pl.mmBefore), pl.equityAfter - int256(pl.mmAfter)
            );
        }

        _moveSlice(account, taken, scales, held.collateralMask, held.marketMask);
        // Cast: the bonus is at most MM, far below 2^255. The account receives the slice's value and pays the
        // bonus; the liquidator pays the value and keeps the bonus less the fund's share: cash is conserved.
        int256 accountCash = pl.value - int256(pl.bonus);
        _updateCash(account, accountCash);
        _updateCash(msg.sender, -accountCash - int256(pl.fundShare));
        if (pl.fundShare != 0) _creditFund(_insuranceFund, pl.fundShare);
        uint256 fundTokens;
        // An insolvent account has nothing left and equity E - bonus: the fund pays exactly the shortfall that
        // existed before the call plus the bonus, and the account ends at zero. Cast: equityBefore < 0.
        if (pl.equityBefore < 0) fundTokens = _settleBadDebt(account, pl.bonus + uint256(-pl.equityBefore));
        _checkInitialMargin(msg.sender, c);

        result = Liquidation({
            fraction: pl.fraction,
            value: pl.value,
            mmReleased: pl.mmReleased,
            bonus: pl.bonus,
            fundShare: pl.fundShare
        });
        emit EventsLib.Liquidated(
            account, msg.sender, pl.fraction, pl.value, pl.mmReleased, pl.bonus, pl.fundShare
        );

        if (fundTokens != 0) IERC20(_fundAsset).safeTransferFrom(_insuranceFund, address(this), fundTokens);
    }

    // ---------------------------------------------------------------- risk configuration (run by the module)

    // The setters of RiskRegistry run in the CashModule (same storage, same role checks and events), so that their
    // code is not in the vault's bytecode: each is one call into `_delegateToModule`.

    /// @inheritdoc IRiskRegistry
    function listAsset(string calldata, address, uint256, uint256, uint256)
        external
        override(IRiskRegistry, RiskRegistry)
        returns (uint256)
    {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setAssetOracle(uint256, address, uint256, uint256) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setAssetScan(uint256, uint256) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setCorrelation(uint256, uint256, int256) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setImFactor(uint256) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setSequencerFeed(address, uint256) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function listCollateral(address, uint256, uint256, uint256)
        external
        override(IRiskRegistry, RiskRegistry)
        returns (uint256)
    {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setCollateral(address, uint256, uint256) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function listMarket(uint256, uint256, uint256) external override(IRiskRegistry, RiskRegistry) returns (uint256) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setMarket(uint256, uint256, uint256) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setLiquidationConfig(uint256, uint256, uint256) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    /// @inheritdoc IRiskRegistry
    function setInsuranceFund(address) external override(IRiskRegistry, RiskRegistry) {
        _delegateToModule();
    }

    // ---------------------------------------------------------------- cash settlement

    /// @notice Serves ICashSettlement (settleCash, buyDebtorCollateral, setCashConfig and the cash views): runs the
    /// call in the CashModule on this vault's storage and returns (or reverts) with its result.
    /// @dev Only selectors the vault does not have arrive here; the module reverts on any it does not have either.
    fallback() external {
        _delegateToModule();
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IMarginVault
    function accountMargin(address account) external view returns (AccountMargin memory result) {
        RiskCache memory c = _newCache();
        MarginLib.Margin memory m = MarginLib.accountMargin(_load(account, 0, c), c.r, c.prices);
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
    function maxLiquidationFraction(address account) external view returns (uint256) {
        (LiquidationLib.Plan memory pl,,) =
            _planLiquidation(account, _accounts[account].collateralMask, 0, _newCache());
        return pl.maxFraction;
    }

    /// @inheritdoc IMarginVault
    function previewLiquidation(address account, uint256 fraction)
        external
        view
        returns (LiquidationPreview memory v)
    {
        RiskCache memory c = _newCache();
        Account memory held = _accounts[account];
        (LiquidationLib.Plan memory pl, MarginLib.Portfolio memory taken,) =
            _planLiquidation(account, held.collateralMask, fraction, c);
        v.fraction = pl.fraction;
        v.value = pl.value;
        v.mmReleased = pl.mmReleased;
        v.bonus = pl.bonus;
        v.fundShare = pl.fundShare;
        v.maxFraction = pl.maxFraction;
        v.equity = pl.equityAfter;
        v.maintenanceMargin = pl.mmAfter;
        v.initialMargin = pl.imAfter;
        // The liquidator's portfolio over both accounts' entries, with the slice added as storage would merge it.
        Account memory liquidator = _accounts[msg.sender];
        uint256 collateralMask = uint256(liquidator.collateralMask) | held.collateralMask;
        uint256 marketMask = uint256(liquidator.marketMask) | held.marketMask;
        MarginLib.Portfolio memory lp = _loadMasks(liquidator.cash, msg.sender, collateralMask, marketMask, c);
        if (pl.fraction != 0) {
            LiquidationLib.addSlice(lp, collateralMask, marketMask, taken, held.collateralMask, held.marketMask);
            // Cast: the bonus is at most MM, far below 2^255.
            lp.cash += int256(pl.bonus - pl.fundShare) - pl.value;
        }
        (v.liquidatorEquity, v.liquidatorMaintenanceMargin, v.liquidatorInitialMargin) =
            MarginLib.marginRequirement(lp, c.r, c.prices);
    }

    /// @inheritdoc IMarginVault
    function isLiquidatable(address account) external view returns (bool) {
        (int256 equity, uint256 mm,) = _requirement(account, _newCache());
        return equity < int256(mm);
    }

    /// @inheritdoc IMarginVault
    function price(uint256 asset) external view returns (uint256) {
        _checkAssetListed(asset);
        OracleLib.checkSequencer(_sequencerFeed, _gracePeriod);
        (uint256 oraclePrice,) = _readAsset(asset);
        return oraclePrice;
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

    /// @inheritdoc IMarginVault
    function insurance() external view returns (address fund, uint256 badDebt) {
        return (_insuranceFund, _badDebt);
    }

    // ---------------------------------------------------------------- internal: trades and liquidation

    /// @dev Moves the positions and cash of a trade and checks the market's open-interest cap.
    function _moveTrade(address buyer, address seller, uint256 market, int256 s, int256 amount) private {
        (uint256 openInterest, bool raised) = _movePosition(buyer, seller, market, s);
        _updateCash(buyer, -amount);
        _updateCash(seller, amount);
        // A trade that lowers the open interest is accepted even above a cap that was lowered since.
        if (raised) {
            uint256 cap = _markets[market].openInterestCap;
            if (openInterest > cap) revert ErrorsLib.OpenInterestCapExceeded(market, openInterest, cap);
        }
    }

    /// @dev Reverts unless |price - oracle| <= oracle * band / 10,000: every settler trades near the oracle price, so
    /// that no holder of SETTLER_ROLE can move value between two accounts by an off-market price.
    function _checkPriceBand(uint256 tradePrice, uint256 oraclePrice) private view {
        uint256 band = _priceBandBps;
        uint256 distance = tradePrice > oraclePrice ? tradePrice - oraclePrice : oraclePrice - tradePrice;
        // Compared as products so that no rounding widens the band.
        if (distance * BPS > oraclePrice * band) revert ErrorsLib.PriceOutsideBand(tradePrice, oraclePrice, band);
    }

    /// @dev Spec §5 for one side of a trade, given its portfolio before the trade, the index of the traded market
    /// in it, and the trade's size and cash for that side. The margin after the trade is computed first; the margin
    /// before it only when the side ends under IM, where the risk-reducing rule needs it.
    function _checkTradeMargin(
        address account,
        MarginLib.Portfolio memory p,
        uint256 index,
        int256 sizeDelta,
        int256 cashDelta,
        RiskCache memory c
    ) private pure {
        MarginLib.Position memory traded = p.positions[index];
        int256 sizeBefore = traded.size;
        int256 cashBefore = p.cash;
        // The same sums as the storage written by `_moveTrade`, which checked them.
        traded.size = sizeBefore + sizeDelta;
        p.cash = cashBefore + cashDelta;
        (int256 equity, uint256 mm, uint256 im) = MarginLib.marginRequirement(p, c.r, c.prices);
        if (equity >= int256(im)) return;
        traded.size = sizeBefore;
        p.cash = cashBefore;
        (int256 equityBefore, uint256 mmBefore,) = MarginLib.marginRequirement(p, c.r, c.prices);
        // Casts: margins are bounded by the engine's range (spec §4), far below 2^255.
        // The risk-reducing exception never leaves a side with negative equity (P5): a side under MM selling below
        // the oracle to its own second address must not turn its shortfall into bad debt.
        if (equity >= 0 && mm < mmBefore && equity - int256(mm) >= equityBefore - int256(mmBefore)) return;
        revert ErrorsLib.InsufficientMargin(account, equity, im);
    }

    /// @dev Plans the liquidation of `fraction` of `account`, whose collateral mask is `collateralMask`
    /// (LiquidationLib.plan), and returns the plan, the slice and the token scale of each collateral entry.
    function _planLiquidation(address account, uint256 collateralMask, uint256 fraction, RiskCache memory c)
        private
        view
        returns (LiquidationLib.Plan memory pl, MarginLib.Portfolio memory taken, uint256[] memory scales)
    {
        MarginLib.Portfolio memory p = _load(account, 0, c);
        scales = new uint256[](p.collateral.length);
        uint256 n;
        for (uint256 id; (collateralMask >> id) != 0; ++id) {
            if ((collateralMask >> id) & 1 == 0) continue;
            (, uint256 decimals,) = ListingLib.unpackCollateral(_collateralRisk[id]);
            scales[n++] = 10 ** (18 - decimals);
        }
        LiquidationParams memory params = _liquidation;
        (pl, taken) = LiquidationLib.plan(
            p,
            scales,
            c.r,
            c.prices,
            LiquidationLib.Params({
                bonusRate: params.bonusRate,
                fundShare: params.fundShare,
                dustThreshold: params.dustThreshold,
                hasFund: _insuranceFund != address(0)
            }),
            fraction
        );
    }

    /// @dev Moves the slice `taken` (entries in the order of the masks `collateralMask` / `marketMask`, WAD-
    /// normalised balances of token scale `scales`) from `account` to the caller.
    function _moveSlice(
        address account,
        MarginLib.Portfolio memory taken,
        uint256[] memory scales,
        uint256 collateralMask,
        uint256 marketMask
    ) private {
        uint256 n;
        for (uint256 id; (collateralMask >> id) != 0; ++id) {
            if ((collateralMask >> id) & 1 == 0) continue;
            // Exact: the slice is a whole number of token units.
            uint256 amount = taken.collateral[n].balance / scales[n];
            ++n;
            uint256 balance = _balances[account][id] - amount;
            _balances[account][id] = uint128(balance); // Safe cast: balance decreased from a uint128.
            if (balance == 0) _accounts[account].collateralMask &= ~uint16(1 << id);
            uint256 liquidatorBalance = _balances[msg.sender][id] + amount;
            // Safe cast: the two balances sum to at most the token's total deposits, capped below 2^128.
            _balances[msg.sender][id] = uint128(liquidatorBalance);
            _accounts[msg.sender].collateralMask |= uint16(1 << id);
            emit EventsLib.CollateralTransferred(
                account, msg.sender, _collaterals[id].token, amount, balance, liquidatorBalance
            );
        }
        n = 0;
        for (uint256 market; (marketMask >> market) != 0; ++market) {
            if ((marketMask >> market) & 1 == 0) continue;
            int256 size = taken.positions[n].size;
            ++n;
            _movePosition(account, msg.sender, market, -size);
        }
    }

    /// @dev The fund's bonus share repays recorded bad debt first; the rest is credited to the fund's cash.
    function _creditFund(address fund, uint256 share) private {
        uint256 badDebt = _badDebt;
        uint256 repaid = share < badDebt ? share : badDebt;
        if (repaid != 0) {
            badDebt -= repaid;
            _badDebt = badDebt;
            emit EventsLib.BadDebtRepaid(repaid, badDebt);
        }
        // Cast: share is bounded by the bonus, far below 2^255.
        if (share > repaid) _updateCash(fund, int256(share - repaid));
    }

    /// @dev Pays `account`'s `shortfall` (WAD) so that its equity ends at zero: from the fund's vault cash, then
    /// from the fund's tokens (1 token = 1 USD; rounded up to whole token units, the excess credited to the fund's
    /// cash), then as unbacked bad debt. Returns the token units the caller must pull from the fund, last.
    function _settleBadDebt(address account, uint256 shortfall) private returns (uint256 tokens) {
        address fund = _insuranceFund;
        uint256 fromCash;
        uint256 tokenCredit;
        if (fund != address(0)) {
            int256 fundCash = _accounts[fund].cash;
            // Cast: fundCash > 0 in that branch.
            if (fundCash > 0) fromCash = uint256(fundCash) < shortfall ? uint256(fundCash) : shortfall;
            uint256 rest = shortfall - fromCash;
            if (rest != 0) {
                IERC20 asset = IERC20(_fundAsset);
                uint256 scale = 10 ** (18 - _fundAssetDecimals);
                uint256 available = asset.balanceOf(fund);
                uint256 allowance = asset.allowance(fund, address(this));
                if (allowance < available) available = allowance;
                // Rounds up: the fund pays whole token units, at least the rest.
                tokens = MathLib.ceilDiv(rest, scale);
                if (tokens > available) tokens = available;
                tokenCredit = tokens * scale;
            }
        }
        uint256 backed = fromCash + tokenCredit;
        uint256 unbacked = backed < shortfall ? shortfall - backed : 0;
        uint256 badDebt = _badDebt + unbacked;
        _badDebt = badDebt;
        // The fund's tokens pulled in back the cash credited for them: they join the settlement pool.
        // Safe cast: tokens <= the fund's balance of the settlement token < 2^128.
        if (tokens != 0) _cashPool += uint128(tokens);
        // Cast: shortfall = -equity is inside the engine's range.
        _updateCash(account, int256(shortfall));
        // The fund's cash pays `fromCash` and keeps the rounding excess of its tokens over the rest.
        if (backed > shortfall) _updateCash(fund, int256(backed - shortfall) - int256(fromCash));
        else if (fromCash != 0) _updateCash(fund, -int256(fromCash));
        emit EventsLib.BadDebtSettled(account, shortfall, fromCash, tokens, unbacked, badDebt);
    }

    // ---------------------------------------------------------------- internal: account updates

    /// @dev Moves a position of `delta` in `market` to `first` from `second` (`first` by +delta, `second` by -delta),
    /// keeping the market masks and the long open interest in step. Caps are checked by the callers that may add
    /// risk, never here, so that a liquidation can always reduce a position. Returns the open interest after and
    /// whether it rose (zero and false when it did not move).
    function _movePosition(address first, address second, uint256 market, int256 delta)
        private
        returns (uint256 openInterest, bool raised)
    {
        (uint256 firstLongBefore, uint256 firstLongAfter) = _setPosition(first, market, delta);
        (uint256 secondLongBefore, uint256 secondLongAfter) = _setPosition(second, market, -delta);
        // Long open interest moves by the change of both long sides, written once; where they cancel (a long slice
        // passed to a flat or long liquidator), it is neither read nor written.
        uint256 longBefore = firstLongBefore + secondLongBefore;
        uint256 longAfter = firstLongAfter + secondLongAfter;
        if (longAfter == longBefore) return (0, false);
        MarketState storage config = _markets[market];
        uint128 newOpenInterest = (uint256(config.openInterest) + longAfter - longBefore).toUint128();
        config.openInterest = newOpenInterest;
        return (newOpenInterest, longAfter > longBefore);
    }

    /// @dev Moves `account`'s position in `market` by `delta`, keeping its market mask in step (the caller moves the
    /// open interest). Returns the account's long side before and after.
    function _setPosition(address account, uint256 market, int256 delta)
        internal
        returns (uint256 longBefore, uint256 longAfter)
    {
        int256 size = _positions[account][market];
        int256 newSize = size + delta;
        _positions[account][market] = newSize.toInt128();

        Account storage acc = _accounts[account];
        if (newSize == 0) acc.marketMask &= ~uint32(1 << market);
        else acc.marketMask |= uint32(1 << market);

        // Casts: lossless on non-negative values.
        longBefore = size > 0 ? uint256(size) : 0;
        longAfter = newSize > 0 ? uint256(newSize) : 0;

        emit EventsLib.PositionChanged(account, market, delta, newSize);
    }

    function _checkAuthorized(address account) internal view {
        if (msg.sender != account && !_operators[account][msg.sender]) {
            revert ErrorsLib.Unauthorized(msg.sender, account);
        }
    }

    /// @dev The account must end at or above initial margin; a withdrawal that paid cash out of the settlement pool must
    /// also leave its profit and loss (cash plus its positions' notionals, rounded down as in the engine) non-negative,
    /// so that only profit is paid: a short's sale proceeds are its position's cost basis, not a claim on the pool, and
    /// paying them would take the tokens that realised profits are owed (the claim of docs/cash.md, min(cash, P&L)).
    function _checkWithdrawal(address account, bool paidCash) private view {
        RiskCache memory c = _newCache();
        MarginLib.Portfolio memory p = _load(account, 0, c);
        (int256 equity,, uint256 im) = MarginLib.marginRequirement(p, c.r, c.prices);
        // Cast: margins are bounded by the engine's range (spec §4), far below 2^255.
        if (equity < int256(im)) revert ErrorsLib.InsufficientMargin(account, equity, im);
        if (!paidCash) return;
        int256 profitAndLoss = p.cash;
        for (uint256 i; i < p.positions.length; ++i) profitAndLoss += MarginLib.notional(p.positions[i], c.prices);
        if (profitAndLoss < 0) revert ErrorsLib.CashPayoutAboveProfit(account, profitAndLoss);
    }

    function _checkInitialMargin(address account, RiskCache memory c) internal view {
        (int256 equity,, uint256 im) = _requirement(account, c);
        if (equity < int256(im)) revert ErrorsLib.InsufficientMargin(account, equity, im);
    }

    // ---------------------------------------------------------------- internal: margin

    /// @dev Equity, maintenance and initial margin of `account` (spec §3-§4), without the breakdown.
    function _requirement(address account, RiskCache memory c)
        internal
        view
        returns (int256 equity, uint256 mm, uint256 im)
    {
        return MarginLib.marginRequirement(_load(account, 0, c), c.r, c.prices);
    }

    /// @dev An empty cache sized for the listed assets. Assets no computation touches keep zero entries.
    function _newCache() internal view returns (RiskCache memory c) {
        uint256 assetCount = _assetCount;
        c.prices = new uint256[](assetCount);
        c.r.scan = new uint256[](assetCount);
        c.r.rho = new int256[](assetCount * (assetCount - 1) / 2);
        c.r.imFactor = _imFactor;
    }

    /// @dev Gathers what the engine needs for `account`: its collateral (normalised to WAD) and positions, in id
    /// order, plus a zero position in every market of `extraMarkets` (a bitmap) it has none in; and loads into `c`
    /// the prices, scans and correlations of the assets they touch.
    function _load(address account, uint256 extraMarkets, RiskCache memory c)
        internal
        view
        returns (MarginLib.Portfolio memory p)
    {
        Account memory acc = _accounts[account];
        return _loadMasks(acc.cash, account, acc.collateralMask, acc.marketMask | extraMarkets, c);
    }

    /// @dev `_load` over the collateral ids of `collateralMask` and the markets of `marketMask` (an id the account
    /// does not hold enters at zero), with settled cash `settledCash`.
    function _loadMasks(
        int256 settledCash,
        address account,
        uint256 collateralMask,
        uint256 marketMask,
        RiskCache memory c
    ) internal view returns (MarginLib.Portfolio memory p) {
        p.cash = settledCash;
        uint256 touched;
        MarginLib.Collateral[] memory collateral = new MarginLib.Collateral[](MathLib.popCount(collateralMask));
        p.collateral = collateral;
        uint128[MAX_COLLATERALS] storage balances = _balances[account];
        uint256 n;
        for (uint256 id; (collateralMask >> id) != 0; ++id) {
            if ((collateralMask >> id) & 1 == 0) continue;
            (uint256 asset, uint256 decimals, uint256 haircut) = ListingLib.unpackCollateral(_collateralRisk[id]);
            // Unchecked: the registry lists no token with more than 18 decimals, so normalising to WAD is exact and
            // a balance below 2^128 stays below 2^188; n < popCount(collateralMask) <= 16.
            unchecked {
                collateral[n] = MarginLib.Collateral({
                    asset: asset,
                    haircut: haircut,
                    balance: uint256(balances[id]) * 10 ** (18 - decimals)
                });
                ++n;
            }
            touched |= 1 << asset;
        }

        MarginLib.Position[] memory positions_ = new MarginLib.Position[](MathLib.popCount(marketMask));
        p.positions = positions_;
        int128[MAX_MARKETS] storage positions = _positions[account];
        n = 0;
        for (uint256 market; (marketMask >> market) != 0; ++market) {
            if ((marketMask >> market) & 1 == 0) continue;
            (uint256 asset, uint256 k) = ListingLib.unpackMarket(_marketRisk[market]);
            positions_[n] = MarginLib.Position({asset: asset, k: k, size: positions[market]});
            touched |= 1 << asset;
            // Unchecked: n < popCount(marketMask) <= 32.
            unchecked {
                ++n;
            }
        }

        _loadRisk(c, touched);
    }

    /// @dev Loads into `c` the price and scan of every asset of `touched` not loaded yet, and the correlations
    /// between all loaded assets that it lacks. The sequencer is checked once, before the first price.
    function _loadRisk(RiskCache memory c, uint256 touched) internal view {
        uint256 loaded = c.loaded;
        uint256 added = touched & ~loaded;
        if (added == 0) return;
        if (loaded == 0) {
            // The grace period has a slot of its own: it is read only where there is a sequencer feed to check.
            address sequencerFeed = _sequencerFeed;
            if (sequencerFeed != address(0)) OracleLib.checkSequencer(sequencerFeed, _gracePeriod);
        }
        uint256 all = loaded | added;
        uint256[] memory prices = c.prices;
        uint256[] memory scan = c.r.scan;
        int256[] memory rho = c.r.rho;
        for (uint256 b; (all >> b) != 0; ++b) {
            if ((all >> b) & 1 == 0) continue;
            bool isNew = (added >> b) & 1 == 1;
            if (isNew) (prices[b], scan[b]) = _readAsset(b);
            // The pairs (a, b) sit at pairIndex(0, b) + a. Unchecked: b < 16.
            uint256 base;
            unchecked {
                base = b * (b - 1) / 2;
            }
            // A pair is missing when both assets are loaded now and one of them was not before.
            uint256 missing = isNew ? all : added;
            for (uint256 a; a < b; ++a) {
                if ((missing >> a) & 1 == 1) rho[base + a] = _rho[base + a];
            }
        }
        c.loaded = all;
    }

    /// @dev Reads `asset`'s feed (OracleLib's checks) and returns its price (WAD) and scan.
    function _readAsset(uint256 asset) internal view returns (uint256 oraclePrice, uint256 scan) {
        AssetOracle memory config = _assets[asset];
        oraclePrice = OracleLib.readPrice(
            config.feed, config.feedDecimals, config.heartbeat, _maxPrices[asset] * MAX_PRICE_UNIT, asset
        );
        scan = config.scan;
    }

    /// @dev Runs the current call in the CashModule on this vault's storage and returns (or reverts) with its result.
    function _delegateToModule() private {
        address module = CASH_MODULE;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

}
