import type { Contract, Signer } from "ethers";

import { ethers } from "../fixtures.js";
import { ORDER_TYPES, type Order } from "../../client/src/orders.js";

export { ORDER_TYPES, type Order };

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
