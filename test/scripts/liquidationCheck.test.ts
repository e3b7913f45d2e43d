import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const PUBLIC = "test/vectors/liquidation-v1.json";

function run(file: string) {
  const result = spawnSync("npx", ["tsx", "scripts/liquidation-check.ts", file], { encoding: "utf8", timeout: 180_000 });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe("npm run liquidation:check", () => {
  it("passes on the public liquidation vectors, on-chain (preview and liquidate) and in the twin", () => {
    const { status, out } = run(PUBLIC);
    expect(out).to.include("twin: 11/11 cases match");
    expect(out).to.include("onchain: 11/11 cases match");
    expect(status).to.equal(0);
  });

  it("exits 1 and names the field when an expected bonus is off by one wei", () => {
    const json = JSON.parse(readFileSync(PUBLIC, "utf8"));
    json.cases = [json.cases[0]];
    json.cases[0].expect.bonus = String(BigInt(json.cases[0].expect.bonus) + 1n);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "liquidation-check-")), "off.json");
    writeFileSync(file, JSON.stringify(json));
    const { status, out } = run(file);
    expect(status).to.equal(1);
    expect(out).to.match(/\[twin\] case ".*": bonus expected/);
    expect(out).to.match(/\[onchain preview\] case ".*": bonus expected/);
  });
});
