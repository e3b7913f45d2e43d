import { expect } from "chai";
import type { Contract } from "ethers";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createPublicClient, custom, getAddress, type EIP1193Provider, type PublicClient } from "viem";

import { checkChainId } from "../../../keeper/src/client.js";
import { accountCommand } from "../../../keeper/src/commands/account.js";
import { scanCommand } from "../../../keeper/src/commands/scan.js";
import { parseConfig } from "../../../keeper/src/config/index.js";
import { ConfigError } from "../../../keeper/src/errors.js";
import { formatRatio, formatUsd } from "../../../keeper/src/format.js";
import { connection, deployDefault, MARKET, networkHelpers, setPrice, units, wad } from "../../fixtures.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;

async function setup() {
  const deployed = await networkHelpers.loadFixture(deployDefault);
  const { vault, tokens, feeds, alice, bob } = deployed;
  await (vault.connect(alice) as Contract).deposit(tokens.USDC, await units(tokens.USDC, 1000), alice.address);
  await vault.harnessSetPosition(alice.address, MARKET.ETH, wad(2));
  await vault.harnessSetCash(alice.address, wad(-4_500));
  await (vault.connect(bob) as Contract).deposit(tokens.WETH, await units(tokens.WETH, 1), bob.address);
  await setPrice(feeds.ETH, wad(2_000));
  const config = parseConfig({ rpcUrls: ["http://127.0.0.1:8545"], vault: await vault.getAddress(), chainId: 31337, startBlock: 0, dbPath: ":memory:" });
  return { ...deployed, config };
}

describe("keeper commands", () => {
  it("formats USD and ratios with 2 decimals", () => {
    expect(formatUsd(wad("1234567.899"))).to.equal("1,234,567.89");
    expect(formatUsd(-wad("0.019"))).to.equal("-0.01");
    expect(formatUsd(-wad("0.001"))).to.equal("0.00");
    expect(formatRatio(wad(3), wad(2))).to.equal("1.50");
    expect(formatRatio(wad(3), 0n)).to.equal("inf");
  });

  it("scan lists the accounts closest to liquidation first", async () => {
    const { config, alice, bob } = await setup();
    const text = await scanCommand({ config, client });
    const lines = text.split("\n");
    expect(lines[0]).to.match(/^block \d+: 2 accounts evaluated, 1 under maintenance margin$/);
    // alice: E = 1,000 + 4,000 - 4,500 = 500 USD against ETH 4,000 long (MM about 620).
    expect(lines[3]).to.match(new RegExp(`^${getAddress(alice.address)}\\s+500\\.00\\s`)).and.match(/YES$/);
    expect(lines[4]).to.include(getAddress(bob.address)).and.match(/no$/);
    expect(await scanCommand({ config, client, limit: 1 })).to.not.include(getAddress(bob.address));
  });

  it("account shows the full breakdown, with the vault's figures", async () => {
    const { config, vault, alice } = await setup();
    const text = await accountCommand({ config, client, account: alice.address.toLowerCase() });
    const onChain = await vault.accountMargin(alice.address);
    expect(text).to.include(`account ${getAddress(alice.address)}`);
    for (const [label, value] of [
      ["maintenance margin MM", onChain.maintenanceMargin],
      ["initial margin IM", onChain.initialMargin],
      ["K medium", onChain.kMedium],
      ["isolated MM", onChain.isolatedMaintenanceMargin],
    ] as const) {
      expect(text).to.match(new RegExp(`${label}\\s+${formatUsd(value).replace(/[.,]/g, "\\$&")}`));
    }
    expect(text).to.match(/perp\s+ETH\s+2\n/).and.match(/cash\s+USD\s+-4,500\.00/).and.match(/ETH\s+2,000\.00\s+4,000\.00\s+600\.00/).and.include("LIQUIDATABLE");
    try {
      await accountCommand({ config, client, account: "0x12" });
      expect.fail("expected a ConfigError");
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
    }
  });

  it("refuses an endpoint of another chain", async () => {
    try {
      await checkChainId(client, 1);
      expect.fail("expected a ConfigError");
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).shortMessage).to.match(/serves chain 31337, but the config says chainId 1/);
    }
  });

  it("the CLI names a wrong config field, and run refuses mode \"run\" without a key", async () => {
    const exec = promisify(execFile);
    const dir = mkdtempSync(join(tmpdir(), "keeper-cli-"));
    const path = join(dir, "keeper.config.json");
    writeFileSync(path, JSON.stringify({ rpcUrls: [], vault: "0x1", chainId: 1, startBlock: 0 }));
    const run = (args: string[]) => exec("npx", ["tsx", "keeper/src/cli.ts", ...args]).then(() => expect.fail("expected exit code 1"), (e: { code: number; stderr: string }) => e);
    const bad = await run(["scan", "--config", path]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include("ConfigError").and.include("rpcUrls: expected at least one RPC URL").and.include("vault:");
    const noKeyPath = join(dir, "no-key.json");
    writeFileSync(noKeyPath, JSON.stringify({ rpcUrls: ["http://127.0.0.1:1"], vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3", chainId: 1, startBlock: 0, mode: "run" }));
    const noKey = await run(["run", "--config", noKeyPath]);
    expect(noKey.stderr).to.include('ConfigError: mode "run" needs a signing key.');
  });
});
