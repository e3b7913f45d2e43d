/**
 * The per-block loop against the in-process network, with faults injected in the client's transport: each test
 * shows one of the ways the keeper used to stop liquidating (issue 11) and that it no longer does. Dry-run: the
 * keeper's "would liquidate" (`skipped{reason="dry-run"}`) is its decision to send.
 */
import { expect } from "chai";
import type { Contract } from "ethers";
import { createPublicClient, custom, getAddress, type Address, type EIP1193Provider, type PublicClient } from "viem";

import { parseConfig } from "../../../keeper/src/config/index.js";
import { ChainResetError, ReorgTooDeepError } from "../../../keeper/src/errors.js";
import { createIndexer } from "../../../keeper/src/indexer/index.js";
import { createProRataLiquidationStrategy, type LiquidationStrategy } from "../../../keeper/src/liquidation/strategy.js";
import type { Sender } from "../../../keeper/src/send/sender.js";
import { assertVaultCode, createKeeper } from "../../../keeper/src/keeper.js";
import { createLogger } from "../../../keeper/src/log.js";
import { createMetrics, type KeeperMetrics } from "../../../keeper/src/metrics.js";
import { openStore } from "../../../keeper/src/store/index.js";
import { connection, deployDefault, MARKET, networkHelpers, setPrice, units, wad } from "../../fixtures.js";

type Request = { method: string; params?: unknown };
/** A transport over the in-process provider that fails the requests `fault` picks (as a dropped HTTP request would). */
function faultyClient() {
  const state: { fault: ((request: Request) => boolean) | null; failed: number; afterSync: (() => void) | null } = { fault: null, failed: 0, afterSync: null };
  const provider = connection.provider as unknown as EIP1193Provider;
  const client = createPublicClient({
    transport: custom({
      async request(request: Request) {
        if (state.fault?.(request)) {
          state.failed++;
          throw new Error(`injected fault: ${request.method}`);
        }
        return provider.request(request as never);
      },
    }),
  }) as PublicClient;
  return { client, state };
}

const callTo = (request: Request, address: string) =>
  request.method === "eth_call" && ((request.params as [{ to?: string }])[0]?.to ?? "").toLowerCase() === address.toLowerCase();

async function skipped(metrics: KeeperMetrics, reason: string): Promise<number> {
  const values = (await metrics.liquidationsSkipped.get()).values;
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

async function setup(options: { strategy?: (real: LiquidationStrategy) => LiquidationStrategy; sender?: Sender } = {}) {
  const deployed = await networkHelpers.loadFixture(deployDefault);
  const { vault, tokens, feeds, alice, carol } = deployed;
  await (vault.connect(alice) as Contract).deposit(tokens.USDC, await units(tokens.USDC, 1000), alice.address);
  await (vault.connect(carol) as Contract).deposit(tokens.USDC, await units(tokens.USDC, 100_000), carol.address);
  await vault.harnessSetPosition(alice.address, MARKET.ETH, wad(2));
  await vault.harnessSetCash(alice.address, wad(-3_000));
  await setPrice(feeds.ETH, wad(2_000));
  const vaultAddress = getAddress(await vault.getAddress());
  const { client, state } = faultyClient();
  const config = parseConfig({
    rpcUrls: ["http://127.0.0.1:1"],
    vault: vaultAddress,
    chainId: 31337,
    startBlock: 0,
    dbPath: ":memory:",
    liquidator: carol.address,
    reorgWindow: 4,
    liquidation: { markExpiryBlocks: 5 },
  });
  const store = openStore({ path: config.dbPath, vault: vaultAddress, chainId: 31337 });
  const metrics = createMetrics();
  // The real indexer, with a hook after each successful sync (to fail what the round does next).
  const indexer = ({ onHead }: { onHead(head: number): void }) => {
    const real = createIndexer({ client, store, vault: vaultAddress, startBlock: 0, reorgWindow: config.reorgWindow, metrics, onHead });
    return { ...real, sync: async () => real.sync().then((result) => (state.afterSync?.(), result)) };
  };
  const liquidator = getAddress(carol.address);
  const strategy = options.strategy?.(createProRataLiquidationStrategy({ client, vault: vaultAddress, liquidator }));
  const keeper = createKeeper({ config, client, store, sender: options.sender ?? null, liquidator, strategy, metrics, logger: createLogger({ level: "silent" }), indexer });
  const tracked = async () => (await metrics.accountsTracked.get()).values[0]?.value ?? 0;
  /** Pushes alice under MM with an event (her cash), not a price move. */
  const crash = async () => {
    await vault.harnessSetCash(alice.address, wad(-4_700));
    expect(await vault.isLiquidatable(alice.address)).to.equal(true);
  };
  return { ...deployed, keeper, metrics, state, store, vaultAddress, crash, tracked, alice: getAddress(alice.address) as Address };
}

describe("keeper loop: faults that used to stop liquidations", function () {
  it("a transient RPC error while simulating does not block the account: it is tried again at the next poll, even without a new block (a quiet chain)", async () => {
    const { keeper, metrics, state, crash, vaultAddress, alice } = await setup();
    await keeper.tick();
    await crash();
    state.fault = (r) => callTo(r, vaultAddress) || r.method === "eth_estimateGas";
    const first = await keeper.tick();
    expect(first.atRisk).to.deep.equal([alice]);
    expect(await skipped(metrics, "rpc-error")).to.equal(1);
    state.fault = null;
    const again = await keeper.tick();
    expect(again.block, "the same block").to.equal(first.block);
    expect(await skipped(metrics, "dry-run"), "decided at the same block").to.equal(1);
    const idle = await keeper.tick();
    expect(idle.evaluated, "nothing left to redo: the next poll only follows what is in flight").to.equal(false);
  });

  it("a cause that does not clear is retried at most 3 times on one block, then again at the next block", async () => {
    const { keeper, metrics, state, crash, vaultAddress } = await setup();
    await keeper.tick();
    await crash();
    state.fault = (r) => callTo(r, vaultAddress) || r.method === "eth_estimateGas";
    for (let i = 0; i < 6; i++) await keeper.tick();
    expect(await skipped(metrics, "rpc-error"), "the round, then 3 retries").to.equal(4);
    await networkHelpers.mine(1);
    await keeper.tick();
    expect(await skipped(metrics, "rpc-error"), "a new block: tried again").to.equal(5);
  });

  it("a definite answer marks the account, and the mark expires after markExpiryBlocks blocks", async () => {
    const { keeper, metrics, crash } = await setup();
    await keeper.tick();
    await crash();
    await keeper.tick();
    expect(await skipped(metrics, "dry-run")).to.equal(1);
    for (let i = 0; i < 4; i++) {
      await networkHelpers.mine(1);
      await keeper.tick();
    }
    expect(await skipped(metrics, "dry-run"), "marked for 5 blocks").to.equal(1);
    expect(await metrics.markedAccounts.get().then((g) => g.values[0]?.value)).to.equal(1);
    await networkHelpers.mine(1);
    await keeper.tick();
    expect(await skipped(metrics, "dry-run"), "tried again once the mark expired").to.equal(2);
  });

  it("a failed read of an unrelated feed degrades the round but the account under MM is still liquidated", async () => {
    const { keeper, metrics, state, crash, feeds } = await setup();
    await keeper.tick();
    await crash();
    const doge = await feeds.DOGE.getAddress();
    state.fault = (r) => callTo(r, doge);
    const round = await keeper.tick();
    expect(round.degraded).to.equal(true);
    expect((await metrics.degradedRounds.get()).values[0]?.value).to.equal(1);
    expect(await skipped(metrics, "dry-run")).to.equal(1);
  });

  it("a round that fails after indexing keeps the accounts it saved: the next round evaluates them", async () => {
    const { keeper, state, crash, alice } = await setup();
    await keeper.tick();
    await crash();
    // The indexer saves alice's event, then the round's own block read fails.
    state.afterSync = () => {
      state.fault = (r) => r.method === "eth_getBlockByNumber";
      state.afterSync = null;
    };
    const error = await keeper.tick().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    state.fault = null;
    const next = await keeper.tick();
    expect(next.atRisk).to.deep.equal([alice]);
  });

  it("/readyz's head is the live head even while rounds fail", async () => {
    const { keeper, state } = await setup();
    await keeper.tick();
    state.fault = (r) => r.method === "eth_getLogs";
    await networkHelpers.mine(10);
    await keeper.tick().catch(() => undefined);
    const status = keeper.status();
    expect(status.head! - status.lastBlock!).to.be.greaterThanOrEqual(10n);
  });

  it("a reorg evicts the accounts it removed", async () => {
    const setupResult = await setupWithDave();
    const { keeper, tracked } = setupResult;
    const before = await daveOnADroppedFork(setupResult);
    await keeper.tick();
    expect(await tracked(), "dave's deposit is gone with the fork").to.equal(before);
  });

  it("a reorg found by a round that then fails still evicts: the next round drops what the rollback removed", async () => {
    const setupResult = await setupWithDave();
    const { keeper, tracked, state } = setupResult;
    const before = await daveOnADroppedFork(setupResult);
    // The rollback is committed, then the logs of the new blocks cannot be read: the round fails.
    state.fault = (r) => r.method === "eth_getLogs";
    expect(await keeper.tick().catch((e: unknown) => e)).to.be.instanceOf(Error);
    state.fault = null;
    await keeper.tick();
    expect(await tracked(), "dave's deposit is gone with the fork").to.equal(before);
  });

  it("a candidate whose planning throws holds up neither the others nor the receipts of what is in flight", async () => {
    let followed = 0;
    const sender = { address: getAddress("0x000000000000000000000000000000000000dEaD"), isPending: () => false, pending: () => [], checkBalance: async () => true, fees: async () => ({ maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }), send: async () => "0x" as const, onBlock: async () => (followed++, []) } satisfies Sender;
    let broken: Address | null = null;
    const strategy = (real: LiquidationStrategy): LiquidationStrategy => ({
      ...real,
      preview: (candidate) => {
        if (candidate.account === broken) throw new Error("a bug in the strategy");
        return real.preview(candidate);
      },
    });
    const { keeper, metrics, crash, alice, vault, tokens, dave } = await setupWithDave({ strategy, sender });
    broken = alice;
    // Dave under MM too: long 2 ETH against 1 WETH and a cash debt.
    await (vault.connect(dave) as Contract).deposit(tokens.WETH, await units(tokens.WETH, 1), dave.address);
    await vault.harnessSetPosition(dave.address, MARKET.ETH, wad(2));
    await vault.harnessSetCash(dave.address, wad(-5_500));
    expect(await vault.isLiquidatable(dave.address)).to.equal(true);
    await crash();
    const round = await keeper.tick();
    expect([...round.atRisk].sort()).to.deep.equal([alice, getAddress(dave.address)].sort());
    expect(await skipped(metrics, "error"), "alice's planning threw").to.equal(1);
    expect(await skipped(metrics, "dry-run"), "dave decided all the same").to.equal(1);
    expect(followed, "what is in flight followed").to.equal(1);
  });

  it("a reorg deeper than the window (a chain reset) stops the keeper with ChainResetError, and run() rejects", async () => {
    const { vaultAddress, carol } = await setup();
    const { client } = faultyClient();
    const config = parseConfig({ rpcUrls: ["http://127.0.0.1:1"], vault: vaultAddress, chainId: 31337, startBlock: 0, dbPath: ":memory:", liquidator: carol.address, pollIntervalMs: 1 });
    const store = openStore({ path: ":memory:", vault: vaultAddress, chainId: 31337 });
    const tooDeep = () => ({ sync: async () => Promise.reject(new ReorgTooDeepError("below the window")), watch: async () => undefined });
    const keeper = createKeeper({ config, client, store, sender: null, liquidator: getAddress(carol.address), metrics: createMetrics(), logger: createLogger({ level: "silent" }), indexer: tooDeep });
    expect(await keeper.tick().catch((e: unknown) => e)).to.be.instanceOf(ChainResetError);
    const error = await keeper.run(new AbortController().signal).catch((e: unknown) => e);
    expect(error, "the loop stops instead of retrying for ever").to.be.instanceOf(ChainResetError);
  });

  it("a vault address without code (an EOA, or a node restarted empty) is a ChainResetError", async () => {
    const { client } = faultyClient();
    const { alice } = await setup();
    const error = await assertVaultCode(client, alice).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ChainResetError);
    expect((error as ChainResetError).shortMessage).to.match(/No contract at the vault address/);
  });
});

/**
 * Dave's first deposit on a fork that the keeper indexes, then that fork dropped for three other blocks (not yet
 * indexed). Returns the accounts tracked before the deposit.
 */
async function daveOnADroppedFork({ keeper, vault, tokens, dave, tracked }: Awaited<ReturnType<typeof setupWithDave>>): Promise<number> {
  await keeper.tick();
  const snapshot = await networkHelpers.takeSnapshot();
  const before = await tracked();
  await (vault.connect(dave) as Contract).deposit(tokens.WETH, await units(tokens.WETH, 1), dave.address);
  await keeper.tick();
  expect(await tracked()).to.equal(before + 1);
  await snapshot.restore();
  await networkHelpers.mine(3);
  return before;
}

/** The setup, with a fourth user (funded and approved) who has not used the vault yet. */
async function setupWithDave(options: Parameters<typeof setup>[0] = {}) {
  const setupResult = await setup(options);
  const [, , , , dave] = await connection.ethers.getSigners();
  const token = setupResult.tokens.WETH;
  await token.mint(dave!.address, await units(token, 10));
  await (token.connect(dave!) as Contract).approve(setupResult.vaultAddress, 2n ** 255n);
  return { ...setupResult, dave: dave! };
}
