import { expect } from "chai";

import { createMetrics } from "../../keeper/src/metrics.js";
import { readiness, startServer } from "../../keeper/src/server.js";
import type { KeeperStatus } from "../../keeper/src/keeper.js";

const limits = { maxBlockLag: 3, maxStaleSeconds: 120, maxFailedRounds: 3 };

describe("keeper endpoints", () => {
  it("readiness: unready before the first block, when the last block processed is stale, or when behind the head", () => {
    const now = 1_000_000_000;
    expect(readiness({ lastBlock: null, lastBlockAt: 0, head: 10n, failedRounds: 0 }, limits, now)).to.deep.equal({ ready: false, reason: "no block processed yet" });
    expect(readiness({ lastBlock: 10n, lastBlockAt: now - 5_000, head: 12n, failedRounds: 0 }, limits, now)).to.deep.equal({ ready: true, reason: "ok" });
    expect(readiness({ lastBlock: 10n, lastBlockAt: now - 120_000, head: 10n, failedRounds: 0 }, limits, now).ready, "at the limit").to.equal(true);
    expect(readiness({ lastBlock: 10n, lastBlockAt: now - 121_000, head: 10n, failedRounds: 0 }, limits, now)).to.deep.equal({ ready: false, reason: "last block processed 121 s ago" });
    expect(readiness({ lastBlock: 10n, lastBlockAt: now - 1_000, head: 14n, failedRounds: 0 }, limits, now)).to.deep.equal({ ready: false, reason: "4 blocks behind the head" });
  });

  it("readiness: unready after maxFailedRounds failed rounds in a row, even with a fresh last block", () => {
    const now = 1_000_000_000;
    expect(readiness({ lastBlock: 10n, lastBlockAt: now - 1_000, head: 10n, failedRounds: 2 }, limits, now).ready).to.equal(true);
    expect(readiness({ lastBlock: 10n, lastBlockAt: now - 1_000, head: 10n, failedRounds: 3 }, limits, now)).to.deep.equal({ ready: false, reason: "3 rounds failed in a row" });
  });

  it("/readyz turns 503 when the last processed block goes stale, and back to 200 when a block is processed", async () => {
    const status: KeeperStatus = { lastBlock: 7n, lastBlockAt: Date.now(), head: 7n, failedRounds: 0 };
    const http = await startServer({ host: "127.0.0.1", port: 0, metrics: createMetrics(), readiness: { maxBlockLag: 3, maxStaleSeconds: 60, maxFailedRounds: 3 }, status: () => status });
    try {
      const get = async (path: string) => {
        const response = await fetch(`http://127.0.0.1:${http.port}${path}`);
        return { status: response.status, body: await response.text() };
      };
      expect(await get("/readyz")).to.deep.equal({ status: 200, body: "ok\n" });
      status.lastBlockAt = Date.now() - 61_000; // the loop stopped processing blocks a minute ago (RPC down)
      const stale = await get("/readyz");
      expect(stale.status).to.equal(503);
      expect(stale.body).to.match(/^last block processed 6\d s ago\n$/);
      expect((await get("/healthz")).status, "alive all the same").to.equal(200);
      status.lastBlock = 8n;
      status.lastBlockAt = Date.now();
      expect((await get("/readyz")).status).to.equal(200);
      expect((await get("/metrics")).body).to.include("keeper_last_block_processed");
    } finally {
      await http.close();
    }
  });
});
