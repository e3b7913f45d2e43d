/**
 * Adaptive scans (v1.1) in the local run (`npm start -- --adaptive`): after each replayed daily close, the keeper's
 * `risk propose` logic reads the feeds' round data on the node, and a risk steward (the node's account #7, granted
 * RISK_STEWARD_ROLE at deployment) sends the updates it allows through the registry's bounded path.
 *
 * A replayed day is compressed into `REPLAY_DAY_SECONDS` (one hour) of chain time: after each close the next block
 * is moved to the start of the next hour, so the feeds' rounds fall into one period per replayed day (their last round
 * is that day's close), the updates of consecutive days are exactly the registry's interval (one hour here, its
 * minimum) apart, and no feed gets older than its heartbeat (one hour) across the jump.
 */
import { createPublicClient, createWalletClient, formatUnits, getAddress, http, type Address, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import type { DeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { marginVaultAbi } from "../client/src/abi/generated.js";
import { proposeScans } from "../keeper/src/commands/riskPropose.js";
import { hardhatTestKey } from "./chain.js";
import type { RiskModel } from "./riskModel.js";

/** The node's account that holds RISK_STEWARD_ROLE in an adaptive run. */
export const STEWARD_ACCOUNT_INDEX = 7;
/** Chain time of one replayed day: the registry's minimum interval, and the mock feeds' heartbeat. */
export const REPLAY_DAY_SECONDS = 3_600;

/** The deployment config of an adaptive local run: a steward, and steps allowed once an hour. */
export function adaptiveDeploymentConfig(config: DeploymentConfig): DeploymentConfig {
  return { ...config, governance: { ...config.governance, steward: { account: STEWARD_ACCOUNT_INDEX }, minInterval: 3_600 } };
}

/** One update the steward sent. */
export interface StewardUpdate {
  day: number;
  symbol: string;
  from: bigint;
  to: bigint;
}

/** The local run's risk steward. */
export interface LocalSteward {
  /** Moves the next block to the start of a fresh replayed day. */
  startDay(): Promise<void>;
  /** After close `day` (0-based): proposes, sends what is due, updates `model`'s scans, and starts the next day. */
  afterClose(day: number): Promise<StewardUpdate[]>;
  updates: StewardUpdate[];
}

/**
 * Creates the steward of an adaptive local run.
 *
 * @param parameters The node, the vault, the model the replay evaluates with (its scans follow the updates) and the
 * static scans (the deployment config's).
 */
export function createLocalSteward(parameters: { rpcUrl: string; vault: string; model: RiskModel; config: DeploymentConfig }): LocalSteward {
  const transport = http(parameters.rpcUrl);
  const client = createPublicClient({ transport }) as PublicClient;
  const wallet = createWalletClient({ account: privateKeyToAccount(hardhatTestKey(STEWARD_ACCOUNT_INDEX) as `0x${string}`), transport });
  const vault = getAddress(parameters.vault) as Address;
  const statics = parameters.config.assets.map((a) => ({ symbol: a.symbol, scan: a.scan }));
  const updates: StewardUpdate[] = [];
  const rpc = (method: string, params: unknown[]) => client.request({ method, params } as never);
  /** The start of the next replayed day: the next multiple of REPLAY_DAY_SECONDS after the head. */
  const nextDay = async () => {
    const { timestamp } = await client.getBlock();
    return (timestamp / BigInt(REPLAY_DAY_SECONDS) + 1n) * BigInt(REPLAY_DAY_SECONDS);
  };
  const startDay = async () => void (await rpc("evm_setNextBlockTimestamp", [Number(await nextDay())]));
  return {
    updates,
    startDay,
    async afterClose(day) {
      // The updates are mined together in the first block of the next day, at its exact start: one day (the
      // registry's interval) after the previous day's updates. Only the replayed days' periods are read: the
      // deployment's mock answers are older and not history.
      const start = await nextDay();
      const result = await proposeScans({ client, vault, statics, periods: day + 1, period: REPLAY_DAY_SECONDS, now: start });
      const due = result.proposals.filter((p) => p.status === "update");
      await rpc("evm_setNextBlockTimestamp", [Number(start)]);
      if (due.length === 0) return [];
      // Sent unsimulated with a fixed gas limit: at the head (the previous day) the interval has not passed yet.
      const hashes: `0x${string}`[] = [];
      for (const p of due) {
        hashes.push(await wallet.writeContract({ address: vault, abi: marginVaultAbi, functionName: "setAssetScan", args: [BigInt(p.asset), p.next], gas: 200_000n, chain: null }));
      }
      await rpc("evm_mine", []);
      for (const [i, hash] of hashes.entries()) {
        const receipt = await client.getTransactionReceipt({ hash });
        if (receipt.status !== "success") throw new Error(`the steward's setAssetScan(${due[i]!.symbol}) reverted in ${hash}`);
      }
      const sent = due.map((p) => ({ day, symbol: p.symbol, from: p.current, to: p.next }));
      for (const p of due) parameters.model.riskParams.scan[p.asset] = p.next;
      updates.push(...sent);
      return sent;
    },
  };
}

/** One line per asset: its scan at the start and the end of the run, and how many updates moved it. */
export function stewardSummary(steward: LocalSteward, config: DeploymentConfig, model: RiskModel): string {
  return model.assets
    .map((symbol, id) => {
      const n = steward.updates.filter((u) => u.symbol === symbol).length;
      return n === 0 ? null : `${symbol} ${formatUnits(config.assets[id]!.scan, 18)} -> ${formatUnits(model.riskParams.scan[id]!, 18)} (${n} updates)`;
    })
    .filter((line) => line !== null)
    .join(", ");
}
