// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IRiskRegistry} from "./interfaces/IRiskRegistry.sol";
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
    MAX_PRICE_UNIT
} from "./libraries/ConstantsLib.sol";

/// @title RiskRegistry
/// @notice The vault's risk configuration: assets and their feeds, correlations, collateral tokens, markets
/// and the initial margin factor. Every value is bounds-checked and every change emits an event.
/// @dev Caps are kept so that, at every asset's maximum price, no account's exposure to that asset can exceed
/// MAX_EXPOSURE, the range inside which the margin engine is exact (spec §4).
abstract contract RiskRegistry is IRiskRegistry, AccessControl {
    using SafeCast for uint256;

    /// @notice May change the risk configuration.
    bytes32 public constant RISK_ADMIN_ROLE = keccak256("RISK_ADMIN_ROLE");
    /// @notice May pause and unpause new risk.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice May settle trades (the settlement contract, which authenticates the orders).
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");

    /// @dev The liquidation bonus rate and the fund's share of the bonus (WAD), and the dust threshold (WAD USD).
    struct LiquidationParams {
        uint64 bonusRate;
        uint64 fundShare;
        uint128 dustThreshold;
    }

    /// @dev What a margin computation reads of an asset besides its maximum price, in one slot.
    struct AssetOracle {
        address feed;
        uint64 scan;
        uint8 feedDecimals;
        uint24 heartbeat;
    }

    uint256 private constant MAX_PAIRS = MAX_ASSETS * (MAX_ASSETS - 1) / 2;

    mapping(uint256 asset => AssetOracle) internal _assets;
    /// @dev Maximum prices in units of MAX_PRICE_UNIT, four to a slot (a margin computation over six assets
    /// reads two slots for them).
    uint64[MAX_ASSETS] internal _maxPrices;
    mapping(uint256 collateralId => CollateralConfig) internal _collaterals;
    mapping(address token => uint256) internal _collateralIdPlusOne;
    mapping(uint256 market => MarketConfig) internal _markets;
    /// @dev Packed copies of what a margin computation reads of each collateral token (ListingLib), three to a
    /// slot; `_collaterals` keeps the full records. Written together with them.
    uint80[MAX_COLLATERALS] internal _collateralRisk;
    /// @dev Packed copies of what a margin computation reads of each market (ListingLib), three to a slot;
    /// `_markets` keeps the full records. Written together with them.
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

    constructor(address admin, uint256 imFactor_) {
        if (admin == address(0)) revert ErrorsLib.ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setImFactor(imFactor_);
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
    function setAssetOracle(uint256 asset, address feed, uint256 heartbeat, uint256 maxPrice)
        external virtual
        onlyRole(RISK_ADMIN_ROLE)
    {
        _checkAssetListed(asset);
        _setAssetOracle(asset, feed, heartbeat, maxPrice);
        emit EventsLib.AssetOracleSet(asset, feed, heartbeat, maxPrice);
    }

    /// @inheritdoc IRiskRegistry
    function setAssetScan(uint256 asset, uint256 scan) external virtual onlyRole(RISK_ADMIN_ROLE) {
        _checkAssetListed(asset);
        _checkScan(scan);
        _assets[asset].scan = uint64(scan); // Safe cast: scan <= WAD < 2^64.
        emit EventsLib.AssetScanSet(asset, scan);
    }

    /// @inheritdoc IRiskRegistry
    function setCorrelation(uint256 assetA, uint256 assetB, int256 rho) external virtual onlyRole(RISK_ADMIN_ROLE) {
        _checkAssetListed(assetA);
        _checkAssetListed(assetB);
        if (assetA == assetB || rho > int256(WAD) || rho < -int256(WAD)) {
            revert ErrorsLib.InvalidCorrelation(assetA, assetB, rho);
        }
        (uint256 a, uint256 b) = assetA < assetB ? (assetA, assetB) : (assetB, assetA);
        _rho[MarginLib.pairIndex(a, b)] = int64(rho); // Safe cast: |rho| <= WAD < 2^63.
        emit EventsLib.CorrelationSet(a, b, rho);
    }

    /// @inheritdoc IRiskRegistry
    function setImFactor(uint256 imFactor_) external virtual onlyRole(RISK_ADMIN_ROLE) {
        _setImFactor(imFactor_);
    }

    /// @inheritdoc IRiskRegistry
    function setSequencerFeed(address sequencerFeed, uint256 gracePeriod) external virtual onlyRole(RISK_ADMIN_ROLE) {
        if (gracePeriod > MAX_GRACE_PERIOD) revert ErrorsLib.InvalidGracePeriod(gracePeriod);
        _sequencerFeed = sequencerFeed;
        _gracePeriod = uint32(gracePeriod); // Safe cast: gracePeriod <= 1 day.
        emit EventsLib.SequencerFeedSet(sequencerFeed, gracePeriod);
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
    function setCollateral(address token, uint256 haircut, uint256 depositCap) external virtual onlyRole(RISK_ADMIN_ROLE) {
        CollateralConfig storage config = _collaterals[_collateralId(token)];
        if (haircut > MAX_HAIRCUT) revert ErrorsLib.InvalidHaircut(haircut);
        config.haircut = uint64(haircut); // Safe cast: haircut <= WAD.
        config.depositCap = depositCap.toUint128();
        _collateralRisk[_collateralId(token)] = ListingLib.packCollateral(config.asset, config.decimals, haircut);
        _checkAssetRange(config.asset);
        emit EventsLib.CollateralSet(token, haircut, depositCap);
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
        _markets[market] = MarketConfig({
            asset: uint8(asset), // Safe cast: asset < MAX_ASSETS.
            k: uint64(k), // Safe cast: k <= WAD.
            openInterestCap: openInterestCap.toUint128(),
            openInterest: 0
        });
        _marketRisk[market] = ListingLib.packMarket(asset, k);
        _checkAssetRange(asset);
        emit EventsLib.MarketListed(market, asset, k, openInterestCap);
    }

    /// @inheritdoc IRiskRegistry
    function setMarket(uint256 market, uint256 k, uint256 openInterestCap) external virtual onlyRole(RISK_ADMIN_ROLE) {
        _checkMarketListed(market);
        if (k > MAX_CONTINGENCY) revert ErrorsLib.InvalidContingency(k);
        MarketConfig storage config = _markets[market];
        config.k = uint64(k); // Safe cast: k <= WAD.
        config.openInterestCap = openInterestCap.toUint128();
        _marketRisk[market] = ListingLib.packMarket(config.asset, k);
        _checkAssetRange(config.asset);
        emit EventsLib.MarketSet(market, k, openInterestCap);
    }

    // ---------------------------------------------------------------- liquidation

    /// @inheritdoc IRiskRegistry
    function setLiquidationConfig(uint256 bonusRate, uint256 fundShare, uint256 dustThreshold)
        external
        virtual
        onlyRole(RISK_ADMIN_ROLE)
    {
        if (bonusRate > MAX_LIQUIDATION_BONUS || fundShare > WAD || dustThreshold > MAX_DUST_THRESHOLD) {
            revert ErrorsLib.InvalidLiquidationConfig(bonusRate, fundShare, dustThreshold);
        }
        _liquidation = LiquidationParams({
            bonusRate: uint64(bonusRate), // Safe cast: bonusRate <= 0.5e18 < 2^64.
            fundShare: uint64(fundShare), // Safe cast: fundShare <= 1e18 < 2^64.
            dustThreshold: uint128(dustThreshold) // Safe cast: dustThreshold <= 1e24 < 2^128.
        });
        emit EventsLib.LiquidationConfigSet(bonusRate, fundShare, dustThreshold);
    }

    /// @inheritdoc IRiskRegistry
    /// @dev Warning: the fund's asset is valued at 1 USD per whole token when it covers bad debt; it must be the
    /// settlement token (cash settles in it at par).
    function setInsuranceFund(address fund) external virtual onlyRole(RISK_ADMIN_ROLE) {
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
        emit EventsLib.InsuranceFundSet(fund, asset);
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
        return _markets[market];
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
        AssetOracle storage config = _assets[asset];
        config.feed = feed;
        config.feedDecimals = feedDecimals;
        config.heartbeat = uint24(heartbeat); // Safe cast: heartbeat <= 7 days < 2^24.
        _maxPrices[asset] = uint64(maxPrice / MAX_PRICE_UNIT); // Safe cast: checked to fit just above.
        _checkAssetRange(asset);
    }

    function _setImFactor(uint256 imFactor_) private {
        if (imFactor_ < WAD || imFactor_ > MAX_IM_FACTOR) revert ErrorsLib.InvalidImFactor(imFactor_);
        _imFactor = uint64(imFactor_); // Safe cast: imFactor <= 10e18 < 2^64.
        emit EventsLib.ImFactorSet(imFactor_);
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
            MarketConfig storage config = _markets[m];
            if (config.asset == asset) units += config.openInterestCap;
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
