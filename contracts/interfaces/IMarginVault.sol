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

    /// @notice One thing a liquidator takes over: `amount` of the account's position in market `id` (WAD base
    /// units, the absolute size; the liquidator takes the account's side), or, when `collateral` is true,
    /// `amount` (token units) of its balance of the collateral token whose collateral id is `id`.
    struct LiquidationItem {
        bool collateral;
        uint256 id;
        uint256 amount;
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
    /// out of the settlement pool; it reverts `SettlementPoolShort` when the pool holds less.
    function withdraw(address token, uint256 amount, address account, address receiver) external;

    // ---------------------------------------------------------------- trades (SETTLER_ROLE)

    /// @notice Settles a trade of `size` (WAD base units, > 0) of `market` from `seller` to `buyer` at `price`
    /// (WAD, > 0): the buyer's position grows by `size` and its cash falls by mulDown(size, price), the seller's
    /// position and cash move by the exact opposite amounts (spec §2), so cash is conserved to the wei.
    /// @dev Only the settlement contract (SETTLER_ROLE) calls this, after checking both orders, their
    /// authorisation and the price band. The vault checks what it owns: a long open interest above the cap is
    /// refused (unless the trade lowers it); while paused, only a trade that shrinks both positions without
    /// flipping them is accepted; afterwards each side must pass spec §5: E >= IM, or the trade strictly lowered
    /// that side's MM and did not lower its E - MM.
    function settle(address buyer, address seller, uint256 market, uint256 size, uint256 price) external;

    // ---------------------------------------------------------------- liquidation

    /// @notice Liquidates `account` (E < MM): the caller takes over each item at the oracle price improved by
    /// the item's liquidation discount, the account pays a penalty (penalty rate times the liquidated notional at
    /// oracle prices), split between the caller and the insurance fund.
    /// @dev Stopped while paused and for the liquidation grace period after (`LiquidationPaused`,
    /// `LiquidationGracePeriod`). Partial liquidation rule, kept simple and checkable in one pass: items are
    /// applied in order, and before the last item (when there are several) the account's margin is computed,
    /// the penalty on the items so far included; if it is already back at E >= IM the last item was not needed
    /// and the liquidation reverts, unless the account was insolvent (E < 0) before the liquidation or what it
    /// still holds then (gross notional of its positions plus its collateral value) is below the dust threshold.
    /// A liquidator therefore never takes more items than needed to restore initial margin; within an item it
    /// chooses the size (a keeper sizes the last item to what is needed).
    /// @dev Afterwards the account's E - MM must be higher than before, and the caller must be at or above its
    /// initial margin. When the account is left with no position, no collateral and negative equity, the
    /// shortfall is paid, in order, from the fund's vault cash, from the fund's tokens (pulled into the vault,
    /// 1 token = 1 USD of cash, joining the settlement pool), and what is left is recorded as unbacked `badDebt` (future
    /// fund penalty shares repay it first);
    /// the account ends at exactly zero equity.
    /// @param account The account to liquidate (not the caller).
    /// @param items What to take over, in order (at least one).
    /// @return penalty The penalty charged to the account (WAD USD).
    function liquidate(address account, LiquidationItem[] calldata items) external returns (uint256 penalty);

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
