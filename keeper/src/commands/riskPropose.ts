import { formatUnits, type Account, type Address, type Chain, type PublicClient, type Transport, type WalletClient } from "viem";

import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import { ADAPTIVE_DEFAULTS, ewmaVolatility, stepToward, targetScan, type AdaptiveScanParameters } from "../../../client/src/adaptiveScan.js";
import { formatTable } from "../../../client/src/format.js";
import { readFeedCloses } from "../../../client/src/oracleHistory.js";

/** IRiskGovernance.RiskParam.Scan. */
const SCAN_PARAM = 0;

/** Options of `proposeScans`. */
export interface ProposeScansParameters {
  client: PublicClient;
  vault: Address;
  /** The governance-set (v1 static) scan of each asset id, the clamp's centre, and its symbol. */
  statics: { symbol: string; scan: bigint }[];
  /** Closes of history replayed (the most recent ones). @default 90 */
  periods?: number;
  /** Length of one close's period in seconds. @default 86400 */
  period?: number;
  /** The v1.1 rule (its step and interval are read from the vault). */
  rule?: Pick<AdaptiveScanParameters, "lambda" | "multiplier" | "floor" | "cap" | "rounding">;
  /** Only these asset ids. @default every listed asset but USD (id 0) */
  assets?: number[];
  /** The time the updates would be mined at, for the interval check. @default the latest block's timestamp */
  now?: bigint;
}

/** The next update of one asset's scan. */
export interface ScanProposal {
  asset: number;
  symbol: string;
  current: bigint;
  staticScan: bigint;
  closes: number;
  sigma: number;
  target: bigint;
  /** The value the steward path allows next (the target, or one step toward it). */
  next: bigint;
  /** When the interval since the scan's last change has passed (seconds). */
  dueAt: bigint;
  status: "update" | "too soon" | "at target" | "no history";
}

/** What `proposeScans` returns. */
export interface ProposeScansReturnType {
  blockNumber: bigint;
  timestamp: bigint;
  maxStep: bigint;
  minInterval: bigint;
  proposals: ScanProposal[];
}

/**
 * Computes the next v1.1 scan update of every listed asset (docs/risk-model.md): reads each feed's closes from its
 * round data, replays the EWMA from sigma_0 = static / 3.5 over them, clamps 3.5 sigma to [0.5x, 1.25x] the static
 * scan and steps the vault's current scan toward it by at most the registry's `maxStep`. An update is due when the
 * registry's `minInterval` has passed since the scan's last change.
 *
 * @param parameters Client, vault, the static scans, how much history.
 * @returns The block read, the steward bounds and one proposal per asset.
 */
export async function proposeScans(parameters: ProposeScansParameters): Promise<ProposeScansReturnType> {
  const { client, vault } = parameters;
  const block = await client.getBlock();
  const at = { blockNumber: block.number };
  const read = <T>(functionName: string, args: unknown[] = []) =>
    client.readContract({ address: vault, abi: marginVaultAbi, functionName, args, ...at } as never) as Promise<T>;
  const [[count], [maxStep, minInterval]] = await Promise.all([read<readonly [bigint, bigint, bigint]>("listingCounts"), read<readonly [bigint, bigint]>("riskSteps")]);
  const ids = parameters.assets ?? Array.from({ length: Number(count) - 1 }, (_, i) => i + 1);
  const rule: AdaptiveScanParameters = { ...ADAPTIVE_DEFAULTS, ...parameters.rule, maxStep, minInterval: Number(minInterval) };
  const proposals = await Promise.all(
    ids.map(async (asset): Promise<ScanProposal> => {
      const statics = parameters.statics[asset];
      if (asset >= Number(count) || statics === undefined) throw new Error(`asset ${asset} is not listed in both the vault and the parameter file`);
      const [config, changedAt] = await Promise.all([
        read<{ feed: Address; scan: bigint }>("assetConfig", [BigInt(asset)]),
        read<bigint>("lastRiskChange", [SCAN_PARAM, BigInt(asset)]),
      ]);
      const history = await readFeedCloses({ client, feed: config.feed, periods: parameters.periods ?? 90, period: parameters.period, blockNumber: block.number });
      const closes = history.answers.map((a) => Number(a) / 10 ** history.decimals);
      const dueAt = changedAt === 0n ? 0n : changedAt + minInterval;
      const base = { asset, symbol: statics.symbol, current: config.scan, staticScan: statics.scan, closes: closes.length, dueAt };
      if (closes.length < 2) return { ...base, sigma: Number.NaN, target: config.scan, next: config.scan, status: "no history" };
      const sigmas = ewmaVolatility(closes, rule.lambda, Number(statics.scan) / 1e18 / rule.multiplier);
      const sigma = sigmas[sigmas.length - 1]!;
      const target = targetScan(sigma, statics.scan, rule);
      const next = stepToward(config.scan, target, maxStep);
      const status = next === config.scan ? "at target" : (parameters.now ?? block.timestamp) < dueAt ? "too soon" : "update";
      return { ...base, sigma, target, next, status };
    }),
  );
  return { blockNumber: block.number, timestamp: block.timestamp, maxStep, minInterval, proposals };
}

/** The proposals as the command prints them. */
export function formatProposals(result: ProposeScansReturnType): string {
  const wad = (x: bigint) => formatUnits(x, 18);
  const rows = [["asset", "closes", "sigma (daily)", "static", "current", "target", "next", "status"]];
  for (const p of result.proposals) {
    const status = p.status === "too soon" ? `too soon (from ${new Date(Number(p.dueAt) * 1000).toISOString()})` : p.status;
    rows.push([p.symbol, String(p.closes), Number.isNaN(p.sigma) ? "–" : `${(p.sigma * 100).toFixed(2)}%`, wad(p.staticScan), wad(p.current), wad(p.target), wad(p.next), status]);
  }
  return [
    `block ${result.blockNumber}: steward path step <= ${formatUnits(result.maxStep * 100n, 18)}% of the scan, every ${Number(result.minInterval) / 3600} h`,
    "",
    formatTable(rows),
  ].join("\n");
}

/** Options of `sendScanUpdates`. */
export interface SendScanUpdatesParameters {
  client: PublicClient;
  wallet: WalletClient<Transport, Chain | undefined, Account>;
  vault: Address;
  proposals: readonly ScanProposal[];
}

/**
 * Sends `setAssetScan` for every proposal due (`status` "update") from the steward's wallet, one after the other,
 * each simulated first; the registry checks the step and the interval again.
 *
 * @returns The transaction hash of each update sent, by asset symbol.
 */
export async function sendScanUpdates(parameters: SendScanUpdatesParameters): Promise<{ symbol: string; hash: `0x${string}` }[]> {
  const sent: { symbol: string; hash: `0x${string}` }[] = [];
  for (const p of parameters.proposals.filter((x) => x.status === "update")) {
    const { request } = await parameters.client.simulateContract({
      address: parameters.vault,
      abi: marginVaultAbi,
      functionName: "setAssetScan",
      args: [BigInt(p.asset), p.next],
      account: parameters.wallet.account,
    });
    const hash = await parameters.wallet.writeContract(request);
    const receipt = await parameters.client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`setAssetScan(${p.symbol}) reverted in ${hash}`);
    sent.push({ symbol: p.symbol, hash });
  }
  return sent;
}
