/**
 * The role x function matrix, derived from the compiler's ABI and AST: every external function that is not a view,
 * of every deployable contract in `contracts/`, with the roles it requires and the other caller checks it makes.
 * Roles come from `onlyRole(X)` modifiers and from `_checkRole(X)` / `hasRole(X, msg.sender)` calls anywhere in
 * the function or the internal functions it calls; a stub whose body runs a `delegatecall` (the vault's RiskRegistry
 * setters, and its `fallback`) is resolved to the module function that actually runs.
 */
import { toFunctionSelector, type Abi, type AbiFunction } from "viem";

import { walk, type AnalysisOutput, type AstNode } from "./compile.js";

/** One row of the matrix. */
export interface RoleRow {
  contract: string;
  /** The function's signature, e.g. `liquidate(address,uint256)`. */
  signature: string;
  /** Where it runs when not in `contract` itself (`CashModule (delegatecall)`). */
  via: string;
  /** Roles required (any one of them), or `role's admin` for AccessControl's grant / revoke. */
  roles: string[];
  /** The other caller checks found (labels of CHECK_LABELS and modifiers other than nonReentrant). */
  checks: string[];
}

export const ROLE_ADMIN = "role's admin";

/** The label of a function that compares the caller with an argument (self-liquidation, renounceRole, deposits). */
export const COMPARES_CALLER = "compares the caller";

/**
 * Internal functions that are caller or state checks, and how the matrix names them. The walk stops at these (their
 * label says what they check), and goes through every other internal function.
 */
export const CHECK_LABELS: Record<string, string> = {
  _checkAuthorized: "account or its operator",
  _checkCaller: "order's account or its operator",
  _fill: "orders signed (EIP-712 / ERC-1271) or sent by their account or its operator",
  _checkLiquidationAllowed: "not while paused or in the grace period",
  _requireNotPaused: "not while paused",
  paused: "restricted while paused",
  _spendAllowance: "owner or ERC-20 allowance",
  _checkInitialMargin: "initial margin checked after",
};

/**
 * Internal functions whose checks depend on the caller's role (the governance paths): the matrix names them and the
 * walk goes on through them, so that the roles they read are found.
 */
export const PATH_LABELS: Record<string, string> = {
  _checkRiskChange: "steward: bounded step and interval; guardian: tighten only",
  _checkRiskChangeSigned: "steward: bounded step and interval; guardian: tighten only",
};

interface FunctionNode extends AstNode {
  kind: string;
  visibility: string;
  stateMutability: string;
  functionSelector?: string;
  implemented: boolean;
  modifiers: { modifierName: { name: string }; arguments: AstNode[] | null }[];
  parameters: { parameters: { typeDescriptions: { typeString: string } }[] };
  body: AstNode | null;
}

interface ContractNode extends AstNode {
  name: string;
  abstract: boolean;
  contractKind: string;
  linearizedBaseContracts: number[];
  nodes: AstNode[];
}

interface Guards {
  roles: Set<string>;
  checks: Set<string>;
  delegates: boolean;
}

/** Derives the matrix. Rows are ordered by contract, then as the ABI lists them. */
export function deriveRoleMatrix(out: AnalysisOutput, sources: string[]): RoleRow[] {
  const deployable = sources.flatMap((source) =>
    (out.asts[source].nodes as AstNode[]).filter(
      (n): n is ContractNode => n.nodeType === "ContractDefinition" && n.contractKind === "contract" && !n.abstract,
    ).map((contract) => ({ source, contract })),
  );
  const modules = new Set(deployable.flatMap(({ contract }) => createdContracts(out, contract)).map((c) => c.name));
  const rows: RoleRow[] = [];
  for (const { source, contract } of deployable) {
    if (modules.has(contract.name)) continue;
    const module = createdContracts(out, contract).find((c) => modules.has(c.name));
    const abi = out.contracts[source][contract.name].abi;
    const own = new Set<string>();
    for (const item of abi) {
      if (item.type === "function") own.add(toFunctionSelector(item).slice(2));
      if (!isWrite(item)) continue;
      const selector = item.type === "function" ? toFunctionSelector(item).slice(2) : undefined;
      const fn = findImplementation(out, contract, selector, item.type);
      const guards = guardsOf(out, contract, fn);
      if (guards.delegates && module !== undefined && item.type === "function") {
        const target = findImplementation(out, module, selector, "function");
        rows.push(row(contract.name, signatureOf(item), `${module.name} (delegatecall)`, guardsOf(out, module, target)));
      } else if (!(guards.delegates && item.type === "fallback")) {
        rows.push(row(contract.name, signatureOf(item), "", guards));
      }
    }
    if (module === undefined || !abi.some((i) => i.type === "fallback")) continue;
    // The fallback serves every module function the contract does not have itself.
    const moduleSource = sources.find((s) => out.contracts[s]?.[module.name] !== undefined) as string;
    for (const item of out.contracts[moduleSource][module.name].abi) {
      if (item.type !== "function" || !isWrite(item)) continue;
      const selector = toFunctionSelector(item).slice(2);
      if (own.has(selector)) continue;
      const target = findImplementation(out, module, selector, "function");
      rows.push(row(contract.name, signatureOf(item), `${module.name} (fallback)`, guardsOf(out, module, target)));
    }
  }
  return rows;
}

/** The role columns: every role the rows require, DEFAULT_ADMIN_ROLE first. */
export function roleColumns(rows: RoleRow[]): string[] {
  const roles = new Set(rows.flatMap((r) => r.roles));
  return [...roles].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function rank(role: string): number {
  if (role === "DEFAULT_ADMIN_ROLE") return 0;
  return role === ROLE_ADMIN ? 2 : 1;
}

/** Renders the matrix as a Markdown table. */
export function renderRoleMatrix(rows: RoleRow[]): string {
  const columns = roleColumns(rows);
  const lines = [
    `| Contract | Function | Runs in | ${columns.map((c) => `\`${c}\``).join(" | ")} | anyone | Other checks |`,
    `|---|---|---|${columns.map(() => ":-:").join("|")}|:-:|---|`,
  ];
  for (const r of rows) {
    const cells = columns.map((c) => (r.roles.includes(c) ? "x" : ""));
    const anyone = r.roles.length === 0 ? "x" : "";
    lines.push(
      `| ${r.contract} | \`${r.signature}\` | ${r.via} | ${cells.join(" | ")} | ${anyone} | ${r.checks.join("; ")} |`,
    );
  }
  return lines.join("\n");
}

function row(contract: string, signature: string, via: string, guards: Guards): RoleRow {
  return { contract, signature, via, roles: [...guards.roles].sort(), checks: [...guards.checks].sort() };
}

type AbiItem = Abi[number];

function isWrite(item: AbiItem): boolean {
  if (item.type === "fallback" || item.type === "receive") return true;
  return item.type === "function" && item.stateMutability !== "view" && item.stateMutability !== "pure";
}

function signatureOf(item: AbiItem): string {
  if (item.type !== "function") return `${item.type}()`;
  return toFunctionSelectorSignature(item);
}

function toFunctionSelectorSignature(item: AbiFunction): string {
  const type = (p: AbiFunction["inputs"][number]): string =>
    "components" in p && p.type.startsWith("tuple")
      ? `(${(p.components as AbiFunction["inputs"]).map(type).join(",")})${p.type.slice(5)}`
      : p.type;
  return `${item.name}(${item.inputs.map(type).join(",")})`;
}

/** The contracts `contract` deploys with `new` (the vault's CashModule). */
function createdContracts(out: AnalysisOutput, contract: ContractNode): ContractNode[] {
  const created: ContractNode[] = [];
  walk(contract.nodes, (node) => {
    if (node.nodeType !== "NewExpression") return;
    const typeName = node.typeName as { referencedDeclaration?: number };
    const target = typeName.referencedDeclaration === undefined ? undefined : out.nodes.get(typeName.referencedDeclaration);
    if (target?.nodeType === "ContractDefinition") created.push(target as ContractNode);
  });
  return created;
}

/** The implementation `contract` runs for `selector` (or its fallback): the most derived one. */
function findImplementation(
  out: AnalysisOutput,
  contract: ContractNode,
  selector: string | undefined,
  kind: string,
): FunctionNode {
  for (const baseId of contract.linearizedBaseContracts) {
    const base = out.nodes.get(baseId) as ContractNode;
    const fn = base.nodes.find(
      (n) =>
        n.nodeType === "FunctionDefinition" &&
        (n as FunctionNode).implemented &&
        (kind === "function" ? (n as FunctionNode).functionSelector === selector : (n as FunctionNode).kind === kind),
    );
    if (fn !== undefined) return fn as FunctionNode;
  }
  throw new Error(`${contract.name}: no implementation of ${selector ?? kind}`);
}

/** The most derived override, in `contract`, of the internal function `fn`. */
function resolveVirtual(out: AnalysisOutput, contract: ContractNode, fn: FunctionNode): FunctionNode {
  const params = (f: FunctionNode) => f.parameters.parameters.map((p) => p.typeDescriptions.typeString).join(",");
  for (const baseId of contract.linearizedBaseContracts) {
    const base = out.nodes.get(baseId) as ContractNode;
    const match = base.nodes.find(
      (n) =>
        n.nodeType === "FunctionDefinition" &&
        n.name === fn.name &&
        (n as FunctionNode).implemented &&
        params(n as FunctionNode) === params(fn),
    );
    if (match !== undefined) return match as FunctionNode;
  }
  return fn;
}

function guardsOf(out: AnalysisOutput, contract: ContractNode, fn: FunctionNode): Guards {
  const guards: Guards = { roles: new Set(), checks: new Set(), delegates: false };
  const visited = new Set<number>();
  const visit = (f: FunctionNode | AstNode) => {
    if (visited.has(f.id)) return;
    visited.add(f.id);
    for (const m of (f as FunctionNode).modifiers ?? []) {
      const name = m.modifierName.name;
      if (name === "onlyRole") addRole(out, guards, m.arguments?.[0]);
      else if (name !== "nonReentrant") guards.checks.add(name);
    }
    walk((f as FunctionNode).body, (node) => {
      if (node.nodeType === "YulFunctionCall" && (node.functionName as { name: string }).name === "delegatecall") {
        guards.delegates = true;
      }
      if (node.nodeType === "BinaryOperation" && ["==", "!="].includes(node.operator as string)) {
        if (isCaller(node.leftExpression as AstNode) || isCaller(node.rightExpression as AstNode)) {
          guards.checks.add(COMPARES_CALLER);
        }
      }
      if (node.nodeType !== "FunctionCall") return;
      const callee = node.expression as AstNode & { memberName?: string; referencedDeclaration?: number };
      const name = callee.nodeType === "MemberAccess" ? callee.memberName : callee.name;
      const args = node.arguments as AstNode[];
      if (name === "_checkRole" || name === "hasRole") {
        if (name === "_checkRole" || isMsgSender(args[1])) addRole(out, guards, args[0]);
        return;
      }
      if (name !== undefined && PATH_LABELS[name] !== undefined) guards.checks.add(PATH_LABELS[name]);
      if (name !== undefined && CHECK_LABELS[name] !== undefined) {
        guards.checks.add(CHECK_LABELS[name]);
        return;
      }
      const target = callee.referencedDeclaration === undefined ? undefined : out.nodes.get(callee.referencedDeclaration);
      if (target?.nodeType !== "FunctionDefinition") return;
      const t = target as FunctionNode;
      if (t.visibility !== "internal" && t.visibility !== "private") return;
      // `super.f()` names the base implementation itself; a plain call runs the most derived override.
      const isSuper = callee.nodeType === "MemberAccess";
      visit(isSuper ? t : resolveVirtual(out, contract, t));
    });
  };
  visit(fn);
  return guards;
}

function isMsgSender(node: AstNode | undefined): boolean {
  return node?.nodeType === "MemberAccess" && node.memberName === "sender";
}

/** `msg.sender` or `_msgSender()`. */
function isCaller(node: AstNode): boolean {
  if (isMsgSender(node)) return true;
  return node.nodeType === "FunctionCall" && (node.expression as AstNode).name === "_msgSender";
}

function addRole(out: AnalysisOutput, guards: Guards, arg: AstNode | undefined): void {
  if (arg === undefined) return;
  if (arg.nodeType === "Identifier") {
    const decl = out.nodes.get(arg.referencedDeclaration as number);
    if (decl?.nodeType === "VariableDeclaration" && decl.stateVariable === true) guards.roles.add(decl.name as string);
    return;
  }
  if (arg.nodeType === "FunctionCall" && (arg.expression as AstNode).name === "getRoleAdmin") guards.roles.add(ROLE_ADMIN);
}
