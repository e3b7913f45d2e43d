/**
 * The test names the security doc lists: the invariant and property (fuzz) functions of the Solidity test suites,
 * and the `it()` titles of the attack catalogue (`test/attacks/*.test.ts`).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface PropertyTest {
  /** `invariant*` or `testFuzz*` function name. */
  name: string;
  /** Its file, relative to the repository root. */
  file: string;
  /** The contract that declares it. */
  contract: string;
  /** Its NatSpec (`///` lines above it), or the first assertion message when it has none. */
  description: string;
}

export const ATTACKS_DIR = "test/attacks";

function filesUnder(root: string, dir: string, suffix: string): string[] {
  const full = path.join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(suffix))
    .map((f) => path.posix.join(dir, f.split(path.sep).join("/")))
    .sort();
}

/** Every `invariant*` and `testFuzz*` function of `test/**\/*.t.sol`, in file order. */
export function listPropertyTests(root: string): PropertyTest[] {
  const found: PropertyTest[] = [];
  for (const file of filesUnder(root, "test", ".t.sol")) {
    const lines = readFileSync(path.join(root, file), "utf8").split("\n");
    let contract = "";
    lines.forEach((line, i) => {
      const c = /^(?:abstract\s+)?contract\s+(\w+)/.exec(line);
      if (c) contract = c[1];
      const f = /^\s*function\s+((?:invariant|testFuzz)\w*)\s*\(/.exec(line);
      if (!f) return;
      found.push({ name: f[1], file, contract, description: describe(lines, i) });
    });
  }
  return found;
}

function describe(lines: string[], at: number): string {
  const doc: string[] = [];
  for (let j = at - 1; j >= 0 && /^\s*\/\/\//.test(lines[j]); --j) {
    doc.unshift(lines[j].replace(/^\s*\/\/\/\s?(@dev\s|@notice\s)?/, "").trim());
  }
  if (doc.length > 0) return doc.join(" ");
  for (let j = at + 1; j < lines.length && !/^\s*}/.test(lines[j]); ++j) {
    const message = /"([^"]+)"\s*\)/.exec(lines[j]);
    if (message) return message[1];
  }
  return "";
}

/** Every `it()` title of `test/attacks/*.test.ts`, with its file (repeated titles appear repeatedly). */
export function listAttackTitles(root: string): { title: string; file: string }[] {
  const titles: { title: string; file: string }[] = [];
  for (const file of filesUnder(root, ATTACKS_DIR, ".test.ts")) {
    const source = readFileSync(path.join(root, file), "utf8");
    for (const m of source.matchAll(/\bit(?:\.only|\.skip)?\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`$]*)`)/g)) {
      titles.push({ title: (m[1] ?? m[2] ?? m[3]).replace(/\\(.)/g, "$1"), file });
    }
  }
  return titles;
}
