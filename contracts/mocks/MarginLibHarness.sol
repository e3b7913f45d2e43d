// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MarginLib} from "../libraries/MarginLib.sol";
import {MathLib} from "../libraries/MathLib.sol";

/// @title MarginLibHarness
/// @notice Exposes MathLib and MarginLib externally, for the mocha tests, the vector checks and gas measurements.
/// @dev Every function forwards its arguments unchanged to the library function of the same name.
contract MarginLibHarness {
    /// @notice MathLib.mulDown.
    function mulDown(int256 x, int256 y) external pure returns (int256) {
        return MathLib.mulDown(x, y);
    }

    /// @notice MathLib.mulUp.
    function mulUp(uint256 x, uint256 y) external pure returns (uint256) {
        return MathLib.mulUp(x, y);
    }

    /// @notice MathLib.ceilDiv.
    function ceilDiv(uint256 x, uint256 d) external pure returns (uint256) {
        return MathLib.ceilDiv(x, d);
    }

    /// @notice MathLib.sqrtUp.
    function sqrtUp(uint256 x) external pure returns (uint256) {
        return MathLib.sqrtUp(x);
    }

    /// @notice MarginLib.pairIndex.
    function pairIndex(uint256 a, uint256 b) external pure returns (uint256) {
        return MarginLib.pairIndex(a, b);
    }

    /// @notice MarginLib.equity.
    function equity(MarginLib.Portfolio memory p, uint256[] memory prices) external pure returns (int256) {
        return MarginLib.equity(p, prices);
    }

    /// @notice MarginLib.exposures.
    function exposures(MarginLib.Portfolio memory p, uint256[] memory prices)
        external
        pure
        returns (int256[] memory e, uint256 touched)
    {
        return MarginLib.exposures(p, prices);
    }

    /// @notice MarginLib.weightedSensitivity.
    function weightedSensitivity(int256 e, uint256 scan) external pure returns (int256) {
        return MarginLib.weightedSensitivity(e, scan);
    }

    /// @notice MarginLib.weightedSensitivities.
    function weightedSensitivities(int256[] memory e, uint256[] memory scan) external pure returns (int256[] memory) {
        return MarginLib.weightedSensitivities(e, scan);
    }

    /// @notice MarginLib.highCorrelation.
    function highCorrelation(int256 rho) external pure returns (int256) {
        return MarginLib.highCorrelation(rho);
    }

    /// @notice MarginLib.lowCorrelation.
    function lowCorrelation(int256 rho) external pure returns (int256) {
        return MarginLib.lowCorrelation(rho);
    }

    /// @notice MarginLib.regimeSums.
    function regimeSums(int256[] memory ws, int256[] memory rho)
        external
        pure
        returns (int256 sLow, int256 sMedium, int256 sHigh)
    {
        return MarginLib.regimeSums(ws, rho);
    }

    /// @notice MarginLib.kRegimes.
    function kRegimes(int256[] memory ws, int256[] memory rho)
        external
        pure
        returns (uint256 kLow, uint256 kMedium, uint256 kHigh)
    {
        return MarginLib.kRegimes(ws, rho);
    }

    /// @notice MarginLib.addOns.
    function addOns(MarginLib.Portfolio memory p, uint256[] memory prices) external pure returns (uint256) {
        return MarginLib.addOns(p, prices);
    }

    /// @notice MarginLib.isolatedMaintenanceMargin.
    function isolatedMaintenanceMargin(MarginLib.Portfolio memory p, uint256[] memory prices, uint256[] memory scan)
        external
        pure
        returns (uint256)
    {
        return MarginLib.isolatedMaintenanceMargin(p, prices, scan);
    }

    /// @notice MarginLib.marginRequirement.
    function marginRequirement(MarginLib.Portfolio memory p, MarginLib.RiskParams memory r, uint256[] memory prices)
        external
        pure
        returns (int256 equity_, uint256 mm, uint256 im)
    {
        return MarginLib.marginRequirement(p, r, prices);
    }

    /// @notice MarginLib.accountMargin.
    function accountMargin(MarginLib.Portfolio memory p, MarginLib.RiskParams memory r, uint256[] memory prices)
        external
        pure
        returns (MarginLib.Margin memory)
    {
        return MarginLib.accountMargin(p, r, prices);
    }

    /// @notice The gas MarginLib.accountMargin and MarginLib.marginRequirement use on portfolios already in memory
    /// (excludes the call, calldata and ABI decoding of the arguments).
    function measureGas(MarginLib.Portfolio memory p, MarginLib.RiskParams memory r, uint256[] memory prices)
        external
        view
        returns (uint256 accountMarginGas, uint256 marginRequirementGas)
    {
        uint256 start = gasleft();
        MarginLib.accountMargin(p, r, prices);
        accountMarginGas = start - gasleft();
        start = gasleft();
        MarginLib.marginRequirement(p, r, prices);
        marginRequirementGas = start - gasleft();
    }
}
