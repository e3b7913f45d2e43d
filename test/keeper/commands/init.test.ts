import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PublicClient } from "viem";

import { initCommand, readIgnitionDeployment } from "../../../keeper/src/commands/init.js";
import { loadConfig } from "../../../keeper/src/config/index.js";
import { ConfigError } from "../../../keeper/src/errors.js";

const VAULT = "0xa51c1fc2f0d1a1b8494ed1fe312d7c3a78ed91c0";
const FEED = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

/** A deployment directory as Ignition writes it: the vault is not the first contract (a feed is). */
function deploymentDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "pm-init-"));
  writeFileSync(join(dir, "deployed_addresses.json"), JSON.stringify({ "PortfolioMargin#feed_BTC": FEED, "PortfolioMargin#vault": VAULT }));
  const journal = [
    { futureId: "PortfolioMargin#feed_BTC", receipt: { blockNumber: 1, contractAddress: FEED } },
    { futureId: "PortfolioMargin#vault", type: "TRANSACTION_SEND" },
    { futureId: "PortfolioMargin#vault", receipt: { blockNumber: 13, contractAddress: VAULT } },
  ];
  writeFileSync(join(dir, "journal.jsonl"), journal.map((j) => JSON.stringify(j)).join("\n"));
  return dir;
}

const stubClient = (code: string) => ({ getChainId: async () => 31337, getCode: async () => code }) as unknown as PublicClient;

describe("keeper init", () => {
  it("reads the vault (not the first contract) and its deployment block from the Ignition deployment", () => {
    expect(readIgnitionDeployment(deploymentDir())).to.deep.equal({ vault: "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0", startBlock: 13 });
  });

  it("writes a config the keeper loads", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "pm-init-out-")), "keeper.config.json");
    await initCommand({ deployment: deploymentDir(), rpcUrls: ["http://127.0.0.1:1"], client: stubClient("0x6080"), out });
    const config = loadConfig(out);
    expect(config.vault).to.equal("0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0");
    expect(config).to.include({ chainId: 31337, startBlock: 13, mode: "dry-run" });
  });

  it("refuses a vault without code (node restarted since the deployment) and writes nothing", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "pm-init-out-")), "keeper.config.json");
    const error = await initCommand({ deployment: deploymentDir(), rpcUrls: ["http://127.0.0.1:1"], client: stubClient("0x"), out }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).shortMessage).to.match(/No contract at the vault/);
    expect(existsSync(out)).to.equal(false);
  });

  it("does not overwrite an existing config without --force", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "pm-init-out-")), "keeper.config.json");
    writeFileSync(out, "{}");
    const error = await initCommand({ deployment: deploymentDir(), rpcUrls: ["http://127.0.0.1:1"], client: stubClient("0x6080"), out }).catch((e: unknown) => e);
    expect((error as ConfigError).shortMessage).to.match(/exists/);
    expect(readFileSync(out, "utf8")).to.equal("{}");
  });

  it("names the module ids found when the vault is missing", () => {
    expect(() => readIgnitionDeployment(deploymentDir(), "Other")).to.throw(ConfigError, /no Other#vault/);
  });
});
