import { decodeEventLog, toEventSelector, type Hex, type Log } from "viem";

import { eventsAbi } from "../../../client/src/abi/generated.js";
import { LogDecodeError } from "../errors.js";
import type { VaultEvent, VaultEventName } from "../store/types.js";

/** The events of `EventsLib`, by name. */
type EventAbiItem = Extract<(typeof eventsAbi)[number], { type: "event" }>;

/** Every event selector (topic 0) of EventsLib, for the `eth_getLogs` topic filter. */
export const VAULT_EVENT_SELECTORS: Hex[] = eventsAbi
  .filter((item): item is EventAbiItem => item.type === "event")
  .map((item) => toEventSelector(item));

/** A decoded event before the indexer adds what logs do not carry (feed decimals). */
export type DecodedVaultEvent = VaultEvent extends infer E ? (E extends { feedDecimals: number } ? Omit<E, "feedDecimals"> : E) : never;

/** `decodeVaultLogs`'s error. */
export type DecodeVaultLogsErrorType = LogDecodeError;

/**
 * Decodes the vault's raw logs with EventsLib's ABI. Logs of other events (AccessControl, Pausable) are skipped;
 * a log of a known event that does not decode throws, because skipping it would corrupt the state.
 *
 * @param logs Raw logs, in chain order, as `eth_getLogs` returns them (pending and removed logs are skipped).
 * @returns The decoded events with their position in the chain.
 * @throws LogDecodeError naming the block and log index.
 */
export function decodeVaultLogs(logs: readonly Log[]): DecodedVaultEvent[] {
  const known = new Set(VAULT_EVENT_SELECTORS);
  const events: DecodedVaultEvent[] = [];
  for (const log of logs) {
    if (log.removed || log.blockNumber === null || log.logIndex === null || log.blockHash === null || log.transactionHash === null) continue;
    const selector = log.topics[0];
    if (selector === undefined || !known.has(selector)) continue;
    let decoded: { eventName: string; args: unknown };
    try {
      decoded = decodeEventLog({ abi: eventsAbi, data: log.data, topics: log.topics, strict: true }) as { eventName: string; args: unknown };
    } catch (cause) {
      throw new LogDecodeError(`Cannot decode the vault log ${log.logIndex} of block ${log.blockNumber}.`, {
        cause,
        metaMessages: [
          "The keeper's ABI may be out of date: run `npm run client:abi`.",
          "Indexing stays at the previous block until this is fixed.",
        ],
      });
    }
    events.push({
      eventName: decoded.eventName as VaultEventName,
      args: decoded.args,
      blockNumber: Number(log.blockNumber),
      logIndex: log.logIndex,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
    } as DecodedVaultEvent);
  }
  return events;
}
