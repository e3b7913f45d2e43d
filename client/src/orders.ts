/** An order as TradeSettlement hashes it (`ITradeSettlement.Order`): signed by its account (EIP-712). */
export interface Order {
  account: string;
  market: bigint;
  size: bigint;
  limitPrice: bigint;
  nonce: bigint;
  expiry: bigint;
}

/** The EIP-712 types of `ITradeSettlement.Order`, for `signTypedData`. */
export const ORDER_TYPES = {
  Order: [
    { name: "account", type: "address" },
    { name: "market", type: "uint256" },
    { name: "size", type: "int256" },
    { name: "limitPrice", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint256" },
  ],
};

/** The EIP-712 domain of a TradeSettlement contract (`EIP712("PortfolioMargin TradeSettlement", "1")`). */
export function orderDomain(chainId: number | bigint, settlement: string) {
  return { name: "PortfolioMargin TradeSettlement", version: "1", chainId: BigInt(chainId), verifyingContract: settlement as `0x${string}` } as const;
}
