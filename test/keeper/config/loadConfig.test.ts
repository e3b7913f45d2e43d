import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { loadConfig, parseConfig } from "../../../keeper/src/config/index.js";
import { ConfigError } from "../../../keeper/src/errors.js";

const VALID = {
  rpcUrls: ["http://127.0.0.1:8545"],
  vault: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
  chainId: 31337,
  startBlock: 0,
};

function problems(value: unknown): string {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("keeper config", () => {
  it("loads a valid file and applies every default", () => {
    const dir = mkdtempSync(join(tmpdir(), "keeper-config-"));
    const path = join(dir, "keeper.config.json");
    writeFileSync(path, JSON.stringify({ ...VALID, key: { privateKeyEnv: "KEEPER_PRIVATE_KEY" } }));
    const config = loadConfig(path);
    expect(config.vault).to.equal("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    expect(config).to.deep.include({
      confirmations: 0,
      reorgWindow: 12,
      getLogsChunkSize: 2000,
      pollIntervalMs: 2000,
      dbPath: "keeper-state.sqlite",
      mode: "dry-run",
      logLevel: "info",
    });
    expect(config.metrics).to.deep.equal({ host: "127.0.0.1", port: 9464 });
    expect(config.gas).to.deep.equal({
      maxFeePerGasGwei: 100,
      maxPriorityFeePerGasGwei: 2,
      minProfitUsd: 0,
      replaceAfterBlocks: 3,
      feeBumpPercent: 20,
      gasLimitMultiplier: 1.25,
      nativeAssetSymbol: "ETH",
      minBalanceEth: 0.05,
    });
    expect(config.readiness).to.deep.equal({ maxBlockLag: 3, maxStaleSeconds: 120, maxFailedRounds: 3 });
    expect(config.liquidation).to.deep.equal({ concurrency: 8, roundBudgetMs: 4000, markExpiryBlocks: 10 });
    expect(config.key).to.deep.equal({ privateKeyEnv: "KEEPER_PRIVATE_KEY" });
  });

  it("accepts a keystore key source", () => {
    const config = parseConfig({ ...VALID, key: { keystore: { path: "./k.json", passwordEnv: "KS_PASSWORD" } } });
    expect(config.key).to.deep.equal({ keystore: { path: "./k.json", passwordEnv: "KS_PASSWORD" } });
  });

  it("names a missing file and a file that is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "keeper-config-"));
    expect(() => loadConfig(join(dir, "absent.json"))).to.throw(ConfigError, /Cannot read the config file/);
    const path = join(dir, "bad.json");
    writeFileSync(path, "{ rpcUrls: [] ");
    expect(() => loadConfig(path)).to.throw(ConfigError, /not valid JSON/);
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["a missing field", { rpcUrls: VALID.rpcUrls, vault: VALID.vault, chainId: 1 }, /startBlock: expected a whole number/],
    ["an empty rpcUrls", { ...VALID, rpcUrls: [] }, /rpcUrls: expected at least one RPC URL/],
    ["a URL that is not http or ws", { ...VALID, rpcUrls: ["ftp://x"] }, /rpcUrls\[0\]: expected an http\(s\):\/\/ or ws\(s\):\/\/ URL/],
    ["a wrong address", { ...VALID, vault: "0x1234" }, /vault: expected a 20-byte hex address/],
    ["a negative start block", { ...VALID, startBlock: -1 }, /startBlock: expected a number >= 0/],
    ["a fractional chain id", { ...VALID, chainId: 1.5 }, /chainId: expected a whole number/],
    ["a zero reorg window", { ...VALID, reorgWindow: 0 }, /reorgWindow: expected a number > 0/],
    ["a string chunk size", { ...VALID, getLogsChunkSize: "2000" }, /getLogsChunkSize: expected a whole number/],
    ["an unknown mode", { ...VALID, mode: "live" }, /mode: expected "run" or "dry-run"/],
    ["a port out of range", { ...VALID, metrics: { port: 70000 } }, /metrics\.port: expected a TCP port in 1\.\.65535/],
    ["a negative fee cap", { ...VALID, gas: { maxFeePerGasGwei: -1 } }, /gas\.maxFeePerGasGwei: expected a fee cap > 0 gwei/],
    ["a misspelt option", { ...VALID, rpcUrl: "http://x" }, /rpcUrl: unknown option; remove it or fix its spelling/],
    ["a wrong key source", { ...VALID, key: { privateKey: "0xabc" } }, /key: expected either \{ "keystore"/],
  ];
  for (const [what, value, pattern] of cases) {
    it(`names the field for ${what}`, () => {
      expect(problems(value)).to.match(pattern);
    });
  }

  it("lists every wrong field at once", () => {
    const message = problems({ ...VALID, chainId: "1", vault: 3 });
    expect(message).to.match(/2 problems/).and.match(/chainId:/).and.match(/vault:/);
  });

  it("never echoes an RPC URL, which may hold a key", () => {
    const message = problems({ ...VALID, rpcUrls: ["https://user:secret@rpc.example.com/v2/KEY123", 5] });
    expect(message).to.not.include("secret").and.not.include("KEY123");
  });
});
