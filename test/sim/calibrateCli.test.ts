import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { parseDeploymentConfig } from "../../ignition/modules/deploymentConfig.js";
import { runCalibrate } from "../../sim/calibrateCli.js";
import { checkRegistryBounds } from "../../sim/registryBounds.js";
import { writeSyntheticPrices } from "./priceFiles.js";

const run = promisify(execFile);

/** Runs `npm run calibrate`'s script in a child process (without npm's start-up). */
async function calibrate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "sim/calibrateCli.ts", ...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A directory with AVAX and BNB files (700 days from 2021-01-01), where `edit` may change AVAX's rows. */
function pricesDir(edit: (rows: string[]) => string[] = (rows) => rows): string {
  const dir = mkdtempSync(path.join(tmpdir(), "calibrate-cli-"));
  const rows = writeSyntheticPrices(dir, [{ asset: "AVAX", start: 20, volatility: 0.05 }, { asset: "BNB", start: 300, volatility: 0.035 }], "2021-01-01", 700);
  writeFileSync(path.join(dir, "AVAX-USD_1d.csv"), edit(rows.AVAX!).join("\n") + "\n");
  return dir;
}

describe("sim/calibrateCli (`npm run calibrate`)", function () {
  this.timeout(60_000);

  it("writes a parameter file within the registry's bounds, a report and a chart for AVAX and BNB", async () => {
    const prices = pricesDir();
    const out = path.join(prices, "out");
    const result = await calibrate(["--assets", "AVAX,BNB", "--prices", prices, "--from", "2021-01-01", "--to", "2022-11-30", "--out", out]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/AVAX\s+scan 0\.\d\d \(new asset\)/);
    expect(result.stdout).to.match(/AVAX\/BNB\s+rho 0\.\d+/);
    expect(readdirSync(out).sort()).to.deep.equal(["calibration-2021-01-01_2022-11-30.json", "calibration-2021-01-01_2022-11-30.md", "calibration-2021-01-01_2022-11-30.svg"]);
    const config = parseDeploymentConfig(JSON.parse(readFileSync(path.join(out, "calibration-2021-01-01_2022-11-30.json"), "utf8")));
    expect(config.assets.map((a) => a.symbol)).to.deep.equal(["USD", "AVAX", "BNB"]);
    expect(checkRegistryBounds(config)).to.deep.equal([]);
    const md = readFileSync(path.join(out, "calibration-2021-01-01_2022-11-30.md"), "utf8");
    expect(md).to.match(/^# Risk calibration, 2021-01-01 \.\. 2022-11-30/);
    expect(md).to.match(/\| AVAX \| [\d.]+% \| [\d.]+% \|/);
    expect(md).to.include("| AVAX/BNB |");
    expect(readFileSync(path.join(out, "calibration-2021-01-01_2022-11-30.svg"), "utf8")).to.match(/^<svg[^>]*>/);
  });

  const bad: [string, (rows: string[]) => string[], RegExp][] = [
    ["a gap", (rows) => [...rows.slice(0, 100), ...rows.slice(101)], /AVAX-USD_1d\.csv:101: gap: no close for 2021-04-10/],
    ["a single row", (rows) => rows.slice(0, 2), /AVAX-USD_1d\.csv:2: a single price row \(2021-01-01\)/],
    ["a zero close", (rows) => rows.map((r, i) => (i === 50 ? r.replace(/,.*/, ",0") : r)), /AVAX-USD_1d\.csv:51: close "0" is not a positive number/],
    ["a negative close", (rows) => rows.map((r, i) => (i === 60 ? r.replace(/,.*/, ",-3.5") : r)), /AVAX-USD_1d\.csv:61: close "-3\.5" is not a positive number/],
    ["too short a history", (rows) => [rows[0]!, ...rows.slice(500)], /AVAX-USD_1d\.csv:2: too short a history: 2022-05-15 \.\. 2022-12-01 has 200 daily returns, calibration needs at least 365/],
  ];
  for (const [what, edit, message] of bad) {
    it(`on ${what}: one line naming the file and the row, exit 1, nothing written`, () => {
      const prices = pricesDir(edit);
      const out = path.join(prices, "out");
      const [log, error]: [string[], string[]] = [[], []];
      const code = runCalibrate(["--assets", "AVAX,BNB", "--prices", prices, "--out", out], { log: (l) => log.push(l), error: (l) => error.push(l) });
      expect(code).to.equal(1);
      expect(log).to.deep.equal([]);
      expect(error).to.have.length(1);
      expect(error[0]).to.match(message);
      expect(existsSync(out)).to.equal(false);
    });
  }
});
