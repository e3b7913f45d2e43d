// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../utils/Test.sol";
import {MarginVault} from "../../contracts/MarginVault.sol";
import {TradeSettlement} from "../../contracts/TradeSettlement.sol";
import {InsuranceFund} from "../../contracts/InsuranceFund.sol";
import {IMarginVault} from "../../contracts/interfaces/IMarginVault.sol";
import {ITradeSettlement} from "../../contracts/interfaces/ITradeSettlement.sol";
import {IRiskGovernance} from "../../contracts/interfaces/IRiskGovernance.sol";
import {MockAggregator} from "../../contracts/mocks/MockAggregator.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {MathLib} from "../../contracts/libraries/MathLib.sol";

/// @notice Drives the vault through the book families of issue 9 (hedged, pair, directional, USDC-only with negative
/// cash, random multi-asset), built with real trades against a well-funded market maker, through price moves of
/// every asset (the USD feed included: a depeg is what puts a USDC-only book under MM), collusion between two
/// actors, and liquidations by the handler and by the colluding actor. Inputs are bounded; an action the vault
/// refuses is skipped. Ghost flags record any breach of P1-P5.
contract Handler is Test {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BONUS_RATE = 0.2e18;
    uint256 internal constant ETH_MARKET = 0;
    uint256 internal constant BTC_MARKET = 1;

    MarginVault public immutable vault;
    TradeSettlement public immutable settlement;
    InsuranceFund public immutable fund;
    MockERC20 public immutable usdc;
    MockERC20 public immutable weth;
    MockAggregator public immutable usdFeed;
    MockAggregator public immutable btcFeed;
    MockAggregator public immutable ethFeed;
    /// @dev actors[0] and actors[1] collude (A and B of scenario 2); actors[4] is the market maker.
    address[5] public actors;

    bool public ghostSolventIntoBadDebt; // P1
    bool public ghostFundPaidForSolvent; // P1
    bool public ghostSlackDidNotRise; // P2
    bool public ghostSolventLiquidationRefused; // P2
    bool public ghostAboveCloseFactor; // P3
    bool public ghostRewardUnbounded; // P4
    bool public ghostCollusionProfited; // P4, scenario 2
    bool public ghostLiquidatorUnderIm;
    bool public ghostTradeLeftSideUnderMargin; // P5 and spec §5
    uint256 public liquidations;
    uint256 public partialLiquidations;
    uint256 public trades;

    constructor(
        MarginVault vault_,
        TradeSettlement settlement_,
        InsuranceFund fund_,
        MockERC20 usdc_,
        MockERC20 weth_,
        MockAggregator[3] memory feeds
    ) {
        vault = vault_;
        settlement = settlement_;
        fund = fund_;
        usdc = usdc_;
        weth = weth_;
        (usdFeed, btcFeed, ethFeed) = (feeds[0], feeds[1], feeds[2]);
        actors = [address(0xA11CE), address(0xB0B), address(0xCA401), address(0xDA7E), address(0x3A4E7)];
    }

    // ---------------------------------------------------------------- books

    /// @dev WETH and a short ETH perp of the same size; then a BTC round trip of the same notional `bps` over and
    /// under the oracle loses 2 x bps of it, so the book can sit close to its MM (4% of its notional at 48%).
    function buildHedged(uint256 actorSeed, uint256 units, uint256 bps) external {
        address actor = _actor(actorSeed);
        units = bound(units, 1e17, 30e18);
        _deposit(actor, weth, units);
        _trade(actors[4], actor, ETH_MARKET, units, vault.price(2));
        _roundTrip(actor, BTC_MARKET, units * vault.price(2) / vault.price(1), bound(bps, 0, 4_800));
    }

    function buildPair(uint256 actorSeed, uint256 notional) external {
        address actor = _actor(actorSeed);
        notional = bound(notional, 1_000e18, 200_000e18);
        _deposit(actor, usdc, notional / 4 / 1e12);
        _trade(actor, actors[4], BTC_MARKET, notional * WAD / vault.price(1), vault.price(1));
        _trade(actors[4], actor, ETH_MARKET, notional * WAD / vault.price(2), vault.price(2));
    }

    function buildDirectional(uint256 actorSeed, uint256 units, bool long) external {
        address actor = _actor(actorSeed);
        units = bound(units, 1e16, 40e18);
        _deposit(actor, usdc, units * vault.price(2) / WAD * 3 / 10 / 1e12 + 1);
        if (long) _trade(actor, actors[4], ETH_MARKET, units, vault.price(2));
        else _trade(actors[4], actor, ETH_MARKET, units, vault.price(2));
    }

    /// @dev USDC only, negative cash: what is left after a losing round trip on the ETH perp.
    function buildUsdcNegativeCash(uint256 actorSeed, uint256 amount, uint256 bps) external {
        address actor = _actor(actorSeed);
        amount = bound(amount, 1_000e6, 100_000e6);
        _deposit(actor, usdc, amount);
        _roundTrip(actor, ETH_MARKET, amount * 1e12 * WAD / vault.price(2), bound(bps, 100, 4_800));
    }

    function buildRandom(uint256 actorSeed, uint256 seed) external {
        address actor = _actor(actorSeed);
        _deposit(actor, usdc, bound(seed, 100e6, 50_000e6));
        _deposit(actor, weth, bound(seed >> 64, 1e15, 10e18));
        uint256 eth = bound(seed >> 128, 1e15, 10e18);
        uint256 btc = bound(seed >> 160, 1e14, 0.5e18);
        if ((seed >> 200) & 1 == 1) _trade(actor, actors[4], ETH_MARKET, eth, _bandPrice(2, seed >> 201));
        else _trade(actors[4], actor, ETH_MARKET, eth, _bandPrice(2, seed >> 201));
        if ((seed >> 220) & 1 == 1) _trade(actor, actors[4], BTC_MARKET, btc, _bandPrice(1, seed >> 221));
        else _trade(actors[4], actor, BTC_MARKET, btc, _bandPrice(1, seed >> 221));
    }

    /// @dev Scenario 2: A moves equity to B with BTC trades 5% off the oracle.
    function collude(uint256 size, bool aBuys) external {
        size = bound(size, 1e15, 2e18);
        if (aBuys) _trade(actors[0], actors[1], BTC_MARKET, size, vault.price(1) * 105 / 100);
        else _trade(actors[1], actors[0], BTC_MARKET, size, vault.price(1) * 95 / 100);
    }

    function movePrice(uint256 which, uint256 seed) external {
        which = which % 3;
        if (which == 0) usdFeed.setAnswer(int256(bound(seed, 0.9e8, 1.05e8)));
        else if (which == 1) btcFeed.setAnswer(int256(bound(seed, 10_000e8, 100_000e8)));
        else ethFeed.setAnswer(int256(bound(seed, 500e8, 5_000e8)));
    }

    // ---------------------------------------------------------------- liquidation

    /// @dev The handler liquidates; `fraction` is mostly within (0, max], sometimes above it.
    function liquidate(uint256 actorSeed, uint256 fraction) external {
        _liquidate(address(this), actors[actorSeed % 5], fraction);
    }

    /// @dev Scenario 2: B liquidates A; A and B together must not gain.
    function colludingLiquidate(uint256 fraction) external {
        (int256 ea,,) = _margin(actors[0]);
        (int256 eb,,) = _margin(actors[1]);
        if (!_liquidate(actors[1], actors[0], fraction)) return;
        (int256 eaAfter,,) = _margin(actors[0]);
        (int256 ebAfter,,) = _margin(actors[1]);
        // The pair loses the fund's share of the bonus; the engine's rounding of the slice on B's book is at most a
        // wei per entry. A solvent A never makes the fund pay (P1), so the pair can only gain from an insolvent A.
        if (ea >= 0 && eaAfter + ebAfter > ea + eb + 8) ghostCollusionProfited = true;
    }

    function _liquidate(address liquidator, address account, uint256 fraction) private returns (bool) {
        if (liquidator == account) return false;
        (int256 e, uint256 mm,) = _margin(account);
        if (e >= int256(mm)) return false;
        uint256 max = vault.maxLiquidationFraction(account);
        fraction = fraction % 8 == 0 ? bound(fraction, max, WAD) : bound(fraction, 1, max);
        // P3's expectation for a solvent account: the request clamped to the close factor, or the whole book when
        // that would leave a remainder under the dust threshold (the vault takes it whole: LiquidationLib.plan).
        uint256 expected = fraction < max ? fraction : max;
        (,, uint256 dust) = vault.liquidationConfig();
        if (_grossValue(account) * (WAD - expected) / WAD < dust) expected = WAD;
        (int256 el,,) = _margin(liquidator);
        int256 fundCash = vault.cash(address(fund));
        uint256 fundTokens = usdc.balanceOf(address(fund));
        vm.prank(liquidator);
        try vault.liquidate(account, fraction) returns (IMarginVault.Liquidation memory r) {
            ++liquidations;
            if (r.fraction < WAD) ++partialLiquidations;
            _checkLiquidation(account, liquidator, e, mm, el, max, expected, r);
            // P1: the fund pays only for accounts with E < 0 before the call.
            if (e >= 0 && (vault.cash(address(fund)) < fundCash || usdc.balanceOf(address(fund)) < fundTokens)) {
                ghostFundPaidForSolvent = true;
            }
            return true;
        } catch {
            // P2: a solvent liquidatable account can always be reduced by a liquidator with ample margin.
            if (e >= 0 && liquidator == address(this)) ghostSolventLiquidationRefused = true;
            return false;
        }
    }

    function _checkLiquidation(
        address account,
        address liquidator,
        int256 e,
        uint256 mm,
        int256 el,
        uint256 max,
        uint256 expected,
        IMarginVault.Liquidation memory r
    ) private {
        (int256 eAfter, uint256 mmAfter,) = _margin(account);
        (int256 elAfter,, uint256 imlAfter) = _margin(liquidator);
        // P1
        if (e >= 0 && eAfter < 0) ghostSolventIntoBadDebt = true;
        // P2
        if (eAfter - int256(mmAfter) <= e - int256(mm)) ghostSlackDidNotRise = true;
        // P3
        if (r.fraction > max || (e >= 0 && r.fraction != expected)) {
            ghostAboveCloseFactor = true;
        }
        // P4: the account loses the bonus exactly, the bonus is bounded, the liquidator gains the bonus less the
        // fund's share (a wei of the engine's rounding per entry, at most 4 entries here).
        if (r.bonus > r.mmReleased * BONUS_RATE / WAD) ghostRewardUnbounded = true;
        if (e >= 0 && e - eAfter != int256(r.bonus)) ghostRewardUnbounded = true;
        int256 gain = elAfter - el;
        int256 expected = int256(r.bonus - r.fundShare);
        if (gain > expected + 4 || gain < expected - 4) ghostRewardUnbounded = true;
        // The liquidator still ends at IM.
        if (elAfter < int256(imlAfter)) ghostLiquidatorUnderIm = true;
    }

    // ---------------------------------------------------------------- helpers

    /// @dev What the vault calls the account's gross value: collateral values and |notionals|, each rounded down
    /// (toward minus infinity for a short's notional) as the engine rounds them.
    function _grossValue(address account) private view returns (uint256 g) {
        MockERC20[2] memory tokens = [usdc, weth];
        uint256[2] memory assets = [uint256(0), 2];
        for (uint256 t; t < 2; ++t) {
            uint256 balance = vault.collateralBalance(account, address(tokens[t])) * 10 ** (18 - tokens[t].decimals());
            g += balance * vault.price(assets[t]) / WAD;
        }
        uint256[2] memory markets = [ETH_MARKET, BTC_MARKET];
        for (uint256 m; m < 2; ++m) {
            int256 notional = MathLib.mulDown(vault.position(account, markets[m]), int256(vault.price(m == 0 ? 2 : 1)));
            g += uint256(notional < 0 ? -notional : notional);
        }
    }

    function _actor(uint256 seed) private view returns (address) {
        return actors[seed % 4];
    }

    function _deposit(address actor, MockERC20 token, uint256 amount) private {
        token.mint(address(this), amount);
        token.approve(address(vault), amount);
        try vault.deposit(address(token), amount, actor) {} catch {}
    }

    /// @dev Buys `units` of `market` `bps` over the oracle and sells them back `bps` under, losing 2 x bps of the
    /// notional to the market maker.
    function _roundTrip(address actor, uint256 market, uint256 units, uint256 bps) private {
        if (bps == 0) return;
        uint256 oracle = vault.price(market == ETH_MARKET ? 2 : 1);
        _trade(actor, actors[4], market, units, oracle * (10_000 + bps) / 10_000);
        _trade(actors[4], actor, market, units, oracle * (10_000 - bps) / 10_000);
    }

    function _bandPrice(uint256 asset, uint256 seed) private view returns (uint256) {
        return vault.price(asset) * bound(seed, 9_500, 10_500) / 10_000;
    }

    function _trade(address buyer, address seller, uint256 market, uint256 size, uint256 tradePrice) private {
        if (size == 0 || buyer == seller) return;
        (int256 eb, uint256 mmb,) = _margin(buyer);
        (int256 es, uint256 mms,) = _margin(seller);
        ITradeSettlement.Order memory buy =
            ITradeSettlement.Order(buyer, market, int256(size), tradePrice, trades, 2 ** 40);
        ITradeSettlement.Order memory sell =
            ITradeSettlement.Order(seller, market, -int256(size), tradePrice, trades, 2 ** 40);
        try settlement.settleTrade(buy, "", sell, "", size, tradePrice) {
            ++trades;
            _checkSide(buyer, eb, mmb);
            _checkSide(seller, es, mms);
        } catch {}
    }

    /// @dev Spec §5 with P5: E >= IM, or MM fell, E - MM did not, and E >= 0.
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

/// @notice P1-P4 (and P5, conservation, open interest) as invariants of liquidation.
contract LiquidationInvariantTest is Test {
    MarginVault internal vault;
    TradeSettlement internal settlement;
    InsuranceFund internal fund;
    MockERC20 internal usdc;
    MockERC20 internal weth;
    Handler internal handler;

    function setUp() public {
        MockAggregator usdFeed = new MockAggregator(8, 1e8, "USD / USD");
        MockAggregator btcFeed = new MockAggregator(8, 42_000e8, "BTC / USD");
        MockAggregator ethFeed = new MockAggregator(8, 2_300e8, "ETH / USD");
        usdc = new MockERC20("USD Coin", "USDC", 6);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        vault = new MarginVault(address(this), 1.5e18);
        vault.grantRole(vault.RISK_ADMIN_ROLE(), address(this));
        vault.listAsset("USD", address(usdFeed), 1 days, 0.02e18, 2e18);
        vault.listAsset("BTC", address(btcFeed), 1 days, 0.12e18, 1_000_000e18);
        vault.listAsset("ETH", address(ethFeed), 1 days, 0.15e18, 100_000e18);
        vault.setCorrelation(1, 2, 0.8e18);
        vault.listCollateral(address(usdc), 0, 0, 1e15);
        vault.listCollateral(address(weth), 2, 0.02e18, 20_000e18);
        vault.listMarket(2, 0.005e18, 50_000e18);
        vault.listMarket(1, 0.005e18, 5_000e18);
        vault.setLiquidationConfig(0.2e18, 0.5e18, 100e18);
        // A 50% band lets the USDC-only builder lose up to 96% of its notional in one round trip.
        settlement = new TradeSettlement(address(vault));
        IRiskGovernance(address(vault)).setPriceBand(5_000);
        vault.grantRole(vault.SETTLER_ROLE(), address(settlement));
        fund = new InsuranceFund(usdc, vault);
        vault.setInsuranceFund(address(fund));
        usdc.mint(address(fund), 20_000e6);

        handler = new Handler(vault, settlement, fund, usdc, weth, [usdFeed, btcFeed, ethFeed]);
        for (uint256 i; i < 5; ++i) {
            vm.prank(handler.actors(i));
            vault.setOperator(address(handler), true);
        }
        // The market maker and the handler (the liquidator) are well funded.
        usdc.mint(address(handler), 20_000_000e6);
        vm.startPrank(address(handler));
        usdc.approve(address(vault), type(uint256).max);
        vault.deposit(address(usdc), 10_000_000e6, address(handler));
        vault.deposit(address(usdc), 10_000_000e6, handler.actors(4));
        vm.stopPrank();
        targetContract(address(handler));
    }

    /// @dev The handler reaches what the invariants are about: a partial liquidation of each book family.
    function testHandlerReachesPartialLiquidationsOfEveryBookFamily() public {
        handler.buildHedged(0, 20e18, 4_800);
        handler.buildPair(1, 100_000e18);
        handler.buildDirectional(2, 10e18, true);
        handler.buildUsdcNegativeCash(3, 50_000e6, 4_700);
        // Each move puts one book under MM while solvent; a fraction not a multiple of 8 is bounded to (0, max].
        handler.movePrice(1, 35_700e8); // BTC -15%: the pair
        handler.liquidate(1, 5);
        assertEq(handler.partialLiquidations(), 1, "step 1");
        handler.movePrice(2, 1_840e8); // ETH -20%: the directional long
        handler.liquidate(2, 3);
        assertEq(handler.partialLiquidations(), 2, "step 2");
        handler.movePrice(0, 0.95e8); // USD depeg: the USDC-only book with negative cash
        handler.liquidate(3, 7);
        assertEq(handler.partialLiquidations(), 3, "step 3");
        handler.movePrice(2, 5_000e8); // ETH x2.7: the hedged book's MM grows past its buffer
        handler.liquidate(0, 9);
        assertEq(handler.partialLiquidations(), 4, "step 4");
        assertEq(handler.partialLiquidations(), 4, "partial liquidations");
        assertTrue(!handler.ghostSlackDidNotRise() && !handler.ghostSolventIntoBadDebt(), "P1 / P2");
        assertTrue(!handler.ghostRewardUnbounded() && !handler.ghostAboveCloseFactor(), "P3 / P4");
    }

    function _accounts() internal view returns (address[7] memory list) {
        for (uint256 i; i < 5; ++i) list[i] = handler.actors(i);
        list[5] = address(handler);
        list[6] = address(fund);
    }

    function invariantNoSolventAccountIntoBadDebt() public view {
        assertTrue(!handler.ghostSolventIntoBadDebt(), "P1: a liquidation pushed a solvent account below zero");
        assertTrue(!handler.ghostFundPaidForSolvent(), "P1: the fund paid for a solvent account");
    }

    function invariantEveryLiquidatableSolventPortfolioCanBeReduced() public view {
        assertTrue(!handler.ghostSlackDidNotRise(), "P2: a liquidation did not raise E - MM");
        assertTrue(!handler.ghostSolventLiquidationRefused(), "P2: a solvent liquidatable account was not reduced");
    }

    function invariantCloseFactor() public view {
        assertTrue(!handler.ghostAboveCloseFactor(), "P3: a liquidation took more than the close factor");
    }

    function invariantBoundedReward() public view {
        assertTrue(!handler.ghostRewardUnbounded(), "P4: the reward was not bonus - fund share, or above the bound");
        assertTrue(!handler.ghostCollusionProfited(), "P4: two colluding addresses gained from a liquidation");
    }

    function invariantLiquidatorEndsAtInitialMargin() public view {
        assertTrue(!handler.ghostLiquidatorUnderIm(), "the liquidator ended under IM");
    }

    function invariantNoTradeLeavesSideUnderMargin() public view {
        assertTrue(!handler.ghostTradeLeftSideUnderMargin(), "P5: a trade left a side under IM against spec 5");
    }

    function invariantVaultTokenBalanceCoversRecordedBalances() public view {
        address[7] memory list = _accounts();
        MockERC20[2] memory tokens = [usdc, weth];
        for (uint256 t; t < 2; ++t) {
            uint256 sum;
            for (uint256 i; i < list.length; ++i) sum += vault.collateralBalance(list[i], address(tokens[t]));
            assertEq(sum, vault.collateralConfig(address(tokens[t])).totalDeposits, "recorded total");
            assertGe(tokens[t].balanceOf(address(vault)), sum, "vault balance >= recorded balances");
        }
    }

    /// @dev Cash is conserved by trades, liquidations and bonuses; it grows only by the fund's tokens pulled into the
    /// vault (1 USDC = 1e12 wei of cash) and by unbacked bad debt.
    function invariantCashChangesOnlyByFundTokensAndBadDebt() public view {
        address[7] memory list = _accounts();
        int256 sum;
        for (uint256 i; i < list.length; ++i) sum += vault.cash(list[i]);
        uint256 reserve = usdc.balanceOf(address(vault)) - vault.collateralConfig(address(usdc)).totalDeposits;
        (, uint256 badDebt) = vault.insurance();
        assertEq(sum, int256(reserve * 1e12 + badDebt), "cash = fund tokens + bad debt");
    }

    function invariantOpenInterestWithinCapAndBalanced() public view {
        address[7] memory list = _accounts();
        for (uint256 m; m < 2; ++m) {
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
        }
    }
}

