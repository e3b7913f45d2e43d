import { expect } from "chai";
import type { Contract } from "ethers";
import { createPublicClient, custom, type EIP1193Provider, type PublicClient } from "viem";

import { createIndexer } from "../../../keeper/src/indexer/index.js";
import {
  checkPrice,
  checkSequencer,
  OracleAnswerNotPositiveError,
  OracleAnswerStaleError,
  OraclePriceAboveMaxError,
  OracleReadError,
  OracleRoundIncompleteError,
  readPrices,
  SequencerDownError,
  SequencerGracePeriodNotOverError,
} from "../../../keeper/src/prices/index.js";
import { openStore } from "../../../keeper/src/store/index.js";
import { ASSET, connection, deployDefault, ethers, networkHelpers, wad } from "../../fixtures.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;
const FEED = "0x0000000000000000000000000000000000000F01" as const;
const LISTING = { asset: 2, feed: FEED, feedDecimals: 8, heartbeat: 3600n, maxPrice: wad(100_000), timestamp: 10_000n };
const round = { roundId: 5n, answer: 2_300n * 10n ** 8n, startedAt: 9_000n, updatedAt: 9_000n, answeredInRound: 5n };

describe("keeper prices", () => {
  describe("checkPrice (OracleLib.readPrice's rules)", () => {
    it("scales a good answer to WAD", () => {
      expect(checkPrice(round, LISTING)).to.deep.equal({ ok: true, price: wad(2300) });
    });
    const cases: [string, Partial<typeof round>, Partial<typeof LISTING>, Function][] = [
      ["a zero answer", { answer: 0n }, {}, OracleAnswerNotPositiveError],
      ["a negative answer", { answer: -1n }, {}, OracleAnswerNotPositiveError],
      ["no update time", { updatedAt: 0n }, {}, OracleRoundIncompleteError],
      ["an answer carried over from an earlier round", { answeredInRound: 4n }, {}, OracleRoundIncompleteError],
      ["an answer older than the heartbeat", { updatedAt: 6_399n }, {}, OracleAnswerStaleError],
      ["a price above the maximum", {}, { maxPrice: wad(2300) - 1n }, OraclePriceAboveMaxError],
    ];
    for (const [what, r, listing, type] of cases) {
      it(`refuses ${what} with its typed error`, () => {
        const result = checkPrice({ ...round, ...r }, { ...LISTING, ...listing });
        expect(result.ok).to.equal(false);
        if (!result.ok) {
          expect(result.error).to.be.instanceOf(type);
          expect(result.error.asset).to.equal(2);
        }
      });
    }
    it("accepts an answer exactly heartbeat old, one in the future, and the maximum price", () => {
      expect(checkPrice({ ...round, updatedAt: 6_400n }, LISTING).ok).to.equal(true);
      expect(checkPrice({ ...round, updatedAt: 20_000n }, LISTING).ok).to.equal(true);
      expect(checkPrice(round, { ...LISTING, maxPrice: wad(2300) }).ok).to.equal(true);
    });
  });

  describe("checkSequencer (OracleLib.checkSequencer's rules)", () => {
    const up = { ...round, answer: 0n, startedAt: 1_000n };
    const params = { feed: FEED, gracePeriod: 3600n, timestamp: 10_000n };
    it("accepts a sequencer up for longer than the grace period", () => {
      expect(checkSequencer(up, params)).to.equal(null);
    });
    it("refuses a down sequencer, an unknown status and a grace period not over", () => {
      expect(checkSequencer({ ...up, answer: 1n }, params)).to.be.instanceOf(SequencerDownError);
      expect(checkSequencer({ ...up, startedAt: 0n }, params)).to.be.instanceOf(SequencerDownError);
      expect(checkSequencer({ ...up, startedAt: 6_400n }, params)).to.be.instanceOf(SequencerGracePeriodNotOverError);
      expect(checkSequencer({ ...up, startedAt: 20_000n }, params)).to.be.instanceOf(SequencerGracePeriodNotOverError);
    });
  });

  describe("readPrices (in-process)", () => {
    it("reads every feed, gives a bad feed its typed error and leaves the others usable, as the vault does", async () => {
      const { vault, feeds } = await networkHelpers.loadFixture(deployDefault);
      const vaultAddress = (await vault.getAddress()) as `0x${string}`;
      const store = openStore({ path: ":memory:", vault: vaultAddress, chainId: 31337 });
      await createIndexer({ client, store, vault: vaultAddress, startBlock: 0 }).sync();
      const { assets } = store.riskConfig();

      const now = BigInt(await networkHelpers.time.latest());
      await (feeds.ETH as Contract).setRoundData(7n, -5n, now, now, 7n);
      await (feeds.SOL as Contract).setRoundData(7n, 10n ** 10n, now, 0n, 7n);
      await (feeds.LINK as Contract).setRoundData(7n, 10n ** 9n, now - 4000n, now - 4000n, 7n);
      await (feeds.DOGE as Contract).setRoundData(7n, 10n ** 30n, now, now, 7n);

      const block = await client.getBlock();
      const { prices, sequencerError } = await readPrices({ client, assets, blockNumber: block.number, timestamp: block.timestamp });
      expect(sequencerError).to.equal(null);
      const byAsset = new Map(prices.map((p) => [p.asset, p]));
      const expected: [number, Function][] = [
        [ASSET.ETH, OracleAnswerNotPositiveError],
        [ASSET.SOL, OracleRoundIncompleteError],
        [ASSET.LINK, OracleAnswerStaleError],
        [ASSET.DOGE, OraclePriceAboveMaxError],
      ];
      for (const [asset, type] of expected) {
        const price = byAsset.get(asset)!;
        expect(price.ok).to.equal(false);
        if (!price.ok) expect(price.error).to.be.instanceOf(type);
        await expect(vault.price(asset)).to.be.revertedWithCustomError(vault, type.name.replace(/Error$/, ""));
      }
      for (const asset of [ASSET.USD, ASSET.BTC]) {
        const price = byAsset.get(asset)!;
        expect(price).to.deep.equal({ asset, ok: true, price: await vault.price(asset) });
      }

      // A feed that cannot be read at all.
      const broken = await readPrices({ client, assets: [{ ...assets[0]!, feed: (await ethers.Wallet.createRandom()).address as `0x${string}` }], blockNumber: block.number, timestamp: block.timestamp });
      expect(broken.prices[0]!.ok).to.equal(false);
      if (!broken.prices[0]!.ok) expect(broken.prices[0]!.error).to.be.instanceOf(OracleReadError);
    });
  });
});
