/**
 * A feed's price history from its round data: walks back from the latest round with Chainlink's `getRoundData` and
 * keeps the last answer of each period (a UTC day by default) as that period's close.
 */
import { parseAbi, type Address, type PublicClient } from "viem";

/** Chainlink's AggregatorV3Interface, with the history read (`getRoundData`) the vault itself never calls. */
export const aggregatorHistoryAbi = parseAbi([
  "function decimals() view returns (uint8)",
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
  "function getRoundData(uint80 roundId) view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
]);

/** Options of `readFeedCloses`. */
export interface ReadFeedClosesParameters {
  client: PublicClient;
  feed: Address;
  /** How many closes to return at most (the most recent ones). */
  periods: number;
  /** The length of a period in seconds. @default 86400 (UTC days) */
  period?: number;
  /** The most rounds read (RPC calls), however many periods they cover. @default 5000 */
  maxRounds?: number;
  /** Rounds read in parallel. @default 50 */
  batch?: number;
  /** Read at this block. @default latest */
  blockNumber?: bigint;
}

/** The closes of a feed, oldest first. */
export interface ReadFeedClosesReturnType {
  /** The end of each period (seconds) and its close (the last answer updated in it, in the feed's decimals). */
  times: number[];
  answers: bigint[];
  decimals: number;
  /** Rounds read. */
  rounds: number;
}

/**
 * Reads a feed's last `periods` closes from its round data. Walks back round by round until a round is missing
 * (the feed's first round, or a phase boundary of a Chainlink proxy), incomplete, or older than the periods asked;
 * non-positive answers are skipped.
 *
 * @param parameters Client, feed, how many periods and their length.
 * @returns The closes, oldest first (fewer than `periods` when the feed's history is shorter).
 * @example readFeedCloses({ client, feed: "0x…", periods: 90 })
 */
export async function readFeedCloses(parameters: ReadFeedClosesParameters): Promise<ReadFeedClosesReturnType> {
  const { client, feed, periods } = parameters;
  const period = parameters.period ?? 86_400;
  const maxRounds = parameters.maxRounds ?? 5_000;
  const batch = parameters.batch ?? 50;
  const at = parameters.blockNumber === undefined ? {} : { blockNumber: parameters.blockNumber };
  const [decimals, latest] = await Promise.all([
    client.readContract({ address: feed, abi: aggregatorHistoryAbi, functionName: "decimals", ...at }),
    client.readContract({ address: feed, abi: aggregatorHistoryAbi, functionName: "latestRoundData", ...at }),
  ]);
  const closes = new Map<number, bigint>();
  let rounds = 0;
  let next = latest[0];
  let done = false;
  const take = (updatedAt: bigint, answer: bigint) => {
    if (updatedAt === 0n) return false;
    const bucket = Math.floor(Number(updatedAt) / period);
    if (!closes.has(bucket)) {
      if (closes.size === periods) return false;
      if (answer > 0n) closes.set(bucket, answer);
    }
    return true;
  };
  done = !take(latest[3], latest[1]);
  rounds++;
  while (!done && next > 0n && rounds < maxRounds) {
    const ids: bigint[] = [];
    for (let i = 1n; i <= BigInt(batch) && next - i > 0n && rounds + ids.length < maxRounds; i++) ids.push(next - i);
    if (ids.length === 0) break;
    const results = await Promise.allSettled(
      ids.map((id) => client.readContract({ address: feed, abi: aggregatorHistoryAbi, functionName: "getRoundData", args: [id], ...at })),
    );
    for (const r of results) {
      rounds++;
      // A missing round ends the history this feed serves.
      if (r.status === "rejected" || !take(r.value[3], r.value[1])) {
        done = true;
        break;
      }
    }
    next = ids[ids.length - 1]!;
  }
  const buckets = [...closes.keys()].sort((x, y) => x - y);
  return { times: buckets.map((b) => (b + 1) * period), answers: buckets.map((b) => closes.get(b)!), decimals, rounds };
}
