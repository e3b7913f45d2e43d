/**
 * The liquidation sender: EIP-1559 fees capped by the config, the nonce from viem's `nonceManager` (on the
 * account), a balance guard, and the bookkeeping of transactions in flight — receipts, and a replacement with
 * fees raised by `gas.feeBumpPercent` (>= 12.5 %) for a transaction still not mined after
 * `gas.replaceAfterBlocks` blocks. With a journal (the store), every transaction sent is recorded, and a restarted
 * sender resumes the ones still pending instead of forgetting them.
 */
import {
  encodeFunctionData,
  formatEther,
  parseGwei,
  type Address,
  type Chain,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
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
}

/** How a pending liquidation ended. */
export type SettledStatus = "success" | "reverted" | "dropped";

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
  /** Checks receipts of what is in flight and replaces what is stuck. Never throws. */
  onBlock(blockNumber: bigint): Promise<void>;
}

const bump = (value: bigint, percent: number): bigint => {
  // Rounds up and adds one wei, so that a replacement is always strictly above the node's +12.5 % rule.
  const basisPoints = BigInt(Math.ceil(percent * 100));
  return (value * (10_000n + basisPoints) + 9_999n) / 10_000n + 1n;
};

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

  const record = (p: PendingLiquidation, status: LiquidationTransactionRecord["status"] = "pending") =>
    journal?.recordLiquidationTransaction({ sender: account.address, ...p, hashes: [...p.hashes], status });
  // A restart: resume what the journal says is still in flight (its receipts are checked at the next block).
  for (const r of journal?.liquidationTransactions({ sender: account.address, status: "pending" }) ?? []) {
    inFlight.set(r.account, { account: r.account, fraction: r.fraction, nonce: r.nonce, gas: r.gas, fees: r.fees, hashes: r.hashes, sentAtBlock: r.sentAtBlock, sentAt: r.sentAt });
    logger.info({ account: r.account, hash: r.hashes.at(-1), nonce: r.nonce }, "liquidation in flight before the restart: following it");
  }

  async function sendRaw(p: { account: Address; fraction: bigint; gas: bigint; fees: Fees; nonce?: number }): Promise<{ hash: Hex; nonce: number }> {
    const request = await walletClient.prepareTransactionRequest({
      account,
      chain: walletClient.chain,
      to: vault,
      data: encodeFunctionData({ abi: marginVaultAbi, functionName: "liquidate", args: [p.account, p.fraction] }),
      gas: p.gas,
      maxFeePerGas: p.fees.maxFeePerGas,
      maxPriorityFeePerGas: p.fees.maxPriorityFeePerGas,
      type: "eip1559",
      ...(p.nonce !== undefined ? { nonce: p.nonce } : {}),
    });
    try {
      const serialized = await walletClient.signTransaction(request as never);
      const hash = await walletClient.sendRawTransaction({ serializedTransaction: serialized });
      return { hash, nonce: request.nonce };
    } catch (error) {
      // The nonce may be unused: the manager reads it from the chain again next time.
      if (p.nonce === undefined) account.nonceManager?.reset({ address: account.address, chainId: walletClient.chain.id });
      throw error;
    }
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
      const { hash, nonce } = await sendRaw({ account: target, fraction, gas: gasLimit, fees });
      const pending: PendingLiquidation = { account: target, fraction, nonce, gas: gasLimit, fees, hashes: [hash], sentAtBlock: blockNumber, sentAt: Date.now() };
      inFlight.set(target, pending);
      try {
        record(pending);
      } catch (error) {
        // The transaction is out: keep following it in memory; only a restart would lose track of it.
        logger.error({ err: error, account: target, hash, nonce }, "cannot journal the liquidation sent; it is followed in memory only");
      }
      metrics.liquidationsSent.inc();
      logger.info({ account: target, hash, nonce, fraction: fraction.toString(), maxFeePerGas: fees.maxFeePerGas.toString() }, "liquidation sent");
      return hash;
    },

    async onBlock(blockNumber) {
      for (const pending of [...inFlight.values()]) {
        try {
          let settled: SettledStatus | null = null;
          for (const hash of [...pending.hashes].reverse()) {
            const receipt = await publicClient.getTransactionReceipt({ hash }).catch(() => null);
            if (receipt === null) continue;
            settled = receipt.status === "success" ? "success" : "reverted";
            logger.info({ account: pending.account, hash, status: receipt.status, block: Number(receipt.blockNumber), gasUsed: receipt.gasUsed.toString() }, "liquidation mined");
            break;
          }
          if (settled === null) {
            const mined = await publicClient.getTransactionCount({ address: account.address, blockTag: "latest" });
            if (mined > pending.nonce) settled = "dropped"; // another transaction took the nonce
          }
          if (settled !== null) {
            inFlight.delete(pending.account);
            journal?.settleLiquidationTransaction(account.address, pending.nonce, settled);
            if (settled === "success") metrics.liquidationsSucceeded.inc();
            else metrics.liquidationsLost.inc({ stage: settled === "reverted" ? "onchain" : "dropped" });
            onSettled?.(pending, settled);
            continue;
          }
          if (blockNumber - pending.sentAtBlock < BigInt(gas.replaceAfterBlocks)) continue;
          if (pending.fees.maxFeePerGas >= cap) {
            logger.warn({ account: pending.account, hash: pending.hashes.at(-1), nonce: pending.nonce }, "liquidation stuck at the fee cap; waiting");
            continue;
          }
          const maxFeePerGas = bump(pending.fees.maxFeePerGas, gas.feeBumpPercent);
          const fees: Fees = {
            maxFeePerGas: maxFeePerGas < cap ? maxFeePerGas : cap,
            maxPriorityFeePerGas: bump(pending.fees.maxPriorityFeePerGas, gas.feeBumpPercent),
          };
          if (fees.maxPriorityFeePerGas > fees.maxFeePerGas) fees.maxPriorityFeePerGas = fees.maxFeePerGas;
          const { hash } = await sendRaw({ ...pending, fees, nonce: pending.nonce });
          pending.hashes.push(hash);
          pending.fees = fees;
          pending.sentAtBlock = blockNumber;
          record(pending);
          metrics.replacements.inc();
          logger.warn({ account: pending.account, hash, nonce: pending.nonce, maxFeePerGas: fees.maxFeePerGas.toString() }, "stuck liquidation replaced with higher fees");
        } catch (error) {
          logger.error({ err: error, account: pending.account, nonce: pending.nonce }, "cannot follow a liquidation in flight; retrying next block");
        }
      }
    },
  };
}
