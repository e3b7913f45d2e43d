// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev The fixed-point unit of every amount, price and rate (spec §1).
uint256 constant WAD = 1e18;

/// @dev Largest |exposure| per risk asset, and largest |equity|, for which the margin engine is exact
/// (spec §4: 1e10 USD in WAD). Listing caps are bounded so that no account can leave this range.
uint256 constant MAX_EXPOSURE = 1e28;

/// @dev Risk assets, collateral tokens and markets are identified by their listing index. The masks that
/// record which ones an account holds are 16 and 32 bits wide; 16 assets also keep the regime sums S_r
/// far inside int256 (at most 16^2 * 1e74 in absolute value).
uint256 constant MAX_ASSETS = 16;
uint256 constant MAX_COLLATERALS = 16;
uint256 constant MAX_MARKETS = 32;

/// @dev Bounds of the risk parameters (spec §4 and §7).
uint256 constant MAX_IM_FACTOR = 10 * WAD;
uint256 constant MAX_HAIRCUT = WAD;
uint256 constant MAX_CONTINGENCY = WAD;
uint256 constant MAX_HEARTBEAT = 7 days;
uint256 constant MAX_GRACE_PERIOD = 1 days;

/// @dev An asset's maximum price is stored in units of 1e9 WAD (a nano-USD) in 64 bits, four to a slot: a listed
/// maximum must be a multiple of it and at most (2^64 - 1) * 1e9 (about 1.8e10 USD per unit); it is only a bound.
uint256 constant MAX_PRICE_UNIT = 1e9;

/// @dev Bounds of the liquidation parameters: the bonus rate on the maintenance margin a slice releases (below one,
/// so that every slice raises the account's E - MM by at least half the MM released) and the dust threshold.
uint256 constant MAX_LIQUIDATION_BONUS = 0.5e18;
uint256 constant MAX_DUST_THRESHOLD = 1_000_000e18;

/// @dev Bounds of the cash-settlement parameters: the discount at which a debtor's collateral is sold for settlement
/// tokens (below the smallest useful liquidation discount, so a sale costs a debtor less than a liquidation), and how
/// long liquidations wait after a pause is lifted (Aave 3.1 allows up to 4 hours).
uint256 constant MAX_SETTLEMENT_DISCOUNT = 0.05e18;
uint256 constant MAX_LIQUIDATION_GRACE_PERIOD = 4 hours;

/// @dev Bound of the settlement's price band around the oracle price, and the basis-point unit.
uint256 constant MAX_PRICE_BAND_BPS = 5_000;
uint256 constant BPS = 10_000;

/// @dev Bounds of the risk-steward path (docs/governance.md): the largest relative step (WAD) a steward or guardian
/// may move a parameter by in one update, and the bounds of the least interval between two updates of one parameter.
/// Both are stored in the registry and changed only through the timelock (RISK_ADMIN_ROLE).
uint256 constant MAX_RISK_STEP = 0.5e18;
uint256 constant MIN_RISK_INTERVAL = 1 hours;
uint256 constant MAX_RISK_INTERVAL = 30 days;

/// @dev The registry's values at construction: a 10% step at most once a day, and a 5% price band.
uint256 constant DEFAULT_RISK_STEP = 0.1e18;
uint256 constant DEFAULT_RISK_INTERVAL = 1 days;
uint256 constant DEFAULT_PRICE_BAND_BPS = 500;
