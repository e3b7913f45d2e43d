import { expect } from "chai";
import type { Contract } from "ethers";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, custom, getAddress, type Address, type EIP1193Provider, type PublicClient } from "viem";

import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import { createIndexer } from "../../../keeper/src/indexer/index.js";
import { evaluateAccount, evaluateAll } from "../../../keeper/src/margin/evaluate.js";
import { readPrices } from "../../../keeper/src/prices/index.js";
import { openStore, type KeeperStore } from "../../../keeper/src/store/index.js";
import { ASSET, connection, deployDefault, MARKET, networkHelpers, setPrice, units, wad } from "../../fixtures.js";
import { deployGoverned, INTERVAL } from "../../helpers/governance.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;

type Deployed = Awaited<ReturnType<typeof deployDefault>>;

/** Activity across three accounts: deposits, withdrawals, harness positions and cash. */
async function activity({ vault, tokens, feeds, alice, bob, carol }: Deployed): Promise<void> {
  const as = (signer: typeof alice) => vault.connect(signer) as Contract;
  await as(alice).deposit(tokens.WETH, await units(tokens.WETH, 10), alice.address);
  await as(alice).deposit(tokens.USDC, await units(tokens.USDC, 5000), alice.address);
  await as(bob).deposit(tokens.WBTC, await units(tokens.WBTC, 1), bob.address);
  await as(bob).deposit(tokens.LINK, await units(tokens.LINK, 300), bob.address);
  await as(carol).deposit(tokens.USDC, await units(tokens.USDC, 2000), carol.address);
  await vault.harnessSetPosition(alice.address, MARKET.ETH, wad(-8));
  await vault.harnessSetCash(alice.address, wad(18_400));
  await vault.harnessSetPosition(bob.address, MARKET.BTC, wad("-0.5"));
  await vault.harnessSetPosition(bob.address, MARKET.ETH, wad(5));
  await vault.harnessSetCash(bob.address, wad(9_500));
  await vault.harnessSetPosition(carol.address, MARKET.SOL, wad(40));
  await vault.harnessSetCash(carol.address, wad(-3_900));
  await as(alice).withdraw(tokens.USDC, await units(tokens.USDC, 1000), alice.address, alice.address);
  await vault.harnessSetPosition(bob.address, MARKET.ETH, wad(2));
  await setPrice(feeds.SOL, wad(95));
  await setPrice(feeds.ETH, wad(2_350));
}

/** The store's state equals the vault's getters for every account, token and market, and the risk config. */
async function expectStoreMatchesChain(store: KeeperStore, deployed: Deployed): Promise<void> {
  const { vault, tokens, alice, bob, carol, admin } = deployed;
  const tokenAddresses = await Promise.all(Object.values(tokens).map(async (t) => getAddress(await t.getAddress())));
  for (const account of [alice.address, bob.address, carol.address, admin.address].map((a) => getAddress(a))) {
    expect(store.cash(account), `cash ${account}`).to.equal(await vault.cash(account));
    const balances = new Map(store.balances(account).map((b) => [b.token, b.amount]));
    for (const token of tokenAddresses) {
      expect(balances.get(token) ?? 0n, `balance ${account} ${token}`).to.equal(await vault.collateralBalance(account, token));
    }
    const positions = new Map(store.positions(account).map((p) => [p.market, p.size]));
    for (const market of Object.values(MARKET)) {
      expect(positions.get(market) ?? 0n, `position ${account} ${market}`).to.equal(await vault.position(account, market));
    }
  }
  const risk = store.riskConfig();
  const [assets, collaterals, markets] = (await vault.listingCounts()) as bigint[];
  expect(risk.assets.length).to.equal(Number(assets));
  expect(risk.collaterals.length).to.equal(Number(collaterals));
  expect(risk.markets.length).to.equal(Number(markets));
  for (const asset of risk.assets) {
    const onChain = await vault.assetConfig(asset.id);
    expect([asset.feed, asset.scan, asset.feedDecimals, asset.heartbeat, asset.maxPrice]).to.deep.equal([
      onChain.feed, onChain.scan, Number(onChain.feedDecimals), onChain.heartbeat, onChain.maxPrice,
    ]);
    for (const other of risk.assets.filter((o) => o.id > asset.id)) {
      expect(risk.rho.get(`${asset.id},${other.id}`) ?? 0n).to.equal(await vault.correlation(asset.id, other.id));
    }
  }
  for (const c of risk.collaterals) {
    const onChain = await vault.collateralConfig(c.token);
    expect([c.asset, c.decimals, c.haircut, c.depositCap]).to.deep.equal([Number(onChain.asset), Number(onChain.decimals), onChain.haircut, onChain.depositCap]);
  }
  for (const m of risk.markets) {
    const onChain = await vault.marketConfig(m.id);
    expect([m.asset, m.k, m.openInterestCap]).to.deep.equal([Number(onChain.asset), onChain.k, onChain.openInterestCap]);
  }
  expect(risk.imFactor).to.equal(await vault.imFactor());
}

/** `evaluateAccount` equals `vault.accountMargin` at the checkpoint block, field for field, for every account. */
async function expectMarginMatchesChain(store: KeeperStore, vault: Address): Promise<void> {
  const checkpoint = store.checkpoint()!;
  const block = await client.getBlock({ blockNumber: BigInt(checkpoint.number) });
  const risk = store.riskConfig();
  const prices = await readPrices({ client, assets: risk.assets, sequencer: risk.sequencer, blockNumber: block.number, timestamp: block.timestamp });
  const accounts = store.accounts();
  expect(accounts.length).to.be.greaterThan(0);
  for (const account of accounts) {
    const result = evaluateAccount({ store, account, prices });
    if (!result.ok) throw result.error;
    const onChain = await client.readContract({ address: vault, abi: marginVaultAbi, functionName: "accountMargin", args: [account], blockNumber: block.number });
    const m = result.margin;
    expect({
      equity: m.equity, maintenanceMargin: m.maintenanceMargin, initialMargin: m.initialMargin, kLow: m.kLow, kMedium: m.kMedium,
      kHigh: m.kHigh, k: m.k, addOns: m.addOns, isolatedMaintenanceMargin: m.isolatedMaintenanceMargin, touchedAssets: m.touched,
      exposures: m.exposures, weightedSensitivities: m.weightedSensitivities,
    }, `margin of ${account}`).to.deep.equal({ ...onChain, exposures: [...onChain.exposures], weightedSensitivities: [...onChain.weightedSensitivities] });
    const liquidatable = await client.readContract({ address: vault, abi: marginVaultAbi, functionName: "isLiquidatable", args: [account], blockNumber: block.number });
    expect(result.liquidatable).to.equal(liquidatable);
  }
}

async function setup() {
  const deployed = await networkHelpers.loadFixture(deployDefault);
  const vault = getAddress(await deployed.vault.getAddress());
  return { deployed, vault };
}

/** Indexes to the head (the fork point), then two blocks of alice's cash, then drops them; returns the fork point. */
async function indexTwoBlocksThenDropThem(indexer: ReturnType<typeof createIndexer>, { vault, alice }: Deployed): Promise<number> {
  const forkPoint = (await indexer.sync()).checkpoint!;
  const snapshot = await connection.provider.request({ method: "evm_snapshot", params: [] });
  await vault.harnessSetCash(alice.address, wad(5));
  await vault.harnessSetCash(alice.address, wad(6));
  await indexer.sync();
  await connection.provider.request({ method: "evm_revert", params: [snapshot] });
  return forkPoint;
}

function indexerFor(store: KeeperStore, vault: Address, options: { chunkSize?: number; reorgWindow?: number } = {}) {
  return createIndexer({ client, store, vault, startBlock: 0, chunkSize: options.chunkSize ?? 7, reorgWindow: options.reorgWindow ?? 12 });
}

describe("keeper indexer (in-process)", () => {
  it("indexes the vault so that the store equals the chain, and the margin equals vault.accountMargin", async () => {
    const { deployed, vault } = await setup();
    await activity(deployed);
    const store = openStore({ path: ":memory:", vault, chainId: 31337 });
    const result = await indexerFor(store, vault).sync();
    expect(result.checkpoint).to.equal(result.head);
    expect(result.applied).to.be.greaterThan(30);
    await expectStoreMatchesChain(store, deployed);
    await expectMarginMatchesChain(store, vault);
  });

  it("follows bounded risk changes by the steward and the guardian (events with old and new values)", async () => {
    const deployed = await networkHelpers.loadFixture(deployGoverned);
    const vault = getAddress(await deployed.vault.getAddress());
    await activity(deployed);
    await networkHelpers.time.increase(INTERVAL);
    await deployed.steward.setAssetScan(ASSET.ETH, wad("0.165"));
    await deployed.steward.setCorrelation(ASSET.BTC, ASSET.ETH, wad("0.75"));
    await deployed.guardian.setCollateral(deployed.tokens.WETH, wad("0.022"), await units(deployed.tokens.WETH, 18_000));
    await deployed.guardian.setImFactor(wad("1.65"));
    // The feeds are stale after the interval: fresh answers at the same prices.
    for (const [feed, price] of [
      [deployed.feeds.USD, 1], [deployed.feeds.BTC, 42_000], [deployed.feeds.ETH, 2_350], [deployed.feeds.SOL, 95], [deployed.feeds.LINK, 15], [deployed.feeds.DOGE, 0.09],
    ] as const) {
      await setPrice(feed, wad(price));
    }
    const store = openStore({ path: ":memory:", vault, chainId: 31337 });
    await indexerFor(store, vault).sync();
    await expectStoreMatchesChain(store, deployed);
    await expectMarginMatchesChain(store, vault);
    expect(store.riskConfig().assets[ASSET.ETH]!.scan).to.equal(wad("0.165"));
  });

  it("ranks accounts by MM - E and flags those under maintenance margin", async () => {
    const { deployed, vault } = await setup();
    await activity(deployed);
    await setPrice(deployed.feeds.SOL, wad(60)); // carol: 40 SOL long, cash -3,900, 2,000 USDC
    const store = openStore({ path: ":memory:", vault, chainId: 31337 });
    await indexerFor(store, vault).sync();
    const block = await client.getBlock();
    const risk = store.riskConfig();
    const prices = await readPrices({ client, assets: risk.assets, blockNumber: block.number, timestamp: block.timestamp });
    const { ranked, failed } = evaluateAll({ store, prices });
    expect(failed).to.deep.equal([]);
    expect(ranked[0]!.account).to.equal(getAddress(deployed.carol.address));
    expect(ranked[0]!.liquidatable).to.equal(true);
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1]!.shortfall >= ranked[i]!.shortfall).to.equal(true);
    expect(ranked.filter((r) => r.liquidatable)).to.have.length(1);
    await expectMarginMatchesChain(store, vault);
  });

  it("resumes from the checkpoint after a restart without re-applying anything", async () => {
    const { deployed, vault } = await setup();
    const path = join(mkdtempSync(join(tmpdir(), "keeper-indexer-")), "state.sqlite");
    const first = openStore({ path, vault, chainId: 31337 });
    await activity(deployed);
    const synced = await indexerFor(first, vault).sync();
    const rows = first.rowCount();
    first.close();

    const second = openStore({ path, vault, chainId: 31337 });
    expect(second.checkpoint()!.number).to.equal(synced.checkpoint);
    const again = await indexerFor(second, vault).sync();
    expect(again.applied).to.equal(0);
    expect(second.rowCount()).to.equal(rows);

    await (deployed.vault.connect(deployed.carol) as Contract).deposit(deployed.tokens.WETH, 5n, deployed.carol.address);
    await deployed.vault.harnessSetCash(deployed.carol.address, wad(-1));
    const next = await indexerFor(second, vault).sync();
    expect(next.applied).to.equal(2);
    expect(second.rowCount()).to.equal(rows + 2);
    await expectStoreMatchesChain(second, deployed);
    await expectMarginMatchesChain(second, vault);
  });

  it("rolls back a reorg to the fork point and re-indexes the new chain", async () => {
    const { deployed, vault } = await setup();
    const { vault: v, tokens, alice, bob } = deployed;
    await activity(deployed);
    const store = openStore({ path: ":memory:", vault, chainId: 31337 });
    const indexer = indexerFor(store, vault);
    const forkPoint = (await indexer.sync()).checkpoint!;
    const snapshot = await connection.provider.request({ method: "evm_snapshot", params: [] });

    // The fork that will be dropped: three blocks.
    await (v.connect(alice) as Contract).deposit(tokens.DOGE, await units(tokens.DOGE, 1000), alice.address);
    await v.harnessSetPosition(bob.address, MARKET.DOGE, wad(-500));
    await v.harnessSetCash(bob.address, wad(1));
    expect((await indexer.sync()).checkpoint).to.equal(forkPoint + 3);
    expect(store.positions(bob.address as Address).find((p) => p.market === MARKET.DOGE)?.size).to.equal(wad(-500));

    // The canonical chain: four different blocks from the fork point.
    await connection.provider.request({ method: "evm_revert", params: [snapshot] });
    await v.harnessSetPosition(alice.address, MARKET.LINK, wad(100));
    await (v.connect(bob) as Contract).withdraw(tokens.LINK, await units(tokens.LINK, 100), bob.address, bob.address);
    await networkHelpers.mine(2);
    const result = await indexer.sync();
    expect(result.reorgedTo).to.equal(forkPoint);
    expect(result.checkpoint).to.equal(forkPoint + 4);
    expect(store.positions(bob.address as Address).find((p) => p.market === MARKET.DOGE)).to.equal(undefined);
    await expectStoreMatchesChain(store, deployed);
    await expectMarginMatchesChain(store, vault);
  });

  it("rolls back when the new chain is shorter than the dropped fork", async () => {
    const { deployed, vault } = await setup();
    const { vault: v, alice } = deployed;
    const store = openStore({ path: ":memory:", vault, chainId: 31337 });
    const indexer = indexerFor(store, vault);
    const forkPoint = await indexTwoBlocksThenDropThem(indexer, deployed);
    await v.harnessSetCash(alice.address, wad(7));
    const result = await indexer.sync();
    expect(result.reorgedTo).to.equal(forkPoint);
    expect(result.checkpoint).to.equal(forkPoint + 1);
    expect(store.cash(alice.address as Address)).to.equal(wad(7));
  });

  it("reports a rollback and the chunks a failed sync applied at the next sync that returns", async () => {
    const { deployed, vault } = await setup();
    const { vault: v, alice, bob } = deployed;
    const store = openStore({ path: ":memory:", vault, chainId: 31337 });
    let failFrom: number | null = null;
    const flaky = createPublicClient({
      transport: custom({
        request: async (args: { method: string; params?: unknown }) => {
          const [filter] = (args.params ?? []) as { fromBlock?: string }[];
          if (args.method === "eth_getLogs" && failFrom !== null && Number(filter?.fromBlock) === failFrom) throw new Error("upstream unavailable");
          return (connection.provider as unknown as EIP1193Provider).request(args as never);
        },
      }),
    }) as PublicClient;
    const indexer = createIndexer({ client: flaky, store, vault, startBlock: 0, chunkSize: 1 });
    const forkPoint = await indexTwoBlocksThenDropThem(indexer, deployed);
    // The new chain changes alice, then bob; the read of bob's block fails after the rollback and alice's chunk.
    await v.harnessSetCash(alice.address, wad(7));
    await v.harnessSetCash(bob.address, wad(8));
    failFrom = forkPoint + 2;
    let failed: unknown = null;
    await indexer.sync().catch((error: unknown) => (failed = error));
    expect(failed, "the sync failed").to.be.instanceOf(Error);
    expect(store.checkpoint()!.number, "rolled back, then alice's block applied").to.equal(forkPoint + 1);
    failFrom = null;
    const result = await indexer.sync();
    expect(result.reorgedTo, "the rollback of the failed sync").to.equal(forkPoint);
    expect(result.riskChanged).to.equal(true);
    expect([...result.touched].sort()).to.deep.equal([alice.address, bob.address].map((a) => getAddress(a)).sort());
    expect(result.checkpoint).to.equal(forkPoint + 2);
    const quiet = await indexer.sync();
    expect([quiet.reorgedTo, quiet.touched.size, quiet.riskChanged], "reported once").to.deep.equal([null, 0, false]);
  });

  it("keeps the checkpoint when a round fails, and the loop goes on", async () => {
    const { deployed, vault } = await setup();
    const store = openStore({ path: ":memory:", vault, chainId: 31337 });
    let fail = true;
    const flaky = createPublicClient({
      transport: custom({
        request: async (args: { method: string; params?: unknown }) => {
          if (fail && args.method === "eth_getLogs") throw new Error("upstream unavailable");
          return (connection.provider as unknown as EIP1193Provider).request(args as never);
        },
      }),
    }) as PublicClient;
    const indexer = createIndexer({ client: flaky, store, vault, startBlock: 0 });
    const controller = new AbortController();
    const rounds: number[] = [];
    const loop = indexer.watch({
      pollIntervalMs: 5,
      signal: controller.signal,
      onSync: (r) => {
        rounds.push(r.checkpoint!);
        controller.abort();
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.checkpoint()).to.equal(null);
    fail = false;
    await loop;
    expect(rounds).to.have.length(1);
    expect(store.riskConfig().assets[ASSET.DOGE]!.symbol).to.equal("DOGE");
    void deployed;
  });
});
