import { expect } from "chai";
import type { Contract } from "ethers";

import { ethers, MARKET, networkHelpers, setPrice, wad } from "../fixtures.js";
import { aliceUnderwater, deposit, ETH_PRICE, margin, trade, USDC, withdraw, type Fixture } from "./setup.js";

const WAD = 10n ** 18n;
const GRACE = 3_600;

function liquidateByCarol(f: Fixture) {
  return (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, WAD);
}

/** The positions and balances an oracle attack must leave untouched. */
async function book(f: Fixture) {
  const users = [f.alice.address, f.bob.address, f.carol.address];
  return Promise.all(
    users.flatMap((u) => [
      f.vault.position(u, MARKET.ETH) as Promise<bigint>,
      f.vault.collateralBalance(u, f.tokens.USDC) as Promise<bigint>,
      f.vault.cash(u) as Promise<bigint>,
    ]),
  );
}

/** Publishes a broken latest round on the ETH feed: `updatedAt` 0 or `answeredInRound` behind `roundId`. */
async function brokenRound(f: Fixture, kind: "noUpdate" | "carriedOver") {
  const now = BigInt(await networkHelpers.time.latest());
  const answer = ETH_PRICE / 10n ** 10n;
  if (kind === "noUpdate") await f.feeds.ETH.setRoundData(10n, answer, now, 0n, 10n);
  else await f.feeds.ETH.setRoundData(10n, answer, now, now, 9n);
}

/** `aliceUnderwater` on an L2: a sequencer uptime feed (up since deployment) with a one-hour grace period. */
async function onL2(): Promise<Fixture & { sequencer: Contract }> {
  const f = await aliceUnderwater();
  const sequencer = (await ethers.deployContract("MockAggregator", [0, 0n, "L2 Sequencer Uptime"])) as unknown as Contract;
  await networkHelpers.time.increase(GRACE + 1);
  for (const feed of [f.feeds.USD, f.feeds.ETH]) await feed.setAnswer(((await feed.latestRoundData()) as bigint[])[1]);
  await f.vault.setSequencerFeed(sequencer, GRACE);
  return { ...f, sequencer };
}

describe("attacks: oracle", () => {
  it("a stale price cannot be used to liquidate an account", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    await networkHelpers.time.increase(3_601);
    await setPrice(f.feeds.USD, wad(1));
    const before = await book(f);
    await expect(liquidateByCarol(f)).to.be.revertedWithCustomError(f.vault, "OracleAnswerStale");
    expect(await book(f)).to.deep.equal(before);
  });

  it("a zero price cannot make a position worthless to liquidate its owner", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    await f.feeds.ETH.setAnswer(0n);
    const before = await book(f);
    await expect(liquidateByCarol(f)).to.be.revertedWithCustomError(f.vault, "OracleAnswerNotPositive");
    await expect((f.vault.connect(f.alice) as Contract).liquidate(f.bob.address, WAD)).to.be.revertedWithCustomError(
      f.vault,
      "OracleAnswerNotPositive",
    );
    expect(await book(f)).to.deep.equal(before);
  });

  it("a negative price cannot turn a short into a profit to withdraw", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    await f.feeds.ETH.setAnswer(-1n);
    const before = await book(f);
    await expect(withdraw(f, f.bob, f.tokens.USDC, USDC(10_000))).to.be.revertedWithCustomError(
      f.vault,
      "OracleAnswerNotPositive",
    );
    expect(await book(f)).to.deep.equal(before);
  });

  it("an incomplete round carried over from an earlier one cannot be traded on", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    await brokenRound(f, "carriedOver");
    const before = await book(f);
    await expect(trade(f, f.carol, f.bob, MARKET.ETH, wad(1), ETH_PRICE)).to.be.revertedWithCustomError(
      f.vault,
      "OracleRoundIncomplete",
    );
    expect(await book(f)).to.deep.equal(before);
  });

  it("an incomplete round with no update time cannot be used to liquidate or withdraw", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    await brokenRound(f, "noUpdate");
    const before = await book(f);
    await expect(liquidateByCarol(f)).to.be.revertedWithCustomError(f.vault, "OracleRoundIncomplete");
    await expect(withdraw(f, f.bob, f.tokens.USDC, USDC(1))).to.be.revertedWithCustomError(f.vault, "OracleRoundIncomplete");
    expect(await book(f)).to.deep.equal(before);
  });

  it("while the sequencer is down no liquidation or withdrawal acts on a price, and top-ups still land", async () => {
    const f = await networkHelpers.loadFixture(onL2);
    const now = BigInt(await networkHelpers.time.latest());
    await f.sequencer.setRoundData(2n, 1n, now, now, 2n);
    await expect(liquidateByCarol(f)).to.be.revertedWithCustomError(f.vault, "SequencerDown");
    await expect(withdraw(f, f.bob, f.tokens.USDC, USDC(1))).to.be.revertedWithCustomError(f.vault, "SequencerDown");
    const before = await book(f);
    await deposit(f, f.alice, f.tokens.USDC, USDC(1_000));
    const after = await book(f);
    expect(after[1] - before[1]).to.equal(USDC(1_000));
  });

  it("inside the sequencer grace period the account tops up and is not liquidated", async () => {
    const f = await networkHelpers.loadFixture(onL2);
    // The sequencer came back up just now: liquidations wait for the grace period.
    const now = BigInt(await networkHelpers.time.latest());
    await f.sequencer.setRoundData(3n, 0n, now, now, 3n);
    await expect(liquidateByCarol(f)).to.be.revertedWithCustomError(f.vault, "SequencerGracePeriodNotOver");
    await deposit(f, f.alice, f.tokens.USDC, USDC(3_000));
    await networkHelpers.time.increase(GRACE + 1);
    await setPrice(f.feeds.USD, wad(1));
    await setPrice(f.feeds.ETH, wad(1_500));
    await expect(liquidateByCarol(f)).to.be.revertedWithCustomError(f.vault, "AccountHealthy");
    expect(await f.vault.position(f.alice.address, MARKET.ETH)).to.equal(wad(10));
  });

  it("a price above the asset's maximum cannot inflate collateral to withdraw against it", async () => {
    const f = await networkHelpers.loadFixture(aliceUnderwater);
    await deposit(f, f.bob, f.tokens.WBTC, 10n ** 8n);
    // BTC's listed maximum is 1,000,000: a feed answering 2,000,000 is refused, not valued.
    await setPrice(f.feeds.BTC, wad(2_000_000));
    const before = await book(f);
    await expect(withdraw(f, f.bob, f.tokens.USDC, USDC(10_000))).to.be.revertedWithCustomError(f.vault, "OraclePriceAboveMax");
    expect(await book(f)).to.deep.equal(before);
    expect((await margin(f, f.alice.address)).equity).to.equal(wad(2_000));
  });
});
