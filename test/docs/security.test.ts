import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { compileForAnalysis, type AnalysisOutput } from "../../scripts/security/compile.js";
import { derive, runChecks, SECURITY_DOC, type CheckResult, type Derived } from "../../scripts/security/check.js";
import { layoutMismatches } from "../../scripts/security/storage.js";

const ROOT = process.cwd();

function result(results: CheckResult[], name: string): CheckResult {
  const found = results.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no check named ${name}`);
  return found;
}

describe("docs/security.md (npm run security:check)", function () {
  let out: AnalysisOutput;
  let derived: Derived;
  let doc: string;

  before(function () {
    this.timeout(300_000);
    out = compileForAnalysis(ROOT);
    derived = derive(ROOT, out);
    doc = readFileSync(SECURITY_DOC, "utf8");
  });

  it("matches the code: role matrix, storage layout and invariant list", () => {
    for (const name of ["role matrix", "storage layout", "invariant list"]) {
      const r = result(runChecks(ROOT, doc, derived), name);
      expect(r.messages, name).to.deep.equal([]);
      expect(r.ok, name).to.equal(true);
    }
  });

  it("lists every it() title of test/attacks exactly once in the attack catalogue", () => {
    const r = result(runChecks(ROOT, doc, derived), "attack catalogue");
    expect(r.messages).to.deep.equal([]);
  });

  it("fails naming the function when a row of the role matrix is missing", () => {
    const drifted = doc.replace(/^\| MarginVault \| `liquidate\(address,uint256\)` .*\n/m, "");
    expect(drifted).to.not.equal(doc);
    const r = result(runChecks(ROOT, drifted, derived), "role matrix");
    expect(r.ok).to.equal(false);
    expect(r.messages).to.include("role matrix: missing from the doc: MarginVault.liquidate(address,uint256)");
  });

  it("fails when a function's role in the doc is not the one the code checks", () => {
    const drifted = doc.replace(
      /^(\| MarginVault \| `pause\(\)` \|[^|]*\|) x \|/m,
      (_, head: string) => `${head}  |`,
    );
    expect(drifted).to.not.equal(doc);
    const r = result(runChecks(ROOT, drifted, derived), "role matrix");
    expect(r.ok).to.equal(false);
    expect(r.messages.join("\n")).to.include("security:check -- --write");
  });

  it("fails when an invariant test is not listed", () => {
    const drifted = doc.replace(/^\| `invariantCloseFactor` .*\n/m, "");
    const r = result(runChecks(ROOT, drifted, derived), "invariant list");
    expect(r.ok).to.equal(false);
    expect(r.messages).to.include("invariant list: missing from the doc: invariantCloseFactor");
  });

  it("fails when the storage table differs from the compiler's layout", () => {
    const drifted = doc.replace("| `_badDebt` |", "| `_badDebtRenamed` |");
    expect(drifted).to.not.equal(doc);
    expect(result(runChecks(ROOT, drifted, derived), "storage layout").ok).to.equal(false);
  });

  it("fails when CashModule's storage layout stops matching the vault's (it runs on the vault's storage)", () => {
    const cashModule = out.contracts["contracts/CashModule.sol"].CashModule;
    const storage = cashModule.storageLayout.storage;
    const shifted = storage.map((e, i) => (i === storage.length - 1 ? { ...e, slot: String(Number(e.slot) + 1) } : e));
    const changed: AnalysisOutput = {
      ...out,
      contracts: {
        ...out.contracts,
        "contracts/CashModule.sol": { CashModule: { ...cashModule, storageLayout: { ...cashModule.storageLayout, storage: shifted } } },
      },
    };
    expect(layoutMismatches(out)).to.deep.equal([]);
    expect(layoutMismatches(changed)[0]).to.match(/^CashModule and MarginVault must share one storage layout/);
  });

  it("fails on an attack test missing from the catalogue, one listed twice, or a row with no test", () => {
    const root = mkdtempSync(path.join(tmpdir(), "security-check-"));
    mkdirSync(path.join(root, "test/attacks"), { recursive: true });
    writeFileSync(
      path.join(root, "test/attacks/oracle.test.ts"),
      `describe("oracle", () => {\n  it("stale feed: liquidation reverts", () => {});\n  it('zero answer: reverts', () => {});\n});\n`,
    );
    const table = [
      "| Category | Attack (test name) | Expected outcome |",
      "|---|---|---|",
      "| oracle | `stale feed: liquidation reverts` | reverts |",
      "| oracle | `stale feed: liquidation reverts` | reverts |",
      "| oracle | `not a test` | reverts |",
    ].join("\n");
    const catalogue = doc.replace(/## Attack catalogue[\s\S]*$/, `## Attack catalogue\n\n${table}\n`);
    const r = result(runChecks(root, catalogue, derived), "attack catalogue");
    expect(r.ok).to.equal(false);
    expect(r.messages).to.have.members([
      "attack catalogue: missing from the doc: zero answer: reverts",
      "attack catalogue: in the doc only: not a test",
      `attack catalogue: "stale feed: liquidation reverts" appears more than once in ${SECURITY_DOC}`,
    ]);
    const fixed = catalogue.replace("| oracle | `stale feed: liquidation reverts` | reverts |\n", "").replace("`not a test`", "`zero answer: reverts`");
    expect(result(runChecks(root, fixed, derived), "attack catalogue").messages).to.deep.equal([]);
  });
});
