// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../utils/Test.sol";
import {VaultWorld} from "./VaultWorld.sol";
import {MarginVault} from "../../contracts/MarginVault.sol";
import {TradeSettlement} from "../../contracts/TradeSettlement.sol";
import {InsuranceFund} from "../../contracts/InsuranceFund.sol";
import {IMarginVault} from "../../contracts/interfaces/IMarginVault.sol";
import {ITradeSettlement} from "../../contracts/interfaces/ITradeSettlement.sol";
import {MockAggregator} from "../../contracts/mocks/MockAggregator.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";

/// @notice Drives the vault through deposits, withdrawals, trades, price moves and liquidations across three
/// accounts. Inputs are bounded; an action the vault refuses is simply skipped. Ghost flags record any breach.
contract Handler is Test {
    MarginVault public immutable vault;
    TradeSettlement public immutable settlement;
    InsuranceFund public immutable fund;
    MockERC20 public immutable usdc;
    MockERC20 public immutable weth;
    MockAggregator public immutable ethFeed;
    address[3] public actors;

    bool public ghostHealthyLiquidated;
    bool public ghostLiquidationDidNotImprove;
    bool public ghostTradeLeftSideUnderMargin;
    uint256 public liquidations;
    uint256 public trades;

    constructor(
        MarginVault vault_,
        TradeSettlement settlement_,
        InsuranceFund fund_,
        MockERC20 usdc_,
        MockERC20 weth_,
        MockAggregator ethFeed_
    ) {
        vault = vault_;
        settlement = settlement_;
        fund = fund_;
        usdc = usdc_;
        weth = weth_;
        ethFeed = ethFeed_;
        actors = [address(0xA11CE), address(0xB0B), address(0xCA401)];
    }

    function actorCount() external pure returns (uint256) {
        return 3;
    }

    function deposit(uint256 actorSeed, bool isWeth, uint256 amount) external {
        address actor = actors[actorSeed % 3];
        MockERC20 token = isWeth ? weth : usdc;
        amount = isWeth ? bound(amount, 1e15, 20e18) : bound(amount, 1e6, 50_000e6);
        token.mint(address(this), amount);
        token.approve(address(vault), amount);
        try vault.deposit(address(token), amount, actor) {} catch {}
    }

    function withdraw(uint256 actorSeed, bool isWeth, uint256 amount) external {
        address actor = actors[actorSeed % 3];
        MockERC20 token = isWeth ? weth : usdc;
        uint256 balance = vault.collateralBalance(actor, address(token));
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        vm.prank(actor);
        try vault.withdraw(address(token), amount, actor, actor) {} catch {}
    }

    function trade(uint256 buyerSeed, uint256 sellerOffset, uint256 size, uint256 priceBps) external {
        address buyer = actors[buyerSeed % 3];
        address seller = actors[(buyerSeed + 1 + sellerOffset % 2) % 3];
        size = bound(size, 1e15, 30e18);
        uint256 oraclePrice = vault.price(2);
        // Within the 5% band: 9,500..10,500 bps of the oracle price.
        uint256 tradePrice = oraclePrice * bound(priceBps, 9_500, 10_500) / 10_000;
        (int256 eb, uint256 mmb,) = _margin(buyer);
        (int256 es, uint256 mms,) = _margin(seller);
        ITradeSettlement.Order memory buy = ITradeSettlement.Order(buyer, 0, int256(size), tradePrice, trades, 2 ** 40);
        ITradeSettlement.Order memory sell =
            ITradeSettlement.Order(seller, 0, -int256(size), tradePrice, trades, 2 ** 40);
        try settlement.settleTrade(buy, "", sell, "", size, tradePrice) {
            ++trades;
            _checkSide(buyer, eb, mmb);
            _checkSide(seller, es, mms);
        } catch {}
    }

    function movePrice(uint256 priceSeed) external {
        // ETH between 500 and 5,000 USD (8 decimals).
        ethFeed.setAnswer(int256(bound(priceSeed, 500e8, 5_000e8)));
    }

    function liquidate(uint256 actorSeed, uint256 fraction, bool seize) external {
        address account = actors[actorSeed % 3];
        (int256 equity, uint256 mm,) = _margin(account);
        IMarginVault.LiquidationItem[] memory items = new IMarginVault.LiquidationItem[](1);
        if (seize) {
            uint256 balance = vault.collateralBalance(account, address(weth));
            if (balance == 0) return;
            items[0] = IMarginVault.LiquidationItem(true, 1, bound(fraction, 1, balance));
        } else {
            int256 size = vault.position(account, 0);
            if (size == 0) return;
            uint256 abs = size > 0 ? uint256(size) : uint256(-size);
            // One call in four takes the whole position, so that bad debt is reached.
            items[0] = IMarginVault.LiquidationItem(false, 0, fraction % 4 == 0 ? abs : bound(fraction, 1, abs));
        }
        try vault.liquidate(account, items) {
            ++liquidations;
            if (equity >= int256(mm)) ghostHealthyLiquidated = true;
            (int256 equityAfter, uint256 mmAfter,) = _margin(account);
            if (equityAfter - int256(mmAfter) <= equity - int256(mm)) ghostLiquidationDidNotImprove = true;
        } catch {}
    }

    function _checkSide(address account, int256 equityBefore, uint256 mmBefore) private {
        (int256 equity, uint256 mm, uint256 im) = _margin(account);
        if (equity >= int256(im)) return;
        if (mm < mmBefore && equity - int256(mm) >= equityBefore - int256(mmBefore)) return;
        ghostTradeLeftSideUnderMargin = true;
    }

    function _margin(address account) private view returns (int256, uint256, uint256) {
        IMarginVault.AccountMargin memory m = vault.accountMargin(account);
        return (m.equity, m.maintenanceMargin, m.initialMargin);
    }
}

/// @notice Invariants of trading, liquidation and the insurance fund.
contract LiquidationInvariantTest is VaultWorld {
    Handler internal handler;

    function setUp() public {
        _deployWorld();
        usdc.mint(address(fund), 2_000e6);

        handler = new Handler(vault, settlement, fund, usdc, weth, ethFeed);
        for (uint256 i; i < 3; ++i) {
            vm.prank(handler.actors(i));
            vault.setOperator(address(handler), true);
        }
        // The handler liquidates from its own well-funded account.
        usdc.mint(address(handler), 1_000_000e6);
        vm.startPrank(address(handler));
        usdc.approve(address(vault), type(uint256).max);
        vault.deposit(address(usdc), 1_000_000e6, address(handler));
        vm.stopPrank();
        targetContract(address(handler));
    }

    function _accounts() internal view returns (address[5] memory list) {
        list = [handler.actors(0), handler.actors(1), handler.actors(2), address(handler), address(fund)];
    }

    function invariantVaultTokenBalanceCoversRecordedBalances() public view {
        address[5] memory list = _accounts();
        MockERC20[2] memory tokens = [usdc, weth];
        for (uint256 t; t < 2; ++t) {
            uint256 sum;
            for (uint256 i; i < list.length; ++i) sum += vault.collateralBalance(list[i], address(tokens[t]));
            assertEq(sum, vault.collateralConfig(address(tokens[t])).totalDeposits, "recorded total");
            assertGe(tokens[t].balanceOf(address(vault)), sum, "vault balance >= recorded balances");
        }
    }

    /// @dev Cash is conserved by trades, liquidations and penalties; it grows only by the fund's tokens pulled
    /// into the vault (1 USDC = 1e12 wei of cash) and by unbacked bad debt.
    function invariantCashChangesOnlyByFundTokensAndBadDebt() public view {
        address[5] memory list = _accounts();
        int256 sum;
        for (uint256 i; i < list.length; ++i) sum += vault.cash(list[i]);
        uint256 reserve = usdc.balanceOf(address(vault)) - vault.collateralConfig(address(usdc)).totalDeposits;
        (, uint256 badDebt) = vault.insurance();
        assertEq(sum, int256(reserve * 1e12 + badDebt), "cash = fund tokens + bad debt");
    }

    function invariantNoHealthyAccountLiquidated() public view {
        assertTrue(!handler.ghostHealthyLiquidated(), "an account at or above MM was liquidated");
    }

    function invariantLiquidationRaisesSlack() public view {
        assertTrue(!handler.ghostLiquidationDidNotImprove(), "a liquidation did not raise E - MM");
    }

    function invariantNoTradeLeavesSideUnderMargin() public view {
        assertTrue(!handler.ghostTradeLeftSideUnderMargin(), "a trade left a side under IM against spec 5");
    }

    function invariantOpenInterestWithinCapAndBalanced() public view {
        address[5] memory list = _accounts();
        uint256 longs;
        int256 net;
        for (uint256 i; i < list.length; ++i) {
            int256 size = vault.position(list[i], 0);
            net += size;
            if (size > 0) longs += uint256(size);
        }
        IMarginVault.MarketConfig memory config = vault.marketConfig(0);
        assertEq(net, int256(0), "positions net to zero");
        assertEq(longs, config.openInterest, "open interest = sum of longs");
        assertLe(config.openInterest, config.openInterestCap, "open interest within cap");
    }
}
