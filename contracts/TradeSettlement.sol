// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IMarginVault} from "./interfaces/IMarginVault.sol";
import {IRiskGovernance} from "./interfaces/IRiskGovernance.sol";
import {ITradeSettlement} from "./interfaces/ITradeSettlement.sol";
import {ErrorsLib} from "./libraries/ErrorsLib.sol";
import {EventsLib} from "./libraries/EventsLib.sol";

/// @title TradeSettlement
/// @notice Order authentication and bookkeeping for the MarginVault, which it calls through its SETTLER_ROLE
/// entry `settle`. Kept apart from the vault so that the vault's bytecode stays under the size limit.
/// @dev Entry points follow one order: validate, update, compute, emit, call the vault. The price band is the vault's:
/// it checks every settler's trades (IRiskGovernance.priceBand).
contract TradeSettlement is ITradeSettlement, EIP712 {
    bytes32 internal constant ORDER_TYPEHASH = keccak256(
        "Order(address account,uint256 market,int256 size,uint256 limitPrice,uint256 nonce,uint256 expiry)"
    );

    /// @inheritdoc ITradeSettlement
    address public immutable vault;

    /// @dev The top bit of an order's word in `_orders`, set once it is cancelled. No filled amount reaches it: a fill
    /// total is at most |size| <= 2^255 - 1 (a sell of type(int256).min cannot be negated and is refused).
    uint256 private constant CANCELLED = 1 << 255;

    /// @dev Per order hash, the amount filled so far and the CANCELLED bit: one slot, as every fill reads both.
    mapping(bytes32 orderHash => uint256) private _orders;
    /// @inheritdoc ITradeSettlement
    mapping(address account => uint256) public minNonce;

    /// @param vault_ The vault, which must grant this contract SETTLER_ROLE.
    constructor(address vault_) EIP712("PortfolioMargin TradeSettlement", "1") {
        if (vault_ == address(0)) revert ErrorsLib.ZeroAddress();
        vault = vault_;
    }

    /// @inheritdoc ITradeSettlement
    function settleTrade(
        Order calldata buy,
        bytes calldata buySignature,
        Order calldata sell,
        bytes calldata sellSignature,
        uint256 size,
        uint256 price
    ) external {
        if (buy.market != sell.market) revert ErrorsLib.MarketMismatch(buy.market, sell.market);
        if (size == 0) revert ErrorsLib.ZeroAmount();
        bytes32 buyHash = hashOrder(buy);
        bytes32 sellHash = hashOrder(sell);
        if (buy.size <= 0) revert ErrorsLib.InvalidOrderSide(buyHash, buy.size);
        if (sell.size >= 0) revert ErrorsLib.InvalidOrderSide(sellHash, sell.size);
        if (price > buy.limitPrice) revert ErrorsLib.LimitPriceExceeded(buyHash, buy.limitPrice, price);
        if (price < sell.limitPrice) revert ErrorsLib.LimitPriceExceeded(sellHash, sell.limitPrice, price);
        uint256 buyFilled = _fill(buy, buyHash, buySignature, size);
        uint256 sellFilled = _fill(sell, sellHash, sellSignature, size);

        emit EventsLib.OrderFilled(buyHash, buy.account, size, buyFilled);
        emit EventsLib.OrderFilled(sellHash, sell.account, size, sellFilled);

        IMarginVault(vault).settle(buy.account, sell.account, buy.market, size, price);
    }

    /// @inheritdoc ITradeSettlement
    function cancelOrder(Order calldata order) external {
        _checkCaller(order.account);
        bytes32 orderHash = hashOrder(order);
        _orders[orderHash] |= CANCELLED;
        emit EventsLib.OrderCancelled(orderHash, order.account);
    }

    /// @inheritdoc ITradeSettlement
    function invalidateNonces(uint256 newMinNonce) external {
        uint256 current = minNonce[msg.sender];
        if (newMinNonce <= current) revert ErrorsLib.OrderNonceInvalidated(bytes32(0), newMinNonce, current);
        minNonce[msg.sender] = newMinNonce;
        emit EventsLib.NoncesInvalidated(msg.sender, newMinNonce);
    }

    /// @inheritdoc ITradeSettlement
    function filled(bytes32 orderHash) external view returns (uint256) {
        return _orders[orderHash] & ~CANCELLED;
    }

    /// @inheritdoc ITradeSettlement
    function cancelled(bytes32 orderHash) external view returns (bool) {
        return _orders[orderHash] & CANCELLED != 0;
    }

    /// @inheritdoc ITradeSettlement
    function priceBand() external view returns (uint256) {
        return IRiskGovernance(vault).priceBand();
    }

    /// @inheritdoc ITradeSettlement
    function hashOrder(Order calldata order) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ORDER_TYPEHASH,
                    order.account,
                    order.market,
                    order.size,
                    order.limitPrice,
                    order.nonce,
                    order.expiry
                )
            )
        );
    }

    // ---------------------------------------------------------------- internal

    /// @dev Checks one order and records `fill` against it. Returns its new filled amount.
    function _fill(Order calldata order, bytes32 orderHash, bytes calldata signature, uint256 fill)
        private
        returns (uint256 total)
    {
        if (block.timestamp > order.expiry) revert ErrorsLib.OrderExpired(orderHash, order.expiry);
        uint256 before = _orders[orderHash];
        if (before & CANCELLED != 0) revert ErrorsLib.OrderIsCancelled(orderHash);
        uint256 least = minNonce[order.account];
        if (order.nonce < least) revert ErrorsLib.OrderNonceInvalidated(orderHash, order.nonce, least);
        // Cast: |size| of an int256 fits in uint256 (the sign was checked, so size != type(int256).min matters
        // only for sells, whose negation is checked).
        uint256 orderSize = order.size > 0 ? uint256(order.size) : uint256(-order.size);
        total = before + fill;
        if (total > orderSize) revert ErrorsLib.OrderOverfilled(orderHash, before, fill, orderSize);
        // The signature before the operator: a fill of signed orders (the usual case) then never asks the vault. Both
        // are views (the ERC-1271 check a static call whose failure reads as false), so the order decides no outcome,
        // only gas: an operator's fill of a smart wallet's order now also runs the wallet's check.
        if (
            msg.sender != order.account && !SignatureChecker.isValidSignatureNow(order.account, orderHash, signature)
                && !IMarginVault(vault).isOperator(order.account, msg.sender)
        ) revert ErrorsLib.InvalidSignature(orderHash, order.account);
        // total <= orderSize < 2^255: the CANCELLED bit stays clear.
        _orders[orderHash] = total;
    }

    function _checkCaller(address account) private view {
        if (msg.sender != account && !IMarginVault(vault).isOperator(account, msg.sender)) {
            revert ErrorsLib.Unauthorized(msg.sender, account);
        }
    }
}
