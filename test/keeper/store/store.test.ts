import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, type Address, type Hex } from "viem";

import { StoreError } from "../../../keeper/src/errors.js";
import { openStore, type KeeperStore, type VaultEvent } from "../../../keeper/src/store/index.js";

const VAULT: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const ALICE: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const USDC: Address = getAddress("0x0000000000000000000000000000000000000A01");
const WETH: Address = getAddress("0x0000000000000000000000000000000000000A02");
const FEED: Address = "0x0000000000000000000000000000000000000F01";

const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;
let logIndex = 0;
function at(blockNumber: number): { blockNumber: number; logIndex: number; blockHash: Hex; transactionHash: Hex } {
  return { blockNumber, logIndex: logIndex++, blockHash: hash(blockNumber), transactionHash: hash(1000 + logIndex) };
}
function block(store: KeeperStore, number: number, events: VaultEvent[]): void {
  store.applyBatch({ events, blocks: [{ number, hash: hash(number), parentHash: hash(number - 1) }], checkpoint: { number, hash: hash(number) } }, 12);
}

function listing(): VaultEvent[] {
  return [
    { ...at(1), eventName: "AssetListed", args: { asset: 0n, symbol: "USD", feed: FEED, heartbeat: 86400n, scan: 2n * 10n ** 16n, maxPrice: 2n * 10n ** 18n }, feedDecimals: 8 },
    { ...at(1), eventName: "AssetListed", args: { asset: 1n, symbol: "ETH", feed: FEED, heartbeat: 3600n, scan: 15n * 10n ** 16n, maxPrice: 10n ** 23n }, feedDecimals: 8 },
    { ...at(1), eventName: "CorrelationSet", args: { assetA: 0n, assetB: 1n, oldRho: 0n, rho: 0n } },
    { ...at(1), eventName: "ImFactorSet", args: { oldImFactor: 0n, imFactor: 15n * 10n ** 17n } },
    { ...at(1), eventName: "CollateralListed", args: { token: USDC, collateralId: 0n, asset: 0n, decimals: 6n, haircut: 0n, depositCap: 10n ** 12n } },
    { ...at(1), eventName: "CollateralListed", args: { token: WETH, collateralId: 1n, asset: 1n, decimals: 18n, haircut: 2n * 10n ** 16n, depositCap: 10n ** 24n } },
    { ...at(1), eventName: "MarketListed", args: { market: 0n, asset: 1n, k: 5n * 10n ** 15n, openInterestCap: 10n ** 24n } },
  ];
}

function snapshot(store: KeeperStore) {
  return {
    checkpoint: store.checkpoint(),
    accounts: store.accounts().map((account) => ({
      account,
      cash: store.cash(account),
      balances: store.balances(account),
      positions: store.positions(account),
    })),
    risk: store.riskConfig(),
    rows: store.rowCount(),
  };
}

describe("keeper store", () => {
  it("derives the current state from the latest absolute value of each key", () => {
    const store = openStore({ path: ":memory:", vault: VAULT, chainId: 31337 });
    block(store, 1, listing());
    block(store, 2, [
      { ...at(2), eventName: "Deposit", args: { account: ALICE, token: USDC, caller: ALICE, amount: 100n, balance: 100n } },
      { ...at(2), eventName: "Deposit", args: { account: ALICE, token: USDC, caller: BOB, amount: 50n, balance: 150n } },
      { ...at(2), eventName: "PositionChanged", args: { account: BOB, market: 0n, delta: -3n, size: -3n } },
      { ...at(2), eventName: "CashChanged", args: { account: BOB, delta: 7n, cash: 7n } },
    ]);
    block(store, 3, [
      { ...at(3), eventName: "Withdraw", args: { account: ALICE, token: USDC, receiver: BOB, amount: 150n, balance: 0n } },
      { ...at(3), eventName: "AssetScanSet", args: { asset: 1n, oldScan: 15n * 10n ** 16n, scan: 2n * 10n ** 17n } },
      { ...at(3), eventName: "CollateralSet", args: { token: WETH, oldHaircut: 2n * 10n ** 16n, haircut: 3n * 10n ** 16n, oldDepositCap: 10n ** 24n, depositCap: 5n } },
    ]);

    expect(store.accounts()).to.deep.equal([BOB, ALICE].sort());
    expect(store.balances(ALICE)).to.deep.equal([{ token: USDC, amount: 0n }]);
    expect(store.positions(BOB)).to.deep.equal([{ market: 0, size: -3n }]);
    expect(store.cash(BOB)).to.equal(7n);
    expect(store.cash(ALICE)).to.equal(0n);
    const risk = store.riskConfig();
    expect(risk.assets.map((a) => [a.symbol, a.scan, a.feedDecimals])).to.deep.equal([["USD", 2n * 10n ** 16n, 8], ["ETH", 2n * 10n ** 17n, 8]]);
    expect(risk.collaterals[1]).to.deep.equal({ token: WETH, id: 1, asset: 1, decimals: 18, haircut: 3n * 10n ** 16n, depositCap: 5n });
    expect(risk.markets[0]!.k).to.equal(5n * 10n ** 15n);
    expect(risk.rho.get("0,1")).to.equal(0n);
    expect(risk.imFactor).to.equal(15n * 10n ** 17n);
    expect(store.checkpoint()).to.deep.equal({ number: 3, hash: hash(3) });
  });

  it("rolls back dropped blocks and restores the previous state exactly", () => {
    const store = openStore({ path: ":memory:", vault: VAULT, chainId: 31337 });
    block(store, 1, listing());
    block(store, 2, [
      { ...at(2), eventName: "Deposit", args: { account: ALICE, token: WETH, caller: ALICE, amount: 10n, balance: 10n } },
      { ...at(2), eventName: "PositionChanged", args: { account: ALICE, market: 0n, delta: 4n, size: 4n } },
    ]);
    const before = snapshot(store);

    block(store, 3, [
      { ...at(3), eventName: "Withdraw", args: { account: ALICE, token: WETH, receiver: ALICE, amount: 4n, balance: 6n } },
      { ...at(3), eventName: "PositionChanged", args: { account: ALICE, market: 0n, delta: -4n, size: 0n } },
      { ...at(3), eventName: "CashChanged", args: { account: BOB, delta: -9n, cash: -9n } },
      { ...at(3), eventName: "MarketSet", args: { market: 0n, oldK: 5n * 10n ** 15n, k: 10n ** 16n, oldOpenInterestCap: 10n ** 24n, openInterestCap: 1n } },
      { ...at(3), eventName: "AssetOracleSet", args: { asset: 1n, oldFeed: FEED, feed: USDC, oldHeartbeat: 3600n, heartbeat: 60n, oldMaxPrice: 10n ** 23n, maxPrice: 1n }, feedDecimals: 18 },
    ]);
    block(store, 4, [{ ...at(4), eventName: "ImFactorSet", args: { oldImFactor: 15n * 10n ** 17n, imFactor: 2n * 10n ** 18n } }]);
    expect(snapshot(store)).to.not.deep.equal(before);

    store.rollback(2);
    expect(snapshot(store)).to.deep.equal(before);
    expect(store.recentBlocks().map((b) => b.number)).to.deep.equal([2, 1]);
  });

  it("keeps only the reorg window's block hashes, and refuses a rollback below it", () => {
    const store = openStore({ path: ":memory:", vault: VAULT, chainId: 31337 });
    for (let n = 1; n <= 20; n++) block(store, n, []);
    expect(store.recentBlocks().map((b) => b.number)).to.deep.equal([20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9]);
    expect(() => store.rollback(3)).to.throw(StoreError, /not remembered/);
    expect(store.checkpoint()!.number).to.equal(20);
  });

  it("applies a batch atomically: a failing event leaves nothing behind", () => {
    const store = openStore({ path: ":memory:", vault: VAULT, chainId: 31337 });
    block(store, 1, listing());
    const rows = store.rowCount();
    expect(store.accounts()).to.deep.equal([]); // the in-memory mirror is built: it must not keep the failed batch
    expect(() =>
      block(store, 2, [
        { ...at(2), eventName: "Deposit", args: { account: ALICE, token: USDC, caller: ALICE, amount: 1n, balance: 1n } },
        { ...at(2), eventName: "MarketSet", args: { market: 9n, oldK: 0n, k: 0n, oldOpenInterestCap: 0n, openInterestCap: 0n } },
      ]),
    ).to.throw(StoreError, /never listed/);
    expect(store.rowCount()).to.equal(rows);
    expect(store.checkpoint()!.number).to.equal(1);
    expect(store.accounts()).to.deep.equal([]);
    expect(store.balances(ALICE)).to.deep.equal([]);
  });

  it("keeps its in-memory accounts equal to the file: batch by batch, and after a rollback", () => {
    const path = join(mkdtempSync(join(tmpdir(), "keeper-store-")), "state.sqlite");
    const store = openStore({ path, vault: VAULT, chainId: 31337 });
    const fromFile = () => {
      const other = openStore({ path, vault: VAULT, chainId: 31337 });
      try {
        return snapshot(other);
      } finally {
        other.close();
      }
    };
    block(store, 1, listing());
    expect(snapshot(store)).to.deep.equal(fromFile());
    block(store, 2, [
      { ...at(2), eventName: "Deposit", args: { account: ALICE.toLowerCase() as Address, token: USDC, caller: ALICE, amount: 5n, balance: 5n } },
      { ...at(2), eventName: "CollateralTransferred", args: { from: ALICE, to: BOB, token: USDC, amount: 2n, fromBalance: 3n, toBalance: 2n } },
      { ...at(2), eventName: "PositionChanged", args: { account: BOB, market: 0n, delta: 1n, size: 1n } },
    ]);
    expect(snapshot(store)).to.deep.equal(fromFile());
    expect(store.cash(BOB.toLowerCase() as Address), "an address in any case").to.equal(0n);
    expect(store.balances(BOB.toLowerCase() as Address)).to.deep.equal([{ token: USDC, amount: 2n }]);
    block(store, 3, [{ ...at(3), eventName: "CashChanged", args: { account: getAddress("0x00000000000000000000000000000000000000c4"), delta: 1n, cash: 1n } }]);
    expect(snapshot(store)).to.deep.equal(fromFile());
    store.rollback(2);
    expect(snapshot(store)).to.deep.equal(fromFile());
    expect(store.accounts()).to.deep.equal([BOB, ALICE].sort());
    store.close();
  });

  it("persists to a file and refuses a file of another vault or chain", () => {
    const path = join(mkdtempSync(join(tmpdir(), "keeper-store-")), "state.sqlite");
    const store = openStore({ path, vault: VAULT, chainId: 31337 });
    block(store, 1, listing());
    store.close();
    const reopened = openStore({ path, vault: VAULT, chainId: 31337 });
    expect(reopened.checkpoint()).to.deep.equal({ number: 1, hash: hash(1) });
    expect(reopened.riskConfig().assets).to.have.length(2);
    reopened.close();
    expect(() => openStore({ path, vault: ALICE, chainId: 31337 })).to.throw(StoreError, /written for vault/);
    expect(() => openStore({ path, vault: VAULT, chainId: 1 })).to.throw(StoreError, /written for chainId/);
  });
});
