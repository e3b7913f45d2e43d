import { formatLog, numberToHex, type Address, type Hex, type Log, type PublicClient } from "viem";

import { RpcError } from "../errors.js";

/** Options of `getLogsInRange`. */
export interface GetLogsInRangeParameters {
  client: PublicClient;
  address: Address;
  /** Topic-0 filter (any of these selectors). */
  selectors: Hex[];
  fromBlock: number;
  toBlock: number;
  /** The largest range of one request; halved on "too many results" answers. */
  chunkSize: number;
}

/** `getLogsInRange`'s result: the logs and the chunk size that worked (to start the next range with). */
export interface GetLogsInRangeReturnType {
  logs: Log[];
  chunkSize: number;
}

const TOO_MANY = /too many|more than \d+ (results|logs)|limit exceeded|response size|range (is )?too (large|wide|big)|exceeds? (the )?(max|limit|range)|-32005|query timeout/i;

/** Whether an RPC error says the request asked for too many logs or too wide a range. */
export function isTooManyResultsError(error: unknown): boolean {
  for (let e: unknown = error; e !== undefined && e !== null; e = e instanceof Error ? e.cause : undefined) {
    const details = (e as { details?: unknown }).details;
    if (TOO_MANY.test(e instanceof Error ? e.message : String(e)) || (typeof details === "string" && TOO_MANY.test(details))) return true;
    if ((e as { code?: unknown }).code === -32005) return true;
    if (!(e instanceof Error)) break;
  }
  return false;
}

/**
 * Fetches the logs of `address` in [fromBlock, toBlock] (one request, or several when the endpoint refuses the
 * range: the range is halved until it answers, down to a single block).
 *
 * @param parameters The client, filter and range.
 * @returns The logs in chain order and the chunk size that last worked.
 * @throws RpcError when a single block's logs cannot be fetched, or on any other RPC failure.
 */
export async function getLogsInRange(parameters: GetLogsInRangeParameters): Promise<GetLogsInRangeReturnType> {
  const { client, address, selectors, toBlock } = parameters;
  let chunkSize = Math.max(1, parameters.chunkSize);
  const logs: Log[] = [];
  for (let from = parameters.fromBlock; from <= toBlock; ) {
    const to = Math.min(toBlock, from + chunkSize - 1);
    try {
      const raw = await client.request({
        method: "eth_getLogs",
        params: [{ address, topics: [selectors], fromBlock: numberToHex(from), toBlock: numberToHex(to) }],
      });
      for (const log of raw) logs.push(formatLog(log));
      from = to + 1;
    } catch (cause) {
      if (isTooManyResultsError(cause) && to > from) {
        chunkSize = Math.max(1, Math.floor((to - from + 1) / 2));
        continue;
      }
      throw new RpcError(`eth_getLogs failed for blocks ${from}..${to}.`, {
        cause,
        metaMessages: ["Check the RPC endpoints (`rpcUrls`), or lower `getLogsChunkSize`."],
      });
    }
  }
  return { logs, chunkSize };
}
