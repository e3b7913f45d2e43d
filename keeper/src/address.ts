/**
 * Checksummed addresses, memoised without bound. Checksumming is a keccak per call, and viem's own caches hold 8,192
 * entries: with 100k accounts every lookup missed, and checksumming dominated a cold index and a block of trades.
 */
import { getAddress, type Address } from "viem";

const cache = new Map<string, Address>();

/**
 * `getAddress`, memoised (the keeper sees each account's address on every event of it).
 *
 * @param address An address in any case.
 * @returns The checksummed address.
 * @throws viem's `InvalidAddressError` for a malformed address.
 * @example checksum("0xa0cf798816d4b9b9866b5330eea46a18382f251e") // "0xA0Cf798816D4b9b9866b5330EEa46a18382f251e"
 */
export function checksum(address: string): Address {
  let found = cache.get(address);
  if (found === undefined) {
    found = getAddress(address);
    cache.set(address, found);
  }
  return found;
}
