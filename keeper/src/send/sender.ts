/**
 * The liquidation sender: EIP-1559 fees capped by the config, nonces counted locally (read from the node once,
 * then one per transaction: reading the pending count per send costs the node a pending block each time, ~25 ms
 * with a thousand transactions in its pool), a balance guard, and the bookkeeping of transactions in flight —
 * receipts, and a replacement for a transaction still not mined after `gas.replaceAfterBlocks` blocks, with fees
 * at least `gas.feeBumpPercent` (>= 12.5 %) above the old ones and at least 2 x the current base fee + tip, within
 * `gas.maxFeePerGasGwei`; while the base fee is above that cap, nothing is replaced (no fee within the cap could be
 * mined).
 * With a journal (the store), every transaction is recorded with its signed hash BEFORE it is broadcast, so a crash
 * between the two cannot lose a transaction that may be out; a restarted sender resumes the ones still pending.
 *
 * A transaction is settled only on a definite answer: a receipt (success or reverted), or its nonce taken while no
 * hash of it has a receipt at two successive checks ("dropped": some nodes expose the receipt a moment after the
 * nonce moves, so the first check after the nonce advanced only re-checks). The lowest transaction still unmined is
 * looked up in the node's pool each block and broadcast again when missing (and the ones after it), so a failed
 * broadcast, a crash between journal and broadcast or a node that lost its pool leaves no nonce gap. A failed
 * receipt request is "unknown", never "not mined".
 */
import {
  encodeFunctionData,
  keccak256,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  formatEther,
  formatGwei,
  parseGwei,
  type Address,
  type Chain,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
  HttpRequestError,
  TimeoutError,
} from "viem";

import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import type { KeeperConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { KeeperMetrics } from "../metrics.js";
import type { LiquidationTransactionRecord } from "../store/types.js";

/** EIP-1559 fees per gas (wei). */
export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** A liquidation transaction in flight. */
export interface PendingLiquidation {
  account: Address;
  /** The fraction sent (WAD). */
  fraction: bigint;
  nonce: number;
  gas: bigint;
  fees: Fees;
  /** Every hash sent for this nonce (the original and its replacements), latest last. */
  hashes: Hex[];
  /** The block at which the latest hash was sent. */
  sentAtBlock: bigint;
  /** When it was first sent (ms since epoch). */
  sentAt: number;
  /** The block at which the nonce was first seen taken without a receipt (a receipt is looked for once more). */
  nonceTakenAt?: bigint;
  /** The block at which it was last broadcast again because the node lacked it (once per block). */
  rebroadcastAt?: bigint;
}

/** How a pending liquidation ended. */
export type SettledStatus = "success" | "reverted" | "dropped";

/** A liquidation that left the in-flight set: how, and the gas it used (mined) against its limit. */
export interface SettledLiquidation {
  account: Address;
  status: SettledStatus;
  gas: bigint;
  /** Null when dropped. */
  gasUsed: bigint | null;
}

/**
 * Where the sender journals what it sends (the keeper's store implements it): each transaction is recorded
 * before `send` returns, each replacement and settlement updates it, and a new sender resumes the transactions
 * still pending, so that a restart follows them (receipts, replacements) and sends nothing twice.
 */
export interface SenderJournal {
  recordLiquidationTransaction(record: LiquidationTransactionRecord): void;
  settleLiquidationTransaction(sender: Address, nonce: number, status: SettledStatus): void;
  liquidationTransactions(filter: { sender?: Address; status?: LiquidationTransactionRecord["status"] }): LiquidationTransactionRecord[];
}

/** Options of `createSender`. */
export interface CreateSenderParameters {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, LocalAccount>;
  vault: Address;
  gas: KeeperConfig["gas"];
  metrics: KeeperMetrics;
  logger: Logger;
  /** Called once per pending liquidation when it is mined or dropped. */
  onSettled?: (pending: PendingLiquidation, status: SettledStatus) => void;
  /** Journals the transactions sent (the store); without it, a restart forgets what is in flight. */
  journal?: SenderJournal;
}

/** The sender. */
export interface Sender {
  readonly address: Address;
  /** Whether a liquidation of `account` is in flight. */
  isPending(account: Address): boolean;
  /** The liquidations in flight. */
  pending(): PendingLiquidation[];
  /** Reads the native balance, updates the balance metrics; false (and an error log) when under the minimum. */
  checkBalance(): Promise<boolean>;
  /** The fees to use at a block of base fee `baseFeePerGas`, or null when that base fee is above the cap. */
  fees(baseFeePerGas: bigint | null): Promise<Fees | null>;
  /** Signs and sends `liquidate(account, fraction)`; returns the hash. */
  send(parameters: { account: Address; fraction: bigint; gas: bigint; fees: Fees; blockNumber: bigint }): Promise<Hex>;
  /**
   * Checks receipts of what is in flight and replaces what is stuck (the replacement pays at least 2 x
   * `baseFeePerGas` + tip). Never throws.
   *
   * @returns The liquidations settled at this check (the keeper learns from a revert or more gas used than estimated).
   */
  onBlock(blockNumber: bigint, baseFeePerGas?: bigint | null): Promise<SettledLiquidation[]>;
}

/** How many times signed bytes are broadcast before a transport failure is given up on. */
const BROADCAST_ATTEMPTS = 3;

const bump = (value: bigint, percent: number): bigint => {
  // Rounds up and adds one wei, so that a replacement is always strictly above the node's +12.5 % rule.
  const basisPoints = BigInt(Math.ceil(percent * 100));
  return (value * (10_000n + basisPoints) + 9_999n) / 10_000n + 1n;
};

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * The fees of a replacement: each field bumped by `percent` (the node's replacement rule), and the max fee at least
 * 2 x the current base fee + tip (a bump alone stays under a base fee that has risen since), both within `cap`.
 *
 * @param old The fees of the transaction replaced.
 * @param baseFeePerGas The current base fee (null: unknown, the bump alone).
 * @param percent The bump, >= 12.5.
 * @param cap The max fee cap.
 * @returns The new fees (tip <= max fee).
 * @example replacementFees({ maxFeePerGas: 20n, maxPriorityFeePerGas: 1n }, 100n, 20, 1000n) // max fee 201
 */
export function replacementFees(old: Fees, baseFeePerGas: bigint | null, percent: number, cap: bigint): Fees {
  const tip = bump(old.maxPriorityFeePerGas, percent);
  const wanted = max(bump(old.maxFeePerGas, percent), 2n * (baseFeePerGas ?? 0n) + tip);
  const maxFeePerGas = min(wanted, cap);
  return { maxFeePerGas, maxPriorityFeePerGas: min(tip, maxFeePerGas) };
}

/**
 * Creates the sender.
 *
 * @param parameters Clients, vault, gas config, metrics, logger and the settle callback.
 * @returns The sender.
 * @example const sender = createSender({ publicClient, walletClient, vault, gas: config.gas, metrics, logger });
 */
export function createSender(parameters: CreateSenderParameters): Sender {
  const { publicClient, walletClient, vault, gas, metrics, logger, onSettled, journal } = parameters;
  const account = walletClient.account;
  const cap = parseGwei(String(gas.maxFeePerGasGwei));
  const tipCap = parseGwei(String(gas.maxPriorityFeePerGasGwei));
  const minBalance = BigInt(Math.round(gas.minBalanceEth * 1e9)) * 10n ** 9n;
  const inFlight = new Map<Address, PendingLiquidation>();
  let tipCache: { at: number; tip: bigint } | null = null;
  let sending: Promise<void> = Promise.resolve();

  const record = (p: PendingLiquidation, status: LiquidationTransactionRecord["status"] = "pending") =>
    journal?.recordLiquidationTransaction({ sender: account.address, ...p, hashes: [...p.hashes], status });
  // A restart: resume what the journal says is still in flight (its receipts are checked at the next block).
  for (const r of journal?.liquidationTransactions({ sender: account.address, status: "pending" }) ?? []) {
    inFlight.set(r.account, { account: r.account, fraction: r.fraction, nonce: r.nonce, gas: r.gas, fees: r.fees, hashes: r.hashes, sentAtBlock: r.sentAtBlock, sentAt: r.sentAt });
    logger.info({ account: r.account, hash: r.hashes.at(-1), nonce: r.nonce }, "liquidation in flight before the restart: following it");
  }

  /**
   * Signs the transaction, hands its hash to `beforeBroadcast` (the journal), then broadcasts it. A hash journaled
   * but never broadcast is broadcast again by `onBlock` once the node shows it lacks it; the reverse order could
   * forget a transaction that is out.
   */
  function signAndSend(
    p: { account: Address; fraction: bigint; gas: bigint; fees: Fees; nonce?: number },
    beforeBroadcast: (hash: Hex, nonce: number) => void,
  ): Promise<{ hash: Hex; nonce: number }> {
    // One at a time: the keeper plans liquidations concurrently, but a nonce is taken and broadcast before the
    // next one is (viem's nonce manager hands out duplicates to concurrent callers while blocks are mined).
    const run = sending.then(() => signAndSendNow(p, beforeBroadcast));
    sending = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * The next nonce: the node's pending count read once, then counted here (sends are serialized). At least one above
   * every nonce in flight: a transaction the base fee keeps out of the node's pending block is not in its count.
   */
  let nextNonce: number | null = null;
  async function takeNonce(): Promise<number> {
    if (nextNonce === null) {
      const counted = await publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
      nextNonce = Math.max(counted, ...[...inFlight.values()].map((p) => p.nonce + 1));
    }
    return nextNonce++;
  }

  async function signAndSendNow(
    p: { account: Address; fraction: bigint; gas: bigint; fees: Fees; nonce?: number },
    beforeBroadcast: (hash: Hex, nonce: number) => void,
  ): Promise<{ hash: Hex; nonce: number }> {
    try {
      const nonce = p.nonce ?? (await takeNonce());
      // Signed by the local account with the configured chain id (checked against the node at startup): no
      // per-transaction eth_chainId nor fill request.
      const serialized = await account.signTransaction({
        chainId: walletClient.chain.id,
        type: "eip1559",
        to: vault,
        data: encodeFunctionData({ abi: marginVaultAbi, functionName: "liquidate", args: [p.account, p.fraction] }),
        gas: p.gas,
        nonce,
        maxFeePerGas: p.fees.maxFeePerGas,
        maxPriorityFeePerGas: p.fees.maxPriorityFeePerGas,
      });
      const hash = keccak256(serialized);
      beforeBroadcast(hash, nonce);
      await broadcast(serialized);
      return { hash, nonce };
    } catch (error) {
      // The nonce may be unused: counted again from the node (and what is in flight) next time.
      if (p.nonce === undefined) nextNonce = null;
      throw error;
    }
  }

  /**
   * Broadcasts signed bytes, again after a transport failure (a dropped or timed-out request): the same bytes are the
   * same transaction, so a repeat cannot send anything twice, and a node that already has it answers "already known".
   * Without this, a liquidation whose broadcast was lost would wait for a replacement, i.e. for new blocks.
   */
  async function broadcast(serialized: Hex): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await walletClient.sendRawTransaction({ serializedTransaction: serialized });
        return;
      } catch (error) {
        // The node already has these bytes (a repeat after a lost answer, or a broadcast again): they are out.
        if (/already ?known|known transaction|already imported/i.test(String((error as Error).message))) return;
        if (attempt >= BROADCAST_ATTEMPTS || !(error instanceof HttpRequestError || error instanceof TimeoutError)) throw error;
      }
    }
  }

  /** Whether the node says it has no transaction `hash` (false when the request fails: nothing is known then). */
  async function notInPool(hash: Hex): Promise<boolean> {
    try {
      await publicClient.getTransaction({ hash });
      return false;
    } catch (error) {
      return error instanceof TransactionNotFoundError;
    }
  }

  /** A receipt, null when the node says it has none, or "unknown" when the request failed. */
  async function receiptOf(hash: Hex) {
    try {
      return await publicClient.getTransactionReceipt({ hash });
    } catch (error) {
      return error instanceof TransactionReceiptNotFoundError ? null : ("unknown" as const);
    }
  }

  function settle(pending: PendingLiquidation, settled: SettledStatus, gasUsed: bigint | null): SettledLiquidation {
    inFlight.delete(pending.account);
    if (settled === "success") metrics.liquidationsSucceeded.inc();
    else metrics.liquidationsLost.inc({ stage: settled === "reverted" ? "onchain" : "dropped" });
    onSettled?.(pending, settled);
    try {
      journal?.settleLiquidationTransaction(account.address, pending.nonce, settled);
    } catch (error) {
      // Settled in memory and counted whatever the journal says: a restart follows the entry again and settles it
      // from its receipt, so nothing is sent twice.
      logger.error({ err: error, account: pending.account, nonce: pending.nonce, status: settled }, "cannot journal a settled liquidation; a restart settles it again from its receipt");
    }
    return { account: pending.account, status: settled, gas: pending.gas, gasUsed };
  }

  return {
    address: account.address,
    isPending: (target) => inFlight.has(target),
    pending: () => [...inFlight.values()],

    async checkBalance() {
      const balance = await publicClient.getBalance({ address: account.address });
      metrics.keeperBalance.set(Number(formatEther(balance)));
      const low = balance < minBalance;
      metrics.balanceLow.set(low ? 1 : 0);
      if (low) {
        logger.error({ balanceEth: formatEther(balance), minBalanceEth: gas.minBalanceEth, keeper: account.address }, "native balance under gas.minBalanceEth: sending nothing until it is topped up");
      }
      return !low;
    },

    async fees(baseFeePerGas) {
      const base = baseFeePerGas ?? 0n;
      if (base > cap) return null;
      const now = Date.now();
      if (tipCache === null || now - tipCache.at > 1_000) {
        const suggested = await publicClient.estimateMaxPriorityFeePerGas().catch(() => tipCap);
        tipCache = { at: now, tip: suggested };
      }
      let tip = tipCache.tip < tipCap ? tipCache.tip : tipCap;
      const maxFee = base * 2n + tip < cap ? base * 2n + tip : cap;
      if (tip > maxFee) tip = maxFee;
      return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
    },

    async send({ account: target, fraction, gas: gasLimit, fees, blockNumber }) {
      // A broadcast that fails after the journal entry keeps the transaction in flight: the node may have it (a
      // timeout), so the account is not tried again; `onBlock` broadcasts it again when the node lacks it (its nonce
      // would otherwise be a gap that later liquidations wait behind).
      const { hash, nonce } = await signAndSend({ account: target, fraction, gas: gasLimit, fees }, (signed, signedNonce) => {
        const pending: PendingLiquidation = { account: target, fraction, nonce: signedNonce, gas: gasLimit, fees, hashes: [signed], sentAtBlock: blockNumber, sentAt: Date.now() };
        inFlight.set(target, pending);
        try {
          record(pending);
        } catch (error) {
          // Broadcast anyway: the transaction is followed in memory; only a restart would lose track of it.
          logger.error({ err: error, account: target, hash: signed, nonce: signedNonce }, "cannot journal the liquidation; it is followed in memory only");
        }
      });
      metrics.liquidationsSent.inc();
      logger.info({ account: target, hash, nonce, fraction: fraction.toString(), maxFeePerGas: fees.maxFeePerGas.toString() }, "liquidation sent");
      return hash;
    },

    async onBlock(blockNumber, baseFeePerGas = null) {
      const settledNow: SettledLiquidation[] = [];
      if (inFlight.size === 0) {
        // Nothing in flight: the next send counts from the node again (the key may have been used elsewhere).
        nextNonce = null;
        return settledNow;
      }
      // The nonce first (once per block), then the receipts: a transaction mined between the two reads is then seen
      // mined, never "dropped".
      let mined: number;
      try {
        mined = await publicClient.getTransactionCount({ address: account.address, blockTag: "latest" });
      } catch (error) {
        logger.error({ err: error, inFlight: inFlight.size }, "cannot read the keeper's nonce; following the liquidations in flight next block");
        return settledNow;
      }
      // Another sender used the key (or the count was wrong): count from the node again.
      if (nextNonce !== null && mined > nextNonce) nextNonce = null;
      // In nonce order: once the lowest unmined transaction is missing from the node's pool, the ones after it may be too.
      let poolLost = false;
      for (const pending of [...inFlight.values()].sort((a, b) => a.nonce - b.nonce)) {
        try {
          let unknown = false;
          let settled: SettledStatus | null = null;
          let gasUsed: bigint | null = null;
          for (const hash of [...pending.hashes].reverse()) {
            const receipt = await receiptOf(hash);
            if (receipt === "unknown") unknown = true;
            if (receipt === null || receipt === "unknown") continue;
            settled = receipt.status === "success" ? "success" : "reverted";
            gasUsed = receipt.gasUsed;
            logger.info({ account: pending.account, hash, status: receipt.status, block: Number(receipt.blockNumber), gasUsed: receipt.gasUsed.toString() }, "liquidation mined");
            break;
          }
          if (settled === null && mined > pending.nonce && !unknown) {
            // Another transaction took the nonce, or the receipt is not served yet: dropped only when a later
            // block still shows no receipt.
            if (pending.nonceTakenAt !== undefined && blockNumber > pending.nonceTakenAt) settled = "dropped";
            else pending.nonceTakenAt ??= blockNumber;
          }
          if (settled !== null) {
            settledNow.push(settle(pending, settled, gasUsed));
            continue;
          }
          if (mined > pending.nonce || unknown) continue; // nothing to replace: the nonce is taken, or we cannot tell
          if ((pending.nonce === mined || poolLost) && pending.rebroadcastAt !== blockNumber && (await notInPool(pending.hashes.at(-1)!))) {
            // A broadcast that failed, a hash journaled but never sent before a crash, a node that lost its pool: the
            // nonce would stay a gap that every later liquidation waits behind, whatever the fees. The same
            // parameters sign to the same bytes (deterministic signatures), so it is the same transaction again.
            // Once per block; a refusal (some nodes evict and refuse a max fee under the base fee) leaves it to the
            // replacement below.
            poolLost = true;
            pending.rebroadcastAt = blockNumber;
            try {
              await signAndSend(pending, (signed) => {
                if (signed === pending.hashes.at(-1)) return; // a signer without deterministic signatures: a new hash
                pending.hashes.push(signed);
                record(pending);
              });
              logger.warn({ account: pending.account, hash: pending.hashes.at(-1), nonce: pending.nonce }, "liquidation missing from the node's pool: broadcast again");
            } catch (error) {
              logger.warn({ err: error, account: pending.account, nonce: pending.nonce }, "liquidation missing from the node's pool, and refused again; replaced when due");
            }
          }
          if (blockNumber - pending.sentAtBlock < BigInt(gas.replaceAfterBlocks)) continue;
          if (pending.fees.maxFeePerGas >= cap) {
            logger.warn({ account: pending.account, hash: pending.hashes.at(-1), nonce: pending.nonce }, "liquidation stuck at the fee cap; waiting");
            continue;
          }
          if (baseFeePerGas !== null && baseFeePerGas > cap) {
            // No fee within the cap can be mined now (some nodes refuse such a transaction outright): hold it, and
            // replace it once the base fee is back under the cap.
            logger.warn({ account: pending.account, hash: pending.hashes.at(-1), nonce: pending.nonce, baseFeeGwei: formatGwei(baseFeePerGas) }, "base fee above the fee cap: liquidation in flight held until it falls");
            continue;
          }
          const fees = replacementFees(pending.fees, baseFeePerGas, gas.feeBumpPercent, cap);
          const { hash } = await signAndSend({ ...pending, fees, nonce: pending.nonce }, (signed) => {
            pending.hashes.push(signed);
            pending.fees = fees;
            pending.sentAtBlock = blockNumber;
            record(pending);
          });
          metrics.replacements.inc();
          logger.warn({ account: pending.account, hash, nonce: pending.nonce, maxFeePerGas: fees.maxFeePerGas.toString() }, "stuck liquidation replaced with higher fees");
        } catch (error) {
          logger.error({ err: error, account: pending.account, nonce: pending.nonce }, "cannot follow a liquidation in flight; retrying next block");
        }
      }
      return settledNow;
    },
  };
}
