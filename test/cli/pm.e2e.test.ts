import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address } from "viem";

import { createLogger } from "../../client/src/log.js";
import { parseMakerConfig } from "../../maker/src/config.js";
import { startMaker, type RunningMaker } from "../../maker/src/startMaker.js";
import { chainMargin, freePort, startClientEnv, stopAll, WAD, type ClientEnv } from "../client/harness.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run pm -- <args>` (as node --import tsx cli/src/pm.ts) with `env`. */
function pm(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "cli/src/pm.ts", ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("cli: npm run pm against a hardhat node", function () {
  this.timeout(400_000);
  let env: ClientEnv;
  let maker: RunningMaker;
  let deploymentPath: string;
  let trader: Address;
  let makerAddress: Address;
  let userEnv: NodeJS.ProcessEnv;
  const run = (...args: string[]) => pm(["--deployment", deploymentPath, ...args], userEnv);
  const json = async (...args: string[]) => {
    const r = await run("--json", ...args);
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).to.equal(0);
    return JSON.parse(r.stdout) as Record<string, any>;
  };
  const onChain = async () => {
    const m = await chainMargin((await env.trader()).pm, trader);
    return { equity: m.equity.toString(), maintenanceMargin: m.maintenanceMargin.toString(), initialMargin: m.initialMargin.toString() };
  };
  const printed = (o: Record<string, any>) => ({ equity: o.equity, maintenanceMargin: o.maintenanceMargin, initialMargin: o.initialMargin });

  before(async () => {
    env = await startClientEnv();
    const makerAccount = await env.trader(1_000_000);
    makerAddress = makerAccount.address;
    await makerAccount.pm.deposit({ token: "USDC", amount: 1_000_000n * 10n ** 6n });
    const config = parseMakerConfig({
      rpcUrl: env.url,
      chainId: 31337,
      vault: env.vault,
      settlement: env.settlement,
      key: { privateKeyEnv: "MAKER_KEY" },
      http: { host: "127.0.0.1", port: 0 },
      // A CLI process takes seconds to start on a busy machine: the quote must outlive it.
      quoteTtlSeconds: 120,
      logLevel: "silent",
    });
    maker = await startMaker(config, { env: { MAKER_KEY: makerAccount.key }, logger: createLogger({ level: "silent" }) });
    const dir = mkdtempSync(join(tmpdir(), "pm-cli-"));
    deploymentPath = join(dir, "localhost.json");
    writeFileSync(deploymentPath, JSON.stringify({ rpcUrl: env.url, chainId: 31337, vault: env.vault, settlement: env.settlement, fromBlock: "0", makerUrl: maker.url }));
    const user = await env.trader();
    trader = user.address;
    userEnv = { PM_PRIVATE_KEY: user.key };
  });

  after(async () => {
    await maker?.close();
    await stopAll();
  });

  it("faucet -> deposit -> quote -> trade -> what-if -> account -> withdraw, every printed figure equal to vault.accountMargin", async () => {
    expect((await run("faucet", "20000", "USDC")).code).to.equal(0);

    const deposited = await json("deposit", "10000", "USDC");
    expect(deposited.equity).to.equal((10_000n * WAD).toString());
    expect(printed(deposited)).to.deep.equal(await onChain());

    const quoted = await json("quote", "ETH", "buy", "2");
    expect(quoted.accepted).to.equal(true);
    expect(BigInt(quoted.price) > BigInt(quoted.oraclePrice)).to.equal(true);

    const traded = await json("trade", "ETH", "buy", "2");
    expect(printed(traded.after)).to.deep.equal(await onChain());

    const whatIf = await json("what-if", "--price", "ETH=2000");
    await (await env.d.feed("ETH").setAnswer(2000n * 10n ** 8n)).wait();
    expect(printed(whatIf.after)).to.deep.equal(await onChain());

    const account = await json("account");
    expect(printed(account)).to.deep.equal(await onChain());
    expect(account.holdings.positions[0].market).to.equal("ETH-PERP");
    expect(account.holdings.positions[0].size).to.equal((2n * WAD).toString());

    const human = await run("account");
    expect(human.code).to.equal(0);
    expect(human.stdout).to.include("maintenance margin MM").and.include("liq. price down").and.include("max withdrawable");

    const withdrawn = await json("withdraw", "max", "USDC");
    expect(printed(withdrawn)).to.deep.equal(await onChain());
    expect(printed(withdrawn.predicted)).to.deep.equal(await onChain());
    expect(BigInt(withdrawn.equity) >= BigInt(withdrawn.initialMargin)).to.equal(true);

    const refused = await run("withdraw", "1", "USDC");
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim().split("\n")).to.have.length(1);
    expect(refused.stderr).to.match(/InsufficientMargin/).and.match(/at most/);
  });

  it("settle-cash: the trader's negative cash is paid from its USDC into the pool, equity unchanged; positive cash has nothing to settle", async () => {
    const before = await onChain();
    const settled = await json("settle-cash");
    expect(BigInt(settled.settledUnits) > 0n).to.equal(true);
    expect(printed(settled)).to.deep.equal(await onChain());
    expect(settled.equity).to.equal(before.equity);

    // The maker sold the trader's ETH: its cash is positive, which withdraw pays, not settle-cash.
    const human = await run("settle-cash", makerAddress);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/^nothing to settle for 0x[0-9a-fA-F]{40}: its cash is [0-9,.]+ USD: only negative cash is settled/);
  });

  const badInput: [string, string[], NodeJS.ProcessEnv | null, number, RegExp][] = [
    ["an unknown market", ["trade", "NOPE", "buy", "1"], null, 2, /Unknown market "NOPE"/],
    ["size 0", ["quote", "ETH", "buy", "0"], null, 2, /greater than 0/],
    ["a size that is not a number", ["trade", "ETH", "buy", "lots"], null, 2, /is not a number/],
    ["an amount that is not a number", ["deposit", "1e3", "USDC"], null, 2, /is not a number/],
    ["an unknown command", ["fly"], null, 2, /unknown command/],
    ["no key", ["deposit", "1", "USDC"], {}, 1, /PM_PRIVATE_KEY .* is not set/],
  ];
  // The bad-input runs start together (each CLI process takes seconds to start on a busy machine).
  let badRuns: Promise<Run[]> | undefined;
  const badRun = (i: number) => (badRuns ??= Promise.all(badInput.map(([, args, envOverride]) => pm(["--deployment", deploymentPath, ...args], envOverride ?? userEnv)))).then((runs) => runs[i]!);
  badInput.forEach(([what, , , code, message], i) => {
    it(`${what}: one clear line, exit ${code}, no stack trace`, async () => {
      const r = await badRun(i);
      expect(r.code).to.equal(code);
      expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(message).and.not.match(/\n\s+at /);
    });
  });

  it("an unreachable RPC: one clear line, exit 1", async () => {
    const port = await freePort();
    const r = await pm(["--deployment", deploymentPath, "--rpc", `http://127.0.0.1:${port}`, "account"], userEnv);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr).to.match(/Cannot reach the RPC endpoint/);
  });
});
