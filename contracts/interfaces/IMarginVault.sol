// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMarginVault
/// @notice A multi-collateral account vault whose margin is computed on the whole portfolio
/// (`spec/margin-model.md`, v1): correlated assets offset, hedges free capital, and the requirement is the
/// worst of three correlation regimes.
/// @dev Warning: prices come from Chainlink-compatible feeds; a feed that reports a wrong price makes every
/// figure here wrong. Staleness, incomplete rounds, non-positive answers, prices above the listed maximum and
/// (on L2s) a down sequencer make every margin computation revert rather than use a bad price.
/// @dev Warning: collateral tokens must be plain ERC20s. Fee-on-transfer tokens are refused at deposit;
/// rebasing tokens must not be listed (balances are recorded in token units).
import {IRiskRegistry} from "./IRiskRegistry.sol";

/// @dev The risk configuration and its views are in IRiskRegistry; cash settlement (served through the vault's
/// fallback by its CashModule) in ICashSettlement.
interface IMarginVault is IRiskRegistry {
    /// @notice The full margin breakdown of an account (spec §3-§6). Arrays are indexed by asset id; bit `a`
    /// of `touchedAssets` is set when asset `a` appears in the account's collateral or positions.
    struct AccountMargin {
        int256 equity;
        uint256 maintenanceMargin;
        uint256 initialMargin;
        uint256 kLow;
        uint256 kMedium;
        uint256 kHigh;
        uint256 k;
        uint256 addOns;
        uint256 isolatedMaintenanceMargin;
        uint256 touchedAssets;
        int256[] exposures;
        int256[] weightedSensitivities;
    }

    /// @notice What one liquidation moved (see `liquidate`).
    struct Liquidation {
        // The fraction of every position and collateral balance that moved (WAD), after the close factor.
        uint256 fraction;
        // What the liquidator paid the account for the slice at oracle prices (WAD USD; negative for shorts).
        int256 value;
        // The account's maintenance margin the slice released (WAD USD).
        uint256 mmReleased;
        // bonusRate x mmReleased, rounded down, at most a solvent account's equity (WAD USD).
        uint256 bonus;
        // The insurance fund's share of the bonus (WAD USD), zero for an insolvent account.
        uint256 fundShare;
    }

    /// @notice A liquidation as `previewLiquidation` sees it: what would move, and both parties after it.
    struct LiquidationPreview {
        uint256 fraction;
        int256 value;
        uint256 mmReleased;
        uint256 bonus;
        uint256 fundShare;
        // The close factor: the largest fraction one call may take (WAD); zero when the account is healthy.
        uint256 maxFraction;
        int256 equity;
        uint256 maintenanceMargin;
        uint256 initialMargin;
        int256 liquidatorEquity;
        uint256 liquidatorMaintenanceMargin;
        uint256 liquidatorInitialMargin;
    }

    // ---------------------------------------------------------------- guardian (GUARDIAN_ROLE)

    /// @notice Stops new risk: third-party deposits and trades that add risk, and stops liquidations. Never stops an
    /// account's (or its operator's) deposits, withdrawals of healthy accounts or cash settlement.
    function pause() external;

    /// @notice Lifts a pause. Liquidations resume after the liquidation grace period (`liquidationResumesAt`).
    function unpause() external;

    // ---------------------------------------------------------------- accounts

    /// @notice Approves or revokes `operator` to withdraw and trade for the caller.
    function setOperator(address operator, bool approved) external;

    /// @notice Deposits `amount` of a listed `token` from the caller to `account`'s balance. The caller must be
    /// `account` or its operator, or else `account` must already hold `token` and the vault must not be paused.
    /// @dev Reverts with `TransferShortfall` when the vault receives less than `amount` (fee-on-transfer). The
    /// balance is credited after the tokens arrive.
    function deposit(address token, uint256 amount, address account) external;

    /// @notice Withdraws `amount` of `token` from `account` to `receiver`. The caller must be `account` or an
    /// operator it approved, and `account` must have equity >= initial margin afterwards. In the settlement token,
    /// what exceeds the balance is paid from the account's positive cash (1 token unit = 10^(18 - decimals) of cash)
    /// out of the settlement pool; it reverts `SettlementPoolShort` when the pool holds less, and
    /// `CashPayoutAboveProfit` when it would pay more than the account's profit and loss (a short's sale proceeds).
    function withdraw(address token, uint256 amount, address account, address receiver) external;

    // ---------------------------------------------------------------- trades (SETTLER_ROLE)

    /// @notice Settles a trade of `size` (WAD base units, > 0) of `market` from `seller` to `buyer` at `price`
    /// (WAD, > 0): the buyer's position grows by `size` and its cash falls by mulDown(size, price), the seller's
    /// position and cash move by the exact opposite amounts (spec §2), so cash is conserved to the wei.
    /// @dev Only the settlement contract (SETTLER_ROLE) calls this, after checking both orders, their
    /// authorisation and the price band. The vault checks what it owns: a long open interest above the cap is
    /// refused (unless the trade lowers it); while paused, only a trade that shrinks both positions without
    /// flipping them is accepted; afterwards each side must pass spec §5: E >= IM, or the trade strictly lowered
    /// that side's MM, did not lower its E - MM and left its equity non-negative.
    function settle(address buyer, address seller, uint256 market, uint256 size, uint256 price) external;

    // ---------------------------------------------------------------- liquidation

    /// @notice Liquidates the slice `fraction` of `account` (E < MM): the caller takes the same fraction of every
    /// position and every collateral balance of the account (each rounded up to a whole unit), pays for it in
    /// cash at oracle prices, and receives a bonus of bonusRate x the maintenance margin the slice released, paid
    /// by the account; the insurance fund's share of the bonus is credited to the fund. The account's equity falls
    /// by the bonus only, its E - MM rises by at least (1 - bonusRate) x the MM released.
    /// @dev Stopped while paused and for the liquidation grace period after (`LiquidationPaused`,
    /// `LiquidationGracePeriod`). `fraction` is clamped to `maxLiquidationFraction(account)`, so a call never takes
    /// more than restoring initial margin needs, and never reverts because the account trimmed its book first.
    /// @dev A solvent account (E >= 0) pays at most its equity: it never ends below zero and the fund pays nothing
    /// for it. An insolvent account (E < 0) loses its whole portfolio; the fund pays its shortfall before the call
    /// plus the bonus (from the fund's vault cash, then its tokens, 1 token = 1 USD, joining the settlement pool, then as unbacked
    /// `badDebt`)
    /// and the account ends at exactly zero. The caller must be at or above its initial margin afterwards.
    /// @param account The account to liquidate (not the caller).
    /// @param fraction The requested fraction (WAD, > 0; above the close factor it is clamped).
    /// @return result What moved, the bonus and the fund's share.
    function liquidate(address account, uint256 fraction) external returns (Liquidation memory result);

    /// @notice The close factor of `account`: the smallest fraction (WAD, rounded up) whose liquidation restores
    /// E >= IM, or 1e18 when the account is insolvent, when no fraction restores IM or when what would remain is
    /// below the dust threshold; zero when the account is healthy (E >= MM).
    function maxLiquidationFraction(address account) external view returns (uint256);

    /// @notice What `liquidate(account, fraction)` sent by the caller would do now: the fraction after the close
    /// factor, the slice's value, the MM released, the bonus and the fund's share, the account's and the
    /// caller's (the liquidator's) equity, MM and IM afterwards. Zero fraction, nothing moved, for a healthy account.
    /// @dev The liquidator is `msg.sender`: set `from` in an `eth_call`.
    function previewLiquidation(address account, uint256 fraction)
        external
        view
        returns (LiquidationPreview memory preview);

    // ---------------------------------------------------------------- views

    /// @notice The full margin breakdown of `account` at the current oracle prices.
    function accountMargin(address account) external view returns (AccountMargin memory);

    /// @notice Whether `account` is under maintenance margin (E < MM) at the current oracle prices.
    function isLiquidatable(address account) external view returns (bool);

    /// @notice The current WAD price of `asset` after every oracle check.
    function price(uint256 asset) external view returns (uint256);

    /// @notice Whether `operator` may act for `owner`.
    function isOperator(address owner, address operator) external view returns (bool);

    /// @notice `account`'s balance of collateral `token`, in token units.
    function collateralBalance(address account, address token) external view returns (uint256);

    /// @notice `account`'s signed position in `market` (WAD base units).
    function position(address account, uint256 market) external view returns (int256);

    /// @notice `account`'s signed settled USD cash (WAD).
    function cash(address account) external view returns (int256);

    /// @notice The insurance fund (zero when none) and the unbacked bad debt it still owes (WAD USD).
    function insurance() external view returns (address fund, uint256 badDebt);
}
