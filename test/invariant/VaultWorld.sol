// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../utils/Test.sol";
import {MarginVault} from "../../contracts/MarginVault.sol";
import {TradeSettlement} from "../../contracts/TradeSettlement.sol";
import {InsuranceFund} from "../../contracts/InsuranceFund.sol";
import {MockAggregator} from "../../contracts/mocks/MockAggregator.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";

/// @notice The world the invariant suites run in: USD (USDC collateral) and ETH (WETH collateral, one perpetual,
/// market 0), the spec's liquidation parameters, a TradeSettlement and an insurance fund. BTC is an unused
/// placeholder that keeps ETH at asset id 2.
abstract contract VaultWorld is Test {
    MarginVault internal vault;
    TradeSettlement internal settlement;
    InsuranceFund internal fund;
    MockERC20 internal usdc;
    MockERC20 internal weth;
    MockAggregator internal usdFeed;
    MockAggregator internal ethFeed;

    function _deployWorld() internal {
        usdFeed = new MockAggregator(8, 1e8, "USD / USD");
        ethFeed = new MockAggregator(8, 2_300e8, "ETH / USD");
        usdc = new MockERC20("USD Coin", "USDC", 6);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        vault = new MarginVault(address(this), 1.5e18);
        vault.grantRole(vault.RISK_ADMIN_ROLE(), address(this));
        vault.listAsset("USD", address(usdFeed), 1 days, 0.02e18, 2e18);
        vault.listAsset("BTC", address(usdFeed), 1 days, 0.12e18, 2e18);
        vault.listAsset("ETH", address(ethFeed), 1 days, 0.15e18, 100_000e18);
        vault.listCollateral(address(usdc), 0, 0, 1e15);
        vault.listCollateral(address(weth), 2, 0.02e18, 20_000e18);
        vault.listMarket(2, 0.005e18, 100e18);
        vault.setLiquidationConfig(0.2e18, 0.5e18, 100e18);
        settlement = new TradeSettlement(address(vault));
        vault.grantRole(vault.SETTLER_ROLE(), address(settlement));
        fund = new InsuranceFund(usdc, vault);
        vault.setInsuranceFund(address(fund));
    }
}
