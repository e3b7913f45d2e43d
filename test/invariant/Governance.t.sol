// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../utils/Test.sol";
import {VaultWorld} from "./VaultWorld.sol";
import {MarginVault} from "../../contracts/MarginVault.sol";
import {IRiskGovernance} from "../../contracts/interfaces/IRiskGovernance.sol";
import {IRiskRegistry} from "../../contracts/interfaces/IRiskRegistry.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {
    WAD,
    MAX_IM_FACTOR,
    MAX_LIQUIDATION_BONUS,
    MAX_DUST_THRESHOLD,
    MAX_PRICE_BAND_BPS,
    MAX_PRICE_UNIT,
    MAX_EXPOSURE,
    MAX_RISK_STEP,
    MIN_RISK_INTERVAL,
    MAX_RISK_INTERVAL
} from "../../contracts/libraries/ConstantsLib.sol";

/// @notice Makes random bounded risk changes as the steward (RISK_STEWARD_ROLE) and the guardian (GUARDIAN_ROLE), of
/// any size up to twice the step in either direction, and lets time pass. Every change is a single call made with the
/// caller's role; a refused one is skipped. For each accepted change it records whether the change kept the step, the
/// interval and (for the guardian) the conservative direction, and the value and time it left.
contract GovernanceHandler is Test {
    MarginVault public immutable vault;
    MockERC20 public immutable weth;
    address public constant STEWARD = address(0x57E3A2D);
    address public constant GUARDIAN = address(0x6A2D1A);

    /// @dev The parameters driven, by index: scans of assets 1 and 2, imFactor, WETH's haircut and deposit cap, market
    /// 0's k and open-interest cap, the correlation of assets 1 and 2, the price band, the liquidation bonus rate, the
    /// fund's share and the dust threshold, and ETH's maximum price.
    uint256 public constant PARAMS = 13;

    uint256 public immutable maxStep;
    uint256 public immutable minInterval;

    int256[PARAMS] public ghostValue;
    uint256[PARAMS] public ghostChangedAt;
    uint256 public stepViolations;
    uint256 public intervalViolations;
    uint256 public guardianLoosened;
    uint256 public accepted;
    uint256 public refused;

    constructor(MarginVault vault_, MockERC20 weth_) {
        vault = vault_;
        weth = weth_;
        (maxStep, minInterval) = IRiskGovernance(address(vault_)).riskSteps();
        for (uint256 p; p < PARAMS; ++p) {
            ghostValue[p] = read(p);
            (IRiskGovernance.RiskParam param, uint256 id) = key(p);
            ghostChangedAt[p] = IRiskGovernance(address(vault_)).lastRiskChange(param, id);
        }
    }

    /// @notice Changes parameter `paramSeed % PARAMS` by up to twice the step (`up` or down), as the guardian or the
    /// steward.
    function change(uint256 paramSeed, uint256 magnitude, bool up, bool asGuardian) external {
        uint256 p = paramSeed % PARAMS;
        int256 old = read(p);
        uint256 allowed = _maxDelta(p, old);
        // Up to twice the allowed step (and a few units past it where the step is zero), so that half the tries break it.
        int256 delta = int256(bound(magnitude, 0, 2 * allowed + 2)); // Cast: bounded by 2 * 1e46 + 2.
        int256 target = _clamp(p, up ? old + delta : old - delta);
        bytes memory data = _calldata(p, target);
        vm.prank(asGuardian ? GUARDIAN : STEWARD);
        (bool ok,) = address(vault).call(data);
        if (!ok) {
            ++refused;
            return;
        }
        ++accepted;
        int256 current = read(p);
        if (current == old) return; // an unchanged value is no change
        uint256 moved = uint256(current > old ? current - old : old - current);
        if (moved > allowed) ++stepViolations;
        if (ghostChangedAt[p] != 0 && block.timestamp < ghostChangedAt[p] + minInterval) ++intervalViolations;
        int8 tighter = _tighter(p);
        if (asGuardian && (tighter == 0 || (tighter > 0) != (current > old))) ++guardianLoosened;
        ghostValue[p] = current;
        ghostChangedAt[p] = block.timestamp;
    }

    /// @notice Lets up to three days pass.
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 3 days));
    }

    /// @notice The current value of parameter `p`.
    function read(uint256 p) public view returns (int256) {
        // Casts: every value is bounded by the registry far below 2^255.
        if (p < 2) return int256(uint256(vault.assetConfig(p + 1).scan));
        if (p == 2) return int256(vault.imFactor());
        if (p == 3) return int256(uint256(vault.collateralConfig(address(weth)).haircut));
        if (p == 4) return int256(uint256(vault.collateralConfig(address(weth)).depositCap));
        if (p == 5) return int256(uint256(vault.marketConfig(0).k));
        if (p == 6) return int256(uint256(vault.marketConfig(0).openInterestCap));
        if (p == 7) return vault.correlation(1, 2);
        if (p == 8) return int256(IRiskGovernance(address(vault)).priceBand());
        if (p == 12) return int256(uint256(vault.assetConfig(2).maxPrice));
        (uint256 bonusRate, uint256 fundShare, uint256 dustThreshold) = vault.liquidationConfig();
        return int256(p == 9 ? bonusRate : p == 10 ? fundShare : dustThreshold);
    }

    /// @notice The registry's key of parameter `p`.
    function key(uint256 p) public pure returns (IRiskGovernance.RiskParam param, uint256 id) {
        if (p < 2) return (IRiskGovernance.RiskParam.Scan, p + 1);
        if (p == 2) return (IRiskGovernance.RiskParam.ImFactor, 0);
        if (p == 3) return (IRiskGovernance.RiskParam.Haircut, 1);
        if (p == 4) return (IRiskGovernance.RiskParam.DepositCap, 1);
        if (p == 5) return (IRiskGovernance.RiskParam.ContingencyRate, 0);
        if (p == 6) return (IRiskGovernance.RiskParam.OpenInterestCap, 0);
        if (p == 7) return (IRiskGovernance.RiskParam.Correlation, 2); // pairIndex(1, 2) = 2 * (2 - 1) / 2 + 1
        if (p == 8) return (IRiskGovernance.RiskParam.PriceBand, 0);
        if (p == 9) return (IRiskGovernance.RiskParam.BonusRate, 0);
        if (p == 10) return (IRiskGovernance.RiskParam.FundShare, 0);
        if (p == 11) return (IRiskGovernance.RiskParam.DustThreshold, 0);
        return (IRiskGovernance.RiskParam.MaxPrice, 2);
    }

    /// @dev The steward's largest move of `p` from `old`: the step times |old|, or times 1e18 for the correlation.
    function _maxDelta(uint256 p, int256 old) private view returns (uint256) {
        // Cast: |old| < 2^255.
        uint256 base = p == 7 ? WAD : uint256(old < 0 ? -old : old);
        return base * maxStep / WAD;
    }

    /// @dev +1 where raising `p` is conservative, -1 where lowering is, 0 where neither is for every account.
    function _tighter(uint256 p) private pure returns (int8) {
        if (p < 4 || p == 5) return 1;
        if (p == 4 || p == 6 || p == 8) return -1;
        return 0;
    }

    /// @dev `value` inside the absolute bounds of `p`, so that a refusal is the steward bounds' (or the caps' range).
    function _clamp(uint256 p, int256 value) private pure returns (int256) {
        if (p < 2) return _within(value, 1, int256(WAD));
        if (p == 2) return _within(value, int256(WAD), int256(MAX_IM_FACTOR));
        if (p == 3 || p == 5) return _within(value, 0, int256(WAD));
        if (p == 7) return _within(value, -int256(WAD), int256(WAD));
        if (p == 8) return _within(value, 1, int256(MAX_PRICE_BAND_BPS));
        if (p == 9) return _within(value, 0, int256(MAX_LIQUIDATION_BONUS));
        if (p == 10) return _within(value, 0, int256(WAD));
        if (p == 11) return _within(value, 0, int256(MAX_DUST_THRESHOLD));
        // Caps and the maximum price: non-negative, and the price a multiple of its storage unit (rounded down: a move
        // the rounding takes past the step is refused like any other).
        value = _within(value, 0, type(int128).max);
        return p == 12 ? value - value % int256(MAX_PRICE_UNIT) : value;
    }

    function _within(int256 value, int256 lo, int256 hi) private pure returns (int256) {
        return value < lo ? lo : value > hi ? hi : value;
    }

    /// @dev The single call that sets `p` to `target`, the other values of its setter unchanged (read here, before the
    /// prank, so that the prank applies to the change itself).
    function _calldata(uint256 p, int256 target) private view returns (bytes memory) {
        // Casts: target is clamped non-negative for every parameter but the correlation (p = 7).
        uint256 t = uint256(target < 0 ? int256(0) : target);
        if (p < 2) return abi.encodeCall(vault.setAssetScan, (p + 1, t));
        if (p == 2) return abi.encodeCall(vault.setImFactor, (t));
        if (p == 3 || p == 4) {
            IRiskRegistry.CollateralConfig memory c = vault.collateralConfig(address(weth));
            return p == 3
                ? abi.encodeCall(vault.setCollateral, (address(weth), t, c.depositCap))
                : abi.encodeCall(vault.setCollateral, (address(weth), c.haircut, t));
        }
        if (p == 5 || p == 6) {
            IRiskRegistry.MarketConfig memory m = vault.marketConfig(0);
            return p == 5
                ? abi.encodeCall(vault.setMarket, (0, t, m.openInterestCap))
                : abi.encodeCall(vault.setMarket, (0, m.k, t));
        }
        if (p == 7) return abi.encodeCall(vault.setCorrelation, (1, 2, target));
        if (p == 8) return abi.encodeCall(IRiskGovernance.setPriceBand, (t));
        if (p == 12) {
            IRiskRegistry.AssetConfig memory a = vault.assetConfig(2);
            return abi.encodeCall(vault.setAssetOracle, (2, a.feed, a.heartbeat, t));
        }
        (uint256 bonusRate, uint256 fundShare, uint256 dustThreshold) = vault.liquidationConfig();
        if (p == 9) bonusRate = t;
        else if (p == 10) fundShare = t;
        else dustThreshold = t;
        return abi.encodeCall(vault.setLiquidationConfig, (bonusRate, fundShare, dustThreshold));
    }
}

/// @notice docs/governance.md: through any sequence of steward and guardian changes and time, no risk parameter moves
/// by more than the step in one change or more than once per interval, the guardian only tightens, nothing else moves
/// a parameter, and every parameter stays inside the registry's absolute bounds.
contract GovernanceInvariantTest is VaultWorld {
    GovernanceHandler internal handler;

    function setUp() public {
        _deployWorld();
        vault.setCorrelation(1, 2, 0.8e18);
        handler = new GovernanceHandler(vault, weth);
        vault.grantRole(vault.RISK_STEWARD_ROLE(), handler.STEWARD());
        vault.grantRole(vault.GUARDIAN_ROLE(), handler.GUARDIAN());
        // The world's own settings are timelock-path changes, recorded: start one interval later.
        vm.warp(block.timestamp + 1 days);
        targetContract(address(handler));
    }

    /// @dev The handler reaches both accepted and refused changes on both paths.
    function testHandlerReachesAcceptedAndRefusedChanges() public {
        handler.change(1, 0.015e18, true, false); // ETH's scan +10%: accepted
        handler.change(1, 1, true, false); // again, same interval: refused
        handler.change(0, 0.013e18, true, true); // BTC's scan +0.013 by the guardian: more than 10% of 0.12, refused
        handler.change(0, 0.012e18, false, true); // the guardian lowering a scan: refused
        handler.change(0, 0.012e18, true, true); // the guardian raising it by the step: accepted
        handler.warp(1 days);
        handler.change(1, 0.0165e18, false, false); // ETH's scan back down by the step, a day later: accepted
        assertEq(handler.accepted(), 3, "accepted changes");
        assertEq(handler.refused(), 3, "refused changes");
        invariantNoChangeExceedsTheStep();
        invariantOneChangePerInterval();
        invariantGuardianOnlyTightens();
        invariantParametersMoveOnlyByObservedChanges();
    }

    /// @dev Every accepted steward or guardian change moved its parameter by at most the step.
    function invariantNoChangeExceedsTheStep() public view {
        assertEq(handler.stepViolations(), 0, "a change larger than the step was accepted");
    }

    /// @dev No parameter changed twice within one minimum interval.
    function invariantOneChangePerInterval() public view {
        assertEq(handler.intervalViolations(), 0, "a parameter changed twice within an interval");
    }

    /// @dev The guardian's accepted changes were all in the conservative direction.
    function invariantGuardianOnlyTightens() public view {
        assertEq(handler.guardianLoosened(), 0, "the guardian loosened a parameter");
    }

    /// @dev Each parameter holds the value of its last accepted change, recorded at that change's time: nothing else
    /// moved it, so the two checks above cover every move.
    function invariantParametersMoveOnlyByObservedChanges() public view {
        for (uint256 p; p < handler.PARAMS(); ++p) {
            assertEq(handler.read(p), handler.ghostValue(p), "a parameter moved outside an observed change");
            (IRiskGovernance.RiskParam param, uint256 id) = handler.key(p);
            assertEq(
                IRiskGovernance(address(vault)).lastRiskChange(param, id),
                handler.ghostChangedAt(p),
                "the registry's change time"
            );
        }
    }

    /// @dev Every parameter stays inside the registry's absolute bounds, the steward bounds inside theirs, and ETH's caps
    /// at its maximum price inside the engine's exact range.
    function invariantParametersWithinRegistryBounds() public view {
        for (uint256 asset = 1; asset < 3; ++asset) {
            uint256 scan = vault.assetConfig(asset).scan;
            assertTrue(scan > 0 && scan <= WAD, "scan in (0, 1]");
        }
        uint256 imFactor = vault.imFactor();
        assertTrue(imFactor >= WAD && imFactor <= MAX_IM_FACTOR, "imFactor in [1, 10]");
        assertLe(vault.collateralConfig(address(weth)).haircut, WAD, "haircut <= 1");
        assertLe(vault.marketConfig(0).k, WAD, "k <= 1");
        int256 rho = vault.correlation(1, 2);
        assertTrue(rho >= -int256(WAD) && rho <= int256(WAD), "|rho| <= 1");
        uint256 band = IRiskGovernance(address(vault)).priceBand();
        assertTrue(band > 0 && band <= MAX_PRICE_BAND_BPS, "band in (0, 5000]");
        (uint256 bonusRate, uint256 fundShare, uint256 dustThreshold) = vault.liquidationConfig();
        assertLe(bonusRate, MAX_LIQUIDATION_BONUS, "bonus rate");
        assertLe(fundShare, WAD, "fund share");
        assertLe(dustThreshold, MAX_DUST_THRESHOLD, "dust threshold");
        uint256 maxPrice = vault.assetConfig(2).maxPrice;
        // The feed's answer (8 decimals), read directly: the price view refuses it once time has made it stale.
        (, int256 answer,,,) = ethFeed.latestRoundData();
        assertGe(maxPrice, uint256(answer) * 1e10, "maxPrice >= the oracle price");
        uint256 units = vault.collateralConfig(address(weth)).depositCap + vault.marketConfig(0).openInterestCap;
        assertLe(units, MAX_EXPOSURE * WAD / maxPrice, "ETH's caps at its maximum price inside the exact range");
        (uint256 maxStep, uint256 minInterval) = IRiskGovernance(address(vault)).riskSteps();
        assertLe(maxStep, MAX_RISK_STEP, "step <= MAX_RISK_STEP");
        assertTrue(minInterval >= MIN_RISK_INTERVAL && minInterval <= MAX_RISK_INTERVAL, "interval bounds");
    }
}
