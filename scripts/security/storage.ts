/**
 * The storage layout table, from solc's `storageLayout` output: slot, offset, type and name of every state
 * variable of the contracts that hold state, and the contract that declares it.
 */
import type { AnalysisOutput, StorageEntry } from "./compile.js";

/** The contracts whose layout the doc lists: the vault (whose layout is VaultStorage's) and the other two. */
export const LAYOUT_CONTRACTS = ["MarginVault", "InsuranceFund", "TradeSettlement"];

/** Contracts that must have exactly the layout of another: the vault runs CashModule by delegatecall. */
export const SHARED_LAYOUTS: [string, string][] = [
  ["CashModule", "MarginVault"],
  ["VaultStorage", "MarginVault"],
];

export interface StorageRow {
  contract: string;
  slot: string;
  offset: number;
  type: string;
  name: string;
  declaredIn: string;
}

function layoutOf(out: AnalysisOutput, contract: string): { storage: StorageEntry[]; types: Record<string, { label: string }> } {
  for (const byName of Object.values(out.contracts)) {
    const layout = byName[contract]?.storageLayout;
    if (layout !== undefined) return { storage: layout.storage, types: layout.types ?? {} };
  }
  throw new Error(`no storage layout for ${contract}`);
}

/** The rows of every contract of LAYOUT_CONTRACTS, in slot order. */
export function deriveStorage(out: AnalysisOutput): StorageRow[] {
  return LAYOUT_CONTRACTS.flatMap((contract) => {
    const { storage, types } = layoutOf(out, contract);
    return storage.map((e) => ({
      contract,
      slot: e.slot,
      offset: e.offset,
      type: types[e.type]?.label ?? e.type,
      name: e.label,
      declaredIn: declaringContract(out, e.astId),
    }));
  });
}

/** Pairs of SHARED_LAYOUTS whose layouts differ (slot, offset, type or name), as messages. */
export function layoutMismatches(out: AnalysisOutput): string[] {
  const key = (contract: string) => {
    const { storage, types } = layoutOf(out, contract);
    return storage.map((e) => `${e.slot}/${e.offset} ${types[e.type]?.label ?? e.type} ${e.label}`).join("\n");
  };
  return SHARED_LAYOUTS.filter(([a, b]) => key(a) !== key(b)).map(
    ([a, b]) => `${a} and ${b} must share one storage layout (the vault delegatecalls into ${a}), but they differ`,
  );
}

function declaringContract(out: AnalysisOutput, astId: number): string {
  const decl = out.nodes.get(astId);
  const scope = decl === undefined ? undefined : out.nodes.get(decl.scope as number);
  return scope?.name ?? "?";
}

/** Renders the rows as a Markdown table. */
export function renderStorage(rows: StorageRow[]): string {
  const lines = ["| Contract | Slot | Offset | Type | Name | Declared in |", "|---|--:|--:|---|---|---|"];
  for (const r of rows) {
    lines.push(`| ${r.contract} | ${r.slot} | ${r.offset} | \`${r.type}\` | \`${r.name}\` | ${r.declaredIn} |`);
  }
  return lines.join("\n");
}
