/**
 * Loader and comparator for margin vector files (`test/vectors/margin-v1.json` format): parses a file into the
 * engine's types, and compares a computed Margin with a case's `expect`. Reused by `npm run margin:check`.
 * Validation is by hand (no schema library): every error names the case and the field that is wrong.
 */
import { readFileSync } from "node:fs";
import type { Collateral, Margin, Portfolio, Position, RiskParams } from "./marginLib.js";
import { pairIndex } from "./marginLib.js";

/** One listed asset of a vector file's params. */
export interface VectorAsset {
  id: number;
  symbol: string;
  scan: bigint;
}

/** A vector file's risk parameters, as written: rho keyed by "a,b" (a < b; missing pairs are 0). */
export interface VectorParams {
  assets: VectorAsset[];
  rho: Map<string, bigint>;
  imFactor: bigint;
}

/** A case's expected results. `exposures` is keyed by every touched asset, `weightedSensitivities` by every
 * asset whose exposure is non-zero. */
export interface VectorExpect {
  equity: bigint;
  exposures: Map<number, bigint>;
  weightedSensitivities: Map<number, bigint>;
  kLow: bigint;
  kMedium: bigint;
  kHigh: bigint;
  k: bigint;
  addOns: bigint;
  maintenanceMargin: bigint;
  initialMargin: bigint;
  isolatedMaintenanceMargin: bigint;
  liquidatable: boolean;
}

/** One worked case. */
export interface VectorCase {
  name: string;
  prices: Map<number, bigint>;
  cash: bigint;
  collateral: Collateral[];
  positions: Position[];
  expect: VectorExpect;
}

/** A parsed vector file. */
export interface VectorFile {
  model: string;
  spec: string;
  params: VectorParams;
  cases: VectorCase[];
}

/** One field where the computed margin differs from the expected one. */
export interface Mismatch {
  case: string;
  field: string;
  expected: string;
  actual: string;
}

type Json = unknown;

function fail(where: string, message: string): never {
  throw new Error(`margin vectors: ${where}: ${message}`);
}

function asObject(v: Json, where: string): Record<string, Json> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(where, "expected an object");
  return v as Record<string, Json>;
}

function asArray(v: Json, where: string): Json[] {
  if (!Array.isArray(v)) fail(where, "expected an array");
  return v;
}

function asString(v: Json, where: string): string {
  if (typeof v !== "string") fail(where, "expected a string");
  return v;
}

function asBoolean(v: Json, where: string): boolean {
  if (typeof v !== "boolean") fail(where, "expected a boolean");
  return v;
}

/** An integer written as a decimal string (optionally negative), as every amount in a vector file is. */
function asBigint(v: Json, where: string, signed: boolean): bigint {
  const s: string = asString(v, where);
  const pattern: RegExp = signed ? /^-?[0-9]+$/ : /^[0-9]+$/;
  if (!pattern.test(s)) fail(where, `expected a${signed ? "n" : " non-negative"} integer string, got ${JSON.stringify(s)}`);
  return BigInt(s);
}

/** An asset id: a non-negative integer below 256 (the touched mask's width), as a number or a decimal key. */
function asAssetId(v: Json, where: string): number {
  const n: number = typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : typeof v === "number" ? v : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 255) fail(where, `expected an asset id, got ${JSON.stringify(v)}`);
  return n;
}

function field(o: Record<string, Json>, key: string, where: string): Json {
  if (!(key in o)) fail(where, `missing field "${key}"`);
  return o[key];
}

function bigintMap(v: Json, where: string): Map<number, bigint> {
  const o: Record<string, Json> = asObject(v, where);
  const m: Map<number, bigint> = new Map<number, bigint>();
  for (const [key, value] of Object.entries(o)) {
    m.set(asAssetId(key, `${where} key`), asBigint(value, `${where}["${key}"]`, true));
  }
  return m;
}

function parseParams(v: Json): VectorParams {
  const o: Record<string, Json> = asObject(v, "params");
  const assets: VectorAsset[] = asArray(field(o, "assets", "params"), "params.assets").map(
    (a: Json, i: number): VectorAsset => {
      const where: string = `params.assets[${i}]`;
      const ao: Record<string, Json> = asObject(a, where);
      const id: number = asAssetId(field(ao, "id", where), `${where}.id`);
      if (id !== i) fail(`${where}.id`, `assets must be listed by id in order, expected ${i}, got ${id}`);
      return {
        id,
        symbol: asString(field(ao, "symbol", where), `${where}.symbol`),
        scan: asBigint(field(ao, "scan", where), `${where}.scan`, false),
      };
    },
  );
  const rho: Map<string, bigint> = new Map<string, bigint>();
  for (const [key, value] of Object.entries(asObject(field(o, "rho", "params"), "params.rho"))) {
    const where: string = `params.rho["${key}"]`;
    const match: RegExpExecArray | null = /^([0-9]+),([0-9]+)$/.exec(key);
    if (match === null) fail(where, 'expected a key "a,b"');
    const a: number = Number(match[1]);
    const b: number = Number(match[2]);
    if (!(a < b) || b >= assets.length) fail(where, `expected asset ids a < b < ${assets.length}`);
    const r: bigint = asBigint(value, where, true);
    if (r > 10n ** 18n || r < -(10n ** 18n)) fail(where, "correlation outside [-1e18, 1e18]");
    rho.set(`${a},${b}`, r);
  }
  return { assets, rho, imFactor: asBigint(field(o, "imFactor", "params"), "params.imFactor", false) };
}

function parseCase(v: Json, index: number, nAssets: number): VectorCase {
  const at: string = `cases[${index}]`;
  const o: Record<string, Json> = asObject(v, at);
  const name: string = asString(field(o, "name", at), `${at}.name`);
  const where: string = `case "${name}"`;
  const checkAsset = (id: number, w: string): number => {
    if (id >= nAssets) fail(w, `asset ${id} is not listed (${nAssets} assets)`);
    return id;
  };
  const prices: Map<number, bigint> = bigintMap(field(o, "prices", where), `${where}.prices`);
  for (const [id, p] of prices) {
    checkAsset(id, `${where}.prices`);
    if (p < 0n) fail(`${where}.prices["${id}"]`, "negative price");
  }
  const cash: bigint = asBigint(field(o, "cash", where), `${where}.cash`, true);
  const collateral: Collateral[] = asArray(field(o, "collateral", where), `${where}.collateral`).map(
    (c: Json, i: number): Collateral => {
      const w: string = `${where}.collateral[${i}]`;
      const co: Record<string, Json> = asObject(c, w);
      return {
        asset: checkAsset(asAssetId(field(co, "asset", w), `${w}.asset`), `${w}.asset`),
        haircut: asBigint(field(co, "haircut", w), `${w}.haircut`, false),
        balance: asBigint(field(co, "balance", w), `${w}.balance`, false),
      };
    },
  );
  const positions: Position[] = asArray(field(o, "positions", where), `${where}.positions`).map(
    (q: Json, i: number): Position => {
      const w: string = `${where}.positions[${i}]`;
      const qo: Record<string, Json> = asObject(q, w);
      return {
        asset: checkAsset(asAssetId(field(qo, "asset", w), `${w}.asset`), `${w}.asset`),
        k: asBigint(field(qo, "k", w), `${w}.k`, false),
        size: asBigint(field(qo, "size", w), `${w}.size`, true),
      };
    },
  );
  for (const entry of [...collateral, ...positions]) {
    if (!prices.has(entry.asset)) fail(`${where}.prices`, `no price for asset ${entry.asset}`);
  }
  const w: string = `${where}.expect`;
  const e: Record<string, Json> = asObject(field(o, "expect", where), w);
  const num = (key: string, signed: boolean): bigint => asBigint(field(e, key, w), `${w}.${key}`, signed);
  const expect: VectorExpect = {
    equity: num("equity", true),
    exposures: bigintMap(field(e, "exposures", w), `${w}.exposures`),
    weightedSensitivities: bigintMap(field(e, "weightedSensitivities", w), `${w}.weightedSensitivities`),
    kLow: num("kLow", false),
    kMedium: num("kMedium", false),
    kHigh: num("kHigh", false),
    k: num("k", false),
    addOns: num("addOns", false),
    maintenanceMargin: num("maintenanceMargin", false),
    initialMargin: num("initialMargin", false),
    isolatedMaintenanceMargin: num("isolatedMaintenanceMargin", false),
    liquidatable: asBoolean(field(e, "liquidatable", w), `${w}.liquidatable`),
  };
  return { name, prices, cash, collateral, positions, expect };
}

/** Validates parsed JSON (the vector file format) and converts every amount to bigint. Throws an Error naming
 * the case and field on the first problem. */
export function parseVectorFile(json: Json): VectorFile {
  const o: Record<string, Json> = asObject(json, "file");
  const params: VectorParams = parseParams(field(o, "params", "file"));
  const cases: VectorCase[] = asArray(field(o, "cases", "file"), "cases").map((c: Json, i: number): VectorCase =>
    parseCase(c, i, params.assets.length),
  );
  return {
    model: asString(field(o, "model", "file"), "model"),
    spec: asString(field(o, "spec", "file"), "spec"),
    params,
    cases,
  };
}

/** Reads and parses a vector file from disk (see `parseVectorFile`). */
export function loadVectorFile(path: string): VectorFile {
  let json: Json;
  try {
    json = JSON.parse(readFileSync(path, "utf8")) as Json;
  } catch (err: unknown) {
    throw new Error(`margin vectors: cannot read ${path}: ${(err as Error).message}`);
  }
  return parseVectorFile(json);
}

/** The engine's RiskParams from a file's params: scan by asset id, rho packed by `pairIndex` (missing pairs 0). */
export function paramsToRiskParams(params: VectorParams): RiskParams {
  const n: number = params.assets.length;
  const rho: bigint[] = new Array<bigint>(n < 2 ? 0 : pairIndex(0, n - 1) + n - 1).fill(0n);
  for (const [key, r] of params.rho) {
    const [a, b] = key.split(",").map(Number) as [number, number];
    rho[pairIndex(a, b)] = r;
  }
  return { scan: params.assets.map((a: VectorAsset): bigint => a.scan), rho, imFactor: params.imFactor };
}

/** The engine's Portfolio for a case. */
export function caseToPortfolio(c: VectorCase): Portfolio {
  return {
    cash: c.cash,
    collateral: c.collateral.map((x: Collateral): Collateral => ({ ...x })),
    positions: c.positions.map((x: Position): Position => ({ ...x })),
  };
}

/** The case's prices as an array indexed by asset id, of length nAssets (assets without a price get 0). */
export function casePrices(c: VectorCase, nAssets: number): bigint[] {
  const prices: bigint[] = new Array<bigint>(nAssets).fill(0n);
  for (const [id, p] of c.prices) {
    if (id >= nAssets) throw new Error(`margin vectors: case "${c.name}": price for unlisted asset ${id}`);
    prices[id] = p;
  }
  return prices;
}

/**
 * Compares a computed Margin with a case's expectations, every field: the scalars, `liquidatable` (E < MM),
 * the exposures of every asset (keyed when touched, else absent and zero; the touched mask must agree) and the
 * weighted sensitivities (keyed when the exposure is non-zero, else absent and zero).
 * @returns Every mismatch, empty when the margin reproduces the case exactly.
 */
export function compareMargin(expect: VectorExpect, margin: Margin, caseName: string = ""): Mismatch[] {
  const out: Mismatch[] = [];
  const check = (fieldName: string, expected: bigint | boolean | undefined, actual: bigint | boolean | undefined): void => {
    if (expected !== actual) {
      out.push({ case: caseName, field: fieldName, expected: String(expected ?? "(absent)"), actual: String(actual ?? "(absent)") });
    }
  };
  const scalars = [
    "equity",
    "kLow",
    "kMedium",
    "kHigh",
    "k",
    "addOns",
    "maintenanceMargin",
    "initialMargin",
    "isolatedMaintenanceMargin",
  ] as const;
  for (const f of scalars) check(f, expect[f], margin[f]);
  check("liquidatable", expect.liquidatable, margin.equity < margin.maintenanceMargin);
  const n: number = Math.max(
    margin.exposures.length,
    margin.weightedSensitivities.length,
    ...[...expect.exposures.keys(), ...expect.weightedSensitivities.keys()].map((id: number): number => id + 1),
  );
  for (let a: number = 0; a < n; a++) {
    const e: bigint | undefined = margin.exposures[a];
    const touched: boolean = ((margin.touched >> BigInt(a)) & 1n) === 1n;
    if (expect.exposures.has(a) || touched) {
      check(`exposures[${a}]`, expect.exposures.get(a), touched ? e : undefined);
    } else {
      check(`exposures[${a}]`, 0n, e ?? 0n);
    }
    const ws: bigint | undefined = margin.weightedSensitivities[a];
    if (expect.weightedSensitivities.has(a) || (e !== undefined && e !== 0n)) {
      check(`weightedSensitivities[${a}]`, expect.weightedSensitivities.get(a), e !== undefined && e !== 0n ? ws : undefined);
    } else {
      check(`weightedSensitivities[${a}]`, 0n, ws ?? 0n);
    }
  }
  return out;
}
