// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICashSettlement
/// @notice The MarginVault's cash settlement in the settlement token (USDC, the first collateral listed on the USD
/// asset), served at the vault's address: the vault's fallback runs its CashModule by delegatecall. Cash settles at
/// par (1 token unit = 10^(18 - decimals) of WAD cash). Positive cash is paid out by the vault's `withdraw`
/// (balance first, then cash, from the settlement pool). See docs/cash.md.
interface ICashSettlement {
    /// @notice RISK_ADMIN_ROLE. Sets the settlement discount (WAD, <= MAX_SETTLEMENT_DISCOUNT = 5%) at which a
    /// debtor's collateral is sold for settlement tokens (`buyDebtorCollateral`), and the liquidation grace period (seconds, <= 4 hours)
    /// during which liquidations stay stopped after a pause is lifted.
    function setCashConfig(uint256 settlementDiscount, uint256 liquidationGracePeriod) external;

    /// @notice Nets `account`'s negative cash against its own settlement-token balance, into the settlement pool.
    /// Permissionless: it never changes the account's equity (1 token = 1 USD of cash) and it lowers its margin
    /// requirement's haircut on the tokens it uses.
    /// @return units The settlement-token units moved from the account's balance to the pool.
    function settleCash(address account) external returns (uint256 units);

    /// @notice Buys up to `amount` (token units) of `debtor`'s collateral `token` for settlement tokens at the oracle
    /// price less the settlement discount; the tokens paid go to the settlement pool and to the debtor's cash.
    /// @dev Allowed only while the pool cannot pay `creditor`'s withdrawable cash (its positive cash, at most its
    /// equity above initial margin), only up to what the pool lacks for it and up to the debtor's negative cash after
    /// its own settlement tokens are netted, and only when the debtor ends healthy (E >= MM) or with a higher E - MM.
    /// `amount` is cut down to those limits. The caller approves the vault for the settlement tokens.
    /// @param debtor The account whose collateral is sold (negative cash beyond its settlement-token balance).
    /// @param token The collateral token bought (not the settlement token).
    /// @param amount The most the caller buys, in `token` units.
    /// @param creditor An account with positive withdrawable cash the pool cannot pay.
    /// @return bought The `token` units transferred to the caller.
    /// @return paid The settlement-token units the caller paid.
    function buyDebtorCollateral(address debtor, address token, uint256 amount, address creditor)
        external
        returns (uint256 bought, uint256 paid);

    /// @notice The settlement pool (settlement-token units) and the settlement token.
    function cashPool() external view returns (uint256 pool, address token);

    /// @notice When the vault was last unpaused (0 if never) and the first second liquidations are allowed again.
    function liquidationResumesAt() external view returns (uint256 unpausedAt, uint256 resumesAt);

    /// @notice The settlement discount (WAD) and the liquidation grace period after a pause (seconds).
    function cashConfig() external view returns (uint256 settlementDiscount, uint256 liquidationGracePeriod);
}
