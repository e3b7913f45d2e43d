import { expect } from "chai";
import hre from "hardhat";

/** EIP-170: the largest deployable runtime bytecode, in bytes. */
const MAX_CODE_SIZE = 24_576;

// What is deployed must fit (the in-process network would refuse it too, but only where a test deploys it).
describe("Contract sizes", () => {
  for (const name of ["MarginVault", "CashModule", "InsuranceFund", "TradeSettlement"]) {
    it(`${name}'s runtime bytecode is under the EIP-170 limit`, async () => {
      const artifact = await hre.artifacts.readArtifact(name);
      const size = (artifact.deployedBytecode.length - 2) / 2;
      expect(size).to.be.greaterThan(0);
      expect(size).to.be.at.most(MAX_CODE_SIZE);
    });
  }
});
