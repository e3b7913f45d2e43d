import { zeroAddress, type PublicClient } from "viem";

import { aggregatorV3Abi } from "../../../client/src/abi/generated.js";
import type { AssetRecord, SequencerRecord } from "../store/types.js";
import { checkPrice, checkSequencer, type RoundData } from "./checkPrice.js";
import { OracleReadError, type OracleError } from "./errors.js";

/** Options of `readPrices`. */
export interface ReadPricesParameters {
  client: PublicClient;
  /** The listed assets (from the store). */
  assets: readonly AssetRecord[];
  /** The sequencer uptime feed (zero address: unchecked). */
  sequencer?: SequencerRecord;
  /** The block to read at. */
  blockNumber: bigint;
  /** That block's timestamp (the vault's `block.timestamp` for staleness). */
  timestamp: bigint;
}

/** One asset's price or the reason it has none. */
export type AssetPrice = { asset: number; ok: true; price: bigint } | { asset: number; ok: false; error: OracleError };

/** `readPrices`' result: by asset id, and the sequencer's error (which makes every price unusable). */
export interface ReadPricesReturnType {
  prices: AssetPrice[];
  sequencerError: OracleError | null;
}

async function readRound(client: PublicClient, feed: `0x${string}`, blockNumber: bigint): Promise<RoundData> {
  const [roundId, answer, startedAt, updatedAt, answeredInRound] = await client.readContract({
    address: feed,
    abi: aggregatorV3Abi,
    functionName: "latestRoundData",
    blockNumber,
  });
  return { roundId, answer, startedAt, updatedAt, answeredInRound };
}

/**
 * Reads every asset's feed at one block (parallel `eth_call`s, no Multicall3 needed) and applies OracleLib's
 * rules to each: a bad feed gives that asset a typed error and leaves the others usable.
 *
 * @param parameters Client, assets, sequencer, block and its timestamp.
 * @returns Prices by asset id (WAD), each `ok` or with its error; and the sequencer's error, if any.
 * @example const { prices } = await readPrices({ client, assets: risk.assets, blockNumber, timestamp });
 */
export async function readPrices(parameters: ReadPricesParameters): Promise<ReadPricesReturnType> {
  const { client, assets, sequencer, blockNumber, timestamp } = parameters;
  const sequencerCheck = async (): Promise<OracleError | null> => {
    if (sequencer === undefined || sequencer.feed === zeroAddress) return null;
    try {
      return checkSequencer(await readRound(client, sequencer.feed, blockNumber), { ...sequencer, timestamp });
    } catch (cause) {
      return new OracleReadError("Cannot read the L2 sequencer uptime feed.", { asset: -1, feed: sequencer.feed, cause });
    }
  };
  const [sequencerError, prices] = await Promise.all([
    sequencerCheck(),
    Promise.all(
      assets.map(async (asset): Promise<AssetPrice> => {
        let round: RoundData;
        try {
          round = await readRound(client, asset.feed, blockNumber);
        } catch (cause) {
          return {
            asset: asset.id,
            ok: false,
            error: new OracleReadError(`Cannot read the feed of asset ${asset.id} (${asset.symbol}).`, {
              asset: asset.id,
              feed: asset.feed,
              cause,
              metaMessages: ["Check the RPC endpoints; the asset's accounts are skipped this round."],
            }),
          };
        }
        const checked = checkPrice(round, { asset: asset.id, feed: asset.feed, feedDecimals: asset.feedDecimals, heartbeat: asset.heartbeat, maxPrice: asset.maxPrice, timestamp });
        return checked.ok ? { asset: asset.id, ok: true, price: checked.price } : { asset: asset.id, ok: false, error: checked.error };
      }),
    ),
  ]);
  return { prices, sequencerError };
}
