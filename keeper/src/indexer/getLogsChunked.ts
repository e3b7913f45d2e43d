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

/** One `eth_getLogs` request. */
async function request(client: PublicClient, address: Address, selectors: Hex[], from: number, to: number): Promise<Log[]> {
  const raw = await client.request({
    method: "eth_getLogs",
    params: [{ address, topics: [selectors], fromBlock: numberToHex(from), toBlock: numberToHex(to) }],
  });
  return raw.map((log) => formatLog(log));
}

/**
 * The logs of one block that has more than the endpoint returns at once: the topic filter is split in halves (each
 * request asks for fewer event types), recursively, and the parts merged back in log order.
 */
async function blockLogsBySelector(client: PublicClient, address: Address, selectors: Hex[], block: number, cause: unknown): Promise<Log[]> {
  if (selectors.length <= 1) {
    throw new RpcError(`eth_getLogs failed for blocks ${block}..${block}.`, {
      cause,
      metaMessages: ["The endpoint refuses even one event type of this single block: use an endpoint with a higher log limit (`rpcUrls`)."],
    });
  }
  const half = Math.ceil(selectors.length / 2);
  const parts: Log[] = [];
  for (const part of [selectors.slice(0, half), selectors.slice(half)]) {
    try {
      parts.push(...(await request(client, address, part, block, block)));
    } catch (error) {
      if (!isTooManyResultsError(error)) throw new RpcError(`eth_getLogs failed for blocks ${block}..${block}.`, { cause: error, metaMessages: ["Check the RPC endpoints (`rpcUrls`)."] });
      parts.push(...(await blockLogsBySelector(client, address, part, block, error)));
    }
  }
  return parts.sort((x, y) => (x.logIndex ?? 0) - (y.logIndex ?? 0));
}

/**
 * Fetches the logs of `address` in [fromBlock, toBlock] (one request, or several when the endpoint refuses the
 * range: the range is halved until it answers, down to a single block; a single block with more logs than the
 * endpoint returns is fetched by halves of the event-type filter).
 *
 * @param parameters The client, filter and range.
 * @returns The logs in chain order and the chunk size that last worked.
 * @throws RpcError when one event type of a single block cannot be fetched, or on any other RPC failure.
 */
export async function getLogsInRange(parameters: GetLogsInRangeParameters): Promise<GetLogsInRangeReturnType> {
  const { client, address, selectors, toBlock } = parameters;
  let chunkSize = Math.max(1, parameters.chunkSize);
  const logs: Log[] = [];
  for (let from = parameters.fromBlock; from <= toBlock; ) {
    const to = Math.min(toBlock, from + chunkSize - 1);
    try {
      for (const log of await request(client, address, selectors, from, to)) logs.push(log); // no spread: a range can hold 100k+ logs
      from = to + 1;
    } catch (cause) {
      if (isTooManyResultsError(cause) && to > from) {
        chunkSize = Math.max(1, Math.floor((to - from + 1) / 2));
        continue;
      }
      if (isTooManyResultsError(cause)) {
        for (const log of await blockLogsBySelector(client, address, selectors, from, cause)) logs.push(log);
        from = to + 1;
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
