import { expect } from "chai";
import { createPublicClient, custom, getAddress, type EIP1193Provider, type PublicClient } from "viem";

import { Book } from "../../app/src/chain/book.js";
import { ASSET, connection, MARKET, networkHelpers, wad } from "../fixtures.js";
import { deployGoverned, INTERVAL } from "../helpers/governance.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;

describe("app Book: risk changes", () => {
  it("follows steward, guardian and timelock changes with their old and new values", async () => {
    const f = await networkHelpers.loadFixture(deployGoverned);
    await networkHelpers.time.increase(INTERVAL);
    await f.steward.setAssetScan(ASSET.ETH, wad("0.165"));
    await f.guardian.setMarket(MARKET.ETH, wad("0.0055"), wad(50_000));
    await f.guardian.setPriceBand(450);
    await f.vault.setCorrelation(ASSET.BTC, ASSET.ETH, wad("0.7"));
    const vault = getAddress(await f.vault.getAddress());
    const book = new Book();
    book.apply(await client.getLogs({ address: vault, fromBlock: 0n }));

    expect(book.assets[ASSET.ETH]!.scan).to.equal(wad("0.165"));
    expect(book.markets[MARKET.ETH]!.k).to.equal(wad("0.0055"));
    expect(book.rho.get(`${ASSET.BTC},${ASSET.ETH}`)).to.equal(wad("0.7"));
    expect(book.priceBand).to.equal(450n);
    expect(book.riskSteps).to.deep.equal({ maxStep: wad("0.1"), minInterval: BigInt(INTERVAL) });
    // Newest first; listings and the constructor's initial values are not changes.
    expect(book.riskChanges.slice(0, 4).map((c) => [c.parameter, c.text])).to.deep.equal([
      ["BTC/ETH correlation", "0.8 → 0.7"],
      ["price band", "500 bps → 450 bps"],
      ["ETH-PERP k", "0.5% → 0.55%"],
      ["ETH scan", "15% → 16.5%"],
    ]);
    expect(book.riskChanges.some((c) => c.parameter === "IM factor")).to.equal(false);
  });
});
