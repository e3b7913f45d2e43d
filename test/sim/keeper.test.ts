import { expect } from "chai";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { keeperConfigSchema } from "../../keeper/src/config/schema.js";
import { keeperLastBlock, KEEPER_KEY_ENV, writeKeeperConfig } from "../../sim/keeper.js";

describe("sim/keeper", () => {
  it("writes a keeper config that the keeper's own schema accepts, in run mode, key from the environment", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "keeper-config-"));
    const file = writeKeeperConfig(dir, {
      rpcUrl: "http://127.0.0.1:8545",
      vault: "0xa51c1fc2f0d1a1b8494ed1fe312d7c3a78ed91c0",
      chainId: 31337,
      startBlock: 0,
      dbPath: path.join(dir, "state.sqlite"),
      metricsPort: 9999,
      pollIntervalMs: 100,
    });
    const config = keeperConfigSchema.parse(JSON.parse(readFileSync(file, "utf8")));
    expect(config.mode).to.equal("run");
    expect(config.key).to.deep.equal({ privateKeyEnv: KEEPER_KEY_ENV });
    expect(config.metrics).to.deep.equal({ host: "127.0.0.1", port: 9999 });
    expect(readFileSync(file, "utf8")).to.not.match(/0x[0-9a-f]{64}/i);
  });

  it("reads keeper_last_block_evaluated from the Prometheus text, and null without it", async () => {
    let body = "keeper_last_block_processed 1300\n# HELP keeper_last_block_evaluated Last block.\n# TYPE keeper_last_block_evaluated gauge\nkeeper_last_block_evaluated 1234\n";
    const server = createServer((_, response) => response.end(body));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      expect(await keeperLastBlock(url)).to.equal(1234);
      body = "keeper_chain_head 5\n";
      expect(await keeperLastBlock(url)).to.equal(null);
    } finally {
      server.close();
    }
    expect(await keeperLastBlock("http://127.0.0.1:1/metrics")).to.equal(null);
  });
});
