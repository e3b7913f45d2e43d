/**
 * Compiles the protocol's sources with the pinned `solc` npm package for analysis only: the AST, the ABI and the
 * storage layout, no bytecode (about 5 s, against minutes for the viaIR build), so that the security checks read
 * exactly what the compiler sees.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Abi } from "viem";

const require = createRequire(import.meta.url);

/** A node of solc's compact JSON AST (only the fields the checks read are typed). */
export interface AstNode {
  id: number;
  nodeType: string;
  name?: string;
  [key: string]: unknown;
}

/** One entry of solc's `storageLayout.storage`. */
export interface StorageEntry {
  astId: number;
  contract: string;
  label: string;
  offset: number;
  slot: string;
  type: string;
}

export interface CompiledContract {
  abi: Abi;
  storageLayout: { storage: StorageEntry[]; types: Record<string, { label: string }> | null };
}

export interface AnalysisOutput {
  /** Source unit ASTs by source name. */
  asts: Record<string, AstNode>;
  /** Contracts by source name, then contract name. */
  contracts: Record<string, Record<string, CompiledContract>>;
  /** Every AST node by id. */
  nodes: Map<number, AstNode>;
}

/** The top-level contract sources: every deployable contract lives directly in `contracts/` (not in mocks). */
export function protocolSources(root: string): string[] {
  return readdirSync(path.join(root, "contracts"))
    .filter((file) => file.endsWith(".sol"))
    .sort()
    .map((file) => `contracts/${file}`);
}

/**
 * Compiles `sources` (paths relative to `root`) for analysis.
 * @throws Error listing the compiler's errors when the sources do not compile.
 */
export function compileForAnalysis(root: string, sources: string[] = protocolSources(root)): AnalysisOutput {
  const solc = require("solc") as { compile(input: string, callbacks: object): string };
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(sources.map((s) => [s, { content: readFileSync(path.join(root, s), "utf8") }])),
    settings: { outputSelection: { "*": { "*": ["abi", "storageLayout"], "": ["ast"] } } },
  };
  const findImport = (name: string) => {
    const file = name.startsWith("@") ? path.join(root, "node_modules", name) : path.join(root, name);
    try {
      return { contents: readFileSync(file, "utf8") };
    } catch {
      return { error: `not found: ${name}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: { severity: string; formattedMessage: string }[];
    sources: Record<string, { ast: AstNode }>;
    contracts: Record<string, Record<string, CompiledContract>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join("\n")}`);
  const asts = Object.fromEntries(Object.entries(output.sources).map(([name, s]) => [name, s.ast]));
  const nodes = new Map<number, AstNode>();
  walk(Object.values(asts), (node) => {
    if (typeof node.id === "number") nodes.set(node.id, node);
  });
  return { asts, contracts: output.contracts, nodes };
}

/** Calls `visit` on every AST node under `value` (depth first). */
export function walk(value: unknown, visit: (node: AstNode) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (value !== null && typeof value === "object") {
    const node = value as AstNode;
    if (typeof node.nodeType === "string") visit(node);
    for (const child of Object.values(node)) walk(child, visit);
  }
}
