import { expect } from "chai";
import { Decimal } from "decimal.js";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  WAD,
  accountMargin,
  addOns,
  caseToPortfolio,
  casePrices,
  ceilDiv,
  collateralValue,
  compareMargin,
  equity,
  exposures,
  highCorrelation,
  isolatedMaintenanceMargin,
  kRegimes,
  loadVectorFile,
  lowCorrelation,
  marginRequirement,
  mulDown,
  mulUp,
  notional,
  pairIndex,
  paramsToRiskParams,
  parseVectorFile,
  regimeK,
  regimeSums,
  sqrtUp,
  weightedSensitivities,
} from "../../../client/src/margin/index.js";
import type {
  Collateral,
  Margin,
  Mismatch,
  Portfolio,
  Position,
  RiskParams,
  VectorFile,
} from "../../../client/src/margin/index.js";

const here: string = path.dirname(fileURLToPath(import.meta.url));
const VECTORS: string = path.join(here, "..", "..", "vectors", "margin-v1.json");

const D = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_HALF_EVEN });
type Dec = InstanceType<typeof D>;
const dec = (x: bigint): Dec => new D(x.toString());
const DWAD: Dec = dec(WAD);

/** Deterministic PRNG (splitmix64) so that failures reproduce. */
class Rng {
  private state: bigint;
  constructor(seed: bigint) {
    this.state = seed & 0xffffffffffffffffn;
  }
  next64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z: bigint = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  }
  /** Uniform-ish integer in [lo, hi]. */
  between(lo: bigint, hi: bigint): bigint {
    const span: bigint = hi - lo + 1n;
    let r: bigint = 0n;
    for (let i: number = 0; i < 3; i++) r = (r << 64n) | this.next64();
    return lo + (r % span);
  }
  int(lo: number, hi: number): number {
    return Number(this.between(BigInt(lo), BigInt(hi)));
  }
  /** Log-uniform magnitude in [0, 10^maxExp]. */
  magnitude(maxExp: number): bigint {
    return this.between(0n, 10n ** BigInt(this.int(0, maxExp)));
  }
}

describe("keeper margin twin: MathLib", function () {
  it("mulDown floors toward minus infinity", function () {
    expect(mulDown(-1n, 1n)).to.equal(-1n);
    expect(mulDown(1n, 1n)).to.equal(0n);
    expect(mulDown(-1n, -1n)).to.equal(0n);
    expect(mulDown(-WAD, WAD)).to.equal(-WAD);
    expect(mulDown(-3n * WAD, WAD / 2n)).to.equal(-(3n * WAD) / 2n);
    expect(mulDown(-3n, WAD / 2n)).to.equal(-2n);
    expect(mulDown(3n, WAD / 2n)).to.equal(1n);
    expect(mulDown(0n, -5n)).to.equal(0n);
    expect(mulDown(7n, -WAD)).to.equal(-7n);
  });

  it("mulUp rounds up, exact products stay exact", function () {
    expect(mulUp(0n, 5n)).to.equal(0n);
    expect(mulUp(1n, 1n)).to.equal(1n);
    expect(mulUp(WAD, WAD)).to.equal(WAD);
    expect(mulUp(3n, WAD / 2n)).to.equal(2n);
    expect(mulUp(WAD + 1n, WAD - 1n)).to.equal(WAD);
    expect(ceilDiv(0n, 7n)).to.equal(0n);
    expect(ceilDiv(7n, 7n)).to.equal(1n);
    expect(ceilDiv(8n, 7n)).to.equal(2n);
    expect(() => ceilDiv(1n, 0n)).to.throw(RangeError);
  });

  it("sqrtUp is the smallest r with r*r >= x", function () {
    const cases: bigint[] = [0n, 1n, 2n, 3n, 4n, 5n, 8n, 9n, 10n, 15n, 16n, 17n, 10n ** 36n, 10n ** 36n + 1n, 10n ** 36n - 1n];
    const max: bigint = (1n << 256n) - 1n;
    cases.push(max, (1n << 128n) - 1n, 1n << 128n, ((1n << 128n) - 1n) ** 2n, ((1n << 128n) - 1n) ** 2n + 1n);
    const rng: Rng = new Rng(7n);
    for (let i: number = 0; i < 500; i++) cases.push(rng.between(0n, 1n << BigInt(rng.int(1, 256))) % (max + 1n));
    for (const x of cases) {
      const r: bigint = sqrtUp(x);
      expect(r * r >= x, `sqrtUp(${x})^2 >= x`).to.equal(true);
      if (r > 0n) expect((r - 1n) * (r - 1n) < x, `(sqrtUp(${x}) - 1)^2 < x`).to.equal(true);
    }
    expect(sqrtUp(max)).to.equal(1n << 128n);
    expect(() => sqrtUp(-1n)).to.throw(RangeError);
  });

  it("kRegimes refuses WS and correlations outside the range, like the Solidity reverts", function () {
    expect(() => kRegimes([1n, 10n ** 28n + 1n], [0n])).to.throw(/WeightedSensitivityOutOfRange\(1, /);
    expect(() => kRegimes([1n, 1n], [WAD + 1n])).to.throw(/InvalidCorrelation\(0, 1, /);
    expect(kRegimes([1n, 10n ** 28n], [-WAD]).kMedium).to.equal(10n ** 28n - 1n);
  });

  it("correlation regimes follow the spec's truncating formulas", function () {
    expect(highCorrelation(8n * 10n ** 17n)).to.equal(WAD);
    expect(highCorrelation(4n * 10n ** 17n)).to.equal(5n * 10n ** 17n);
    expect(highCorrelation(-WAD)).to.equal(-(5n * WAD) / 4n);
    expect(highCorrelation(-3n)).to.equal(-3n);
    expect(lowCorrelation(8n * 10n ** 17n)).to.equal(6n * 10n ** 17n);
    expect(lowCorrelation(4n * 10n ** 17n)).to.equal(3n * 10n ** 17n);
    expect(lowCorrelation(WAD)).to.equal(WAD);
    expect(lowCorrelation(-WAD)).to.equal(-(3n * WAD) / 4n);
    expect(lowCorrelation(-3n)).to.equal(-3n);
    expect(lowCorrelation(3n)).to.equal(3n);
    expect(pairIndex(0, 1)).to.equal(0);
    expect(pairIndex(0, 2)).to.equal(1);
    expect(pairIndex(1, 2)).to.equal(2);
    expect(pairIndex(4, 5)).to.equal(14);
  });
});

describe("keeper margin twin: vectors", function () {
  const file: VectorFile = loadVectorFile(VECTORS);
  const r: RiskParams = paramsToRiskParams(file.params);
  const nAssets: number = file.params.assets.length;

  it("reproduces every field of every vector case exactly", function () {
    expect(file.cases.length).to.be.greaterThan(0);
    const mismatches: Mismatch[] = [];
    for (const c of file.cases) {
      const m: Margin = accountMargin(caseToPortfolio(c), r, casePrices(c, nAssets));
      mismatches.push(...compareMargin(c.expect, m, c.name));
    }
    expect(mismatches).to.deep.equal([]);
  });

  it("standalone functions and marginRequirement agree with accountMargin", function () {
    for (const c of file.cases) {
      const p: Portfolio = caseToPortfolio(c);
      const prices: bigint[] = casePrices(c, nAssets);
      const m: Margin = accountMargin(p, r, prices);
      expect(equity(p, prices), c.name).to.equal(m.equity);
      const ex = exposures(p, prices);
      expect(ex.e, c.name).to.deep.equal(m.exposures);
      expect(ex.touched, c.name).to.equal(m.touched);
      expect(weightedSensitivities(ex.e, r.scan), c.name).to.deep.equal(m.weightedSensitivities);
      expect(kRegimes(m.weightedSensitivities, r.rho), c.name).to.deep.equal({ kLow: m.kLow, kMedium: m.kMedium, kHigh: m.kHigh });
      const s = regimeSums(m.weightedSensitivities, r.rho);
      expect([regimeK(s.sLow), regimeK(s.sMedium), regimeK(s.sHigh)], c.name).to.deep.equal([m.kLow, m.kMedium, m.kHigh]);
      expect(addOns(p, prices), c.name).to.equal(m.addOns);
      expect(isolatedMaintenanceMargin(p, prices, r.scan), c.name).to.equal(m.isolatedMaintenanceMargin);
      expect(marginRequirement(p, r, prices), c.name).to.deep.equal({
        equity: m.equity,
        mm: m.maintenanceMargin,
        im: m.initialMargin,
      });
    }
  });

  it("compareMargin reports a wrong field with its case", function () {
    const c = file.cases[file.cases.length - 1]!;
    const m: Margin = accountMargin(caseToPortfolio(c), r, casePrices(c, nAssets));
    const bad: Margin = { ...m, kHigh: m.kHigh + 1n, exposures: m.exposures.map((x: bigint): bigint => x + 1n) };
    const out: Mismatch[] = compareMargin(c.expect, bad, c.name);
    expect(out.map((x: Mismatch): string => x.field)).to.include("kHigh");
    expect(out.map((x: Mismatch): string => x.field)).to.include("exposures[2]");
    expect(out.every((x: Mismatch): boolean => x.case === c.name)).to.equal(true);
  });

  it("rejects malformed files with the case and field named", function () {
    const raw = JSON.parse(JSON.stringify({ model: "m", spec: "s", params: { assets: [{ id: 0, symbol: "USD", scan: "1" }], rho: {}, imFactor: "1" }, cases: [] }));
    expect(parseVectorFile(raw).cases).to.deep.equal([]);
    const withCase = (c: unknown): unknown => ({ ...raw, cases: [c] });
    const good = { name: "x", prices: { "0": "1" }, cash: "0", collateral: [], positions: [], expect: {} };
    expect(() => parseVectorFile(withCase(good))).to.throw(/case "x"\.expect: missing field "equity"/);
    expect(() => parseVectorFile(withCase({ ...good, cash: "1.5" }))).to.throw(/case "x"\.cash/);
    expect(() => parseVectorFile(withCase({ ...good, positions: [{ asset: 3, k: "0", size: "1" }] }))).to.throw(
      /case "x"\.positions\[0\]\.asset: asset 3 is not listed/,
    );
    expect(() => parseVectorFile({ ...raw, params: { ...raw.params, rho: { "1,0": "0" } } })).to.throw(/params\.rho/);
  });
});

/* ------------------------------------------------------------------ high-precision reference */

/**
 * The reference computes, in 100-digit decimal arithmetic, what the spec's formulas give without any rounding,
 * and checks the integer engine against it with tolerances derived from the spec's rounding steps.
 *
 * Equity. E_exact = cash + sum bal*P/1e18 + sum q*P/1e18 (no rounding at all). The engine floors each of the
 * n = |collateral| + |positions| terms once (mulDown), each floor removes less than 1 wei, hence
 *   E_exact - n < E <= E_exact.
 *
 * Exposures. e_exact,a likewise: e_exact,a - n_a < e_a <= e_exact,a.
 *
 * Everything downstream of the valuation is checked against the exact formula applied to the spec's valuations
 * (value_c, notional_m and e_a are mulDown results by definition, the equity check above covers that step):
 *   WS:  |WS_a| = ceil(|e_a| scan_a / 1e18):                        |WS_a| - |e_a| scan_a / 1e18 in [0, 1).
 *   K_r: K_r = sqrtUp(ceil(S_r / 1e18)) with S_r the exact integer sum of the rounded WS. For an integer m,
 *        ceil(x) <= m^2 iff x <= m^2, so sqrtUp(ceil(x)) = ceil(sqrt(x)):  K_r - sqrt(max(S_r, 0) / 1e18) in [0, 1).
 *        (The WS are rounded before the sqrt, as the spec says, so K is compared with the decimal computation on the
 *        rounded WS; the regime correlations are the spec's integer ones: its truncating division is part of the
 *        definition, not a rounding.)
 *   A:   each of the n add-on terms is one mulUp (< 1 wei up):       A - A_exact in [0, n).
 *   MM:  K is the max of the K_r, so K - K_exact in [0, 1):           MM - MM_exact in [0, n + 1).
 *   IM:  one mulUp of the engine's MM:                                 IM - MM * imFactor / 1e18 in [0, 1).
 *   ISO: n terms, one mulUp each:                                      ISO - ISO_exact in [0, n).
 *
 * WS propagation. For the low and medium regimes of the default parameters (both positive definite; the high
 * regime, with rho_BTC,ETH capped at 1 but different BTC/ETH correlations to the others, is not), K_r is a norm
 * with unit diagonal and |rho| <= 1, so |K_r(WS) - K_r(WS_exact)| <= sum_a |WS_a - WS_exact,a| < sum_a (n_a + 1)
 * where WS_exact,a = e_exact,a * scan_a / 1e18 is computed from the unrounded exposures: adding the final ceil,
 * K_r - K_r(WS_exact) lies in (-(n + m), n + m + 1), m the number of assets with e_a != 0.
 */
interface Reference {
  equity: Dec;
  exposures: Dec[];
}

function exactValuation(p: Portfolio, prices: bigint[]): Reference {
  const e: Dec[] = prices.map((): Dec => new D(0));
  let eq: Dec = dec(p.cash);
  for (const c of p.collateral) {
    const v: Dec = dec(c.balance).mul(dec(prices[c.asset]!)).div(DWAD);
    eq = eq.add(v);
    e[c.asset] = e[c.asset]!.add(v);
  }
  for (const q of p.positions) {
    const v: Dec = dec(q.size).mul(dec(prices[q.asset]!)).div(DWAD);
    eq = eq.add(v);
    e[q.asset] = e[q.asset]!.add(v);
  }
  return { equity: eq, exposures: e };
}

/** sqrt(max(S, 0) / 1e18) for the three regimes, S computed exactly from the given (possibly fractional) WS. */
function exactK(ws: Dec[], rho: bigint[]): { low: Dec; medium: Dec; high: Dec } {
  let sLow: Dec = new D(0);
  let sMedium: Dec = new D(0);
  let sHigh: Dec = new D(0);
  for (let b: number = 0; b < ws.length; b++) {
    const wb: Dec = ws[b]!;
    if (wb.isZero()) continue;
    const d: Dec = wb.mul(wb).mul(DWAD);
    sLow = sLow.add(d);
    sMedium = sMedium.add(d);
    sHigh = sHigh.add(d);
    for (let a: number = 0; a < b; a++) {
      const wa: Dec = ws[a]!;
      if (wa.isZero()) continue;
      const cross: Dec = wa.mul(wb).mul(2);
      const r: bigint = rho[pairIndex(a, b)]!;
      sLow = sLow.add(cross.mul(dec(lowCorrelation(r))));
      sMedium = sMedium.add(cross.mul(dec(r)));
      sHigh = sHigh.add(cross.mul(dec(highCorrelation(r))));
    }
  }
  const k = (s: Dec): Dec => (s.isNeg() ? new D(0) : s.div(DWAD).sqrt());
  return { low: k(sLow), medium: k(sMedium), high: k(sHigh) };
}

function absD(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function expectIn(x: bigint, lo: Dec, hiExclusive: Dec, what: string, inclusiveHi: boolean = false): void {
  const v: Dec = dec(x);
  const ok: boolean = v.gte(lo) && (inclusiveHi ? v.lte(hiExclusive) : v.lt(hiExclusive));
  expect(ok, `${what}: ${x} not in [${lo.toFixed(6)}, ${hiExclusive.toFixed(6)}${inclusiveHi ? "]" : ")"}`).to.equal(true);
}

function checkAgainstReference(p: Portfolio, r: RiskParams, prices: bigint[], label: string, psdLowMedium: boolean): void {
  const m: Margin = accountMargin(p, r, prices);
  const n: number = p.collateral.length + p.positions.length;
  const ref: Reference = exactValuation(p, prices);

  // Equity rounds down: E_exact - n < E <= E_exact.
  expectIn(m.equity, ref.equity.sub(n), ref.equity, `${label} equity`, true);
  expect(dec(m.equity).gt(ref.equity.sub(n)) || n === 0, `${label} equity strictly above E_exact - n`).to.equal(true);

  const counts: number[] = prices.map((): number => 0);
  for (const x of [...p.collateral, ...p.positions]) counts[x.asset]! += 1;
  let nonZero: number = 0;
  const wsExactFromReal: Dec[] = [];
  for (let a: number = 0; a < prices.length; a++) {
    const ea: bigint = m.exposures[a]!;
    const realA: Dec = ref.exposures[a]!;
    // e_exact - n_a < e <= e_exact.
    expectIn(ea, realA.sub(counts[a]!), realA, `${label} e[${a}]`, true);
    const scan: Dec = dec(r.scan[a]!);
    wsExactFromReal.push(realA.mul(scan).div(DWAD));
    const ws: bigint = m.weightedSensitivities[a]!;
    if (ea === 0n) {
      expect(ws, `${label} ws[${a}]`).to.equal(0n);
      continue;
    }
    nonZero++;
    expect(ws > 0n === ea > 0n, `${label} sign of ws[${a}]`).to.equal(true);
    const exactWs: Dec = dec(absD(ea)).mul(scan).div(DWAD);
    expectIn(absD(ws), exactWs, exactWs.add(1), `${label} |ws[${a}]|`);
  }

  // K on the rounded WS: K_r in [K_r*, K_r* + 1).
  const ks = exactK(m.weightedSensitivities.map(dec), r.rho);
  expectIn(m.kLow, ks.low, ks.low.add(1), `${label} kLow`);
  expectIn(m.kMedium, ks.medium, ks.medium.add(1), `${label} kMedium`);
  expectIn(m.kHigh, ks.high, ks.high.add(1), `${label} kHigh`);
  const kExact: Dec = D.max(ks.low, ks.medium, ks.high);
  expectIn(m.k, kExact, kExact.add(1), `${label} k`);

  // Add-ons and isolated margin from the spec's valuations, exact.
  let aExact: Dec = new D(0);
  let isoExact: Dec = new D(0);
  for (const c of p.collateral) {
    const v: Dec = dec(collateralValue(c, prices));
    aExact = aExact.add(v.mul(dec(c.haircut)).div(DWAD));
    if (c.asset !== 0) isoExact = isoExact.add(v.mul(dec(r.scan[c.asset]! + c.haircut)).div(DWAD));
  }
  for (const q of p.positions) {
    const v: Dec = dec(absD(notional(q, prices)));
    aExact = aExact.add(v.mul(dec(q.k)).div(DWAD));
    isoExact = isoExact.add(v.mul(dec(r.scan[q.asset]! + q.k)).div(DWAD));
  }
  expectIn(m.addOns, aExact, aExact.add(n === 0 ? 1 : n), `${label} addOns`);
  const mmExact: Dec = kExact.add(aExact);
  expectIn(m.maintenanceMargin, mmExact, mmExact.add(n + 1), `${label} maintenanceMargin`);
  const imExact: Dec = dec(m.maintenanceMargin).mul(dec(r.imFactor)).div(DWAD);
  expectIn(m.initialMargin, imExact, imExact.add(1), `${label} initialMargin`);
  expectIn(m.isolatedMaintenanceMargin, isoExact, isoExact.add(n === 0 ? 1 : n), `${label} isolatedMaintenanceMargin`);

  if (psdLowMedium) {
    // WS propagation through the positive-definite regimes, from the fully unrounded exposures.
    const real = exactK(wsExactFromReal, r.rho);
    const slack: number = n + nonZero;
    expectIn(m.kLow, real.low.sub(slack), real.low.add(slack + 1), `${label} kLow vs unrounded WS`);
    expectIn(m.kMedium, real.medium.sub(slack), real.medium.add(slack + 1), `${label} kMedium vs unrounded WS`);
  }
}

describe("keeper margin twin: high-precision reference (decimal.js, 100 digits)", function () {
  const file: VectorFile = loadVectorFile(VECTORS);
  const r: RiskParams = paramsToRiskParams(file.params);
  const nAssets: number = file.params.assets.length;
  // Default (spec §7) contingency rates and haircuts by asset id.
  const K: bigint[] = [0n, 5n * 10n ** 15n, 5n * 10n ** 15n, 10n ** 16n, 10n ** 16n, 15n * 10n ** 15n];
  const H: bigint[] = [0n, 2n * 10n ** 16n, 2n * 10n ** 16n, 5n * 10n ** 16n, 5n * 10n ** 16n, 8n * 10n ** 16n];

  it("every vector case is within the derived rounding bounds", function () {
    for (const c of file.cases) {
      checkAgainstReference(caseToPortfolio(c), r, casePrices(c, nAssets), c.name, true);
    }
  });

  it("400 seeded random portfolios (default parameters) are within the derived rounding bounds", function () {
    const rng: Rng = new Rng(20240601n);
    for (let i: number = 0; i < 400; i++) {
      const prices: bigint[] = [];
      for (let a: number = 0; a < nAssets; a++) prices.push(a === 0 ? rng.between(99n * 10n ** 16n, 101n * 10n ** 16n) : rng.between(10n ** 12n, 10n ** 23n));
      const collateral: Collateral[] = [];
      const positions: Position[] = [];
      // Each entry is worth at most 8e26 (8e8 USD), at most 12 entries: |e_a|, |E| stay below 1e28 (spec range).
      for (let j: number = rng.int(0, 6); j > 0; j--) {
        const a: number = rng.int(0, nAssets - 1);
        collateral.push({ asset: a, haircut: H[a]!, balance: (rng.magnitude(26) * 8n * WAD) / prices[a]! / 10n });
      }
      for (let j: number = rng.int(0, 6); j > 0; j--) {
        const a: number = rng.int(1, nAssets - 1);
        const v: bigint = (rng.magnitude(26) * 8n) / 10n;
        const size: bigint = (v * WAD) / prices[a]!;
        positions.push({ asset: a, k: K[a]!, size: rng.int(0, 1) === 0 ? size : -size });
      }
      const p: Portfolio = { cash: rng.between(-(10n ** 27n), 10n ** 27n), collateral, positions };
      checkAgainstReference(p, r, prices, `random #${i}`, true);
    }
  });

  it("100 seeded random portfolios with random valid correlations are within the derived rounding bounds", function () {
    const rng: Rng = new Rng(99n);
    for (let i: number = 0; i < 100; i++) {
      const n: number = rng.int(1, 16);
      const rr: RiskParams = {
        scan: Array.from({ length: n }, (): bigint => rng.between(1n, WAD)),
        rho: Array.from({ length: (n * (n - 1)) / 2 }, (): bigint => rng.between(-WAD, WAD)),
        imFactor: rng.between(WAD, 10n * WAD),
      };
      const prices: bigint[] = Array.from({ length: n }, (): bigint => rng.between(1n, 10n ** 24n));
      const positions: Position[] = [];
      for (let j: number = rng.int(0, 8); j > 0; j--) {
        const a: number = rng.int(0, n - 1);
        const size: bigint = (rng.magnitude(26) * WAD) / prices[a]!;
        positions.push({ asset: a, k: rng.between(0n, WAD), size: rng.int(0, 1) === 0 ? size : -size });
      }
      const collateral: Collateral[] = [];
      for (let j: number = rng.int(0, 8); j > 0; j--) {
        const a: number = rng.int(0, n - 1);
        collateral.push({ asset: a, haircut: rng.between(0n, WAD), balance: (rng.magnitude(26) * WAD) / prices[a]! });
      }
      // Random correlation matrices need not be positive semi-definite: no WS-propagation check here.
      checkAgainstReference({ cash: 0n, collateral, positions }, rr, prices, `random-rho #${i}`, false);
    }
  });
});
