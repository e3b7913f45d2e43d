import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromHex, keccak256, parseGwei, toHex, TransactionNotFoundError, TransactionReceiptNotFoundError, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { parseConfig } from "../../../keeper/src/config/loadConfig.js";
import { createLogger } from "../../../keeper/src/log.js";
import { createMetrics } from "../../../keeper/src/metrics.js";
import { createSender, replacementFees, type Fees, type SenderJournal } from "../../../keeper/src/send/sender.js";
import { openStore } from "../../../keeper/src/store/store.js";

const VAULT: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const ALICE: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/** A chain double: records every transaction sent; receipts and the mined nonce are set by the test. */
function fakeChain() {
  const chain = { minedNonce: 0, nextNonce: 0, receiptsFail: false, broadcastFails: false, pendingCountReads: 0, poolLost: false, minMaxFeePerGas: 0n };
  // Signs into readable bytes, so that the test sees each transaction's nonce and fees.
  const account = {
    ...privateKeyToAccount(KEY),
    async signTransaction(request: { nonce: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }) {
      return toHex(JSON.stringify({ nonce: request.nonce, maxFeePerGas: String(request.maxFeePerGas), maxPriorityFeePerGas: String(request.maxPriorityFeePerGas) }));
    },
  };
  const sent: { hash: Hex; nonce: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }[] = [];
  const receipts = new Map<Hex, "success" | "reverted">();
  const walletClient = {
    account,
    chain: { id: 31337 },
    async sendRawTransaction({ serializedTransaction }: { serializedTransaction: Hex }) {
      if (chain.broadcastFails) throw new Error("request timed out");
      const tx = JSON.parse(fromHex(serializedTransaction, "string")) as { nonce: number; maxFeePerGas: string; maxPriorityFeePerGas: string };
      if (BigInt(tx.maxFeePerGas) < chain.minMaxFeePerGas) throw new Error("max fee per gas less than block base fee");
      const hash = keccak256(serializedTransaction);
      sent.push({ hash, nonce: tx.nonce, maxFeePerGas: BigInt(tx.maxFeePerGas), maxPriorityFeePerGas: BigInt(tx.maxPriorityFeePerGas) });
      chain.nextNonce = Math.max(chain.nextNonce, tx.nonce + 1);
      return hash;
    },
  };
  const publicClient = {
    async getTransactionReceipt({ hash }: { hash: Hex }) {
      if (chain.receiptsFail) throw new Error("HTTP request failed");
      const status = receipts.get(hash);
      if (status === undefined) throw new TransactionReceiptNotFoundError({ hash });
      return { status, blockNumber: 1n, gasUsed: 100_000n };
    },
    async getTransaction({ hash }: { hash: Hex }) {
      if (!sent.some((t) => t.hash === hash) || chain.poolLost) throw new TransactionNotFoundError({ hash });
      return { hash };
    },
    async getTransactionCount({ blockTag }: { blockTag: "latest" | "pending" }) {
      if (blockTag === "pending") chain.pendingCountReads++;
      return blockTag === "pending" ? Math.max(chain.minedNonce, chain.nextNonce) : chain.minedNonce;
    },
    async getBalance() {
      return 10n ** 18n;
    },
    async estimateMaxPriorityFeePerGas() {
      return parseGwei("1");
    },
  } as unknown as PublicClient;
  return { walletClient, publicClient, sent, receipts, chain };
}

function makeSender(fake: ReturnType<typeof fakeChain>, gas: Record<string, unknown>, journal?: SenderJournal, onSettled?: (p: unknown, status: string) => void) {
  const config = parseConfig({ rpcUrls: ["http://127.0.0.1:1"], vault: VAULT, chainId: 31337, startBlock: 0, gas });
  return createSender({
    publicClient: fake.publicClient,
    walletClient: fake.walletClient as never,
    vault: VAULT,
    gas: config.gas,
    metrics: createMetrics(),
    logger: createLogger({ level: "silent" }),
    ...(journal ? { journal } : {}),
    ...(onSettled ? { onSettled } : {}),
  });
}

const fraction = 10n ** 18n;

describe("keeper sender", () => {
  it("replaces a transaction stuck for replaceAfterBlocks blocks, same nonce, fees up by >= the bump, capped", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, { replaceAfterBlocks: 3, feeBumpPercent: 12.5, maxFeePerGasGwei: 30, maxPriorityFeePerGasGwei: 2 });
    const fees: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") };
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees, blockNumber: 10n });
    await sender.onBlock(11n);
    await sender.onBlock(12n);
    expect(fake.sent).to.have.length(1, "not replaced before replaceAfterBlocks blocks");
    await sender.onBlock(13n);
    expect(fake.sent).to.have.length(2);
    const [first, second] = fake.sent as [(typeof fake.sent)[0], (typeof fake.sent)[0]];
    expect(second.nonce).to.equal(first.nonce);
    // Strictly above +12.5 % on both fields (the node's replacement rule).
    expect(second.maxFeePerGas * 1000n).to.be.greaterThan(first.maxFeePerGas * 1125n);
    expect(second.maxPriorityFeePerGas * 1000n).to.be.greaterThan(first.maxPriorityFeePerGas * 1125n);
    expect(sender.pending()[0]!.hashes).to.deep.equal([first.hash, second.hash]);
    // Each further replacement waits replaceAfterBlocks blocks too, and the fee climbs until the 30 gwei cap.
    await sender.onBlock(14n);
    await sender.onBlock(15n);
    expect(fake.sent).to.have.length(2, "the replacement waits replaceAfterBlocks blocks too");
    for (let block = 16n; block <= 40n; block += 3n) await sender.onBlock(block);
    const maxFees = fake.sent.map((t) => t.maxFeePerGas);
    expect(maxFees.map(String)).to.deep.equal(["20000000000", "22500000001", "25312500003", "28476562505", "30000000000"]);
    for (let i = 1; i < fake.sent.length; i++) {
      const [before, after] = [fake.sent[i - 1]!, fake.sent[i]!];
      expect(after.nonce).to.equal(before.nonce);
      expect(after.maxFeePerGas * 1000n >= before.maxFeePerGas * 1125n || after.maxFeePerGas === parseGwei("30"), `replacement ${i}`).to.equal(true);
      expect(after.maxPriorityFeePerGas <= after.maxFeePerGas).to.equal(true);
    }
    expect(sender.pending()[0]!.hashes).to.have.length(5);
    // Mined (the first replacement): settled, nothing in flight.
    fake.receipts.set(fake.sent[1]!.hash, "success");
    await sender.onBlock(26n);
    expect(sender.pending()).to.deep.equal([]);
    expect(sender.isPending(ALICE)).to.equal(false);
  });

  it("refuses to raise fees when the base fee is above the cap", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, { maxFeePerGasGwei: 30 });
    expect(await sender.fees(parseGwei("31"))).to.equal(null);
    const fees = (await sender.fees(parseGwei("20")))!;
    expect(fees.maxFeePerGas).to.equal(parseGwei("30"));
  });

  it("holds a transaction in flight while the base fee is above the cap, replaces it once the base fee falls under it", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, { replaceAfterBlocks: 1, feeBumpPercent: 20, maxFeePerGasGwei: 50 });
    const old: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") };
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees: old, blockNumber: 10n });
    await sender.onBlock(11n, parseGwei("200"));
    await sender.onBlock(12n, parseGwei("175"));
    expect(fake.sent, "no replacement at any fee within the cap while the base fee is above it").to.have.length(1);
    await sender.onBlock(13n, parseGwei("30"));
    expect(fake.sent).to.have.length(2);
    expect(fake.sent[1]!.maxFeePerGas, "2 x 30 gwei + tip, capped").to.equal(parseGwei("50"));
  });

  it("records sent transactions in the store: after a restart the pending one is known, followed and not resent", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "keeper-sender-")), "state.sqlite");
    const fake = fakeChain();
    let store = openStore({ path, vault: VAULT, chainId: 31337 });
    const sender = makeSender(fake, { replaceAfterBlocks: 3 }, store);
    const fees: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") };
    const hash = await sender.send({ account: ALICE, fraction, gas: 500_000n, fees, blockNumber: 10n });
    const [recorded] = store.liquidationTransactions();
    expect(recorded).to.deep.equal({ sender: fake.walletClient.account.address, nonce: 0, account: ALICE, hashes: [hash], fraction, gas: 500_000n, fees, sentAtBlock: 10n, sentAt: recorded!.sentAt, status: "pending" });
    store.close();

    // Restart: a new store handle and a new sender.
    store = openStore({ path, vault: VAULT, chainId: 31337 });
    const restarted = makeSender(fake, { replaceAfterBlocks: 3 }, store);
    expect(restarted.isPending(ALICE)).to.equal(true);
    expect(restarted.pending().map((p) => [p.account, p.nonce, p.hashes])).to.deep.equal([[ALICE, 0, [hash]]]);
    await restarted.onBlock(11n);
    expect(fake.sent).to.have.length(1, "nothing resent");
    // Still stuck three blocks after it was sent: replaced with the same nonce, and the store knows both hashes.
    await restarted.onBlock(13n);
    expect(fake.sent).to.have.length(2);
    expect(fake.sent[1]!.nonce).to.equal(0);
    expect(store.liquidationTransactions()[0]!.hashes).to.deep.equal([hash, fake.sent[1]!.hash]);
    // Mined with a revert (a lost race): settled in the store, nothing pending at the next restart.
    fake.receipts.set(fake.sent[1]!.hash, "reverted");
    fake.chain.minedNonce = 1;
    await restarted.onBlock(14n);
    expect(store.liquidationTransactions()[0]!.status).to.equal("reverted");
    store.close();
    store = openStore({ path, vault: VAULT, chainId: 31337 });
    expect(makeSender(fake, {}, store).pending()).to.deep.equal([]);
    store.close();
  });

  it("books a liquidation mined while receipt requests fail as mined, never as dropped", async () => {
    const fake = fakeChain();
    const settled: string[] = [];
    const sender = makeSender(fake, { replaceAfterBlocks: 3 }, undefined, (_p, status) => settled.push(status));
    const hash = await sender.send({ account: ALICE, fraction, gas: 500_000n, fees: { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") }, blockNumber: 10n });
    fake.receipts.set(hash, "success");
    fake.chain.minedNonce = 1;
    fake.chain.receiptsFail = true;
    for (let block = 11n; block <= 20n; block++) await sender.onBlock(block);
    expect(settled, "a failed receipt request is not 'not mined'").to.deep.equal([]);
    expect(fake.sent).to.have.length(1, "nothing replaced while the nonce is taken");
    fake.chain.receiptsFail = false;
    await sender.onBlock(21n);
    expect(settled).to.deep.equal(["success"]);
  });

  it("counts a mined liquidation even when the journal cannot record its settlement", async () => {
    const fake = fakeChain();
    const store = openStore({ path: ":memory:", vault: VAULT, chainId: 31337 });
    const journal: SenderJournal = {
      recordLiquidationTransaction: (record) => store.recordLiquidationTransaction(record),
      liquidationTransactions: (filter) => store.liquidationTransactions(filter),
      settleLiquidationTransaction: () => {
        throw new Error("database is locked");
      },
    };
    const metrics = createMetrics();
    const config = parseConfig({ rpcUrls: ["http://127.0.0.1:1"], vault: VAULT, chainId: 31337, startBlock: 0 });
    const sender = createSender({ publicClient: fake.publicClient, walletClient: fake.walletClient as never, vault: VAULT, gas: config.gas, metrics, logger: createLogger({ level: "silent" }), journal });
    const hash = await sender.send({ account: ALICE, fraction, gas: 500_000n, fees: { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") }, blockNumber: 10n });
    fake.receipts.set(hash, "success");
    fake.chain.minedNonce = 1;
    const settled = await sender.onBlock(11n);
    expect(settled.map((s) => s.status)).to.deep.equal(["success"]);
    expect((await metrics.liquidationsSucceeded.get()).values[0]?.value).to.equal(1);
    expect(sender.isPending(ALICE)).to.equal(false);
    expect(store.liquidationTransactions()[0]!.status, "a restart follows it again, from its receipt").to.equal("pending");
  });

  it("re-checks the receipt once the nonce has advanced (receipt served a moment after the nonce moves)", async () => {
    const fake = fakeChain();
    const settled: string[] = [];
    const sender = makeSender(fake, {}, undefined, (_p, status) => settled.push(status));
    const hash = await sender.send({ account: ALICE, fraction, gas: 500_000n, fees: { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") }, blockNumber: 10n });
    fake.chain.minedNonce = 1; // automine: the nonce moved, the receipt is not served yet
    await sender.onBlock(11n);
    expect(settled).to.deep.equal([]);
    fake.receipts.set(hash, "success");
    await sender.onBlock(12n);
    expect(settled).to.deep.equal(["success"]);
  });

  it("books as dropped a nonce taken with no receipt at two successive blocks", async () => {
    const fake = fakeChain();
    const settled: string[] = [];
    const sender = makeSender(fake, {}, undefined, (_p, status) => settled.push(status));
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees: { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") }, blockNumber: 10n });
    fake.chain.minedNonce = 1;
    await sender.onBlock(11n);
    await sender.onBlock(11n);
    expect(settled).to.deep.equal([]);
    await sender.onBlock(12n);
    expect(settled).to.deep.equal(["dropped"]);
    expect(sender.isPending(ALICE)).to.equal(false);
  });

  it("replaces with at least 2 x base fee + tip when the base fee has risen past the bump, within the cap", async () => {
    const old: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") };
    const risen = replacementFees(old, parseGwei("30"), 20, parseGwei("100"));
    expect(risen.maxFeePerGas >= 2n * parseGwei("30") + risen.maxPriorityFeePerGas).to.equal(true);
    expect(risen.maxPriorityFeePerGas * 100n > old.maxPriorityFeePerGas * 120n).to.equal(true);
    expect(replacementFees(old, parseGwei("30"), 20, parseGwei("50")).maxFeePerGas).to.equal(parseGwei("50"));
    // Base fee low: the bump decides.
    expect(replacementFees(old, parseGwei("1"), 20, parseGwei("100")).maxFeePerGas * 100n > old.maxFeePerGas * 120n).to.equal(true);
    // Through onBlock: the base fee of the current block reaches the replacement.
    const fake = fakeChain();
    const sender = makeSender(fake, { replaceAfterBlocks: 1, feeBumpPercent: 20, maxFeePerGasGwei: 100 });
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees: old, blockNumber: 10n });
    await sender.onBlock(11n, parseGwei("30"));
    expect(fake.sent[1]!.maxFeePerGas >= parseGwei("61")).to.equal(true);
  });

  it("journals the signed hash before broadcasting: a broadcast that fails stays in flight, is not resent as new", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "keeper-sender-")), "state.sqlite");
    const fake = fakeChain();
    const store = openStore({ path, vault: VAULT, chainId: 31337 });
    const sender = makeSender(fake, { replaceAfterBlocks: 3 }, store);
    fake.chain.broadcastFails = true;
    const error = await sender.send({ account: ALICE, fraction, gas: 500_000n, fees: { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") }, blockNumber: 10n }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    const [recorded] = store.liquidationTransactions();
    expect(recorded!.status).to.equal("pending");
    expect(recorded!.hashes).to.have.length(1);
    expect(sender.isPending(ALICE)).to.equal(true);
    store.close();
  });

  it("counts nonces locally: the node's pending count is read once, not per transaction", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, {});
    const fees: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") };
    const accounts = [1, 2, 3, 4, 5].map((i) => `0x${i.toString(16).padStart(40, "0")}` as Address);
    await Promise.all(accounts.map((account) => sender.send({ account, fraction, gas: 500_000n, fees, blockNumber: 10n })));
    expect(fake.sent.map((t) => t.nonce)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(fake.chain.pendingCountReads).to.equal(1);
  });

  it("after a failed broadcast, counts above every nonce in flight (no nonce reused), and broadcasts the gap again at the next block", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, {});
    const fees: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") };
    fake.chain.broadcastFails = true;
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees, blockNumber: 10n }).catch(() => undefined);
    fake.chain.broadcastFails = false;
    // The node never saw nonce 0 (its pending count is still 0), but nonce 0 is in flight: the next one is 1.
    await sender.send({ account: VAULT, fraction, gas: 500_000n, fees, blockNumber: 10n });
    expect(fake.sent.map((t) => t.nonce)).to.deep.equal([1]);
    expect(fake.chain.pendingCountReads).to.equal(2);
    // Nonce 0 is a gap nonce 1 waits behind: at the next block the node lacks it, and the same bytes go out again.
    const [journaled] = sender.pending().filter((p) => p.nonce === 0);
    await sender.onBlock(11n);
    expect(fake.sent.map((t) => t.nonce)).to.deep.equal([1, 0]);
    expect(fake.sent[1]!.hash, "the same transaction, not a new one").to.equal(journaled!.hashes[0]);
    expect(sender.pending().find((p) => p.nonce === 0)!.hashes).to.have.length(1);
  });

  it("broadcasts again, in nonce order, what a node that lost its pool no longer has, whatever the fee cap", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, { maxFeePerGasGwei: 20, replaceAfterBlocks: 3 });
    const fees: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") }; // at the cap: never replaced
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees, blockNumber: 10n });
    await sender.send({ account: VAULT, fraction, gas: 500_000n, fees, blockNumber: 10n });
    await sender.onBlock(11n);
    expect(fake.sent, "nothing sent again while the node has them").to.have.length(2);
    fake.chain.poolLost = true; // the node restarted with an empty pool
    await sender.onBlock(12n);
    expect(fake.sent.map((t) => t.nonce)).to.deep.equal([0, 1, 0, 1]);
    expect(fake.sent.slice(2).map((t) => t.hash)).to.deep.equal(fake.sent.slice(0, 2).map((t) => t.hash));
  });

  it("counts from the node again once nothing is in flight", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, {});
    const fees: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") };
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees, blockNumber: 10n });
    fake.receipts.set(fake.sent[0]!.hash, "success");
    fake.chain.minedNonce = 1;
    await sender.onBlock(11n); // settles nonce 0: nothing in flight
    fake.chain.nextNonce = 4; // three transactions by another holder of the key, still in the pool
    await sender.onBlock(12n);
    await sender.send({ account: VAULT, fraction, gas: 500_000n, fees, blockNumber: 12n });
    expect(fake.sent.map((t) => t.nonce)).to.deep.equal([0, 4]);
  });

  it("counts again from the node when its mined nonce runs past the local count (the key used elsewhere)", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, {});
    const fees: Fees = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") };
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees, blockNumber: 10n });
    fake.receipts.set(fake.sent[0]!.hash, "success");
    fake.chain.minedNonce = 7; // six more transactions by another holder of the key
    await sender.onBlock(11n);
    await sender.send({ account: VAULT, fraction, gas: 500_000n, fees, blockNumber: 11n });
    expect(fake.sent.map((t) => t.nonce)).to.deep.equal([0, 7]);
  });

  it("a transaction the node evicted and refuses again (max fee under the base fee) is replaced when due", async () => {
    const fake = fakeChain();
    const sender = makeSender(fake, { maxFeePerGasGwei: 100, replaceAfterBlocks: 1 });
    await sender.send({ account: ALICE, fraction, gas: 500_000n, fees: { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("1") }, blockNumber: 10n });
    fake.chain.poolLost = true;
    fake.chain.minMaxFeePerGas = parseGwei("30");
    await sender.onBlock(11n, parseGwei("30"));
    expect(fake.sent).to.have.length(2);
    expect(fake.sent[1]!.nonce).to.equal(0);
    expect(fake.sent[1]!.maxFeePerGas >= parseGwei("61"), "2 x base fee + tip").to.equal(true);
    expect(sender.pending()[0]!.hashes).to.have.length(2);
  });
});
