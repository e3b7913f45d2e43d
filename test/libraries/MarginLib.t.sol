// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../utils/Test.sol";
import {MarginLib} from "../../contracts/libraries/MarginLib.sol";
import {MathLib} from "../../contracts/libraries/MathLib.sol";
import {ErrorsLib} from "../../contracts/libraries/ErrorsLib.sol";

/// @notice Fuzz properties of MathLib and MarginLib against the spec (margin-model.md §1-§7). Portfolios are built
/// from a fuzzed seed with `bound`, inside the spec's range: each entry is worth at most 4e26 (4e8 USD) and there
/// are at most 12 entries, so |e_a| and |E| stay below 1e28 even after the doubling test doubles them.
contract MarginLibTest is Test {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant MAX_ENTRY_VALUE = 4e26;

    /* ---------------------------------------------------------------- builders */

    function _rand(uint256 seed, uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, i)));
    }

    /// @dev Spec §7 parameters: USD, BTC, ETH, SOL, LINK, DOGE.
    function _defaultParams() internal pure returns (MarginLib.RiskParams memory r) {
        r.scan = new uint256[](6);
        r.scan[0] = 0.02e18;
        r.scan[1] = 0.12e18;
        r.scan[2] = 0.15e18;
        r.scan[3] = 0.25e18;
        r.scan[4] = 0.22e18;
        r.scan[5] = 0.3e18;
        r.rho = new int256[](15);
        r.rho[MarginLib.pairIndex(1, 2)] = 0.8e18;
        r.rho[MarginLib.pairIndex(1, 3)] = 0.5e18;
        r.rho[MarginLib.pairIndex(1, 4)] = 0.65e18;
        r.rho[MarginLib.pairIndex(1, 5)] = 0.45e18;
        r.rho[MarginLib.pairIndex(2, 3)] = 0.6e18;
        r.rho[MarginLib.pairIndex(2, 4)] = 0.75e18;
        r.rho[MarginLib.pairIndex(2, 5)] = 0.45e18;
        r.rho[MarginLib.pairIndex(3, 4)] = 0.55e18;
        r.rho[MarginLib.pairIndex(3, 5)] = 0.3e18;
        r.rho[MarginLib.pairIndex(4, 5)] = 0.4e18;
        r.imFactor = 1.5e18;
    }

    /// @dev Spec §7 perp contingency rate of an asset.
    function _defaultK(uint256 a) internal pure returns (uint256) {
        if (a == 1 || a == 2) return 0.005e18;
        if (a == 3 || a == 4) return 0.01e18;
        if (a == 5) return 0.015e18;
        return 0;
    }

    /// @dev Spec §7 collateral haircut of an asset.
    function _defaultH(uint256 a) internal pure returns (uint256) {
        if (a == 1 || a == 2) return 0.02e18;
        if (a == 3 || a == 4) return 0.05e18;
        if (a == 5) return 0.08e18;
        return 0;
    }

    /// @dev Random valid parameters for `n` assets: scan in (0, 1e18], rho in [rhoMin, 1e18], imFactor in [1, 10].
    function _randomParams(uint256 seed, uint256 n, int256 rhoMin) internal pure returns (MarginLib.RiskParams memory r) {
        r.scan = new uint256[](n);
        for (uint256 a; a < n; ++a) {
            r.scan[a] = bound(_rand(seed, 1000 + a), 1, WAD);
        }
        r.rho = new int256[](n * (n - 1) / 2);
        for (uint256 i; i < r.rho.length; ++i) {
            // Cast: keccak output reinterpreted as a signed fuzz input, then bounded.
            r.rho[i] = boundInt(int256(_rand(seed, 2000 + i)), rhoMin, 1e18);
        }
        r.imFactor = bound(_rand(seed, 3000), WAD, 10 * WAD);
    }

    /// @dev A log-uniform USD value in [0, MAX_ENTRY_VALUE].
    function _value(uint256 seed, uint256 i) internal pure returns (uint256) {
        uint256 exp = bound(_rand(seed, i), 0, 26);
        return bound(_rand(seed, i + 1), 0, (10 ** exp) * 4 < MAX_ENTRY_VALUE ? (10 ** exp) * 4 : MAX_ENTRY_VALUE);
    }

    /// @dev A portfolio on `n` assets. Rates are the §7 defaults when `defaultRates` (n must then be 6), else random
    /// in [0, 1e18]. USD (asset 0) collateral only when `usdCollateral`.
    function _portfolio(uint256 seed, uint256 n, bool defaultRates, bool usdCollateral)
        internal
        pure
        returns (MarginLib.Portfolio memory p, uint256[] memory prices)
    {
        return _portfolioOn(seed, n, defaultRates, usdCollateral, type(uint256).max);
    }

    /// @dev As `_portfolio`, every entry on asset `only` when only < n.
    function _portfolioOn(uint256 seed, uint256 n, bool defaultRates, bool usdCollateral, uint256 only)
        internal
        pure
        returns (MarginLib.Portfolio memory p, uint256[] memory prices)
    {
        prices = new uint256[](n);
        prices[0] = bound(_rand(seed, 1), 0.99e18, 1.01e18);
        for (uint256 a = 1; a < n; ++a) {
            prices[a] = bound(_rand(seed, 10 + a), 1e12, 1e23);
        }
        p.collateral = new MarginLib.Collateral[](bound(_rand(seed, 2), 0, 6));
        for (uint256 i; i < p.collateral.length; ++i) {
            uint256 a = only < n ? only : n == 1 ? 0 : bound(_rand(seed, 100 + i), usdCollateral ? 0 : 1, n - 1);
            uint256 h = defaultRates ? _defaultH(a) : bound(_rand(seed, 120 + i), 0, WAD);
            p.collateral[i] = MarginLib.Collateral(a, h, _value(seed, 140 + 2 * i) * WAD / prices[a]);
        }
        p.positions = new MarginLib.Position[](bound(_rand(seed, 3), 0, 6));
        for (uint256 i; i < p.positions.length; ++i) {
            uint256 a = only < n ? only : bound(_rand(seed, 200 + i), n > 1 ? 1 : 0, n - 1);
            uint256 k = defaultRates ? _defaultK(a) : bound(_rand(seed, 220 + i), 0, WAD);
            // Cast: the size is at most 4e26 * 1e18 / 1e12 = 4e32, far below 2^255.
            int256 size = int256(_value(seed, 240 + 2 * i) * WAD / prices[a]);
            p.positions[i] = MarginLib.Position(a, k, _rand(seed, 260 + i) % 2 == 0 ? size : -size);
        }
        // Cast: keccak output reinterpreted as a signed fuzz input, then bounded.
        p.cash = boundInt(int256(_rand(seed, 4)), -1e27, 1e27);
    }

    function _hasUsdCollateral(MarginLib.Portfolio memory p) internal pure returns (bool) {
        for (uint256 i; i < p.collateral.length; ++i) {
            if (p.collateral[i].asset == 0) return true;
        }
        return false;
    }

    function _sumAbsWs(int256[] memory ws) internal pure returns (uint256 s) {
        for (uint256 a; a < ws.length; ++a) {
            s += MarginLib.abs(ws[a]);
        }
    }

    /* ---------------------------------------------------------------- MathLib */

    function test_mulDownFloorsNegatives() public pure {
        assertEq(MathLib.mulDown(-1, 1), -1, "mulDown(-1, 1)");
        assertEq(MathLib.mulDown(1, 1), 0, "mulDown(1, 1)");
        assertEq(MathLib.mulDown(-1, -1), 0, "mulDown(-1, -1)");
        assertEq(MathLib.mulDown(-3, 0.5e18), -2, "mulDown(-3, 0.5)");
        assertEq(MathLib.mulDown(-1e18, 1e18), -1e18, "mulDown(-1, 1) exact");
    }

    function testFuzz_mulDownIsFloor(int256 x, int256 y) public pure {
        x = boundInt(x, -2 ** 120, 2 ** 120);
        y = boundInt(y, -2 ** 120, 2 ** 120);
        int256 z = MathLib.mulDown(x, y);
        int256 product = x * y;
        assertLe(z * 1e18, product, "z * WAD <= x * y");
        assertLe(product, (z + 1) * 1e18 - 1, "x * y < (z + 1) * WAD");
    }

    function testFuzz_mulUpIsCeil(uint256 x, uint256 y) public pure {
        x = bound(x, 0, 2 ** 128);
        y = bound(y, 0, 2 ** 120);
        uint256 z = MathLib.mulUp(x, y);
        assertGe(z * WAD, x * y, "z * WAD >= x * y");
        if (z > 0) assertLe((z - 1) * WAD, x * y - 1, "(z - 1) * WAD < x * y");
    }

    function testFuzz_ceilDivIsCeil(uint256 x, uint256 d) public pure {
        d = bound(d, 1, type(uint256).max);
        uint256 z = MathLib.ceilDiv(x, d);
        assertEq(z, x / d + (x % d == 0 ? 0 : 1), "ceilDiv");
    }

    function testFuzz_sqrtUpIsSmallestRootAbove(uint256 x) public pure {
        uint256 r = MathLib.sqrtUp(x);
        if (r == 2 ** 128) {
            // r * r would overflow: x must exceed (2^128 - 1)^2.
            assertGe(x, (2 ** 128 - 1) * (2 ** 128 - 1) + 1, "x > (2^128 - 1)^2");
        } else {
            assertGe(r * r, x, "sqrtUp(x)^2 >= x");
        }
        if (r > 0) assertLe((r - 1) * (r - 1), x - 1, "(sqrtUp(x) - 1)^2 < x");
    }

    function testFuzz_sqrtUpOfSquareIsExact(uint256 r) public pure {
        r = bound(r, 0, 2 ** 128 - 1);
        assertEq(MathLib.sqrtUp(r * r), r, "sqrtUp(r^2) == r");
    }

    /* ---------------------------------------------------------------- MarginLib */

    /// @dev MM = K + A >= 0, IM = mulUp(MM, imFactor) >= MM, and the cheap path agrees with accountMargin.
    function testFuzz_initialMarginIsMulUpOfMaintenanceAndAtLeastIt(uint256 seed, uint256 imFactor) public pure {
        (MarginLib.Portfolio memory p, uint256[] memory prices) = _portfolio(seed, 6, true, true);
        MarginLib.RiskParams memory r = _defaultParams();
        r.imFactor = bound(imFactor, WAD, 10 * WAD);
        MarginLib.Margin memory m = MarginLib.accountMargin(p, r, prices);
        assertEq(m.maintenanceMargin, m.k + m.addOns, "MM = K + A");
        assertGe(m.maintenanceMargin, 0, "MM >= 0");
        assertEq(m.initialMargin, MathLib.mulUp(m.maintenanceMargin, r.imFactor), "IM = mulUp(MM, imFactor)");
        assertGe(m.initialMargin, m.maintenanceMargin, "IM >= MM");
        (int256 e, uint256 mm, uint256 im) = MarginLib.marginRequirement(p, r, prices);
        assertEq(e, m.equity, "marginRequirement equity");
        assertEq(mm, m.maintenanceMargin, "marginRequirement MM");
        assertEq(im, m.initialMargin, "marginRequirement IM");
    }

    /// @dev The one-pass accountMargin equals the standalone functions, field by field.
    function testFuzz_accountMarginMatchesStandaloneFunctions(uint256 seed, uint256 nAssets) public pure {
        uint256 n = bound(nAssets, 1, 16);
        (MarginLib.Portfolio memory p, uint256[] memory prices) = _portfolio(seed, n, false, true);
        MarginLib.RiskParams memory r = _randomParams(seed, n, -1e18);
        MarginLib.Margin memory m = MarginLib.accountMargin(p, r, prices);
        assertEq(m.equity, MarginLib.equity(p, prices), "equity");
        (int256[] memory e, uint256 touched) = MarginLib.exposures(p, prices);
        assertEq(m.touched, touched, "touched");
        int256[] memory ws = MarginLib.weightedSensitivities(e, r.scan);
        int256 sum = p.cash;
        for (uint256 a; a < n; ++a) {
            assertEq(m.exposures[a], e[a], "exposure");
            assertEq(m.weightedSensitivities[a], ws[a], "weighted sensitivity");
            if ((touched >> a) & 1 == 0) assertEq(e[a], 0, "untouched asset has no exposure");
            sum += e[a];
        }
        assertEq(m.equity, sum, "E = cash + sum of exposures");
        (uint256 kLow, uint256 kMedium, uint256 kHigh) = MarginLib.kRegimes(ws, r.rho);
        assertEq(m.kLow, kLow, "kLow");
        assertEq(m.kMedium, kMedium, "kMedium");
        assertEq(m.kHigh, kHigh, "kHigh");
        assertEq(m.k, MarginLib.max(kLow, MarginLib.max(kMedium, kHigh)), "K = max of regimes");
        assertEq(m.addOns, MarginLib.addOns(p, prices), "addOns");
        assertEq(
            m.isolatedMaintenanceMargin, MarginLib.isolatedMaintenanceMargin(p, prices, r.scan), "isolated margin"
        );
    }

    /// @dev All entries on one asset: S_r = WS^2 * 1e18 in every regime, so K_r = sqrtUp(WS^2) = |WS| exactly.
    function testFuzz_singleAssetKIsAbsWs(uint256 seed, uint256 nAssets, uint256 asset) public pure {
        uint256 n = bound(nAssets, 1, 16);
        uint256 a = bound(asset, 0, n - 1);
        (MarginLib.Portfolio memory p, uint256[] memory prices) = _portfolioOn(seed, n, false, true, a);
        MarginLib.RiskParams memory r = _randomParams(seed, n, -1e18);
        MarginLib.Margin memory m = MarginLib.accountMargin(p, r, prices);
        uint256 absWs = MarginLib.abs(m.weightedSensitivities[a]);
        assertEq(m.kLow, absWs, "kLow = |WS|");
        assertEq(m.kMedium, absWs, "kMedium = |WS|");
        assertEq(m.kHigh, absWs, "kHigh = |WS|");
        assertEq(m.k, absWs, "K = |WS|");
    }

    /// @dev S_r <= (sum |WS_a|)^2 * 1e18 whenever every regime correlation has |rho^r| <= 1, hence
    /// K_r = ceil(sqrt(S_r / 1e18)) <= sum |WS_a| exactly. |high| <= 1 needs rho >= -0.8 (high = 1.25 rho below 0),
    /// so the random correlations are drawn in [-0.8, 1]; the §7 defaults are all positive.
    function testFuzz_kNeverExceedsSumOfAbsWs(uint256 seed, uint256 nAssets, bool defaults) public pure {
        uint256 n = defaults ? 6 : bound(nAssets, 1, 16);
        (MarginLib.Portfolio memory p, uint256[] memory prices) = _portfolio(seed, n, defaults, true);
        MarginLib.RiskParams memory r = defaults ? _defaultParams() : _randomParams(seed, n, -0.8e18);
        MarginLib.Margin memory m = MarginLib.accountMargin(p, r, prices);
        uint256 bound_ = _sumAbsWs(m.weightedSensitivities);
        assertLe(m.kLow, bound_, "kLow <= sum |WS|");
        assertLe(m.kMedium, bound_, "kMedium <= sum |WS|");
        assertLe(m.kHigh, bound_, "kHigh <= sum |WS|");
        assertLe(m.k, bound_, "K <= sum |WS|");
    }

    /// @dev Without USD collateral: K <= sum_a |WS_a| <= sum over entries of mulUp(|v_i|, scan) (ceil is
    /// subadditive), and mulUp(v, scan) + mulUp(v, rate) <= mulUp(v, scan + rate) + 1 per entry, so
    /// MM = K + A <= ISO_MM + n. Needs |rho^r| <= 1 as above.
    function testFuzz_maintenanceAtMostIsolatedPlusNWithoutUsdCollateral(uint256 seed, uint256 nAssets, bool defaults)
        public
        pure
    {
        uint256 n = defaults ? 6 : bound(nAssets, 1, 16);
        (MarginLib.Portfolio memory p, uint256[] memory prices) = _portfolio(seed, n, defaults, false);
        if (_hasUsdCollateral(p)) return; // only possible when n == 1
        MarginLib.RiskParams memory r = defaults ? _defaultParams() : _randomParams(seed, n, -0.8e18);
        MarginLib.Margin memory m = MarginLib.accountMargin(p, r, prices);
        uint256 entries = p.collateral.length + p.positions.length;
        assertLe(m.maintenanceMargin, m.isolatedMaintenanceMargin + entries, "MM <= ISO_MM + n");
    }

    /// @dev Doubling every balance, size and the cash moves each value by at most 1 wei from twice the original
    /// (floor(2x) - 2 floor(x) is 0 or 1), hence each WS and each add-on by a couple of wei and K by the
    /// correlation-weighted norm of the WS moves: MM(2p) stays within 2(n + 2) wei of 2 MM(p) for the spec §7
    /// parameters (small rates). This is a measured bound, not a theorem: the §7 high regime is not positive
    /// semi-definite, and with rates near 1e18 every add-on can lose 2 wei; a float-free Python replay of 400k
    /// adversarial §7 portfolios stayed at least 2 wei inside it.
    function testFuzz_doublingMovesMaintenanceByAtMostTwoNPlusTwo(uint256 seed) public pure {
        (MarginLib.Portfolio memory p, uint256[] memory prices) = _portfolio(seed, 6, true, true);
        MarginLib.RiskParams memory r = _defaultParams();
        uint256 mm = MarginLib.accountMargin(p, r, prices).maintenanceMargin;
        p.cash *= 2;
        for (uint256 i; i < p.collateral.length; ++i) {
            p.collateral[i].balance *= 2;
        }
        for (uint256 i; i < p.positions.length; ++i) {
            p.positions[i].size *= 2;
        }
        uint256 mm2 = MarginLib.accountMargin(p, r, prices).maintenanceMargin;
        uint256 tolerance = 2 * (p.collateral.length + p.positions.length + 2);
        assertLe(mm2, 2 * mm + tolerance, "MM(2p) <= 2 MM(p) + 2(n + 2)");
        assertLe(2 * mm, mm2 + tolerance, "MM(2p) >= 2 MM(p) - 2(n + 2)");
    }

    /// @dev Outside the spec's range (|WS| > MAX_EXPOSURE) kRegimes reverts instead of overflowing.
    function test_kRegimesRevertsOutsideRange() public {
        MarginLibTest self = this;
        vm.expectRevert(abi.encodeWithSelector(ErrorsLib.WeightedSensitivityOutOfRange.selector, 1, int256(1e28 + 1)));
        self.kRegimesExternal(1e28 + 1);
        vm.expectRevert(abi.encodeWithSelector(ErrorsLib.InvalidCorrelation.selector, 0, 1, int256(1e18 + 1)));
        self.kRegimesBadRho();
    }

    function kRegimesExternal(int256 ws1) external pure returns (uint256 k) {
        int256[] memory ws = new int256[](2);
        ws[0] = 1;
        ws[1] = ws1;
        (k,,) = MarginLib.kRegimes(ws, new int256[](1));
    }

    function kRegimesBadRho() external pure returns (uint256 k) {
        int256[] memory ws = new int256[](2);
        ws[0] = 1;
        ws[1] = 1;
        int256[] memory rho = new int256[](1);
        rho[0] = 1e18 + 1;
        (k,,) = MarginLib.kRegimes(ws, rho);
    }

    /// @dev Spec §4 regime formulas on the boundary values.
    function test_correlationRegimes() public pure {
        assertEq(MarginLib.highCorrelation(0.8e18), 1e18, "high(0.8) capped at 1");
        assertEq(MarginLib.highCorrelation(0.4e18), 0.5e18, "high(0.4)");
        assertEq(MarginLib.highCorrelation(-1e18), -1.25e18, "high(-1)");
        assertEq(MarginLib.highCorrelation(-3), -3, "high(-3 wei) truncates toward zero");
        assertEq(MarginLib.lowCorrelation(0.8e18), 0.6e18, "low(0.8)");
        assertEq(MarginLib.lowCorrelation(0.4e18), 0.3e18, "low(0.4)");
        assertEq(MarginLib.lowCorrelation(1e18), 1e18, "low(1)");
        assertEq(MarginLib.lowCorrelation(-1e18), -0.75e18, "low(-1)");
        assertEq(MarginLib.lowCorrelation(3), 3, "low(3 wei) truncates toward zero");
        assertEq(MarginLib.pairIndex(0, 1), 0, "pairIndex(0, 1)");
        assertEq(MarginLib.pairIndex(1, 2), 2, "pairIndex(1, 2)");
        assertEq(MarginLib.pairIndex(4, 5), 14, "pairIndex(4, 5)");
    }
}
