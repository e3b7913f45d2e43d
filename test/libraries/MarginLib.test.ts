import { expect } from "chai";
import { network } from "hardhat";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  caseToPortfolio,
  casePrices,
  compareMargin,
  loadVectorFile,
  paramsToRiskParams,
  regimeSums,
} from "../../client/src/margin/index.js";
import type { Margin, Mismatch, Portfolio, RiskParams, VectorCase, VectorFile } from "../../client/src/margin/index.js";

const here: string = path.dirname(fileURLToPath(import.meta.url));
const VECTORS: string = path.join(here, "..", "vectors", "margin-v1.json");

/** A decoded Margin struct (ethers Result arrays) as the twin's plain Margin. */
function toMargin(r: Margin): Margin {
  return {
    equity: r.equity,
    touched: r.touched,
    exposures: [...r.exposures],
    weightedSensitivities: [...r.weightedSensitivities],
    kLow: r.kLow,
    kMedium: r.kMedium,
    kHigh: r.kHigh,
    k: r.k,
    addOns: r.addOns,
    maintenanceMargin: r.maintenanceMargin,
    initialMargin: r.initialMargin,
    isolatedMaintenanceMargin: r.isolatedMaintenanceMargin,
  };
}

function solPortfolio(p: Portfolio): unknown {
  return {
    cash: p.cash,
    collateral: p.collateral.map((c) => ({ asset: c.asset, haircut: c.haircut, balance: c.balance })),
    positions: p.positions.map((q) => ({ asset: q.asset, k: q.k, size: q.size })),
  };
}

describe("MarginLib (Solidity, via MarginLibHarness): vectors", function () {
  const file: VectorFile = loadVectorFile(VECTORS);
  const r: RiskParams = paramsToRiskParams(file.params);
  const nAssets: number = file.params.assets.length;

  it("reproduces every field of every vector case exactly", async function () {
    const { ethers } = await network.create();
    const harness = await ethers.deployContract("MarginLibHarness");
    const mismatches: Mismatch[] = [];
    for (const c of file.cases) {
      const prices: bigint[] = casePrices(c, nAssets);
      const p = solPortfolio(caseToPortfolio(c));
      const m: Margin = toMargin((await harness.accountMargin(p, r, prices)) as Margin);
      mismatches.push(...compareMargin(c.expect, m, c.name));
      const [sLow, sMedium, sHigh] = (await harness.regimeSums(m.weightedSensitivities, r.rho)) as [bigint, bigint, bigint];
      const twin = regimeSums(m.weightedSensitivities, r.rho);
      if (sLow !== twin.sLow || sMedium !== twin.sMedium || sHigh !== twin.sHigh) {
        mismatches.push({ case: c.name, field: "regimeSums", expected: `${twin.sLow},${twin.sMedium},${twin.sHigh}`, actual: `${sLow},${sMedium},${sHigh}` });
      }
      const [eq, mm, im] = (await harness.marginRequirement(p, r, prices)) as [bigint, bigint, bigint];
      if (eq !== m.equity || mm !== m.maintenanceMargin || im !== m.initialMargin) {
        mismatches.push({ case: c.name, field: "marginRequirement", expected: `${m.equity},${m.maintenanceMargin},${m.initialMargin}`, actual: `${eq},${mm},${im}` });
      }
    }
    expect(mismatches).to.deep.equal([]);
  });

  it("accountMargin gas for the vector case with the most entries", async function () {
    const { ethers } = await network.create();
    const harness = await ethers.deployContract("MarginLibHarness");
    const size = (c: VectorCase): number =>
      new Set([...c.collateral, ...c.positions].map((x) => x.asset)).size * 100 + c.collateral.length + c.positions.length;
    const biggest: VectorCase = file.cases.reduce((a: VectorCase, b: VectorCase): VectorCase => (size(b) > size(a) ? b : a));
    const args = [solPortfolio(caseToPortfolio(biggest)), r, casePrices(biggest, nAssets)] as const;
    const gas: bigint = await harness.accountMargin.estimateGas(...args);
    const gasReq: bigint = await harness.marginRequirement.estimateGas(...args);
    const [libGas, libGasReq] = (await harness.measureGas(...args)) as [bigint, bigint];
    console.log(
      `      library only (arguments in memory): accountMargin ${libGas} gas, marginRequirement ${libGasReq} gas`,
    );
    console.log(
      `      accountMargin("${biggest.name}": ${biggest.collateral.length} collateral, ${biggest.positions.length} positions): ${gas} gas; marginRequirement: ${gasReq} gas (call estimates incl. 21000 base and calldata)`,
    );
    expect(gas < 120_000n).to.equal(true);
  });
});
