import { expect } from "chai";
import { createPublicClient, custom, getAddress, type EIP1193Provider, type PublicClient } from "viem";

import { readFeedCloses } from "../../client/src/oracleHistory.js";
import { connection, deployDefault, networkHelpers } from "../fixtures.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;
const DAY = 86_400;

describe("client/oracleHistory", () => {
  it("reads a feed's daily closes from its round data: the last answer of each day", async () => {
    const { feeds } = await networkHelpers.loadFixture(deployDefault);
    const start = Math.ceil((await networkHelpers.time.latest()) / DAY) * DAY + 3600;
    await networkHelpers.time.setNextBlockTimestamp(start);
    await feeds.ETH.setAnswer(2000e8);
    await feeds.ETH.setAnswer(2100e8);
    await networkHelpers.time.setNextBlockTimestamp(start + DAY);
    await feeds.ETH.setAnswer(2200e8);
    await feeds.ETH.setAnswer(2050e8);
    const history = await readFeedCloses({ client, feed: getAddress(await feeds.ETH.getAddress()), periods: 2 });
    expect(history.answers).to.deep.equal([210_000_000_000n, 205_000_000_000n]);
    expect(history.times).to.deep.equal([start - 3600 + DAY, start - 3600 + 2 * DAY]);
    expect(history.decimals).to.equal(8);
  });

  it("stops at the feed's first round and returns fewer closes than asked", async () => {
    const { feeds } = await networkHelpers.loadFixture(deployDefault);
    const history = await readFeedCloses({ client, feed: getAddress(await feeds.SOL.getAddress()), periods: 30 });
    expect(history.answers).to.deep.equal([10_000_000_000n]);
    expect(history.rounds).to.equal(1);
  });
});
