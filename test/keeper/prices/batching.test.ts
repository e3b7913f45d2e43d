import { expect } from "chai";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createPublicClient, encodeFunctionResult, zeroAddress, type PublicClient } from "viem";

import { aggregatorV3Abi } from "../../../client/src/abi/generated.js";
import { createKeeperTransport } from "../../../keeper/src/client.js";
import { readPrices } from "../../../keeper/src/prices/index.js";
import type { AssetRecord } from "../../../keeper/src/store/types.js";

describe("keeper feed reads are batched", () => {
  it("reads six feeds in one HTTP request (JSON-RPC batch), each price decoded", async () => {
    let httpRequests = 0;
    const round = encodeFunctionResult({ abi: aggregatorV3Abi, functionName: "latestRoundData", result: [1n, 2_000n * 10n ** 8n, 100n, 100n, 1n] });
    const server = createServer((req, res) => {
      httpRequests++;
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const parsed = JSON.parse(body) as { id: number }[] | { id: number };
        const answer = (r: { id: number }) => ({ jsonrpc: "2.0", id: r.id, result: round });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = createPublicClient({ transport: createKeeperTransport({ rpcUrls: [url] }) }) as PublicClient;
      const assets: AssetRecord[] = [...Array(6).keys()].map((id) => ({
        id,
        symbol: `A${id}`,
        feed: `0x${(id + 1).toString(16).padStart(40, "0")}`,
        feedDecimals: 8,
        heartbeat: 3600n,
        scan: 10n ** 17n,
        maxPrice: 10n ** 30n,
      })) as AssetRecord[];
      const read = await readPrices({ client, assets, sequencer: { feed: zeroAddress, gracePeriod: 0n }, blockNumber: 5n, timestamp: 200n });
      expect(read.prices.map((p) => p.ok)).to.deep.equal([true, true, true, true, true, true]);
      expect(httpRequests).to.equal(1);
    } finally {
      server.close();
    }
  });
});
