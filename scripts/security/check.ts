/**
 * Checks `docs/security.md` against the code, so that it cannot drift: the role x function matrix, the storage
 * layout and the invariant list are generated between markers (`<!-- roles:begin -->` ... `<!-- roles:end -->`)
 * and must equal what the compiler and the test sources give now; the attack table of "## Attack catalogue" must
 * list every `it()` title of `test/attacks/*.test.ts` exactly once. `writeGenerated` rewrites the three sections.
 */
import { compileForAnalysis, protocolSources, type AnalysisOutput } from "./compile.js";
import { deriveRoleMatrix, renderRoleMatrix } from "./roles.js";
import { deriveStorage, layoutMismatches, renderStorage } from "./storage.js";
import { listAttackTitles, listPropertyTests, type PropertyTest } from "./tests.js";

export const SECURITY_DOC = "docs/security.md";
export const ATTACK_HEADING = "## Attack catalogue";
export const SECTIONS = ["roles", "storage", "invariants"] as const;
export type Section = (typeof SECTIONS)[number];

export interface CheckResult {
  name: string;
  ok: boolean;
  messages: string[];
}

/** What the code says: the generated sections and the inputs of the set checks. */
export interface Derived {
  sections: Record<Section, string>;
  roleSignatures: string[];
  properties: PropertyTest[];
  layoutMismatches: string[];
}

/** Compiles the contracts (analysis only) and reads the tests. */
export function derive(root: string, out: AnalysisOutput = compileForAnalysis(root)): Derived {
  const rows = deriveRoleMatrix(out, protocolSources(root));
  const properties = listPropertyTests(root);
  return {
    sections: { roles: renderRoleMatrix(rows), storage: renderStorage(deriveStorage(out)), invariants: renderInvariants(properties) },
    roleSignatures: rows.map((r) => `${r.contract}.${r.signature}`),
    properties,
    layoutMismatches: layoutMismatches(out),
  };
}

/** The invariant list: every invariant and property test, with its file and what it checks. */
export function renderInvariants(tests: PropertyTest[]): string {
  const lines = ["| Test | Kind | Suite | Property |", "|---|---|---|---|"];
  for (const t of tests) {
    const kind = t.name.startsWith("invariant") ? "invariant" : "fuzz property";
    lines.push(`| \`${t.name}\` | ${kind} | \`${t.file}\` (${t.contract}) | ${t.description.replace(/\|/g, "\\|")} |`);
  }
  return lines.join("\n");
}

const begin = (s: Section) => `<!-- ${s}:begin -->`;
const end = (s: Section) => `<!-- ${s}:end -->`;

/** The text between a section's markers, trimmed; undefined when the markers are missing. */
export function readSection(doc: string, section: Section): string | undefined {
  const a = doc.indexOf(begin(section));
  const b = doc.indexOf(end(section));
  if (a < 0 || b < a) return undefined;
  return doc.slice(a + begin(section).length, b).trim();
}

/** `doc` with the three generated sections replaced by `derived`'s. */
export function writeGenerated(doc: string, derived: Derived): string {
  let text = doc;
  for (const section of SECTIONS) {
    const a = text.indexOf(begin(section));
    const b = text.indexOf(end(section));
    if (a < 0 || b < a) throw new Error(`${SECURITY_DOC} has no ${begin(section)} ... ${end(section)} markers`);
    text = `${text.slice(0, a + begin(section).length)}\n${derived.sections[section]}\n${text.slice(b)}`;
  }
  return text;
}

/** The first column's backticked names of a Markdown table. */
function firstColumnNames(table: string): string[] {
  return [...table.matchAll(/^\|\s*`([^`]+)`/gm)].map((m) => m[1]);
}

/** Names present on one side only, as messages. */
function setDiff(label: string, expected: string[], actual: string[]): string[] {
  const messages = expected.filter((x) => !actual.includes(x)).map((x) => `${label}: missing from the doc: ${x}`);
  return messages.concat(actual.filter((x) => !expected.includes(x)).map((x) => `${label}: in the doc only: ${x}`));
}

function sectionCheck(name: string, doc: string, section: Section, derived: Derived, extra: string[]): CheckResult {
  const text = readSection(doc, section);
  const messages = [...extra];
  if (text === undefined) messages.push(`no ${begin(section)} ... ${end(section)} markers`);
  else if (text !== derived.sections[section]) {
    messages.push(`the ${section} section differs from the code; run \`npm run security:check -- --write\``);
  }
  return { name, ok: messages.length === 0, messages };
}

/** The rows of the attack catalogue's table: `| Category | \`it() title\` | Expected outcome |`. */
export function attackRows(doc: string): { category: string; title: string; outcome: string }[] {
  const at = doc.indexOf(`\n${ATTACK_HEADING}`);
  if (at < 0) return [];
  const rows: { category: string; title: string; outcome: string }[] = [];
  for (const m of doc.slice(at).matchAll(/^\|([^|\n]*)\|\s*`([^`]+)`\s*\|([^\n]*)\|\s*$/gm)) {
    rows.push({ category: m[1].trim(), title: m[2], outcome: m[3].trim() });
  }
  return rows;
}

/** Runs the four checks of `doc` against `root`'s code and tests. */
export function runChecks(root: string, doc: string, derived: Derived = derive(root)): CheckResult[] {
  const results: CheckResult[] = [];

  const roleNames = [...(readSection(doc, "roles") ?? "").matchAll(/^\| (\w+) \| `([^`]+)`/gm)].map((m) => `${m[1]}.${m[2]}`);
  results.push(
    sectionCheck("role matrix", doc, "roles", derived, setDiff("role matrix", derived.roleSignatures, roleNames)),
  );

  results.push(sectionCheck("storage layout", doc, "storage", derived, derived.layoutMismatches));

  const invariantNames = firstColumnNames(readSection(doc, "invariants") ?? "");
  const expected = derived.properties.map((p) => p.name);
  results.push(sectionCheck("invariant list", doc, "invariants", derived, setDiff("invariant list", expected, invariantNames)));

  const titles = listAttackTitles(root).map((t) => t.title);
  const rows = attackRows(doc).map((r) => r.title);
  const messages = setDiff("attack catalogue", titles, rows);
  for (const list of [titles, rows]) {
    const source = list === titles ? "test/attacks" : SECURITY_DOC;
    const twice = [...new Set(list.filter((t, i) => list.indexOf(t) !== i))];
    messages.push(...twice.map((t) => `attack catalogue: "${t}" appears more than once in ${source}`));
  }
  if (rows.length === 0) messages.push(`no table under "${ATTACK_HEADING}"`);
  results.push({ name: "attack catalogue", ok: messages.length === 0, messages });
  return results;
}
