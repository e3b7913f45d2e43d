import { expect } from "chai";
import type { Contract } from "ethers";
import { createPublicClient, createWalletClient, custom, getAddress, keccak256, toHex, type EIP1193Provider, type PublicClient } from "viem";

import { hardhat } from "viem/chains";

import { formatProposals, proposeScans, sendScanUpdates } from "../../../keeper/src/commands/riskPropose.js";
import { ASSET, connection, defaultConfig, deployDefault, networkHelpers } from "../../fixtures.js";

const transport = custom(connection.provider as unknown as EIP1193Provider);
const client = createPublicClient({ transport }) as PublicClient;
const DAY = 86_400;
const statics = defaultConfig().assets.map((a) => ({ symbol: a.symbol, scan: a.scan }));

/** Publishes `answers` on `feed`, one a day (8 decimals). */
async function dailyAnswers(feed: Contract, answers: number[]): Promise<void> {
  for (const a of answers) {
    await networkHelpers.time.increase(DAY);
    await feed.setAnswer(BigInt(Math.round(a * 1e8)));
  }
}

describe("keeper risk propose", () => {
  it("proposes one steward step toward the EWMA target, sends it with the steward's key, then waits for the interval", async () => {
    const { vault, feeds, admin, carol } = await networkHelpers.loadFixture(deployDefault);
    const vaultAddress = getAddress(await vault.getAddress());
    await (vault.connect(admin) as Contract).grantRole(keccak256(toHex("RISK_STEWARD_ROLE")), carol.address);
    // Thirty calm days: +-0.5% a day, far below the 0.12 / 3.5 = 3.4% a day the static BTC scan stands for.
    await dailyAnswers(feeds.BTC, Array.from({ length: 30 }, (_, i) => 40_000 * (1 + (i % 2 === 0 ? 0.005 : -0.005))));

    const first = await proposeScans({ client, vault: vaultAddress, statics });
    const btc = first.proposals.find((p) => p.asset === ASSET.BTC)!;
    expect([btc.current, btc.target, btc.next, btc.status]).to.deep.equal([12n * 10n ** 16n, 6n * 10n ** 16n, 108n * 10n ** 15n, "update"]);
    expect(btc.closes).to.be.at.least(30);
    // The other feeds published only their first round.
    expect(first.proposals.find((p) => p.asset === ASSET.ETH)!.status).to.equal("no history");
    expect(formatProposals(first)).to.match(/BTC\s+\|?\s*\d+\s+\|?\s*[\d.]+%\s+\|?\s*0\.12\s+\|?\s*0\.12\s+\|?\s*0\.06\s+\|?\s*0\.108\s+\|?\s*update/);

    const wallet = createWalletClient({ account: { address: getAddress(carol.address), type: "json-rpc" }, chain: hardhat, transport });
    const sent = await sendScanUpdates({ client, wallet, vault: vaultAddress, proposals: first.proposals });
    expect(sent.map((s) => s.symbol)).to.deep.equal(["BTC"]);
    expect((await vault.assetConfig(ASSET.BTC)).scan).to.equal(108n * 10n ** 15n);

    const second = await proposeScans({ client, vault: vaultAddress, statics, assets: [ASSET.BTC] });
    expect([second.proposals[0]!.next, second.proposals[0]!.status]).to.deep.equal([972n * 10n ** 14n, "too soon"]);
    expect(await sendScanUpdates({ client, wallet, vault: vaultAddress, proposals: second.proposals })).to.deep.equal([]);

    await networkHelpers.time.increase(DAY);
    const third = await proposeScans({ client, vault: vaultAddress, statics, assets: [ASSET.BTC] });
    expect(third.proposals[0]!.status).to.equal("update");
  });
});
