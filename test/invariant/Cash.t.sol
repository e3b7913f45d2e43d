// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../utils/Test.sol";
import {VaultWorld} from "./VaultWorld.sol";
import {MarginVault} from "../../contracts/MarginVault.sol";
import {TradeSettlement} from "../../contracts/TradeSettlement.sol";
import {InsuranceFund} from "../../contracts/InsuranceFund.sol";
import {IMarginVault} from "../../contracts/interfaces/IMarginVault.sol";
import {ICashSettlement} from "../../contracts/interfaces/ICashSettlement.sol";
import {ITradeSettlement} from "../../contracts/interfaces/ITradeSettlement.sol";
import {MockAggregator} from "../../contracts/mocks/MockAggregator.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";

/// @notice Drives cash settlement and the insurance fund: trades, price moves, liquidations (pro-rata
/// slices, `liquidate(account, fraction)`), settleCash, withdrawals that pay cash, debtor-collateral sales, fund
/// deposits, redemption requests, redemptions and time. Inputs are bounded; a refused action is skipped. After every
/// action that is neither a liquidation nor the passing of time, the fund's share price must not have moved (fund
/// deposits and redemptions may raise it by their rounding only).
contract CashHandler is Test {
    MarginVault public immutable vault;
    ICashSettlement public immutable cash;
    TradeSettlement public immutable settlement;
    InsuranceFund public immutable fund;
    MockERC20 public immutable usdc;
    MockERC20 public immutable weth;
    MockAggregator public immutable usdFeed;
    MockAggregator public immutable ethFeed;
    address[3] public actors;

    /// @dev A share count large enough that the price reads to many digits.
    uint256 private constant PROBE = 1e30;

    bool public ghostFundPriceMoved;
    uint256 public cashPaid;
    uint256 public sales;
    uint256 public redemptions;
    uint256 public liquidations;
    uint256 private _nonce;

    constructor(
        MarginVault vault_,
        TradeSettlement settlement_,
        InsuranceFund fund_,
        MockERC20 usdc_,
        MockERC20 weth_,
        MockAggregator usdFeed_,
        MockAggregator ethFeed_
    ) {
        vault = vault_;
        cash = ICashSettlement(address(vault_));
        settlement = settlement_;
        fund = fund_;
        usdc = usdc_;
        weth = weth_;
        usdFeed = usdFeed_;
        ethFeed = ethFeed_;
        actors = [address(0xA11CE), address(0xB0B), address(0xCA401)];
        usdc.approve(address(vault_), type(uint256).max);
        weth.approve(address(vault_), type(uint256).max);
        usdc.approve(address(fund_), type(uint256).max);
    }

    modifier keepsFundPrice(bool roundingUp) {
        uint256 before = fund.convertToAssets(PROBE);
        _;
        uint256 afterwards = fund.convertToAssets(PROBE);
        if (roundingUp ? afterwards < before : afterwards != before) ghostFundPriceMoved = true;
    }

    function deposit(uint256 actorSeed, bool isWeth, uint256 amount) external keepsFundPrice(false) {
        address actor = actors[actorSeed % 3];
        MockERC20 token = isWeth ? weth : usdc;
        amount = isWeth ? bound(amount, 1e15, 20e18) : bound(amount, 1e6, 50_000e6);
        token.mint(address(this), amount);
        try vault.deposit(address(token), amount, actor) {} catch {}
    }

    function trade(uint256 buyerSeed, uint256 sellerOffset, uint256 size, uint256 priceBps)
        external
        keepsFundPrice(false)
    {
        address buyer = actors[buyerSeed % 3];
        address seller = actors[(buyerSeed + 1 + sellerOffset % 2) % 3];
        size = bound(size, 1e15, 30e18);
        uint256 tradePrice = vault.price(2) * bound(priceBps, 9_500, 10_500) / 10_000;
        ++_nonce;
        ITradeSettlement.Order memory buy = ITradeSettlement.Order(buyer, 0, int256(size), tradePrice, _nonce, 2 ** 40);
        ITradeSettlement.Order memory sell =
            ITradeSettlement.Order(seller, 0, -int256(size), tradePrice, _nonce, 2 ** 40);
        try settlement.settleTrade(buy, "", sell, "", size, tradePrice) {} catch {}
    }

    function movePrice(uint256 priceSeed) external keepsFundPrice(false) {
        ethFeed.setAnswer(int256(bound(priceSeed, 500e8, 5_000e8)));
    }

    function liquidate(uint256 actorSeed, uint256 fraction) external {
        address account = actors[actorSeed % 3];
        try vault.liquidate(account, bound(fraction, 1, 1e18)) {
            ++liquidations;
        } catch {}
    }

    function settleCash(uint256 actorSeed) external keepsFundPrice(false) {
        cash.settleCash(actors[actorSeed % 3]);
    }

    /// @dev Withdraws the actor's USDC balance plus part of its positive cash.
    function withdrawCash(uint256 actorSeed, uint256 amount) external keepsFundPrice(false) {
        address actor = actors[actorSeed % 3];
        int256 actorCash = vault.cash(actor);
        if (actorCash < 1e12) return;
        uint256 balance = vault.collateralBalance(actor, address(usdc));
        amount = balance + bound(amount, 1, uint256(actorCash) / 1e12);
        vm.prank(actor);
        try vault.withdraw(address(usdc), amount, actor, actor) {
            ++cashPaid;
        } catch {}
    }

    function buyDebtorCollateral(uint256 debtorSeed, uint256 creditorSeed, uint256 amount)
        external
        keepsFundPrice(false)
    {
        address debtor = actors[debtorSeed % 3];
        address creditor = creditorSeed % 4 == 3 ? address(fund) : actors[creditorSeed % 3];
        amount = bound(amount, 1, 20e18);
        usdc.mint(address(this), 1_000_000e6);
        try cash.buyDebtorCollateral(debtor, address(weth), amount, creditor) {
            ++sales;
        } catch {}
    }

    function fundDeposit(uint256 actorSeed, uint256 assets) external keepsFundPrice(true) {
        address actor = actors[actorSeed % 3];
        assets = bound(assets, 1, 100_000e6);
        usdc.mint(address(this), assets);
        try fund.deposit(assets, actor) {} catch {}
    }

    function fundRequest(uint256 actorSeed, uint256 shares) external keepsFundPrice(false) {
        address actor = actors[actorSeed % 3];
        uint256 balance = fund.balanceOf(actor);
        if (balance == 0) return;
        vm.prank(actor);
        fund.requestRedeem(bound(shares, 1, balance));
    }

    function fundRedeem(uint256 actorSeed, uint256 shares) external keepsFundPrice(true) {
        address actor = actors[actorSeed % 3];
        uint256 max = fund.maxRedeem(actor);
        if (max == 0) return;
        vm.prank(actor);
        try fund.redeem(bound(shares, 1, max), actor, actor) {
            ++redemptions;
        } catch {}
    }

    /// @dev Time passes (income vests, cooldowns end); the feeds answer again.
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 4 days));
        usdFeed.setAnswer(1e8);
        (, int256 answer,,,) = ethFeed.latestRoundData();
        ethFeed.setAnswer(answer);
    }
}

/// @notice Invariants of cash settlement and of the insurance fund.
contract CashInvariantTest is VaultWorld {
    CashHandler internal handler;

    function setUp() public {
        _deployWorld();
        ICashSettlement(address(vault)).setCashConfig(0.01e18, 1 hours);
        // The deployment's seed: shares no one redeems.
        usdc.mint(address(this), 2_000e6);
        usdc.approve(address(fund), 2_000e6);
        fund.deposit(2_000e6, address(0xdEaD));

        handler = new CashHandler(vault, settlement, fund, usdc, weth, usdFeed, ethFeed);
        for (uint256 i; i < 3; ++i) {
            vm.prank(handler.actors(i));
            vault.setOperator(address(handler), true);
        }
        usdc.mint(address(handler), 1_000_000e6);
        vm.prank(address(handler));
        vault.deposit(address(usdc), 1_000_000e6, address(handler));
        targetContract(address(handler));
    }

    function _accounts() internal view returns (address[5] memory list) {
        list = [handler.actors(0), handler.actors(1), handler.actors(2), address(handler), address(fund)];
    }

    /// @dev The handler reaches the cash paths: the issue's round trip (b) through its own actions.
    function testHandlerReachesSaleAndCashWithdrawal() public {
        handler.deposit(0, false, 10_000e6); // Alice: 10,000 USDC
        handler.deposit(1, true, 5e18); // Bob: 5 WETH
        handler.trade(0, 0, 2e18, 10_000); // Alice buys 2 ETH from Bob at 2,300
        handler.movePrice(2_600e8);
        handler.trade(1, 1, 2e18, 10_000); // and sells them back at 2,600
        assertEq(vault.cash(handler.actors(0)), int256(600e18), "Alice's cash");
        handler.withdrawCash(0, 600e6);
        assertEq(handler.cashPaid(), 0, "the pool is empty before the sale");
        handler.buyDebtorCollateral(1, 0, 5e18);
        assertEq(handler.sales(), 1, "one sale of Bob's WETH");
        handler.withdrawCash(0, 600e6);
        assertEq(handler.cashPaid(), 1, "Alice's 600 paid");
        assertEq(vault.cash(handler.actors(0)), int256(0), "Alice's cash paid out");
        invariantCashEqualsPoolPlusBadDebt();
        invariantVaultHoldsWhatItOwes();
    }

    /// @dev Per token, the vault holds at least what it owes: recorded balances, plus the settlement pool in USDC.
    function invariantVaultHoldsWhatItOwes() public view {
        address[5] memory list = _accounts();
        MockERC20[2] memory tokens = [usdc, weth];
        (uint256 pool,) = ICashSettlement(address(vault)).cashPool();
        for (uint256 t; t < 2; ++t) {
            uint256 sum;
            for (uint256 i; i < list.length; ++i) sum += vault.collateralBalance(list[i], address(tokens[t]));
            assertEq(sum, vault.collateralConfig(address(tokens[t])).totalDeposits, "recorded total");
            uint256 owed = t == 0 ? sum + pool : sum;
            assertGe(tokens[t].balanceOf(address(vault)), owed, "vault balance >= balances (+ pool)");
        }
    }

    /// @dev docs/liquidation.md: sum(cash) = pool * 1e12 + badDebt, to the wei, through trades, liquidations,
    /// bad debt, netting, sales and cash withdrawals.
    function invariantCashEqualsPoolPlusBadDebt() public view {
        address[5] memory list = _accounts();
        int256 sum;
        for (uint256 i; i < list.length; ++i) sum += vault.cash(list[i]);
        (uint256 pool,) = ICashSettlement(address(vault)).cashPool();
        (, uint256 badDebt) = vault.insurance();
        assertEq(sum, int256(pool * 1e12 + badDebt), "sum(cash) = pool * 1e12 + badDebt");
    }

    /// @dev Nothing but penalty income (a liquidation, then vesting over time) and bad-debt draws moves the fund's
    /// share price; deposits and redemptions may only round it up.
    function invariantFundPriceMovesOnlyByIncomeAndDraws() public view {
        assertTrue(!handler.ghostFundPriceMoved(), "the fund's share price moved outside income and draws");
    }

    /// @dev The fund's claims are covered: its shares are worth at most its tokens plus its vault cash.
    function invariantFundAssetsBacked() public view {
        int256 fundCash = vault.cash(address(fund));
        uint256 cashAssets = fundCash > 0 ? uint256(fundCash) / 1e12 : 0;
        assertLe(fund.totalAssets(), usdc.balanceOf(address(fund)) + cashAssets, "totalAssets <= tokens + cash");
    }
}
