// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {WAD} from "./ConstantsLib.sol";
import {MarginLib} from "./MarginLib.sol";
import {MathLib} from "./MathLib.sol";

/// @title LiquidationLib
/// @notice Pro-rata liquidation (docs/liquidation.md): the liquidator takes the same fraction f of every position
/// and every collateral balance of the account, pays for it at oracle prices, and is rewarded with a bonus
/// proportional to the maintenance margin the slice releases. MM is homogeneous of degree one in the portfolio,
/// so a slice releases about f * MM and, with a bonus rate below one, every slice raises the account's E - MM.
/// @dev Pure functions of their arguments, like MarginLib; the vault reads storage and writes the result. Rounding
/// (each in the favour of the liquidated account or of the protocol, never of the liquidator):
/// - slices round up in magnitude, so the account sheds at least f of each entry (its remaining MM is lower);
/// - the liquidator pays the exact drop of the account's own valuation of what moved, so the slice leaves the
///   account's equity unchanged to the wei;
/// - the bonus rounds down and never exceeds a solvent account's equity; the fund's share rounds up;
/// - the close factor rounds up (a slice at least restores IM) and the dust test rounds the remainder down.
/// The TypeScript twin `client/src/margin/liquidationLib.ts` mirrors every function, name for name.
library LiquidationLib {
    /// @dev The liquidation parameters as the plan reads them.
    struct Params {
        uint256 bonusRate;
        uint256 fundShare;
        uint256 dustThreshold;
        // False when no insurance fund is set: the whole bonus goes to the liquidator.
        bool hasFund;
    }

    /// @dev Everything a liquidation of one account computes before it writes anything.
    struct Plan {
        // The fraction applied (WAD): the request clamped to `maxFraction`; zero when the account is healthy.
        uint256 fraction;
        // What the liquidator pays the account for the slice (WAD USD, signed: a slice of shorts is worth < 0).
        int256 value;
        uint256 mmReleased;
        uint256 bonus;
        uint256 fundShare;
        // The account before: equity, MM, IM.
        int256 equityBefore;
        uint256 mmBefore;
        uint256 imBefore;
        // The account after (E after = E before - bonus, exactly; zero for an insolvent account, whose shortfall
        // plus bonus the insurance fund covers).
        int256 equityAfter;
        uint256 mmAfter;
        uint256 imAfter;
        // The close factor: the largest fraction one call may take (WAD).
        uint256 maxFraction;
    }

    /* ---------------------------------------------------------------- slices */

    /// @notice ceil(amount * fraction / 1e18): the part of a balance a slice takes, rounded up (at most `amount`
    /// for fraction <= 1e18).
    function sliceUp(uint256 amount, uint256 fraction) internal pure returns (uint256) {
        return MathLib.mulUp(amount, fraction);
    }

    /// @notice The part of a signed size a slice takes: same sign, magnitude `sliceUp(|size|, fraction)`.
    function sliceSizeUp(int256 size, uint256 fraction) internal pure returns (int256) {
        // Casts: |size| < 2^127 (positions are stored as int128), so the slice fits either type.
        if (size >= 0) return int256(sliceUp(uint256(size), fraction));
        return -int256(sliceUp(uint256(-size), fraction));
    }

    /// @notice Moves the slice `fraction` of `p`'s collateral and positions out of `p` (in place: `p` becomes the
    /// remainder, its cash untouched) and returns it, entry for entry (same order, same assets).
    /// @param scales Per collateral entry, 10^(18 - decimals): a balance slice is a whole number of token units.
    function takeSlice(MarginLib.Portfolio memory p, uint256[] memory scales, uint256 fraction)
        internal
        pure
        returns (MarginLib.Portfolio memory taken)
    {
        uint256 n = p.collateral.length;
        taken.collateral = new MarginLib.Collateral[](n);
        for (uint256 i; i < n; ++i) {
            MarginLib.Collateral memory c = p.collateral[i];
            uint256 scale = scales[i];
            // Exact: balances are whole token units times `scale`; the slice is rounded up to a whole unit.
            uint256 amount = sliceUp(c.balance / scale, fraction) * scale;
            taken.collateral[i] = MarginLib.Collateral({asset: c.asset, haircut: c.haircut, balance: amount});
            c.balance -= amount;
        }
        n = p.positions.length;
        taken.positions = new MarginLib.Position[](n);
        for (uint256 i; i < n; ++i) {
            MarginLib.Position memory q = p.positions[i];
            int256 size = sliceSizeUp(q.size, fraction);
            taken.positions[i] = MarginLib.Position({asset: q.asset, k: q.k, size: size});
            q.size -= size;
        }
    }

    /// @notice Adds `taken` (entries in the order of the masks `takenCollateral` / `takenMarkets`) into `p`, whose
    /// entries are in the order of the masks `collateralMask` / `marketMask`, supersets of the former: the
    /// liquidator's portfolio after it received the slice. Entries of one id merge, as in storage.
    function addSlice(
        MarginLib.Portfolio memory p,
        uint256 collateralMask,
        uint256 marketMask,
        MarginLib.Portfolio memory taken,
        uint256 takenCollateral,
        uint256 takenMarkets
    ) internal pure {
        uint256 n;
        for (uint256 id; (takenCollateral >> id) != 0; ++id) {
            if ((takenCollateral >> id) & 1 == 0) continue;
            p.collateral[MathLib.popCount(collateralMask & ((1 << id) - 1))].balance += taken.collateral[n++].balance;
        }
        n = 0;
        for (uint256 id; (takenMarkets >> id) != 0; ++id) {
            if ((takenMarkets >> id) & 1 == 0) continue;
            p.positions[MathLib.popCount(marketMask & ((1 << id) - 1))].size += taken.positions[n++].size;
        }
    }

    /// @notice The gross value of what `p` holds: sum of collateral values and of |notional| (WAD USD).
    function grossValue(MarginLib.Portfolio memory p, uint256[] memory prices) internal pure returns (uint256 g) {
        for (uint256 i; i < p.collateral.length; ++i) {
            // Cast: a collateral value is non-negative.
            g += uint256(MarginLib.collateralValue(p.collateral[i], prices));
        }
        for (uint256 i; i < p.positions.length; ++i) {
            g += MarginLib.abs(MarginLib.notional(p.positions[i], prices));
        }
    }

    /* ---------------------------------------------------------------- amounts */

    /// @notice The close factor: 0 when E >= MM (healthy); 1e18 when E < 0 (insolvent: the whole portfolio goes);
    /// else the smallest f with E - f * ceil(bonusRate * MM) >= (1 - f) * IM, rounded up, or 1e18 when that is
    /// above one or what would remain, (1 - f) * gross rounded down, is below the dust threshold.
    /// @dev A slice of f leaves E - bonus and about (1 - f) * IM (MM is homogeneous of degree one); the bonus is at
    /// most bonusRate * MM released <= ceil(bonusRate * MM) * f. Solving for f gives (IM - E) / (IM - b * MM).
    function maxFraction(int256 equity, uint256 mm, uint256 im, uint256 bonusRate, uint256 gross, uint256 dust)
        internal
        pure
        returns (uint256 f)
    {
        // Cast: margins are bounded by the engine's range (spec §4), far below 2^255.
        if (equity >= int256(mm)) return 0;
        if (equity < 0) return WAD;
        // Rounds up: a larger bonus per unit of fraction needs a larger fraction.
        uint256 bonusPerFraction = MathLib.mulUp(mm, bonusRate);
        // Cast: 0 <= equity < mm <= im here.
        uint256 e = uint256(equity);
        if (im <= bonusPerFraction) return WAD;
        // Rounds up: the smallest fraction that restores IM.
        f = MathLib.ceilDiv((im - e) * WAD, im - bonusPerFraction);
        if (f >= WAD) return WAD;
        // Rounds down: a remainder at the threshold is dust, taken whole.
        if (gross * (WAD - f) / WAD < dust) return WAD;
    }

    /// @notice The liquidator's bonus: floor(bonusRate * mmReleased), at most the equity of a solvent account (so a
    /// solvent account never pays more than it has: E >= 0 before implies E >= 0 after).
    function bonus(uint256 mmReleased, uint256 bonusRate, int256 equity) internal pure returns (uint256 b) {
        // Rounds down: the bonus is paid by the liquidated account (or by the fund for an insolvent one).
        b = mmReleased * bonusRate / WAD;
        // Cast: equity >= 0 in that branch.
        if (equity >= 0 && b > uint256(equity)) b = uint256(equity);
    }

    /// @notice The insurance fund's share of the bonus: ceil(bonus * fundShareRate), at most the bonus.
    function fundShare(uint256 bonus_, uint256 fundShareRate) internal pure returns (uint256) {
        // Rounds up: the share goes to the protocol, out of the liquidator's reward.
        return MathLib.mulUp(bonus_, fundShareRate);
    }

    /* ---------------------------------------------------------------- plan */

    /// @notice Plans the liquidation of `fraction` (clamped to the close factor) of the account whose portfolio is
    /// `p`, and moves the slice out of `p` (in place). Returns the plan and the slice. A healthy account gets a
    /// plan with fraction zero and nothing moved; an insolvent one (E < 0) loses its whole portfolio, pays no fund
    /// share and ends at equity zero (the fund pays the shortfall before the call plus the bonus).
    function plan(
        MarginLib.Portfolio memory p,
        uint256[] memory scales,
        MarginLib.RiskParams memory r,
        uint256[] memory prices,
        Params memory params,
        uint256 fraction
    ) internal pure returns (Plan memory pl, MarginLib.Portfolio memory taken) {
        (int256 e, uint256 mm, uint256 im) = MarginLib.marginRequirement(p, r, prices);
        pl.equityBefore = e;
        pl.mmBefore = mm;
        pl.imBefore = im;
        uint256 gross = grossValue(p, prices);
        pl.maxFraction = maxFraction(e, mm, im, params.bonusRate, gross, params.dustThreshold);
        // A request of zero plans nothing (the close factor alone, for `maxLiquidationFraction`). An insolvent account
        // goes whole whatever the request: bad debt is settled only on an empty account.
        uint256 f = fraction == 0 ? 0 : e < 0 ? WAD : fraction < pl.maxFraction ? fraction : pl.maxFraction;
        // A request that would leave a remainder under the dust threshold takes the whole portfolio: a liquidator
        // cannot trim an account into dust that no keeper can liquidate at a profit (the remainder rounds down, as
        // in `maxFraction`; a close factor under the whole book leaves no dust, so this only raises requests when
        // the close factor is the whole book, e.g. an account that cannot pay a full bonus).
        if (f != 0 && f < WAD && gross * (WAD - f) / WAD < params.dustThreshold) f = WAD;
        pl.fraction = f;
        if (f == 0) {
            (pl.equityAfter, pl.mmAfter, pl.imAfter) = (e, mm, im);
            return (pl, taken);
        }
        taken = takeSlice(p, scales, f);
        (int256 eRest, uint256 mmRest, uint256 imRest) = MarginLib.marginRequirement(p, r, prices);
        // The drop of the account's own valuation (cash unchanged): paying it leaves the account's equity exact.
        pl.value = e - eRest;
        pl.mmReleased = mm > mmRest ? mm - mmRest : 0;
        pl.bonus = bonus(pl.mmReleased, params.bonusRate, e);
        if (params.hasFund && e >= 0) pl.fundShare = fundShare(pl.bonus, params.fundShare);
        // Cast: the bonus is bounded by MM, far below 2^255.
        pl.equityAfter = e >= 0 ? e - int256(pl.bonus) : int256(0);
        pl.mmAfter = mmRest;
        pl.imAfter = imRest;
    }
}
