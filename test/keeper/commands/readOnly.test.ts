import { expect } from "chai";
import type { Contract } from "ethers";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, custom, getAddress, type EIP1193Provider, type PublicClient } from "viem";

import { accountCommand } from "../../../keeper/src/commands/account.js";
import { scanCommand } from "../../../keeper/src/commands/scan.js";
import { parseConfig } from "../../../keeper/src/config/index.js";
import { createIndexer } from "../../../keeper/src/indexer/index.js";
import { openStore } from "../../../keeper/src/store/index.js";
import { connection, deployDefault, networkHelpers, units } from "../../fixtures.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;

describe("keeper scan / account never write the keeper's state", () => {
  it("index a copy: the keeper's checkpoint and accounts are unchanged, and the output is current", async () => {
    const { vault, tokens, alice, bob } = await networkHelpers.loadFixture(deployDefault);
    const vaultAddress = getAddress(await vault.getAddress());
    const path = join(mkdtempSync(join(tmpdir(), "keeper-ro-")), "state.sqlite");
    await (vault.connect(alice) as Contract).deposit(tokens.USDC, await units(tokens.USDC, 1000), alice.address);
    // The running keeper's file, indexed to this block.
    let store = openStore({ path, vault: vaultAddress, chainId: 31337 });
    await createIndexer({ client, store, vault: vaultAddress, startBlock: 0 }).sync();
    const checkpoint = store.checkpoint();
    const accounts = store.accounts();
    store.close();
    await (vault.connect(bob) as Contract).deposit(tokens.WETH, await units(tokens.WETH, 1), bob.address);
    await networkHelpers.mine(5);

    const config = parseConfig({ rpcUrls: ["http://127.0.0.1:1"], vault: vaultAddress, chainId: 31337, startBlock: 0, dbPath: path });
    const scan = await scanCommand({ config, client });
    expect(scan).to.include(getAddress(bob.address), "the scan sees the head");
    expect(await accountCommand({ config, client, account: bob.address })).to.include(getAddress(bob.address));

    store = openStore({ path, vault: vaultAddress, chainId: 31337 });
    expect(store.checkpoint()).to.deep.equal(checkpoint);
    expect(store.accounts()).to.deep.equal(accounts);
    store.close();
  });
});
