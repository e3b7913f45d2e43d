import type { Contract, Signer } from "ethers";

import { ethers } from "../fixtures.js";

/** An order as TradeSettlement hashes it (ITradeSettlement.Order). */
export interface Order {
  account: string;
  market: bigint;
  size: bigint;
  limitPrice: bigint;
  nonce: bigint;
  expiry: bigint;
}

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

let nextNonce = 1n;

/** An order of `account` with a fresh nonce, expiring in a day unless overridden. */
export async function makeOrder(
  account: string,
  market: number | bigint,
  size: bigint,
  limitPrice: bigint,
  overrides: Partial<Order> = {},
): Promise<Order> {
  const latest = await ethers.provider.getBlock("latest");
  return {
    account,
    market: BigInt(market),
    size,
    limitPrice,
    nonce: nextNonce++,
    expiry: BigInt(latest!.timestamp + 86_400),
    ...overrides,
  };
}

/** The EIP-712 domain of `settlement`. */
export async function domain(settlement: Contract) {
  const { chainId } = await ethers.provider.getNetwork();
  return {
    name: "PortfolioMargin TradeSettlement",
    version: "1",
    chainId,
    verifyingContract: await settlement.getAddress(),
  };
}

/** `signer`'s EIP-712 signature of `order` for `settlement`. */
export async function signOrder(settlement: Contract, signer: Signer, order: Order): Promise<string> {
  return signer.signTypedData(await domain(settlement), ORDER_TYPES, order);
}
