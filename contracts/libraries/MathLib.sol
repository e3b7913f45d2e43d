// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {WAD} from "./ConstantsLib.sol";

/// @dev WAD as a signed integer, for the signed products.
int256 constant WAD_INT = 1e18;

/// @title MathLib
/// @notice Fixed-point (WAD) arithmetic with an explicit rounding direction (spec §1).
/// @dev Every function is checked: an overflow reverts instead of wrapping. The margin engine only calls them
/// inside the spec's range (|e_a| <= 1e28, prices and rates that keep every product far below 2^255).
library MathLib {
    /// @notice Returns floor(x * y / 1e18), rounded toward minus infinity also when the product is negative.
    /// @dev Solidity's `/` truncates toward zero, so a negative product with a remainder is one too high.
    function mulDown(int256 x, int256 y) internal pure returns (int256 z) {
        int256 product = x * y;
        z = product / WAD_INT;
        // The remainder has the sign of the product: a negative one means the quotient was truncated upward.
        if (product % WAD_INT < 0) z -= 1;
    }

    /// @notice Returns ceil(x * y / 1e18), rounded toward plus infinity.
    function mulUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return ceilDiv(x * y, WAD);
    }

    /// @notice Returns ceil(x / d), rounded toward plus infinity. Reverts (panic) when d is zero.
    function ceilDiv(uint256 x, uint256 d) internal pure returns (uint256 z) {
        z = x / d;
        if (z * d != x) z += 1;
    }

    /// @notice Returns the smallest integer r with r * r >= x.
    /// @dev Newton's iteration from an over-estimate decreases monotonically to floor(sqrt(x)); the result is
    /// then raised by one when its square falls short of x.
    function sqrtUp(uint256 x) internal pure returns (uint256 r) {
        if (x == 0) return 0;
        r = _initialEstimate(x);
        uint256 next = (r + x / r) >> 1;
        while (next < r) {
            r = next;
            next = (r + x / r) >> 1;
        }
        // r = floor(sqrt(x)) <= 2^128 - 1, so r * r cannot overflow.
        if (r * r < x) r += 1;
    }

    /// @dev A power of two that is at least sqrt(x) and less than 2 * sqrt(x) + 2 (x > 0), so Newton starts above
    /// the root and converges in a handful of steps.
    function _initialEstimate(uint256 x) private pure returns (uint256) {
        uint256 bits = 0;
        uint256 y = x;
        if (y >= 1 << 128) {
            y >>= 128;
            bits += 128;
        }
        if (y >= 1 << 64) {
            y >>= 64;
            bits += 64;
        }
        if (y >= 1 << 32) {
            y >>= 32;
            bits += 32;
        }
        if (y >= 1 << 16) {
            y >>= 16;
            bits += 16;
        }
        if (y >= 1 << 8) {
            y >>= 8;
            bits += 8;
        }
        if (y >= 1 << 4) {
            y >>= 4;
            bits += 4;
        }
        if (y >= 1 << 2) {
            y >>= 2;
            bits += 2;
        }
        if (y >= 1 << 1) bits += 1;
        // x < 2^(bits + 1), so sqrt(x) < 2^((bits + 1) / 2) <= 2^(bits / 2 + 1).
        return 1 << ((bits >> 1) + 1);
    }
}
