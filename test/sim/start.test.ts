import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** `npm start` checks the price files before it starts anything; these runs never start a node. */
function start(...args: string[]) {
  return spawnSync("npx", ["tsx", "sim/startCli.ts", ...args], { encoding: "utf8", timeout: 60_000 });
}

describe("sim/startCli (price files)", () => {
  it("fails with the missing file's name before starting a node", function () {
    this.timeout(60_000);
    const dir = mkdtempSync(path.join(tmpdir(), "start-"));
    const run = start("--prices", dir);
    expect(run.status).to.equal(1);
    expect(run.stderr).to.include(`price file error: ${path.join(dir, "BTC-USD_1d.csv")}: price file not found`);
    expect(run.stdout).to.not.include("node");
  });

  it("names the file, the line and the problem of a malformed price file", function () {
    this.timeout(60_000);
    const dir = mkdtempSync(path.join(tmpdir(), "start-"));
    for (const asset of ["BTC", "ETH", "SOL", "LINK", "DOGE"]) {
      writeFileSync(path.join(dir, `${asset}-USD_1d.csv`), "datetime,close\n2021-05-05,1\n2021-05-06,2\n");
    }
    writeFileSync(path.join(dir, "SOL-USD_1d.csv"), "datetime,close\n2021-05-05,1\n2021-05-06;2\n");
    const run = start("--prices", dir, "--from", "2021-05-05", "--to", "2021-05-06");
    expect(run.status).to.equal(1);
    expect(run.stderr).to.include(`${path.join(dir, "SOL-USD_1d.csv")}:3: expected 2 fields (datetime,close), found 1`);
  });

  it("refuses a window the file does not cover", function () {
    this.timeout(60_000);
    const run = start("--from", "2019-01-01", "--to", "2019-01-10");
    expect(run.status).to.equal(1);
    expect(run.stderr).to.match(/BTC-USD_1d\.csv: covers 2020-04-10 \.\. 2023-12-31, not the window 2019-01-01 \.\. 2019-01-10/);
  });
});
