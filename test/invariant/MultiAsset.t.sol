// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../utils/Test.sol";
import {MarginVault} from "../../contracts/MarginVault.sol";
import {TradeSettlement} from "../../contracts/TradeSettlement.sol";
import {InsuranceFund} from "../../contracts/InsuranceFund.sol";
import {IMarginVault} from "../../contracts/interfaces/IMarginVault.sol";
import {ICashSettlement} from "../../contracts/interfaces/ICashSettlement.sol";
import {ITradeSettlement} from "../../contracts/interfaces/ITradeSettlement.sol";
import {IRiskGovernance} from "../../contracts/interfaces/IRiskGovernance.sol";
import {MockAggregator} from "../../contracts/mocks/MockAggregator.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";

/// @notice Drives a multi-asset vault through everything an account, a liquidator, a fund depositor and the
/// guardian can do: deposits (by the account, and by strangers), withdrawals, trades on three markets, price moves of
/// every feed, liquidations at any fraction, cash netting and debtor-collateral sales, cash withdrawals, fund
/// deposits and redemptions, pause / unpause and time. Inputs are bounded; an action the vault refuses is skipped.
/// Ghost flags record a breach of the rules each action must keep; the invariants read them and the ledgers.
contract MultiAssetHandler is Test {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant N_MARKETS = 3;
    uint256 internal constant N_TOKENS = 3;
    uint256 internal constant N_TRADERS = 4;

    MarginVault public immutable vault;
    ICashSettlement public immutable cash;
    TradeSettlement public immutable settlement;
    InsuranceFund public immutable fund;
    /// @dev USDC (6 decimals, USD), WBTC (8, BTC), WETH (18, ETH).
    MockERC20[N_TOKENS] public tokens;
    /// @dev USD, BTC, ETH, SOL (asset ids 0-3).
    MockAggregator[4] public feeds;
    /// @dev actors[0..3] trade; actors[4] is the market maker. The handler itself is the liquidator.
    address[5] public actors;
    address public constant STRANGER = address(0x5744A);

    bool public ghostWithdrawalLeftAccountUnderIm;
    bool public ghostTradeLeftSideUnderMargin;
    bool public ghostPausedTradeAddedRisk;
    bool public ghostStrangerOpenedBalance;
    bool public ghostLiquidationWorsenedHealth;
    bool public ghostSolventIntoBadDebt;
    bool public ghostSettledAccountStillLiquidatable;
    uint256 public trades;
    uint256 public liquidations;
    uint256 public withdrawals;
    uint256 public pausedTrades;
    uint256 private _nonce;

    constructor(
        MarginVault vault_,
        TradeSettlement settlement_,
        InsuranceFund fund_,
        MockERC20[N_TOKENS] memory tokens_,
        MockAggregator[4] memory feeds_
    ) {
        vault = vault_;
        cash = ICashSettlement(address(vault_));
        settlement = settlement_;
        fund = fund_;
        tokens = tokens_;
        feeds = feeds_;
        actors = [address(0xA11CE), address(0xB0B), address(0xCA401), address(0xDA7E), address(0x3A4E7)];
        for (uint256 t; t < N_TOKENS; ++t) tokens_[t].approve(address(vault_), type(uint256).max);
        tokens_[0].approve(address(fund_), type(uint256).max);
    }

    // ---------------------------------------------------------------- collateral

    /// @dev The handler deposits for an actor as its operator (it may open a new balance).
    function deposit(uint256 actorSeed, uint256 tokenSeed, uint256 amount) external {
        MockERC20 token = tokens[tokenSeed % N_TOKENS];
        amount = bound(amount, 1, 10 ** token.decimals() * _unitsPerDeposit(tokenSeed % N_TOKENS));
        token.mint(address(this), amount);
        try vault.deposit(address(token), amount, actors[actorSeed % N_TRADERS]) {} catch {}
    }

    /// @dev A stranger tops up an actor: only a token the actor already holds, never while paused.
    function strangerDeposit(uint256 actorSeed, uint256 tokenSeed, uint256 amount) external {
        address actor = actors[actorSeed % N_TRADERS];
        MockERC20 token = tokens[tokenSeed % N_TOKENS];
        amount = bound(amount, 1, 10 ** token.decimals());
        uint256 balance = vault.collateralBalance(actor, address(token));
        bool paused = vault.paused();
        token.mint(STRANGER, amount);
        vm.startPrank(STRANGER);
        token.approve(address(vault), amount);
        try vault.deposit(address(token), amount, actor) {
            if (balance == 0 || paused) ghostStrangerOpenedBalance = true;
        } catch {}
        vm.stopPrank();
    }

    /// @dev The actor withdraws part of a balance (and, in USDC, possibly some of its positive cash).
    function withdraw(uint256 actorSeed, uint256 tokenSeed, uint256 amount) external {
        address actor = actors[actorSeed % N_TRADERS];
        MockERC20 token = tokens[tokenSeed % N_TOKENS];
        uint256 balance = vault.collateralBalance(actor, address(token));
        int256 actorCash = vault.cash(actor);
        uint256 cashUnits = tokenSeed % N_TOKENS == 0 && actorCash > 0 ? uint256(actorCash) / 1e12 : 0;
        if (balance + cashUnits == 0) return;
        amount = bound(amount, 1, balance + cashUnits);
        vm.prank(actor);
        try vault.withdraw(address(token), amount, actor, actor) {
            ++withdrawals;
            (int256 equity,, uint256 im) = _margin(actor);
            if (equity < int256(im)) ghostWithdrawalLeftAccountUnderIm = true;
        } catch {}
    }

    // ---------------------------------------------------------------- trades and prices

    /// @dev A trade through TradeSettlement (the handler sends both orders as the accounts' operator), at a price
    /// inside the band; the counterparty is another trader or the market maker.
    function trade(uint256 buyerSeed, uint256 sellerSeed, uint256 marketSeed, uint256 size, uint256 priceBps) external {
        address buyer = actors[buyerSeed % 5];
        address seller = actors[sellerSeed % 5];
        if (buyer == seller) return;
        uint256 market = marketSeed % N_MARKETS;
        uint256 oracle = vault.price(market + 1);
        // Up to about 300,000 USD of notional.
        size = bound(size, 1e12, 300_000e18 * WAD / oracle);
        uint256 tradePrice = oracle * bound(priceBps, 9_500, 10_500) / 10_000;
        _trade(buyer, seller, market, size, tradePrice);
    }

    function movePrice(uint256 which, uint256 seed) external {
        which = which % 4;
        if (which == 0) feeds[0].setAnswer(int256(bound(seed, 0.95e8, 1.02e8)));
        else if (which == 1) feeds[1].setAnswer(int256(bound(seed, 10_000e8, 120_000e8)));
        else if (which == 2) feeds[2].setAnswer(int256(bound(seed, 500e8, 6_000e8)));
        else feeds[3].setAnswer(int256(bound(seed, 10e8, 400e8)));
    }

    // ---------------------------------------------------------------- liquidation

    /// @dev The handler liquidates any fraction; a liquidation must raise E - MM, keep a solvent account solvent,
    /// and leave a settled insolvent account empty and not liquidatable.
    function liquidate(uint256 actorSeed, uint256 fraction) external {
        address account = actors[actorSeed % 5];
        (int256 e, uint256 mm,) = _margin(account);
        if (e >= int256(mm)) return;
        try vault.liquidate(account, bound(fraction, 1, WAD)) {
            ++liquidations;
            (int256 eAfter, uint256 mmAfter,) = _margin(account);
            if (eAfter - int256(mmAfter) <= e - int256(mm)) ghostLiquidationWorsenedHealth = true;
            if (e >= 0 && eAfter < 0) ghostSolventIntoBadDebt = true;
            if (e < 0 && (eAfter != 0 || mmAfter != 0 || vault.isLiquidatable(account))) {
                ghostSettledAccountStillLiquidatable = true;
            }
        } catch {}
    }

    // ---------------------------------------------------------------- cash settlement

    function settleCash(uint256 actorSeed) external {
        try cash.settleCash(actors[actorSeed % 5]) {} catch {}
    }

    /// @dev The handler buys a debtor's WBTC or WETH for a creditor the pool cannot pay.
    function buyDebtorCollateral(uint256 debtorSeed, uint256 creditorSeed, uint256 tokenSeed, uint256 amount)
        external
    {
        MockERC20 token = tokens[1 + tokenSeed % 2];
        amount = bound(amount, 1, 10 ** token.decimals() * 100);
        tokens[0].mint(address(this), 10_000_000e6);
        address creditor = creditorSeed % 6 == 5 ? address(fund) : actors[creditorSeed % 5];
        try cash.buyDebtorCollateral(actors[debtorSeed % 5], address(token), amount, creditor) {} catch {}
    }

    // ---------------------------------------------------------------- insurance fund

    function fundDeposit(uint256 actorSeed, uint256 assets) external {
        assets = bound(assets, 1, 200_000e6);
        tokens[0].mint(address(this), assets);
        try fund.deposit(assets, actors[actorSeed % N_TRADERS]) {} catch {}
    }

    function fundRequestOrRedeem(uint256 actorSeed, uint256 shares, bool redeem) external {
        address actor = actors[actorSeed % N_TRADERS];
        uint256 max = redeem ? fund.maxRedeem(actor) : fund.balanceOf(actor);
        if (max == 0) return;
        vm.prank(actor);
        if (redeem) {
            try fund.redeem(bound(shares, 1, max), actor, actor) {} catch {}
        } else {
            fund.requestRedeem(bound(shares, 1, max));
        }
    }

    // ---------------------------------------------------------------- guardian and time

    /// @dev The guardian (the handler) pauses or unpauses.
    function togglePause() external {
        if (vault.paused()) vault.unpause();
        else vault.pause();
    }

    /// @dev Time passes (cooldowns end, income vests, the grace period ends); the feeds answer again.
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 3 days));
        for (uint256 i; i < feeds.length; ++i) {
            (, int256 answer,,,) = feeds[i].latestRoundData();
            feeds[i].setAnswer(answer);
        }
    }

    // ---------------------------------------------------------------- helpers

    function _unitsPerDeposit(uint256 tokenId) private pure returns (uint256) {
        if (tokenId == 0) return 200_000; // USDC
        return tokenId == 1 ? 3 : 50; // WBTC, WETH
    }

    function _trade(address buyer, address seller, uint256 market, uint256 size, uint256 tradePrice) private {
        (int256 eb, uint256 mmb,) = _margin(buyer);
        (int256 es, uint256 mms,) = _margin(seller);
        int256 qb = vault.position(buyer, market);
        int256 qs = vault.position(seller, market);
        bool paused = vault.paused();
        ++_nonce;
        ITradeSettlement.Order memory buy =
            ITradeSettlement.Order(buyer, market, int256(size), tradePrice, _nonce, type(uint64).max);
        ITradeSettlement.Order memory sell =
            ITradeSettlement.Order(seller, market, -int256(size), tradePrice, _nonce, type(uint64).max);
        try settlement.settleTrade(buy, "", sell, "", size, tradePrice) {
            ++trades;
            _checkSide(buyer, eb, mmb);
            _checkSide(seller, es, mms);
            if (paused) {
                ++pausedTrades;
                // While paused a trade may only shrink both positions without flipping them.
                if (qb >= 0 || qb + int256(size) > 0 || qs <= 0 || qs - int256(size) < 0) {
                    ghostPausedTradeAddedRisk = true;
                }
            }
        } catch {}
    }

    /// @dev Spec §5: E >= IM, or MM fell, E - MM did not, and E >= 0.
    function _checkSide(address account, int256 equityBefore, uint256 mmBefore) private {
        (int256 equity, uint256 mm, uint256 im) = _margin(account);
        if (equity >= int256(im)) return;
        if (equity >= 0 && mm < mmBefore && equity - int256(mm) >= equityBefore - int256(mmBefore)) return;
        ghostTradeLeftSideUnderMargin = true;
    }

    function _margin(address account) private view returns (int256, uint256, uint256) {
        IMarginVault.AccountMargin memory m = vault.accountMargin(account);
        return (m.equity, m.maintenanceMargin, m.initialMargin);
    }
}

/// @notice Ledger and rule invariants of a vault with three markets (BTC, ETH, SOL) and three collateral tokens of
/// 6, 8 and 18 decimals (USDC, WBTC, WETH), driven by MultiAssetHandler.
contract MultiAssetInvariantTest is Test {
    MarginVault internal vault;
    TradeSettlement internal settlement;
    InsuranceFund internal fund;
    MockERC20[3] internal tokens;
    MultiAssetHandler internal handler;

    function setUp() public {
        MockAggregator[4] memory feeds = [
            new MockAggregator(8, 1e8, "USD / USD"),
            new MockAggregator(8, 42_000e8, "BTC / USD"),
            new MockAggregator(8, 2_300e8, "ETH / USD"),
            new MockAggregator(8, 100e8, "SOL / USD")
        ];
        tokens = [
            new MockERC20("USD Coin", "USDC", 6),
            new MockERC20("Wrapped Bitcoin", "WBTC", 8),
            new MockERC20("Wrapped Ether", "WETH", 18)
        ];
        vault = new MarginVault(address(this), 1.5e18);
        vault.grantRole(vault.RISK_ADMIN_ROLE(), address(this));
        vault.listAsset("USD", address(feeds[0]), 1 days, 0.02e18, 2e18);
        vault.listAsset("BTC", address(feeds[1]), 1 days, 0.12e18, 1_000_000e18);
        vault.listAsset("ETH", address(feeds[2]), 1 days, 0.15e18, 100_000e18);
        vault.listAsset("SOL", address(feeds[3]), 1 days, 0.25e18, 10_000e18);
        vault.setCorrelation(1, 2, 0.8e18);
        vault.setCorrelation(1, 3, 0.7e18);
        vault.setCorrelation(2, 3, 0.75e18);
        vault.listCollateral(address(tokens[0]), 0, 0, 1e15);
        vault.listCollateral(address(tokens[1]), 1, 0.05e18, 2_000e8);
        vault.listCollateral(address(tokens[2]), 2, 0.02e18, 20_000e18);
        vault.listMarket(1, 0.005e18, 3_000e18);
        vault.listMarket(2, 0.005e18, 50_000e18);
        vault.listMarket(3, 0.01e18, 500_000e18);
        vault.setLiquidationConfig(0.2e18, 0.5e18, 100e18);
        settlement = new TradeSettlement(address(vault));
        IRiskGovernance(address(vault)).setPriceBand(500);
        vault.grantRole(vault.SETTLER_ROLE(), address(settlement));
        fund = new InsuranceFund(tokens[0], vault);
        vault.setInsuranceFund(address(fund));
        ICashSettlement(address(vault)).setCashConfig(0.01e18, 1 hours);
        // The deployment's seed: shares no one redeems.
        tokens[0].mint(address(this), 2_000e6);
        tokens[0].approve(address(fund), 2_000e6);
        fund.deposit(2_000e6, address(0xdEaD));

        handler = new MultiAssetHandler(vault, settlement, fund, tokens, feeds);
        vault.grantRole(vault.GUARDIAN_ROLE(), address(handler));
        for (uint256 i; i < 5; ++i) {
            vm.prank(handler.actors(i));
            vault.setOperator(address(handler), true);
        }
        // The liquidator (the handler) and the market maker are well funded.
        tokens[0].mint(address(handler), 40_000_000e6);
        vm.startPrank(address(handler));
        vault.deposit(address(tokens[0]), 20_000_000e6, address(handler));
        vault.deposit(address(tokens[0]), 20_000_000e6, handler.actors(4));
        vm.stopPrank();
        targetContract(address(handler));
    }

    /// @dev The handler reaches every path the invariants are about.
    function testHandlerReachesTradesLiquidationsPauseAndCash() public {
        handler.deposit(0, 0, 20_000e6); // Alice: 20,000 USDC
        handler.deposit(1, 1, 1e8); // Bob: 1 WBTC
        handler.deposit(1, 2, 10e18); // and 10 WETH
        handler.trade(0, 1, 2, 400e18, 10_000); // Alice buys 400 SOL from Bob at 100
        handler.trade(4, 0, 1, 1e18, 10_000); // and sells 1 ETH to the maker at 2,300
        assertEq(handler.trades(), 2, "two trades");
        handler.togglePause();
        handler.trade(0, 4, 1, 0.5e18, 10_000); // paused: Alice buys back half her ETH short, which reduces it
        handler.trade(0, 4, 1, 1e18, 10_000); // but cannot flip it
        assertEq(handler.pausedTrades(), 1, "one risk-reducing trade while paused");
        handler.togglePause();
        handler.warp(2 hours); // past the liquidation grace period
        handler.movePrice(3, 60e8); // SOL -40%: Alice (E about 4,000) falls under MM, still solvent
        handler.liquidate(0, 0.1e18);
        assertEq(handler.liquidations(), 1, "Alice liquidated");
        handler.strangerDeposit(1, 1, 1e6); // a stranger tops up Bob's WBTC
        handler.settleCash(0); // Alice's USDC pays her debt into the pool
        handler.withdraw(1, 0, 1_000e6); // Bob withdraws 1,000 USDC of his cash from the pool
        assertEq(handler.withdrawals(), 1, "Bob withdrew cash");
        invariantMultiAssetLedgersBalance();
        invariantMultiAssetOpenInterestBalancedWithinCaps();
        invariantMultiAssetActionsKeepTheirRules();
    }

    function _accounts() internal view returns (address[8] memory list) {
        for (uint256 i; i < 5; ++i) list[i] = handler.actors(i);
        list[5] = address(handler);
        list[6] = address(fund);
        list[7] = handler.STRANGER();
    }

    /// @dev Per token, recorded balances sum to the total deposits and the vault holds at least them (plus the
    /// settlement pool in USDC); cash sums to pool * 1e12 + badDebt, to the wei; the fund's assets are backed by its
    /// tokens and its vault cash.
    function invariantMultiAssetLedgersBalance() public view {
        address[8] memory list = _accounts();
        (uint256 pool,) = ICashSettlement(address(vault)).cashPool();
        for (uint256 t; t < 3; ++t) {
            uint256 sum;
            for (uint256 i; i < list.length; ++i) sum += vault.collateralBalance(list[i], address(tokens[t]));
            assertEq(sum, vault.collateralConfig(address(tokens[t])).totalDeposits, "recorded total");
            assertGe(tokens[t].balanceOf(address(vault)), t == 0 ? sum + pool : sum, "vault holds what it owes");
        }
        int256 cashSum;
        for (uint256 i; i < list.length; ++i) cashSum += vault.cash(list[i]);
        (, uint256 badDebt) = vault.insurance();
        assertEq(cashSum, int256(pool * 1e12 + badDebt), "sum(cash) = pool * 1e12 + badDebt");
        int256 fundCash = vault.cash(address(fund));
        uint256 cashAssets = fundCash > 0 ? uint256(fundCash) / 1e12 : 0;
        assertLe(fund.totalAssets(), tokens[0].balanceOf(address(fund)) + cashAssets, "fund assets backed");
    }

    /// @dev Every market's positions net to zero, its open interest is the sum of the longs and within its cap.
    function invariantMultiAssetOpenInterestBalancedWithinCaps() public view {
        address[8] memory list = _accounts();
        for (uint256 m; m < 3; ++m) {
            uint256 longs;
            int256 net;
            for (uint256 i; i < list.length; ++i) {
                int256 size = vault.position(list[i], m);
                net += size;
                if (size > 0) longs += uint256(size);
            }
            IMarginVault.MarketConfig memory config = vault.marketConfig(m);
            assertEq(net, int256(0), "positions net to zero");
            assertEq(longs, config.openInterest, "open interest = sum of longs");
            assertLe(config.openInterest, config.openInterestCap, "open interest within its cap");
        }
    }

    /// @dev No withdrawal leaves an account under IM; no trade leaves a side under spec §5; while paused, trades only
    /// reduce risk; a stranger only tops up a balance the account holds, never while paused; every liquidation
    /// raises E - MM, keeps a solvent account solvent, and an insolvent one ends empty and not liquidatable.
    function invariantMultiAssetActionsKeepTheirRules() public view {
        assertTrue(!handler.ghostWithdrawalLeftAccountUnderIm(), "a withdrawal left an account under IM");
        assertTrue(!handler.ghostTradeLeftSideUnderMargin(), "a trade left a side under spec 5");
        assertTrue(!handler.ghostPausedTradeAddedRisk(), "a trade added risk while paused");
        assertTrue(!handler.ghostStrangerOpenedBalance(), "a stranger opened a balance or deposited while paused");
        assertTrue(!handler.ghostLiquidationWorsenedHealth(), "a liquidation did not raise E - MM");
        assertTrue(!handler.ghostSolventIntoBadDebt(), "a liquidation pushed a solvent account below zero");
        assertTrue(!handler.ghostSettledAccountStillLiquidatable(), "a settled insolvent account was left open");
    }
}
