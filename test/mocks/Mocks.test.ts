import { expect } from "chai";
import { network } from "hardhat";

const { ethers } = await network.create();

describe("Mocks", function () {
  describe("MockAggregator", function () {
    it("publishes each answer as a new complete round", async function () {
      const feed = await ethers.deployContract("MockAggregator", [8, 100n, "ETH / USD"]);
      expect(await feed.decimals()).to.equal(8n);
      expect(await feed.description()).to.equal("ETH / USD");
      await feed.setAnswer(200n);
      const [roundId, answer, startedAt, updatedAt, answeredInRound] = await feed.latestRoundData();
      expect(roundId).to.equal(2n);
      expect(answer).to.equal(200n);
      expect(startedAt).to.equal(updatedAt);
      expect(answeredInRound).to.equal(2n);
    });

    it("returns the round data that was set", async function () {
      const feed = await ethers.deployContract("MockAggregator", [8, 100n, "ETH / USD"]);
      await feed.setRoundData(9n, -5n, 11n, 12n, 8n);
      expect(await feed.latestRoundData()).to.deep.equal([9n, -5n, 11n, 12n, 8n]);
    });
  });

  describe("MockERC20", function () {
    it("reports its configured decimals and mints to anyone", async function () {
      const [, alice] = await ethers.getSigners();
      const token = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
      expect(await token.decimals()).to.equal(6n);
      await token.mint(alice, 1_000_000n);
      expect(await token.balanceOf(alice)).to.equal(1_000_000n);
    });
  });

  describe("FeeOnTransferToken", function () {
    it("delivers less than the amount transferred", async function () {
      const [owner, alice] = await ethers.getSigners();
      const token = await ethers.deployContract("FeeOnTransferToken", ["Fee Token", "FEE", 100n]);
      await token.mint(owner, 1000n);
      await token.transfer(alice, 100n);
      expect(await token.balanceOf(alice)).to.equal(99n);
      expect(await token.balanceOf(owner)).to.equal(900n);
      expect(await token.totalSupply()).to.equal(999n);
    });

    it("delivers less than the amount pulled with transferFrom", async function () {
      const [owner, alice, bob] = await ethers.getSigners();
      const token = await ethers.deployContract("FeeOnTransferToken", ["Fee Token", "FEE", 100n]);
      await token.mint(owner, 1000n);
      await token.approve(alice, 500n);
      await token.connect(alice).getFunction("transferFrom")(owner, bob, 500n);
      expect(await token.balanceOf(bob)).to.equal(495n);
      expect(await token.balanceOf(owner)).to.equal(500n);
      expect(await token.allowance(owner, alice)).to.equal(0n);
    });

    it("rejects a fee above 100%", async function () {
      const factory = await ethers.getContractFactory("FeeOnTransferToken");
      await expect(factory.deploy("Fee Token", "FEE", 10_001n))
        .to.be.revertedWithCustomError(factory, "InvalidFeeBps")
        .withArgs(10_001n);
    });
  });
});
