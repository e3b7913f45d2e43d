/**
 * The page's writes: deposit (approving the vault first when needed) and withdraw. Each is simulated before it is
 * signed, so a refusal is shown as the contract's decoded custom error and nothing is sent.
 */
import { BaseError, ContractFunctionRevertedError, erc20Abi, type Address, type Chain, type PublicClient } from "viem";

import { marginVaultAbi } from "../../client/src/abi/generated.js";
import type { Signer } from "./wallet.js";

/** An action the vault refused, decoded. */
export class ActionError extends Error {
  constructor(
    message: string,
    readonly errorName: string | null,
  ) {
    super(message);
    this.name = "ActionError";
  }
}

/** The custom error in a viem error, as "Name(arg, ...)" and its name; the short message otherwise. */
export function describeFailure(error: unknown): ActionError {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
      const args = (reverted.data.args ?? []).map((a) => String(a)).join(", ");
      return new ActionError(`${reverted.data.errorName}(${args})`, reverted.data.errorName);
    }
    return new ActionError(error.shortMessage, null);
  }
  return new ActionError(error instanceof Error ? error.message : String(error), null);
}

export interface WriteContext {
  publicClient: PublicClient;
  signer: Signer;
  chain: Chain;
  vault: Address;
}

async function send(ctx: WriteContext, request: Parameters<PublicClient["simulateContract"]>[0]): Promise<`0x${string}`> {
  try {
    const { request: simulated } = await ctx.publicClient.simulateContract({ ...request, account: ctx.signer.account } as never);
    const hash = await ctx.signer.client.writeContract({ ...(simulated as object), chain: ctx.chain, account: ctx.signer.account } as never);
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new ActionError(`transaction ${hash} reverted`, null);
    return hash;
  } catch (error) {
    throw error instanceof ActionError ? error : describeFailure(error);
  }
}

/** Deposits `amount` (token units) of `token` to the signer's account, approving the vault first when needed. */
export async function deposit(ctx: WriteContext, token: Address, amount: bigint): Promise<`0x${string}`> {
  const allowance = await ctx.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [ctx.signer.account, ctx.vault] });
  if (allowance < amount) await send(ctx, { address: token, abi: erc20Abi, functionName: "approve", args: [ctx.vault, amount] });
  return send(ctx, { address: ctx.vault, abi: marginVaultAbi, functionName: "deposit", args: [token, amount, ctx.signer.account] });
}

/** Withdraws `amount` (token units) of `token` from the signer's account to itself. */
export async function withdraw(ctx: WriteContext, token: Address, amount: bigint): Promise<`0x${string}`> {
  return send(ctx, { address: ctx.vault, abi: marginVaultAbi, functionName: "withdraw", args: [token, amount, ctx.signer.account, ctx.signer.account] });
}
