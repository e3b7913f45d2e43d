/**
 * The deployed bytecode is the tested bytecode: Ignition builds the `production` profile, the tests the `default`
 * one. Instead of compiling twice (about 3 minutes with viaIR on the wasm solc), this compares what each profile
 * would hand the compiler: for every contract the deployment module deploys, the same compiler version and the
 * same standard-JSON input (sources, settings, output selection). solc is deterministic in its input, so equal
 * inputs mean equal bytecode; equal build ids also mean Ignition reuses the default build from the cache.
 */
import { expect } from "chai";
import path from "node:path";
import hre from "hardhat";

/** The contracts `ignition/modules/PortfolioMargin.ts` deploys (mocks only on local networks). */
const DEPLOYED = ["MarginVault", "TradeSettlement", "InsuranceFund", "mocks/MockAggregator", "mocks/MockERC20"];

async function jobsOf(buildProfile: string, roots: string[]) {
  // `force`: plan every job, cached or not (planning compiles nothing).
  const result = await hre.solidity.getCompilationJobs(roots, { buildProfile, force: true, quiet: true });
  if (!("compilationJobsPerFile" in result)) throw new Error(`cannot plan the ${buildProfile} build: ${result.reason}`);
  return result;
}

describe("build profiles", function () {
  it("declare the same compiler, settings and isolation", function () {
    const { default: dev, production } = hre.config.solidity.profiles;
    expect(production, "hardhat.config.ts must declare a production profile").to.not.equal(undefined);
    expect(production!.compilers).to.deep.equal(dev!.compilers);
    expect(production!.overrides).to.deep.equal(dev!.overrides);
    expect(production!.isolated).to.equal(dev!.isolated);
  });

  it("hand solc the same input for every deployed contract (so the same bytecode)", async function () {
    const roots = await hre.solidity.getRootFilePaths();
    const deployed = DEPLOYED.map((name) => path.join(hre.config.paths.root, "contracts", `${name}.sol`));
    for (const file of deployed) expect(roots, `${file} is not a build root`).to.include(file);
    const [dev, production] = await Promise.all([jobsOf("default", roots), jobsOf("production", roots)]);
    for (const file of deployed) {
      const a = dev.compilationJobsPerFile.get(file);
      const b = production.compilationJobsPerFile.get(file);
      expect(a, `no default job for ${file}`).to.not.equal(undefined);
      expect(b, `no production job for ${file}`).to.not.equal(undefined);
      expect(b!.solcLongVersion).to.equal(a!.solcLongVersion);
      expect(JSON.stringify(await b!.getSolcInput()), `solc input of ${file}`).to.equal(JSON.stringify(await a!.getSolcInput()));
    }
  });
});
