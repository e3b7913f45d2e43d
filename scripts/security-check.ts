/**
 * `npm run security:check [-- --write]`: checks docs/security.md against the code (scripts/security/check.ts): the
 * role x function matrix and the storage layout against the compiler's AST, ABI and storage layout, the invariant
 * list against the Solidity test suites, the attack catalogue against `test/attacks/*.test.ts`. Exits 1 on any
 * drift. `--write` first regenerates the three generated sections (the attack table is written by hand).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";

import { derive, runChecks, SECURITY_DOC, writeGenerated } from "./security/check.js";

const options = new Command()
  .name("security-check")
  .option("--write", "regenerate the generated sections of docs/security.md before checking")
  .parse()
  .opts<{ write?: boolean }>();

const root = process.cwd();
const derived = derive(root);
let doc = readFileSync(SECURITY_DOC, "utf8");
if (options.write) {
  doc = writeGenerated(doc, derived);
  writeFileSync(SECURITY_DOC, doc);
  console.log(`wrote the roles, storage and invariants sections of ${SECURITY_DOC}`);
}
let failed = false;
for (const result of runChecks(root, doc, derived)) {
  const status = result.ok ? "ok" : "FAIL";
  console.log(`${status.padEnd(4)} ${result.name}${result.messages.length > 0 ? ":" : ""}`);
  for (const message of result.messages) console.log(`     ${message}`);
  failed ||= !result.ok;
}
process.exit(failed ? 1 : 0);
