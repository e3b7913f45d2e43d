// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {WAD, MAX_EXPOSURE} from "./ConstantsLib.sol";
import {ErrorsLib} from "./ErrorsLib.sol";
import {MathLib, WAD_INT} from "./MathLib.sol";

/// @title MarginLib
/// @notice The portfolio margin model (spec `margin-model.md` §3-§6): equity, exposures per risk asset, weighted
/// sensitivities, the correlation-aggregated requirement K under three correlation regimes, add-ons,
/// maintenance, initial and isolated margin.
/// @dev Pure functions of their arguments: the library never reads storage and never calls anything. `prices` and
/// `scan` are indexed by asset id and have one entry per listed asset (at most MAX_ASSETS). Balances are already
/// normalised to WAD. Rounding rule (spec §1): what the account owns (equity) rounds down, what it must hold
/// (margin) rounds up. Arithmetic is checked; inside the spec's range (|e_a| <= 1e28 per asset, |E| <= 1e28,
/// at most 16 assets) nothing overflows: |WS_a| <= 1e28, so every regime sum stays below 16^2 * 2e74 < 2^255.
/// The TypeScript twin `keeper/src/margin/marginLib.ts` mirrors every function, name for name.
library MarginLib {
    /// @dev Largest |WS_a| the engine accepts: |WS_a| <= |e_a| <= MAX_EXPOSURE inside the spec's range (scan <= 1e18).
    // Cast: 1e28 < 2^255.
    int256 internal constant MAX_WS = int256(MAX_EXPOSURE);

    /// @dev A collateral entry: its risk asset, haircut (WAD) and balance normalised to WAD.
    struct Collateral {
        uint256 asset;
        uint256 haircut;
        uint256 balance;
    }

    /// @dev A perpetual position: its risk asset, contingency rate k (WAD) and signed size (WAD).
    struct Position {
        uint256 asset;
        uint256 k;
        int256 size;
    }

    /// @dev An account as the engine sees it.
    struct Portfolio {
        int256 cash;
        Collateral[] collateral;
        Position[] positions;
    }

    /// @dev Risk parameters: scan per asset id, medium correlations by `pairIndex`, imFactor.
    struct RiskParams {
        uint256[] scan;
        int256[] rho;
        uint256 imFactor;
    }

    /// @dev Everything the engine computes for an account. Arrays are indexed by asset id.
    struct Margin {
        int256 equity;
        uint256 touched;
        int256[] exposures;
        int256[] weightedSensitivities;
        uint256 kLow;
        uint256 kMedium;
        uint256 kHigh;
        uint256 k;
        uint256 addOns;
        uint256 maintenanceMargin;
        uint256 initialMargin;
        uint256 isolatedMaintenanceMargin;
    }

    /// @dev What one pass over the portfolio's entries yields (see `aggregate`).
    struct Totals {
        int256 equity;
        int256[] exposures;
        uint256 touched;
        uint256 addOns;
        uint256 isolatedMaintenanceMargin;
    }

    /* ---------------------------------------------------------------- valuation (§3) */

    /// @notice The index of rho_ab (a < b) in `RiskParams.rho`: lower-triangle packing, b * (b - 1) / 2 + a, so
    /// the pairs among the lowest asset ids come first and the pairs (0..b-1, b) are contiguous.
    function pairIndex(uint256 a, uint256 b) internal pure returns (uint256) {
        return b * (b - 1) / 2 + a;
    }

    /// @notice value_c = mulDown(bal[c], P_asset(c)), the USD value of a collateral entry.
    function collateralValue(Collateral memory c, uint256[] memory prices) internal pure returns (int256) {
        // Casts: balances and prices are capped (deposit caps, listed maximum price) far below 2^255.
        // Rounds down: the value is part of what the account owns.
        return MathLib.mulDown(int256(c.balance), int256(prices[c.asset]));
    }

    /// @notice notional_m = mulDown(q[m], P_asset(m)), the signed USD notional of a position.
    function notional(Position memory q, uint256[] memory prices) internal pure returns (int256) {
        // Cast: prices are capped by the asset's listed maximum, far below 2^255.
        // Rounds down (toward minus infinity): the notional is part of what the account owns.
        return MathLib.mulDown(q.size, int256(prices[q.asset]));
    }

    /// @notice E = cash + sum_c value_c + sum_m notional_m (spec §3).
    function equity(Portfolio memory p, uint256[] memory prices) internal pure returns (int256 e) {
        e = p.cash;
        for (uint256 i; i < p.collateral.length; ++i) {
            e += collateralValue(p.collateral[i], prices);
        }
        for (uint256 i; i < p.positions.length; ++i) {
            e += notional(p.positions[i], prices);
        }
    }

    /// @notice e_a = sum_{c: asset(c)=a} value_c + sum_{m: asset(m)=a} notional_m (spec §4), by asset id.
    /// @return e The exposures, one per listed asset (length prices.length).
    /// @return touched Bit a is set when asset a appears in a collateral entry or a position.
    function exposures(Portfolio memory p, uint256[] memory prices)
        internal
        pure
        returns (int256[] memory e, uint256 touched)
    {
        e = new int256[](prices.length);
        for (uint256 i; i < p.collateral.length; ++i) {
            Collateral memory c = p.collateral[i];
            e[c.asset] += collateralValue(c, prices);
            touched |= 1 << c.asset;
        }
        for (uint256 i; i < p.positions.length; ++i) {
            Position memory q = p.positions[i];
            e[q.asset] += notional(q, prices);
            touched |= 1 << q.asset;
        }
    }

    /* ---------------------------------------------------------------- requirement (§4) */

    /// @notice WS_a = sign(e_a) * mulUp(|e_a|, scan_a): the exposure's maintenance shock, magnitude rounded up.
    function weightedSensitivity(int256 e, uint256 scan) internal pure returns (int256) {
        // Casts: |e| <= 1e28 and scan <= 1e18 in range, so both sides fit either type; `-e` is checked.
        // Rounds up in magnitude: margin is what the account must hold, in the protocol's favour.
        if (e >= 0) return int256(MathLib.mulUp(uint256(e), scan));
        return -int256(MathLib.mulUp(uint256(-e), scan));
    }

    /// @notice The weighted sensitivities of every asset (zero where the exposure is zero), by asset id.
    function weightedSensitivities(int256[] memory e, uint256[] memory scan)
        internal
        pure
        returns (int256[] memory ws)
    {
        uint256 n = e.length;
        ws = new int256[](n);
        for (uint256 a; a < n; ++a) {
            int256 ea = e[a];
            if (ea != 0) ws[a] = weightedSensitivity(ea, scan[a]);
        }
    }

    /// @notice high_ab = min(1e18, rho_ab + rho_ab / 4): 1.25 rho, capped at 1 (division truncates toward zero).
    function highCorrelation(int256 rho) internal pure returns (int256) {
        int256 high = rho + rho / 4;
        return high < WAD_INT ? high : WAD_INT;
    }

    /// @notice low_ab = max(2 * rho_ab - 1e18, rho_ab - rho_ab / 4): max(2 rho - 1, 0.75 rho), truncating division.
    function lowCorrelation(int256 rho) internal pure returns (int256) {
        int256 a = 2 * rho - WAD_INT;
        int256 b = rho - rho / 4;
        return a > b ? a : b;
    }

    /// @notice K_r = sqrtUp(ceil(max(S_r, 0) / 1e18)) for a regime sum S_r at scale 1e54.
    function regimeK(int256 s) internal pure returns (uint256) {
        if (s <= 0) return 0;
        // Cast: s > 0. Rounds up twice (ceil then sqrtUp): margin is what the account must hold.
        return MathLib.sqrtUp(MathLib.ceilDiv(uint256(s), WAD));
    }

    /// @notice The regime sums S_low, S_medium, S_high (spec §4, scale 1e54), in one pass over the pairs:
    /// S_r = sum_a WS_a^2 * 1e18 + 2 * sum_{a<b} rho^r_ab * WS_a * WS_b. The regime correlations are
    /// `lowCorrelation` and `highCorrelation`, inlined.
    /// @dev Reverts with WeightedSensitivityOutOfRange when |WS_a| > MAX_EXPOSURE (outside the spec's range) and with
    /// InvalidCorrelation when a used |rho| > 1e18; inside these bounds the sums cannot overflow (unchecked).
    /// @param ws The weighted sensitivities by asset id; assets with WS_a == 0 are skipped.
    /// @param rho The medium correlations by `pairIndex`, at least ws.length * (ws.length - 1) / 2 of them.
    function regimeSums(int256[] memory ws, int256[] memory rho)
        internal
        pure
        returns (int256 sLow, int256 sMedium, int256 sHigh)
    {
        uint256 n = ws.length;
        // pairIndex(0, b): the pairs (a, b), a < b, sit at base + a in `rho`.
        uint256 base;
        for (uint256 b; b < n; ++b) {
            int256 wsB = ws[b];
            if (wsB != 0) {
                if (wsB > MAX_WS || wsB < -MAX_WS) revert ErrorsLib.WeightedSensitivityOutOfRange(b, wsB);
                // Unchecked: |WS| <= 1e28 (checked just above, and for every a < b in an earlier iteration) and
                // |rho| <= 1e18 (checked below), so |rho^r| <= 1.25e18, each term is at most 2 * 1e56 * 1.25e18 =
                // 2.5e74 and the at most 16 + 120 terms of a sum at most 3.4e76 < 2^255; the indices are below
                // ws.length^2.
                unchecked {
                    int256 diagonal = wsB * wsB * WAD_INT;
                    sLow += diagonal;
                    sMedium += diagonal;
                    sHigh += diagonal;
                    // 2 * WS_a * WS_b = WS_a * (2 * WS_b), exactly.
                    int256 twoWsB = 2 * wsB;
                    for (uint256 a; a < b; ++a) {
                        int256 wsA = ws[a];
                        if (wsA == 0) continue;
                        int256 r = rho[base + a];
                        if (r > WAD_INT || r < -WAD_INT) revert ErrorsLib.InvalidCorrelation(a, b, r);
                        int256 cross = wsA * twoWsB;
                        sMedium += r * cross;
                        // high = min(1, 1.25 rho), low = max(2 rho - 1, 0.75 rho), truncating division (spec §4).
                        int256 quarter = r / 4;
                        int256 high = r + quarter;
                        sHigh += (high < WAD_INT ? high : WAD_INT) * cross;
                        int256 low = 2 * r - WAD_INT;
                        int256 threeQuarters = r - quarter;
                        sLow += (low > threeQuarters ? low : threeQuarters) * cross;
                    }
                }
            }
            // Unchecked: b < 16. pairIndex(0, b + 1) = pairIndex(0, b) + b.
            unchecked {
                base += b;
            }
        }
    }

    /// @notice K under the low, medium and high correlation regimes (spec §4): K_r = regimeK(S_r) of `regimeSums`.
    /// @dev Reverts like `regimeSums`.
    function kRegimes(int256[] memory ws, int256[] memory rho)
        internal
        pure
        returns (uint256 kLow, uint256 kMedium, uint256 kHigh)
    {
        (int256 sLow, int256 sMedium, int256 sHigh) = regimeSums(ws, rho);
        kLow = regimeK(sLow);
        kMedium = regimeK(sMedium);
        kHigh = regimeK(sHigh);
    }

    /// @notice A = sum_m mulUp(|notional_m|, k_m) + sum_c mulUp(value_c, h_c): the add-ons no hedge offsets.
    function addOns(Portfolio memory p, uint256[] memory prices) internal pure returns (uint256 a) {
        for (uint256 i; i < p.collateral.length; ++i) {
            Collateral memory c = p.collateral[i];
            // Cast: a collateral value is non-negative. Rounds up: margin is what the account must hold.
            a += MathLib.mulUp(uint256(collateralValue(c, prices)), c.haircut);
        }
        for (uint256 i; i < p.positions.length; ++i) {
            Position memory q = p.positions[i];
            // Rounds up: margin is what the account must hold, in the protocol's favour.
            a += MathLib.mulUp(abs(notional(q, prices)), q.k);
        }
    }

    /// @notice MM = K + A.
    function maintenanceMargin(uint256 k, uint256 addOns_) internal pure returns (uint256) {
        return k + addOns_;
    }

    /// @notice IM = mulUp(MM, imFactor).
    function initialMargin(uint256 mm, uint256 imFactor) internal pure returns (uint256) {
        // Rounds up: margin is what the account must hold, in the protocol's favour.
        return MathLib.mulUp(mm, imFactor);
    }

    /* ---------------------------------------------------------------- isolated margin (§6) */

    /// @notice ISO_MM = sum_m mulUp(|notional_m|, scan_asset(m) + k_m)
    ///                + sum_{c: asset(c) != USD} mulUp(value_c, scan_asset(c) + h_c).
    /// @dev Asset 0 is USD, the unit of account: its collateral needs no isolated margin.
    function isolatedMaintenanceMargin(Portfolio memory p, uint256[] memory prices, uint256[] memory scan)
        internal
        pure
        returns (uint256 iso)
    {
        for (uint256 i; i < p.collateral.length; ++i) {
            Collateral memory c = p.collateral[i];
            if (c.asset == 0) continue;
            // Cast: a collateral value is non-negative. Rounds up: margin is what the account must hold.
            iso += MathLib.mulUp(uint256(collateralValue(c, prices)), scan[c.asset] + c.haircut);
        }
        for (uint256 i; i < p.positions.length; ++i) {
            Position memory q = p.positions[i];
            // Rounds up: margin is what the account must hold, in the protocol's favour.
            iso += MathLib.mulUp(abs(notional(q, prices)), scan[q.asset] + q.k);
        }
    }

    /* ---------------------------------------------------------------- entry points */

    /// @notice One pass over the portfolio's entries that values each of them once and accumulates equity,
    /// exposures, touched assets, add-ons and, when `withIsolated`, the isolated maintenance margin. Each total
    /// equals the standalone function of the same name (`equity`, `exposures`, `addOns`,
    /// `isolatedMaintenanceMargin`).
    function aggregate(Portfolio memory p, uint256[] memory prices, uint256[] memory scan, bool withIsolated)
        internal
        pure
        returns (Totals memory t)
    {
        int256[] memory ex = new int256[](prices.length);
        int256 e = p.cash;
        uint256 a;
        uint256 iso;
        uint256 touched;
        Collateral[] memory collateral = p.collateral;
        uint256 n = collateral.length;
        for (uint256 i; i < n; ++i) {
            Collateral memory c = collateral[i];
            uint256 asset = c.asset;
            // Rounds down: equity is what the account owns.
            int256 value = collateralValue(c, prices);
            e += value;
            touched |= 1 << asset;
            // Cast: a collateral value is non-negative. Rounds up: margin is what the account must hold.
            uint256 addOn = MathLib.mulUp(uint256(value), c.haircut);
            uint256 isolated = withIsolated && asset != 0 ? MathLib.mulUp(uint256(value), scan[asset] + c.haircut) : 0;
            // Unchecked: every term is a checked product divided by 1e18, so below 2^256 / 1e18 < 1.2e59 in absolute
            // value, and these sums (which start at zero) would need more than 1e17 terms to overflow.
            unchecked {
                ex[asset] += value;
                a += addOn;
                iso += isolated;
            }
        }
        Position[] memory positions = p.positions;
        n = positions.length;
        for (uint256 i; i < n; ++i) {
            Position memory q = positions[i];
            uint256 asset = q.asset;
            // Rounds down: equity is what the account owns.
            int256 value = notional(q, prices);
            e += value;
            touched |= 1 << asset;
            uint256 size = abs(value);
            // Rounds up: margin is what the account must hold, in the protocol's favour.
            uint256 addOn = MathLib.mulUp(size, q.k);
            uint256 isolated = withIsolated ? MathLib.mulUp(size, scan[asset] + q.k) : 0;
            // Unchecked: as for the collateral entries above.
            unchecked {
                ex[asset] += value;
                a += addOn;
                iso += isolated;
            }
        }
        t.equity = e;
        t.exposures = ex;
        t.touched = touched;
        t.addOns = a;
        t.isolatedMaintenanceMargin = iso;
    }

    /// @notice The cheap path for the vault's checks: equity, maintenance and initial margin, without the
    /// isolated margin and without keeping the intermediate arrays.
    function marginRequirement(Portfolio memory p, RiskParams memory r, uint256[] memory prices)
        internal
        pure
        returns (int256 equity_, uint256 mm, uint256 im)
    {
        Totals memory t = aggregate(p, prices, r.scan, false);
        (int256 sLow, int256 sMedium, int256 sHigh) = regimeSums(weightedSensitivities(t.exposures, r.scan), r.rho);
        equity_ = t.equity;
        // regimeK is non-decreasing, so max(K_low, K_medium, K_high) = regimeK(max(S_low, S_medium, S_high)): one
        // square root instead of three.
        mm = maintenanceMargin(regimeK(maxSigned(sLow, maxSigned(sMedium, sHigh))), t.addOns);
        im = initialMargin(mm, r.imFactor);
    }

    /// @notice Everything the engine computes for an account (spec §3-§6), K = max(K_low, K_medium, K_high).
    function accountMargin(Portfolio memory p, RiskParams memory r, uint256[] memory prices)
        internal
        pure
        returns (Margin memory m)
    {
        Totals memory t = aggregate(p, prices, r.scan, true);
        m.equity = t.equity;
        m.touched = t.touched;
        m.exposures = t.exposures;
        m.weightedSensitivities = weightedSensitivities(t.exposures, r.scan);
        (m.kLow, m.kMedium, m.kHigh) = kRegimes(m.weightedSensitivities, r.rho);
        m.k = max(m.kLow, max(m.kMedium, m.kHigh));
        m.addOns = t.addOns;
        m.maintenanceMargin = maintenanceMargin(m.k, t.addOns);
        m.initialMargin = initialMargin(m.maintenanceMargin, r.imFactor);
        m.isolatedMaintenanceMargin = t.isolatedMaintenanceMargin;
    }

    /* ---------------------------------------------------------------- helpers */

    /// @notice |x| as an unsigned integer.
    function abs(int256 x) internal pure returns (uint256) {
        // Casts: lossless on a non-negative value; `-x` is checked (reverts only for type(int256).min).
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    /// @notice The larger of x and y.
    function max(uint256 x, uint256 y) internal pure returns (uint256) {
        return x > y ? x : y;
    }

    /// @notice The larger of x and y, signed.
    function maxSigned(int256 x, int256 y) internal pure returns (int256) {
        return x > y ? x : y;
    }
}
