/**
 * Decoding a failed call by the vault's custom error name. The ABI (`client/src/abi/generated.ts`) lists every
 * error of ErrorsLib and OpenZeppelin, so viem's `ContractFunctionRevertedError` carries `data.errorName`; an
 * error without one (a transport failure, a timeout, an undecodable revert) is not an answer from the vault.
 */
import { BaseError, ContractFunctionRevertedError } from "viem";

/** Vault errors that mean someone else liquidated first, or the account recovered: a lost race, not a fault. */
export const LOST_RACE_ERRORS = new Set(["AccountHealthy", "LiquidationDidNotImproveHealth"]);

/**
 * The vault's custom error name in `error`'s cause chain.
 *
 * @param error What a simulate / estimate / call threw.
 * @returns The error name (e.g. `"AccountHealthy"`), or null when the vault did not answer with a custom error.
 * @example vaultErrorName(await client.simulateContract(...).catch((e) => e)) // "AccountHealthy"
 */
export function vaultErrorName(error: unknown): string | null {
  if (!(error instanceof BaseError)) return null;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? (reverted.data?.errorName ?? null) : null;
}
