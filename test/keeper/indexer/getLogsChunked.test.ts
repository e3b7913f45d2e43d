import { expect } from "chai";
import { createPublicClient, custom, hexToNumber, type Hex, type PublicClient } from "viem";

import { RpcError } from "../../../keeper/src/errors.js";
import { getLogsInRange, isTooManyResultsError } from "../../../keeper/src/indexer/index.js";

const ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;

function fakeClient(maxRange: number, ranges: [number, number][]): PublicClient {
  return createPublicClient({
    transport: custom({
      request: async ({ method, params }: { method: string; params?: unknown }) => {
        if (method !== "eth_getLogs") throw new Error(`unexpected ${method}`);
        const [{ fromBlock, toBlock }] = params as [{ fromBlock: Hex; toBlock: Hex }];
        const [from, to] = [hexToNumber(fromBlock), hexToNumber(toBlock)];
        if (to - from + 1 > maxRange) throw Object.assign(new Error("query returned more than 10000 results"), { code: -32005 });
        ranges.push([from, to]);
        return [];
      },
      // viem's own retries (with backoff) would only slow the test down.
    }, { retryCount: 0 }),
  }) as PublicClient;
}

describe("keeper getLogsInRange", () => {
  it("halves the range on 'too many results' until the endpoint answers, and covers every block once", async () => {
    const ranges: [number, number][] = [];
    const { chunkSize } = await getLogsInRange({ client: fakeClient(300, ranges), address: ADDRESS, selectors: [], fromBlock: 0, toBlock: 1999, chunkSize: 2000 });
    expect(chunkSize).to.equal(250);
    expect(ranges[0]).to.deep.equal([0, 249]);
    expect(ranges.at(-1)![1]).to.equal(1999);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).to.equal(ranges[i - 1]![1] + 1);
  });

  it("gives up with an RpcError when a single block is refused", async () => {
    const client = fakeClient(0, []);
    try {
      await getLogsInRange({ client, address: ADDRESS, selectors: [], fromBlock: 5, toBlock: 8, chunkSize: 4 });
      expect.fail("expected an RpcError");
    } catch (error) {
      expect(error).to.be.instanceOf(RpcError);
      expect((error as RpcError).shortMessage).to.equal("eth_getLogs failed for blocks 5..5.");
    }
  });

  it("recognises the usual 'too many results' answers", () => {
    for (const message of ["Log response size exceeded.", "block range is too wide", "query returned more than 10000 results", "eth_getLogs is limited to a 10,000 range: limit exceeded"]) {
      expect(isTooManyResultsError(new Error(message)), message).to.equal(true);
    }
    expect(isTooManyResultsError(new Error("execution reverted"))).to.equal(false);
  });

  it("fetches a single block with more logs than the endpoint returns by halves of the event-type filter", async () => {
    const selectors = ["0x01", "0x02", "0x03", "0x04"].map((x) => x.padEnd(66, "0")) as Hex[];
    const requests: Hex[][] = [];
    const client = createPublicClient({
      transport: custom({
        request: async ({ params }: { method: string; params?: unknown }) => {
          const [{ topics, fromBlock }] = params as [{ topics: [Hex[]]; fromBlock: Hex }];
          requests.push(topics[0]);
          // Each event type has 3 logs in block 7; the endpoint returns at most 5 logs per request.
          if (topics[0].length * 3 > 5) throw Object.assign(new Error("query returned more than 5 results"), { code: -32005 });
          return topics[0].flatMap((topic) =>
            [0, 1, 2].map((i) => ({ address: ADDRESS, topics: [topic], data: "0x", blockNumber: fromBlock, blockHash: `0x${"ab".repeat(32)}`, transactionHash: `0x${"cd".repeat(32)}`, transactionIndex: "0x0", logIndex: `0x${(selectors.indexOf(topic) + 4 * i).toString(16)}`, removed: false })),
          );
        },
      }, { retryCount: 0 }),
    }) as PublicClient;
    const { logs } = await getLogsInRange({ client, address: ADDRESS, selectors, fromBlock: 7, toBlock: 7, chunkSize: 10 });
    expect(logs).to.have.length(12);
    expect(logs.map((l) => l.logIndex)).to.deep.equal([...Array(12).keys()]);
    expect(requests.some((r) => r.length === 1)).to.equal(true);
  });
});
