// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {WAD} from "./ConstantsLib.sol";

/// @dev WAD as a signed integer, for the signed products.
int256 constant WAD_INT = 1e18;

/// @title MathLib
/// @notice Fixed-point (WAD) arithmetic with an explicit rounding direction (spec §1).
/// @dev Every product is checked: an overflow reverts instead of wrapping. The steps after it that provably cannot
/// overflow (a quotient adjusted by one) are unchecked. The margin engine only calls them inside the spec's range
/// (|e_a| <= 1e28, prices and rates that keep every product far below 2^255).
library MathLib {
    /// @notice Returns floor(x * y / 1e18), rounded toward minus infinity also when the product is negative.
    /// @dev Solidity's `/` truncates toward zero, so a negative product with a remainder is one too high.
    function mulDown(int256 x, int256 y) internal pure returns (int256 z) {
        int256 product = x * y;
        // Unchecked: |z| <= |product| / 1e18, far from the int256 bounds, so z - 1 cannot overflow.
        unchecked {
            z = product / WAD_INT;
            // The remainder has the sign of the product: a negative one means the quotient was truncated upward.
            if (product % WAD_INT < 0) z -= 1;
        }
    }

    /// @notice Returns ceil(x * y / 1e18), rounded toward plus infinity.
    function mulUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return ceilDiv(x * y, WAD);
    }

    /// @notice Returns ceil(x / d), rounded toward plus infinity. Reverts (panic) when d is zero.
    function ceilDiv(uint256 x, uint256 d) internal pure returns (uint256 z) {
        // Unchecked: a zero d still panics (division by zero is checked in unchecked blocks too); z * d <= x, and
        // z + 1 is only taken when z * d != x, which needs d > 1, so z <= x / 2.
        unchecked {
            z = x / d;
            if (z * d != x) z += 1;
        }
    }

    /// @notice Returns the smallest integer r with r * r >= x.
    /// @dev OpenZeppelin's floor square root (a fixed, unrolled Newton iteration), raised by one when its square
    /// falls short of x.
    function sqrtUp(uint256 x) internal pure returns (uint256 r) {
        r = Math.sqrt(x);
        // Unchecked: r = floor(sqrt(x)) <= 2^128 - 1, so neither r * r nor r + 1 can overflow.
        unchecked {
            if (r * r < x) r += 1;
        }
    }

    /// @notice The number of set bits of x.
    function popCount(uint256 x) internal pure returns (uint256 count) {
        // Unchecked: x != 0 in the loop, and count is at most 256.
        unchecked {
            for (; x != 0; x &= x - 1) ++count;
        }
    }
}
