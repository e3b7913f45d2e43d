import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { XMLParser } from "./xml.js";

/**
 * A tiny `npm start` (20 accounts, the 2021-05-19 crash, 4 blocks a day) end to end: node, deployment, signed
 * trades, the keeper's `run` process, report; and nothing left running afterwards.
 */
describe("sim/startCli (end to end, tiny window)", () => {
  it("liquidates through the keeper process, writes the report and leaves no process behind", async function () {
    this.timeout(180_000);
    const out = mkdtempSync(path.join(tmpdir(), "start-e2e-"));
    const run = spawnSync(
      "npx",
      ["tsx", "sim/startCli.ts", "--accounts", "20", "--from", "2021-05-18", "--to", "2021-05-20", "--blocks-per-day", "4", "--out", out],
      { encoding: "utf8", timeout: 170_000 },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
    const url = /✔ node\s+[\d.]+ s\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout)?.[1];
    expect(url, run.stdout).to.be.a("string");

    const md = readFileSync(path.join(out, "local-2021-05-18_2021-05-20.md"), "utf8");
    expect(md).to.include("Keeper: `npm run keeper -- run` ran against the node for the whole replay");
    expect(md).to.match(/- [1-9]\d* liquidations of [1-9]\d* accounts/);
    expect(md).to.include("**Unbacked bad debt at the end: $0**");
    expect(md).to.include("**Solvent accounts pushed below zero equity: 0**");
    expect(md).to.include("Accounts seen under MM and never liquidated: 0; under MM at the end: 0.");
    expect(md).to.include("for 20/20 accounts at the end; at opening the vault matched the planned margin for 20/20");
    expect(new XMLParser().parse(readFileSync(path.join(out, "local-2021-05-18_2021-05-20.svg"), "utf8"))).to.equal("svg");
    expect(existsSync(path.join(out, "local-2021-05-18_2021-05-20.keeper.log"))).to.equal(true);
    expect(existsSync("ignition/deployments/local-sim")).to.equal(false);

    // The node (and with it its process group) is gone: its port no longer answers.
    const answered = await fetch(url!, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    }).then(
      () => true,
      () => false,
    );
    expect(answered).to.equal(false);
  });

  it("with --adaptive, a risk steward moves the scans through the registry's bounded path as the crash replays", function () {
    this.timeout(240_000);
    const out = mkdtempSync(path.join(tmpdir(), "start-adaptive-"));
    const run = spawnSync(
      "npx",
      ["tsx", "sim/startCli.ts", "--adaptive", "--accounts", "20", "--from", "2021-05-17", "--to", "2021-05-21", "--blocks-per-day", "4", "--out", out],
      { encoding: "utf8", timeout: 230_000 },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
    // Four closes after the first: each scan rises by at most 10% a day toward 1.25x (BTC 0.12 -> 0.132 -> 0.1452 -> ...).
    const line = /adaptive scans \(v1\.1\): (\d+) updates through the steward path \(account #7\); (.*)/.exec(run.stdout);
    expect(line, run.stdout).to.not.equal(null);
    expect(Number(line![1])).to.be.within(5, 20);
    expect(line![2]).to.match(/BTC 0\.12 -> 0\.1\d+ \([1-4] updates\)/);
    const md = readFileSync(path.join(out, "local-2021-05-17_2021-05-21.md"), "utf8");
    expect(md).to.include("**Unbacked bad debt at the end: $0**");
    expect(md).to.include("for 20/20 accounts at the end");
  });
});
