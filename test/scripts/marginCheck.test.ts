import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { accountMargin, caseToPortfolio, casePrices, loadVectorFile, paramsToRiskParams } from "../../client/src/margin/index.js";

const PUBLIC = "test/vectors/margin-v1.json";
const dir = mkdtempSync(path.join(tmpdir(), "margin-check-"));

function run(file: string) {
  const result = spawnSync("npx", ["tsx", "scripts/margin-check.ts", file], { encoding: "utf8", timeout: 120_000 });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

/** A new vector file in the public format: seeded random portfolios (duplicate entries on one asset included),
 * other prices and correlations, expectations written from the spec's formulas by the twin. */
function generatedFile(): string {
  const json = JSON.parse(readFileSync(PUBLIC, "utf8"));
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  json.params.rho["1,2"] = "-300000000000000000";
  json.params.imFactor = "1250000000000000000";
  // The loader validates `expect`, so the cases are written once with zeros, then with the twin's figures.
  const zero = "0";
  const placeholder = {
    equity: zero, exposures: {}, weightedSensitivities: {}, kLow: zero, kMedium: zero, kHigh: zero, k: zero,
    addOns: zero, maintenanceMargin: zero, initialMargin: zero, isolatedMaintenanceMargin: zero, liquidatable: false,
  };
  const cases = [];
  for (let i = 0; i < 12; i++) {
    const prices: Record<string, string> = {};
    for (let a = 0; a < 6; a++) prices[a] = String(BigInt(1 + rand(90_000)) * 10n ** BigInt(14 + rand(4)));
    const collateral = Array.from({ length: rand(4) }, () => ({
      asset: rand(6),
      haircut: String(BigInt(rand(10)) * 10n ** 16n),
      balance: String(BigInt(1 + rand(1_000_000)) * 10n ** BigInt(12 + rand(6))),
    }));
    const positions = Array.from({ length: rand(5) }, () => ({
      asset: 1 + rand(5),
      k: String(BigInt(rand(3)) * 5n * 10n ** 15n),
      size: String(BigInt(rand(2_000_000) - 1_000_000) * 10n ** BigInt(12 + rand(6))),
    }));
    if (i === 0) collateral.push({ asset: 2, haircut: "0", balance: "7" }, { asset: 2, haircut: "0", balance: "3" });
    cases.push({ name: `generated ${i}`, prices, cash: String(BigInt(rand(2_000_000) - 1_000_000) * 10n ** 18n), collateral, positions, expect: placeholder });
  }
  json.cases = cases;
  const file = path.join(dir, "generated.json");
  writeFileSync(file, JSON.stringify(json));
  // Fill `expect` from the twin, which the public vectors pin to the spec.
  const parsed = loadVectorFile(file);
  const params = paramsToRiskParams(parsed.params);
  json.cases.forEach((c: any, i: number) => {
    const m = accountMargin(caseToPortfolio(parsed.cases[i]!), params, casePrices(parsed.cases[i]!, params.scan.length));
    const keyed = (values: bigint[], keep: (a: number) => boolean) =>
      Object.fromEntries(values.flatMap((v, a) => (keep(a) ? [[String(a), String(v)]] : [])));
    c.expect = {
      equity: String(m.equity),
      exposures: keyed(m.exposures, (a) => ((m.touched >> BigInt(a)) & 1n) === 1n),
      weightedSensitivities: keyed(m.weightedSensitivities, (a) => m.exposures[a] !== 0n),
      kLow: String(m.kLow),
      kMedium: String(m.kMedium),
      kHigh: String(m.kHigh),
      k: String(m.k),
      addOns: String(m.addOns),
      maintenanceMargin: String(m.maintenanceMargin),
      initialMargin: String(m.initialMargin),
      isolatedMaintenanceMargin: String(m.isolatedMaintenanceMargin),
      liquidatable: m.equity < m.maintenanceMargin,
    };
  });
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe("npm run margin:check", function () {
  this.timeout(240_000);

  it("passes on the public vectors, on-chain and in the keeper", () => {
    const { status, out } = run(PUBLIC);
    expect(out).to.contain("onchain: 48/48 cases match");
    expect(out).to.contain("keeper: 48/48 cases match");
    expect(status).to.equal(0);
  });

  it("passes on another file in the same format, with other parameters and duplicate entries", () => {
    const { status, out } = run(generatedFile());
    expect(out).to.contain("onchain: 12/12 cases match");
    expect(status).to.equal(0);
  });

  it("exits 1 and names the field when an expectation is off by one wei", () => {
    const json = JSON.parse(readFileSync(PUBLIC, "utf8"));
    json.cases[10].expect.kHigh = String(BigInt(json.cases[10].expect.kHigh) + 1n);
    const file = path.join(dir, "tampered.json");
    writeFileSync(file, JSON.stringify(json));
    const { status, out } = run(file);
    expect(out).to.contain("onchain: 47/48 cases match");
    expect(out).to.contain(`[onchain] case "${json.cases[10].name}": kHigh expected`);
    expect(status).to.equal(1);
  });

  it("exits 2 with a message naming the problem when the file is malformed", () => {
    const file = path.join(dir, "malformed.json");
    writeFileSync(file, JSON.stringify({ model: "portfolio-margin v1", cases: [] }));
    const { status, out } = run(file);
    expect(out).to.match(/margin vectors: .*params/);
    expect(status).to.equal(2);
  });
});
