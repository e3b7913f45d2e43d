// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ITradeSettlement
/// @notice Authenticates signed orders and settles matched pairs of them on the MarginVault.
/// @dev Each side of a trade authorises it with an EIP-712 signature over its `Order` (an EOA's ECDSA signature
/// or an ERC-1271 smart wallet's), or by being the caller, or an operator the account approved in the vault.
/// Orders may be filled in parts: the filled amount is tracked per order hash.
/// @dev Warning: the price band is checked against the vault's oracle price, so a wrong feed lets trades settle
/// at a wrong price (within the band of the wrong price).
interface ITradeSettlement {
    /// @notice An order: `account` offers to trade up to |size| (WAD base units) of `market`, buying when `size`
    /// > 0 and selling when < 0, at `limitPrice` (WAD) or better, until `expiry` (unix seconds, inclusive).
    /// `nonce` makes equal orders distinct and lets the account invalidate orders in bulk.
    struct Order {
        address account;
        uint256 market;
        int256 size;
        uint256 limitPrice;
        uint256 nonce;
        uint256 expiry;
    }

    /// @notice Settles `size` (WAD base units, > 0) between a buy order and a sell order of the same market at
    /// `price` (WAD). Each order must be authorised (a valid signature, or a caller that is the account or its
    /// operator, in which case the signature may be empty), not expired, cancelled or invalidated by nonce, and
    /// have `size` left to fill; `price` must be at or under the buy's limit, at or over the sell's, and inside
    /// the price band around the oracle price. The vault then applies its own checks (spec §5 per side,
    /// open-interest caps, pause).
    /// @param buy The buy order (size > 0).
    /// @param buySignature The buy order's signature (may be empty when the caller is its account or operator).
    /// @param sell The sell order (size < 0).
    /// @param sellSignature The sell order's signature (may be empty when the caller is its account or operator).
    /// @param size The amount to fill (WAD base units).
    /// @param price The trade price (WAD).
    function settleTrade(
        Order calldata buy,
        bytes calldata buySignature,
        Order calldata sell,
        bytes calldata sellSignature,
        uint256 size,
        uint256 price
    ) external;

    /// @notice Cancels `order`; only its account (or an operator it approved in the vault) may.
    function cancelOrder(Order calldata order) external;

    /// @notice Invalidates every order of the caller with a nonce below `minNonce`; it can only increase.
    function invalidateNonces(uint256 minNonce) external;

    /// @notice The EIP-712 hash of `order`, the key of its fill and cancellation records.
    function hashOrder(Order calldata order) external view returns (bytes32);

    /// @notice The amount of the order with hash `orderHash` filled so far (WAD base units).
    function filled(bytes32 orderHash) external view returns (uint256);

    /// @notice Whether the order with hash `orderHash` was cancelled.
    function cancelled(bytes32 orderHash) external view returns (bool);

    /// @notice The least nonce of `account`'s orders that is still accepted.
    function minNonce(address account) external view returns (uint256);

    /// @notice The vault's price band, in basis points of the oracle price (the vault checks it for every settler;
    /// its risk configuration sets it: IRiskGovernance.setPriceBand).
    function priceBand() external view returns (uint256);

    /// @notice The vault this contract settles on.
    function vault() external view returns (address);
}
