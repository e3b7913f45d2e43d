import { expect } from "chai";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const WAD = 10n ** 18n;
const HEARTBEAT = 3600n;
const GRACE_PERIOD = 3600n;
const MAX_PRICE = 1_000_000n * WAD;
const ASSET = 3n;
const UINT256_MAX = 2n ** 256n - 1n;
const INT256_MAX = 2n ** 255n - 1n;

async function deployFixture() {
  const harness = await ethers.deployContract("OracleLibHarness");
  const feed = await ethers.deployContract("MockAggregator", [8, 2000n * 10n ** 8n, "ETH / USD"]);
  // Chainlink's uptime feed: answer 0 (up) since the deployment.
  const sequencer = await ethers.deployContract("MockAggregator", [0, 0n, "L2 Sequencer Uptime Status Feed"]);
  return { harness, feed, sequencer };
}

describe("OracleLib", function () {
  describe("readPrice", function () {
    it("normalises an 8-decimal answer to WAD", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setAnswer(2000_12345678n);
      expect(await harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET)).to.equal(2000_12345678n * 10n ** 10n);
    });

    it("returns an 18-decimal answer unchanged", async function () {
      const { harness } = await loadFixture(deployFixture);
      const feed18 = await ethers.deployContract("MockAggregator", [18, 1234_567890123456789012n, "X / USD"]);
      expect(await harness.readPrice(feed18, 18, HEARTBEAT, MAX_PRICE, ASSET)).to.equal(1234_567890123456789012n);
    });

    it("normalises a 6-decimal answer to WAD", async function () {
      const { harness } = await loadFixture(deployFixture);
      const feed6 = await ethers.deployContract("MockAggregator", [6, 999_999n, "USDC / USD"]);
      expect(await harness.readPrice(feed6, 6, HEARTBEAT, MAX_PRICE, ASSET)).to.equal(999_999n * 10n ** 12n);
    });

    it("normalises a 0-decimal answer to WAD", async function () {
      const { harness } = await loadFixture(deployFixture);
      const feed0 = await ethers.deployContract("MockAggregator", [0, 3000n, "Y / USD"]);
      expect(await harness.readPrice(feed0, 0, HEARTBEAT, MAX_PRICE, ASSET)).to.equal(3000n * WAD);
    });

    it("reverts when the answer is zero", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setAnswer(0n);
      await expect(harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET))
        .to.be.revertedWithCustomError(harness, "OracleAnswerNotPositive")
        .withArgs(await feed.getAddress(), 0n);
    });

    it("reverts when the answer is negative", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setAnswer(-1n);
      await expect(harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET))
        .to.be.revertedWithCustomError(harness, "OracleAnswerNotPositive")
        .withArgs(await feed.getAddress(), -1n);
    });

    it("accepts an answer exactly as old as the heartbeat", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setAnswer(2000n * 10n ** 8n);
      await time.increase(HEARTBEAT);
      expect(await harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET)).to.equal(2000n * WAD);
    });

    it("reverts when the answer is stale", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setAnswer(2000n * 10n ** 8n);
      const updatedAt = await time.latest();
      await time.increase(HEARTBEAT + 1n);
      await expect(harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET))
        .to.be.revertedWithCustomError(harness, "OracleAnswerStale")
        .withArgs(await feed.getAddress(), updatedAt, HEARTBEAT);
    });

    it("treats an update time in the future as fresh", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      const future = BigInt(await time.latest()) + 1000n;
      await feed.setRoundData(7n, 2000n * 10n ** 8n, future, future, 7n);
      expect(await harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET)).to.equal(2000n * WAD);
    });

    it("reverts when the round has no update time", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setRoundData(7n, 2000n * 10n ** 8n, 0n, 0n, 7n);
      await expect(harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET))
        .to.be.revertedWithCustomError(harness, "OracleRoundIncomplete")
        .withArgs(await feed.getAddress(), 7n, 7n);
    });

    it("reverts when the answer was carried over from an earlier round", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      const now = BigInt(await time.latest());
      await feed.setRoundData(7n, 2000n * 10n ** 8n, now, now, 6n);
      await expect(harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET))
        .to.be.revertedWithCustomError(harness, "OracleRoundIncomplete")
        .withArgs(await feed.getAddress(), 7n, 6n);
    });

    it("checks the sign of the answer before the round", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setRoundData(7n, 0n, 0n, 0n, 6n);
      await expect(harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET))
        .to.be.revertedWithCustomError(harness, "OracleAnswerNotPositive")
        .withArgs(await feed.getAddress(), 0n);
    });

    it("accepts a price exactly at the maximum", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setAnswer(1_000_000n * 10n ** 8n);
      expect(await harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET)).to.equal(MAX_PRICE);
    });

    it("reverts when the price is above the maximum", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setAnswer(1_000_000n * 10n ** 8n + 1n);
      await expect(harness.readPrice(feed, 8, HEARTBEAT, MAX_PRICE, ASSET))
        .to.be.revertedWithCustomError(harness, "OraclePriceAboveMax")
        .withArgs(ASSET, MAX_PRICE + 10n ** 10n, MAX_PRICE);
    });

    it("reports an absurd answer as above the maximum instead of overflowing", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await feed.setAnswer(INT256_MAX);
      await expect(harness.readPrice(feed, 0, HEARTBEAT, MAX_PRICE, ASSET))
        .to.be.revertedWithCustomError(harness, "OraclePriceAboveMax")
        .withArgs(ASSET, UINT256_MAX, MAX_PRICE);
    });

    it("panics when the feed decimals are above 18", async function () {
      const { harness, feed } = await loadFixture(deployFixture);
      await expect(harness.readPrice(feed, 19, HEARTBEAT, MAX_PRICE, ASSET)).to.be.revertedWithPanic(0x11);
    });
  });

  describe("checkSequencer", function () {
    it("skips the check when there is no sequencer feed", async function () {
      const { harness } = await loadFixture(deployFixture);
      await harness.checkSequencer(ethers.ZeroAddress, GRACE_PERIOD);
    });

    it("reverts when the sequencer is down", async function () {
      const { harness, sequencer } = await loadFixture(deployFixture);
      await sequencer.setAnswer(1n);
      await time.increase(GRACE_PERIOD * 2n);
      await expect(harness.checkSequencer(sequencer, GRACE_PERIOD))
        .to.be.revertedWithCustomError(harness, "SequencerDown")
        .withArgs(await sequencer.getAddress());
    });

    it("reverts when the uptime feed's round has not started", async function () {
      const { harness, sequencer } = await loadFixture(deployFixture);
      await sequencer.setRoundData(0n, 0n, 0n, 0n, 0n);
      await time.increase(GRACE_PERIOD * 2n);
      await expect(harness.checkSequencer(sequencer, GRACE_PERIOD))
        .to.be.revertedWithCustomError(harness, "SequencerDown")
        .withArgs(await sequencer.getAddress());
    });

    it("reverts when the sequencer came back up exactly the grace period ago", async function () {
      const { harness, sequencer } = await loadFixture(deployFixture);
      await sequencer.setAnswer(0n);
      const upSince = BigInt(await time.latest());
      await time.increaseTo(upSince + GRACE_PERIOD);
      await expect(harness.checkSequencer(sequencer, GRACE_PERIOD))
        .to.be.revertedWithCustomError(harness, "SequencerGracePeriodNotOver")
        .withArgs(await sequencer.getAddress(), upSince, GRACE_PERIOD);
    });

    it("reverts when the sequencer came back up inside the grace period", async function () {
      const { harness, sequencer } = await loadFixture(deployFixture);
      await sequencer.setAnswer(0n);
      const upSince = BigInt(await time.latest());
      await time.increaseTo(upSince + 10n);
      await expect(harness.checkSequencer(sequencer, GRACE_PERIOD))
        .to.be.revertedWithCustomError(harness, "SequencerGracePeriodNotOver")
        .withArgs(await sequencer.getAddress(), upSince, GRACE_PERIOD);
    });

    it("treats an up time in the future as inside the grace period", async function () {
      const { harness, sequencer } = await loadFixture(deployFixture);
      const future = BigInt(await time.latest()) + 1000n;
      await sequencer.setRoundData(2n, 0n, future, future, 2n);
      await expect(harness.checkSequencer(sequencer, 0n))
        .to.be.revertedWithCustomError(harness, "SequencerGracePeriodNotOver")
        .withArgs(await sequencer.getAddress(), future, 0n);
    });

    it("passes when the sequencer has been up for longer than the grace period", async function () {
      const { harness, sequencer } = await loadFixture(deployFixture);
      await sequencer.setAnswer(0n);
      const upSince = BigInt(await time.latest());
      await time.increaseTo(upSince + GRACE_PERIOD + 1n);
      await harness.checkSequencer(sequencer, GRACE_PERIOD);
    });
  });
});
