/**
 * The page's writes go through the typed client (client/src/client.ts): every write is simulated before it is
 * signed, so a refusal is the contract's custom error, decoded with its sentence, and nothing is sent.
 */
import type { Address, PublicClient } from "viem";

import { createPortfolioMarginClient, type PortfolioMarginClient } from "../../client/src/client.js";
import { ContractError, PortfolioMarginError } from "../../client/src/errors.js";
import type { Signer } from "./wallet.js";

/** The client of the connected signer, for one deployment. */
export function writeClient(publicClient: PublicClient, signer: Signer, vault: Address, settlement: Address): PortfolioMarginClient {
  return createPortfolioMarginClient({ publicClient, walletClient: signer.client, addresses: { vault, settlement } });
}

/** One line for a failed action: the decoded error's name and sentence, or the client's message and hint. */
export function describeFailure(error: unknown): string {
  if (error instanceof ContractError && error.decoded !== null) return `${error.decoded.name}: ${error.decoded.sentence}`;
  if (error instanceof PortfolioMarginError) return [error.shortMessage, ...error.metaMessages].join(" ");
  return error instanceof Error ? error.message : String(error);
}
