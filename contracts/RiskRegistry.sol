// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IRiskRegistry} from "./interfaces/IRiskRegistry.sol";
import {IRiskGovernance} from "./interfaces/IRiskGovernance.sol";
import {ErrorsLib} from "./libraries/ErrorsLib.sol";
import {EventsLib} from "./libraries/EventsLib.sol";
import {ListingLib} from "./libraries/ListingLib.sol";
import {MarginLib} from "./libraries/MarginLib.sol";
import {
    WAD,
    MAX_EXPOSURE,
    MAX_ASSETS,
    MAX_COLLATERALS,
    MAX_MARKETS,
    MAX_IM_FACTOR,
    MAX_HAIRCUT,
    MAX_CONTINGENCY,
    MAX_HEARTBEAT,
    MAX_GRACE_PERIOD,
    MAX_LIQUIDATION_BONUS,
    MAX_DUST_THRESHOLD,
    MAX_PRICE_UNIT,
    MAX_PRICE_BAND_BPS,
    MAX_RISK_STEP,
    MIN_RISK_INTERVAL,
    MAX_RISK_INTERVAL,
    DEFAULT_RISK_STEP,
    DEFAULT_RISK_INTERVAL,
    DEFAULT_PRICE_BAND_BPS
} from "./libraries/ConstantsLib.sol";

/// @title RiskRegistry
/// @notice The vault's risk configuration: assets and their feeds, correlations, collateral tokens, markets
/// and the initial margin factor. Every value is bounds-checked and every change emits an event with the old and new
/// values.
/// @dev Governance (docs/governance.md, IRiskGovernance): RISK_ADMIN_ROLE (the TimelockController in production) sets
/// any value inside the absolute bounds; RISK_STEWARD_ROLE moves a bounded parameter by at most `_riskStep` of its
/// value, at most once per `_riskInterval`; GUARDIAN_ROLE likewise, in the conservative direction only. Listings,
/// feeds, the sequencer feed, the insurance fund and the steward bounds need RISK_ADMIN_ROLE.
/// @dev Caps are kept so that, at every asset's maximum price, no account's exposure to that asset can exceed
/// MAX_EXPOSURE, the range inside which the margin engine is exact (spec §4).
abstract contract RiskRegistry is IRiskRegistry, AccessControl, Pausable {
    using SafeCast for uint256;

    /// @notice May change the risk configuration without the steward bounds (held only by the timelock in production).
    bytes32 public constant RISK_ADMIN_ROLE = keccak256("RISK_ADMIN_ROLE");
    /// @notice May move bounded risk parameters by at most the registry's step, no faster than its interval.
    bytes32 public constant RISK_STEWARD_ROLE = keccak256("RISK_STEWARD_ROLE");
    /// @notice May pause and unpause new risk, and tighten bounded risk parameters within the steward bounds.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice May settle trades (the settlement contract, which authenticates the orders).
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");

    /// @dev The liquidation bonus rate and the fund's share of the bonus (WAD), and the dust threshold (WAD USD).
    struct LiquidationParams {
        uint64 bonusRate;
        uint64 fundShare;
        uint128 dustThreshold;
    }

    /// @dev A market's open interest and cap, in one slot: a trade reads both and writes the first, and a market's
    /// first trade writes a slot that is not zero (its cap). Its asset and k are in `_marketRisk` (`marketConfig`
    /// joins them).
    struct MarketState {
        uint128 openInterest;
        uint128 openInterestCap;
    }

    /// @dev What a margin computation reads of an asset besides its maximum price, in one slot.
    struct AssetOracle {
        address feed;
        uint64 scan;
        uint8 feedDecimals;
        uint24 heartbeat;
    }

    /// @dev Who makes a bounded change: the timelock (absolute bounds only), the steward (step and interval) or the
    /// guardian (step, interval and the conservative direction).
    enum Path {
        Admin,
        Steward,
        Guardian
    }

    /// @dev The conservative direction of a bounded parameter, the only one a guardian may move it in (Never: none is
    /// conservative for every account, e.g. a correlation, or a shorter heartbeat that halts the asset).
    enum Tighter {
        Never,
        Up,
        Down
    }

    uint256 private constant MAX_PAIRS = MAX_ASSETS * (MAX_ASSETS - 1) / 2;

    // The first state variables, so that they share Pausable's slot with its paused flag: every trade reads the flag
    // and the band, every liquidation the flag and the liquidation grace period, each from one slot.
    /// @dev The band around the oracle price inside which the vault settles trades (basis points).
    uint16 internal _priceBandBps;
    /// @dev When the vault was last unpaused (0: never paused), and how long liquidations wait after it (seconds, set
    /// by the CashModule's `setCashConfig`).
    uint64 internal _unpausedAt;
    uint32 internal _liquidationGracePeriod;

    mapping(uint256 asset => AssetOracle) internal _assets;
    /// @dev Maximum prices in units of MAX_PRICE_UNIT, four to a slot (a margin computation over six assets
    /// reads two slots for them).
    uint64[MAX_ASSETS] internal _maxPrices;
    mapping(uint256 collateralId => CollateralConfig) internal _collaterals;
    mapping(address token => uint256) internal _collateralIdPlusOne;
    mapping(uint256 market => MarketState) internal _markets;
    /// @dev Packed copies of what a margin computation reads of each collateral token (ListingLib), three to a
    /// slot; `_collaterals` keeps the full records. Written together with them.
    uint80[MAX_COLLATERALS] internal _collateralRisk;
    /// @dev Each market's asset and k, packed (ListingLib), three to a slot: their only record, which a margin
    /// computation reads.
    uint72[MAX_MARKETS] internal _marketRisk;

    /// @dev Medium correlations packed four to a slot, at `MarginLib.pairIndex(a, b)` (a < b): the pairs of the
    /// lowest asset ids are contiguous, so a margin computation reads few slots.
    int64[MAX_PAIRS] internal _rho;

    uint8 internal _assetCount;
    uint8 internal _collateralCount;
    uint8 internal _marketCount;
    uint64 internal _imFactor;
    address internal _sequencerFeed;
    uint32 internal _gracePeriod;

    LiquidationParams internal _liquidation;
    /// @dev The insurance fund and its asset's decimals share a slot, read together when bad debt is covered.
    address internal _insuranceFund;
    uint8 internal _fundAssetDecimals;
    address internal _fundAsset;
    /// @dev The settlement token's collateral id plus one (0: none listed yet): cash settles in it (CashModule).
    uint8 internal _settlementIdPlusOne;

    /// @dev The steward path's bounds: the largest relative step (WAD) and the least interval (seconds) between two
    /// steward or guardian changes of one parameter.
    uint64 internal _riskStep;
    uint32 internal _riskInterval;
    /// @dev When each bounded parameter last changed, by any path, keyed by `_riskKey(param, id)`.
    mapping(uint256 key => uint256 changedAt) internal _lastRiskChange;

    constructor(address admin, uint256 imFactor_) {
        if (admin == address(0)) revert ErrorsLib.ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (imFactor_ < WAD || imFactor_ > MAX_IM_FACTOR) revert ErrorsLib.InvalidImFactor(imFactor_);
        _imFactor = uint64(imFactor_); // Safe cast: imFactor <= 10e18 < 2^64.
        emit EventsLib.ImFactorSet(0, imFactor_);
        _setRiskSteps(DEFAULT_RISK_STEP, DEFAULT_RISK_INTERVAL);
        _setPriceBand(DEFAULT_PRICE_BAND_BPS);
    }

    // ---------------------------------------------------------------- assets

    /// @inheritdoc IRiskRegistry
    function listAsset(string calldata symbol, address feed, uint256 heartbeat, uint256 scan, uint256 maxPrice)
        external virtual
        onlyRole(RISK_ADMIN_ROLE)
        returns (uint256 asset)
    {
        asset = _assetCount;
        if (asset >= MAX_ASSETS) revert ErrorsLib.TooManyListings(MAX_ASSETS);
        _checkScan(scan);
        _assetCount = uint8(asset + 1); // Safe cast: asset < MAX_ASSETS = 16.
        _assets[asset].scan = uint64(scan); // Safe cast: scan <= WAD < 2^64.
        _setAssetOracle(asset, feed, heartbeat, maxPrice);
        emit EventsLib.AssetListed(asset, symbol, feed, heartbeat, scan, maxPrice);
    }

    /// @inheritdoc IRiskRegistry
    /// @dev A new feed needs RISK_ADMIN_ROLE; the steward may move the heartbeat and the maximum price by a step.
    function setAssetOracle(uint256 asset, address feed, uint256 heartbeat, uint256 maxPrice) external virtual {
        Path path = _riskPath();
        _checkAssetListed(asset);
        AssetOracle memory old = _assets[asset];
        uint256 oldMaxPrice = _maxPrices[asset] * MAX_PRICE_UNIT;
        if (feed != old.feed && path != Path.Admin) {
            revert AccessControlUnauthorizedAccount(msg.sender, RISK_ADMIN_ROLE);
        }
        _checkRiskChange(path, IRiskGovernance.RiskParam.Heartbeat, asset, old.heartbeat, heartbeat, Tighter.Never);
        _checkRiskChange(path, IRiskGovernance.RiskParam.MaxPrice, asset, oldMaxPrice, maxPrice, Tighter.Never);
        _setAssetOracle(asset, feed, heartbeat, maxPrice);
        emit EventsLib.AssetOracleSet(asset, old.feed, feed, old.heartbeat, heartbeat, oldMaxPrice, maxPrice);
    }

    /// @inheritdoc IRiskRegistry
    function setAssetScan(uint256 asset, uint256 scan) external virtual {
        Path path = _riskPath();
        _checkAssetListed(asset);
        _checkScan(scan);
        uint256 oldScan = _assets[asset].scan;
        _checkRiskChange(path, IRiskGovernance.RiskParam.Scan, asset, oldScan, scan, Tighter.Up);
        _assets[asset].scan = uint64(scan); // Safe cast: scan <= WAD < 2^64.
        emit EventsLib.AssetScanSet(asset, oldScan, scan);
    }

    /// @inheritdoc IRiskRegistry
    /// @dev No direction is conservative for every account (a hedge needs more margin as rho falls, a same-direction
    /// book as it rises): the guardian cannot move it. The steward's step is absolute: `_riskStep` times 1e18.
    function setCorrelation(uint256 assetA, uint256 assetB, int256 rho) external virtual {
        Path path = _riskPath();
        _checkAssetListed(assetA);
        _checkAssetListed(assetB);
        if (assetA == assetB || rho > int256(WAD) || rho < -int256(WAD)) {
            revert ErrorsLib.InvalidCorrelation(assetA, assetB, rho);
        }
        (uint256 a, uint256 b) = assetA < assetB ? (assetA, assetB) : (assetB, assetA);
        uint256 pair = MarginLib.pairIndex(a, b);
        int256 oldRho = _rho[pair];
        _checkRiskChangeSigned(path, IRiskGovernance.RiskParam.Correlation, pair, oldRho, rho, Tighter.Never);
        _rho[pair] = int64(rho); // Safe cast: |rho| <= WAD < 2^63.
        emit EventsLib.CorrelationSet(a, b, oldRho, rho);
    }

    /// @inheritdoc IRiskRegistry
    function setImFactor(uint256 imFactor_) external virtual {
        Path path = _riskPath();
        if (imFactor_ < WAD || imFactor_ > MAX_IM_FACTOR) revert ErrorsLib.InvalidImFactor(imFactor_);
        uint256 old = _imFactor;
        _checkRiskChange(path, IRiskGovernance.RiskParam.ImFactor, 0, old, imFactor_, Tighter.Up);
        _imFactor = uint64(imFactor_); // Safe cast: imFactor <= 10e18 < 2^64.
        emit EventsLib.ImFactorSet(old, imFactor_);
    }

    /// @inheritdoc IRiskRegistry
    function setSequencerFeed(address sequencerFeed, uint256 gracePeriod) external virtual onlyRole(RISK_ADMIN_ROLE) {
        if (gracePeriod > MAX_GRACE_PERIOD) revert ErrorsLib.InvalidGracePeriod(gracePeriod);
        emit EventsLib.SequencerFeedSet(_sequencerFeed, sequencerFeed, _gracePeriod, gracePeriod);
        _sequencerFeed = sequencerFeed;
        _gracePeriod = uint32(gracePeriod); // Safe cast: gracePeriod <= 1 day.
    }

    // ---------------------------------------------------------------- collateral

    /// @inheritdoc IRiskRegistry
    function listCollateral(address token, uint256 asset, uint256 haircut, uint256 depositCap)
        external virtual
        onlyRole(RISK_ADMIN_ROLE)
        returns (uint256 collateralId)
    {
        if (token == address(0)) revert ErrorsLib.ZeroAddress();
        if (_collateralIdPlusOne[token] != 0) revert ErrorsLib.CollateralAlreadyListed(token);
        collateralId = _collateralCount;
        if (collateralId >= MAX_COLLATERALS) revert ErrorsLib.TooManyListings(MAX_COLLATERALS);
        _checkAssetListed(asset);
        if (haircut > MAX_HAIRCUT) revert ErrorsLib.InvalidHaircut(haircut);
        uint8 decimals = IERC20Metadata(token).decimals();
        if (decimals > 18) revert ErrorsLib.InvalidTokenDecimals(token, decimals);

        _collateralCount = uint8(collateralId + 1); // Safe cast: collateralId < MAX_COLLATERALS = 16.
        _collateralIdPlusOne[token] = collateralId + 1;
        _collaterals[collateralId] = CollateralConfig({
            token: token,
            asset: uint8(asset), // Safe cast: asset < MAX_ASSETS.
            decimals: decimals,
            haircut: uint64(haircut), // Safe cast: haircut <= WAD.
            depositCap: depositCap.toUint128(),
            totalDeposits: 0
        });
        _collateralRisk[collateralId] = ListingLib.packCollateral(asset, decimals, haircut);
        _checkAssetRange(asset);
        // The first collateral on the USD asset is the settlement token cash is paid and netted in.
        if (asset == 0 && _settlementIdPlusOne == 0) _settlementIdPlusOne = uint8(collateralId + 1);
        emit EventsLib.CollateralListed(token, collateralId, asset, decimals, haircut, depositCap);
    }

    /// @inheritdoc IRiskRegistry
    function setCollateral(address token, uint256 haircut, uint256 depositCap) external virtual {
        Path path = _riskPath();
        uint256 id = _collateralId(token);
        CollateralConfig storage config = _collaterals[id];
        if (haircut > MAX_HAIRCUT) revert ErrorsLib.InvalidHaircut(haircut);
        uint256 oldHaircut = config.haircut;
        uint256 oldCap = config.depositCap;
        _checkRiskChange(path, IRiskGovernance.RiskParam.Haircut, id, oldHaircut, haircut, Tighter.Up);
        _checkRiskChange(path, IRiskGovernance.RiskParam.DepositCap, id, oldCap, depositCap, Tighter.Down);
        config.haircut = uint64(haircut); // Safe cast: haircut <= WAD.
        config.depositCap = depositCap.toUint128();
        _collateralRisk[id] = ListingLib.packCollateral(config.asset, config.decimals, haircut);
        _checkAssetRange(config.asset);
        emit EventsLib.CollateralSet(token, oldHaircut, haircut, oldCap, depositCap);
    }

    // ---------------------------------------------------------------- markets

    /// @inheritdoc IRiskRegistry
    function listMarket(uint256 asset, uint256 k, uint256 openInterestCap)
        external virtual
        onlyRole(RISK_ADMIN_ROLE)
        returns (uint256 market)
    {
        market = _marketCount;
        if (market >= MAX_MARKETS) revert ErrorsLib.TooManyListings(MAX_MARKETS);
        _checkAssetListed(asset);
        if (k > MAX_CONTINGENCY) revert ErrorsLib.InvalidContingency(k);
        _marketCount = uint8(market + 1); // Safe cast: market < MAX_MARKETS = 32.
        _markets[market] = MarketState({openInterest: 0, openInterestCap: openInterestCap.toUint128()});
        _marketRisk[market] = ListingLib.packMarket(asset, k);
        _checkAssetRange(asset);
        emit EventsLib.MarketListed(market, asset, k, openInterestCap);
    }

    /// @inheritdoc IRiskRegistry
    function setMarket(uint256 market, uint256 k, uint256 openInterestCap) external virtual {
        Path path = _riskPath();
        _checkMarketListed(market);
        if (k > MAX_CONTINGENCY) revert ErrorsLib.InvalidContingency(k);
        (uint256 asset, uint256 oldK) = ListingLib.unpackMarket(_marketRisk[market]);
        MarketState storage config = _markets[market];
        uint256 oldCap = config.openInterestCap;
        _checkRiskChange(path, IRiskGovernance.RiskParam.ContingencyRate, market, oldK, k, Tighter.Up);
        _checkRiskChange(
            path, IRiskGovernance.RiskParam.OpenInterestCap, market, oldCap, openInterestCap, Tighter.Down
        );
        config.openInterestCap = openInterestCap.toUint128();
        _marketRisk[market] = ListingLib.packMarket(asset, k);
        _checkAssetRange(asset);
        emit EventsLib.MarketSet(market, oldK, k, oldCap, openInterestCap);
    }

    // ---------------------------------------------------------------- liquidation

    /// @inheritdoc IRiskRegistry
    /// @dev No direction of these is conservative for every party (a higher bonus speeds liquidations and costs the
    /// liquidated more): the guardian cannot move them.
    function setLiquidationConfig(uint256 bonusRate, uint256 fundShare, uint256 dustThreshold) external virtual {
        Path path = _riskPath();
        if (bonusRate > MAX_LIQUIDATION_BONUS || fundShare > WAD || dustThreshold > MAX_DUST_THRESHOLD) {
            revert ErrorsLib.InvalidLiquidationConfig(bonusRate, fundShare, dustThreshold);
        }
        LiquidationParams memory old = _liquidation;
        _checkRiskChange(path, IRiskGovernance.RiskParam.BonusRate, 0, old.bonusRate, bonusRate, Tighter.Never);
        _checkRiskChange(path, IRiskGovernance.RiskParam.FundShare, 0, old.fundShare, fundShare, Tighter.Never);
        _checkRiskChange(
            path, IRiskGovernance.RiskParam.DustThreshold, 0, old.dustThreshold, dustThreshold, Tighter.Never
        );
        _liquidation = LiquidationParams({
            bonusRate: uint64(bonusRate), // Safe cast: bonusRate <= 0.5e18 < 2^64.
            fundShare: uint64(fundShare), // Safe cast: fundShare <= 1e18 < 2^64.
            dustThreshold: uint128(dustThreshold) // Safe cast: dustThreshold <= 1e24 < 2^128.
        });
        emit EventsLib.LiquidationConfigSet(
            old.bonusRate, bonusRate, old.fundShare, fundShare, old.dustThreshold, dustThreshold
        );
    }

    /// @inheritdoc IRiskRegistry
    /// @dev Warning: the fund's asset is valued at 1 USD per whole token when it covers bad debt; it must be the
    /// settlement token (cash settles in it at par).
    /// @dev Refused while the current fund has vault cash it can claim: that cash belongs to its holders, and moving it
    /// to another fund would hand it to other holders. Claim it first, in the same timelock batch
    /// (`InsuranceFund.claimCash`, then this). Cash below one settlement-token unit stays the old fund's.
    function setInsuranceFund(address fund) external virtual onlyRole(RISK_ADMIN_ROLE) {
        address oldFund = _insuranceFund;
        if (oldFund != address(0) && oldFund != fund) {
            uint256 units = _claimableCash(oldFund);
            if (units != 0) revert ErrorsLib.InsuranceFundHoldsCash(oldFund, units);
        }
        address asset;
        uint8 decimals;
        if (fund != address(0)) {
            asset = IERC4626(fund).asset();
            decimals = IERC20Metadata(asset).decimals();
            // The fund's tokens back cash (they join the settlement pool when they cover bad debt).
            if (decimals > 18 || asset != _collaterals[_settlementId()].token) revert ErrorsLib.InvalidFundAsset(asset);
        }
        _insuranceFund = fund;
        _fundAsset = asset;
        _fundAssetDecimals = decimals;
        emit EventsLib.InsuranceFundSet(fund, asset, oldFund);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IRiskRegistry
    function assetConfig(uint256 asset) external view returns (AssetConfig memory) {
        _checkAssetListed(asset);
        AssetOracle memory oracle = _assets[asset];
        return AssetConfig({
            feed: oracle.feed,
            scan: oracle.scan,
            feedDecimals: oracle.feedDecimals,
            heartbeat: oracle.heartbeat,
            // Safe cast: at most (2^64 - 1) * 1e9 < 2^128.
            maxPrice: uint128(_maxPrices[asset] * MAX_PRICE_UNIT)
        });
    }

    /// @inheritdoc IRiskRegistry
    function collateralConfig(address token) external view returns (CollateralConfig memory) {
        return _collaterals[_collateralId(token)];
    }

    /// @inheritdoc IRiskRegistry
    function marketConfig(uint256 market) external view returns (MarketConfig memory) {
        _checkMarketListed(market);
        (uint256 asset, uint256 k) = ListingLib.unpackMarket(_marketRisk[market]);
        MarketState storage config = _markets[market];
        return MarketConfig({
            asset: uint8(asset), // Safe cast: unpacked from 8 bits.
            k: uint64(k), // Safe cast: unpacked from 64 bits.
            openInterestCap: config.openInterestCap,
            openInterest: config.openInterest
        });
    }

    /// @inheritdoc IRiskRegistry
    function correlation(uint256 assetA, uint256 assetB) external view returns (int256) {
        _checkAssetListed(assetA);
        _checkAssetListed(assetB);
        if (assetA == assetB) return int256(WAD);
        (uint256 a, uint256 b) = assetA < assetB ? (assetA, assetB) : (assetB, assetA);
        return _rho[MarginLib.pairIndex(a, b)];
    }

    /// @inheritdoc IRiskRegistry
    function listingCounts() external view returns (uint256 assets, uint256 collaterals, uint256 markets) {
        return (_assetCount, _collateralCount, _marketCount);
    }

    /// @inheritdoc IRiskRegistry
    function imFactor() external view returns (uint256) {
        return _imFactor;
    }

    /// @inheritdoc IRiskRegistry
    function sequencer() external view returns (address feed, uint256 gracePeriod) {
        return (_sequencerFeed, _gracePeriod);
    }

    /// @inheritdoc IRiskRegistry
    function liquidationConfig() external view returns (uint256 bonusRate, uint256 fundShare, uint256 dustThreshold) {
        LiquidationParams memory params = _liquidation;
        return (params.bonusRate, params.fundShare, params.dustThreshold);
    }

    // ---------------------------------------------------------------- internal

    function _setAssetOracle(uint256 asset, address feed, uint256 heartbeat, uint256 maxPrice) private {
        if (feed == address(0)) revert ErrorsLib.ZeroAddress();
        if (heartbeat == 0 || heartbeat > MAX_HEARTBEAT) revert ErrorsLib.InvalidHeartbeat(heartbeat);
        if (maxPrice == 0 || maxPrice % MAX_PRICE_UNIT != 0 || maxPrice / MAX_PRICE_UNIT > type(uint64).max) {
            revert ErrorsLib.InvalidMaxPrice(maxPrice);
        }
        uint8 feedDecimals = AggregatorV3Interface(feed).decimals();
        if (feedDecimals > 18) revert ErrorsLib.InvalidFeedDecimals(feed, feedDecimals);
        // A bound below the price the feed answers now would halt every account holding the asset. Only the answer is
        // read (not its age): a stale feed is exactly when its settings may need to change.
        (, int256 answer,,,) = AggregatorV3Interface(feed).latestRoundData();
        uint256 scale = 10 ** (18 - feedDecimals);
        // Cast: answer > 0. raw * scale > maxPrice exactly when raw > floor(maxPrice / scale), without overflow.
        if (answer > 0 && uint256(answer) > maxPrice / scale) {
            uint256 oraclePrice =
                uint256(answer) > type(uint256).max / scale ? type(uint256).max : uint256(answer) * scale;
            revert ErrorsLib.MaxPriceBelowOraclePrice(asset, maxPrice, oraclePrice);
        }
        AssetOracle storage config = _assets[asset];
        config.feed = feed;
        config.feedDecimals = feedDecimals;
        config.heartbeat = uint24(heartbeat); // Safe cast: heartbeat <= 7 days < 2^24.
        _maxPrices[asset] = uint64(maxPrice / MAX_PRICE_UNIT); // Safe cast: checked to fit just above.
        _checkAssetRange(asset);
    }

    /// @dev `account`'s positive vault cash in whole settlement-token units (what it can withdraw as tokens).
    function _claimableCash(address account) internal view virtual returns (uint256);

    // ---------------------------------------------------------------- internal: governance

    /// @dev The caller's path for a bounded change (the most privileged role it holds). Reverts for a caller with none,
    /// naming the least role that may make the change.
    function _riskPath() internal view returns (Path) {
        if (hasRole(RISK_ADMIN_ROLE, msg.sender)) return Path.Admin;
        if (hasRole(RISK_STEWARD_ROLE, msg.sender)) return Path.Steward;
        if (hasRole(GUARDIAN_ROLE, msg.sender)) return Path.Guardian;
        revert AccessControlUnauthorizedAccount(msg.sender, RISK_STEWARD_ROLE);
    }

    /// @dev `_checkRiskChangeSigned` for a parameter that is never negative (every value is below 2^128).
    function _checkRiskChange(
        Path path,
        IRiskGovernance.RiskParam param,
        uint256 id,
        uint256 oldValue,
        uint256 newValue,
        Tighter tighter
    ) internal {
        // Casts: the values are bounded by the registry (at most 2^128 - 1, a cap), far below 2^255.
        _checkRiskChangeSigned(path, param, id, int256(oldValue), int256(newValue), tighter);
    }

    /// @dev Checks a change of parameter `param` of `id` from `oldValue` to `newValue` against the caller's path, and
    /// records when it happened. An unchanged value is no change (neither checked nor recorded), so that a setter of
    /// two values may move one of them. The steward and the guardian move a parameter at most once per
    /// `_riskInterval` and by at most `_riskStep` times its value (times 1e18 for a correlation, which lives in
    /// [-1, 1] and crosses zero); a parameter at zero can only leave it through the timelock. The guardian only in the
    /// `tighter` direction.
    function _checkRiskChangeSigned(
        Path path,
        IRiskGovernance.RiskParam param,
        uint256 id,
        int256 oldValue,
        int256 newValue,
        Tighter tighter
    ) internal {
        if (oldValue == newValue) return;
        uint256 key = _riskKey(param, id);
        if (path != Path.Admin) {
            if (
                path == Path.Guardian
                    && (tighter == Tighter.Never || (tighter == Tighter.Up) != (newValue > oldValue))
            ) revert ErrorsLib.GuardianCannotLoosen(uint8(param), id, oldValue, newValue);
            uint256 changedAt = _lastRiskChange[key];
            uint256 nextChangeAt = changedAt + _riskInterval;
            if (changedAt != 0 && block.timestamp < nextChangeAt) {
                revert ErrorsLib.RiskChangeTooSoon(uint8(param), id, nextChangeAt);
            }
            // Casts: |values| < 2^128 (see the callers), so the differences and absolute values fit.
            uint256 delta = uint256(newValue > oldValue ? newValue - oldValue : oldValue - newValue);
            uint256 base = param == IRiskGovernance.RiskParam.Correlation
                ? WAD
                : uint256(oldValue < 0 ? -oldValue : oldValue);
            // Rounds down: the step allowed is never more than the configured fraction.
            uint256 maxDelta = base * _riskStep / WAD;
            if (delta > maxDelta) revert ErrorsLib.RiskStepExceeded(uint8(param), id, oldValue, newValue, maxDelta);
        }
        _lastRiskChange[key] = block.timestamp;
    }

    /// @dev The key of parameter `param` of `id` in `_lastRiskChange`.
    function _riskKey(IRiskGovernance.RiskParam param, uint256 id) internal pure returns (uint256) {
        return uint256(param) << 128 | id;
    }

    function _setRiskSteps(uint256 maxStep, uint256 minInterval) internal {
        if (maxStep > MAX_RISK_STEP || minInterval < MIN_RISK_INTERVAL || minInterval > MAX_RISK_INTERVAL) {
            revert ErrorsLib.InvalidRiskSteps(maxStep, minInterval);
        }
        emit EventsLib.RiskStepsSet(_riskStep, maxStep, _riskInterval, minInterval);
        _riskStep = uint64(maxStep); // Safe cast: maxStep <= 0.5e18 < 2^64.
        _riskInterval = uint32(minInterval); // Safe cast: minInterval <= 30 days < 2^32.
    }

    function _setPriceBand(uint256 bandBps) internal {
        if (bandBps == 0 || bandBps > MAX_PRICE_BAND_BPS) revert ErrorsLib.InvalidPriceBand(bandBps);
        emit EventsLib.PriceBandSet(_priceBandBps, bandBps);
        _priceBandBps = uint16(bandBps); // Safe cast: bandBps <= 5,000.
    }

    /// @dev Bounds the largest exposure any account can have to `asset`: every collateral cap and every
    /// open-interest cap of the asset (in WAD units), valued at its maximum price.
    function _checkAssetRange(uint256 asset) private view {
        uint256 maxPrice = _maxPrices[asset] * MAX_PRICE_UNIT;
        uint256 units;
        for (uint256 c; c < _collateralCount; ++c) {
            CollateralConfig storage config = _collaterals[c];
            if (config.asset == asset) units += uint256(config.depositCap) * 10 ** (18 - config.decimals);
        }
        for (uint256 m; m < _marketCount; ++m) {
            (uint256 marketAsset,) = ListingLib.unpackMarket(_marketRisk[m]);
            if (marketAsset == asset) units += _markets[m].openInterestCap;
        }
        // units * maxPrice > MAX_EXPOSURE * WAD exactly when units > floor(MAX_EXPOSURE * WAD / maxPrice), and
        // the division form cannot overflow however large the caps (maxPrice > 0 is checked at listing).
        if (units > MAX_EXPOSURE * WAD / maxPrice) revert ErrorsLib.AssetCapsExceedRange(asset, units, maxPrice);
    }

    function _checkScan(uint256 scan) private pure {
        if (scan == 0 || scan > WAD) revert ErrorsLib.InvalidScan(scan);
    }

    function _checkAssetListed(uint256 asset) internal view {
        if (asset >= _assetCount) revert ErrorsLib.AssetNotListed(asset);
    }

    function _checkMarketListed(uint256 market) internal view {
        if (market >= _marketCount) revert ErrorsLib.MarketNotListed(market);
    }

    /// @dev The settlement token's collateral id (the first collateral listed on the USD asset).
    function _settlementId() internal view returns (uint256) {
        uint256 idPlusOne = _settlementIdPlusOne;
        if (idPlusOne == 0) revert ErrorsLib.NoSettlementToken();
        return idPlusOne - 1;
    }

    function _collateralId(address token) internal view returns (uint256) {
        uint256 idPlusOne = _collateralIdPlusOne[token];
        if (idPlusOne == 0) revert ErrorsLib.CollateralNotListed(token);
        return idPlusOne - 1;
    }
}
