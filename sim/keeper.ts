/**
 * The keeper as a separate process against the local node: `npm run keeper -- run --config <file>`, the keeper's
 * own liquidation loop (keeper/src). The demonstration never liquidates by itself: when the keeper is missing
 * or stops, the report says so.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import path from "node:path";

import { killProcessGroup } from "./node.js";

/** Environment variable through which the keeper process gets its (Hardhat test) key. */
export const KEEPER_KEY_ENV = "SIM_KEEPER_PRIVATE_KEY";

/** Options of `writeKeeperConfig`. */
export interface KeeperConfigParameters {
  rpcUrl: string;
  vault: string;
  chainId: number;
  startBlock: number;
  dbPath: string;
  metricsPort: number;
  pollIntervalMs: number;
}

/**
 * Writes a `keeper.config.json` (schema: keeper/src/config/schema.ts) for the local node, in `run` mode, with
 * the key read from `KEEPER_KEY_ENV` and the metrics endpoint on loopback.
 *
 * @returns The file's path.
 */
export function writeKeeperConfig(directory: string, parameters: KeeperConfigParameters): string {
  const file = path.join(directory, "keeper.config.json");
  const config = {
    rpcUrls: [parameters.rpcUrl],
    vault: parameters.vault,
    chainId: parameters.chainId,
    startBlock: parameters.startBlock,
    confirmations: 0,
    pollIntervalMs: parameters.pollIntervalMs,
    dbPath: parameters.dbPath,
    metrics: { host: "127.0.0.1", port: parameters.metricsPort },
    mode: "run",
    key: { privateKeyEnv: KEEPER_KEY_ENV },
    logLevel: "info",
  };
  writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
  return file;
}

/** The running keeper. */
export interface KeeperProcess {
  child: ChildProcess;
  /** Whether it has exited, and how. */
  exit: { code: number | null; signal: string | null } | null;
  /** The last lines it printed. */
  tail(): string;
  stop(): Promise<void>;
}

/**
 * Starts the keeper's liquidation loop, `npm run keeper -- run --config <configPath>`, as its own process group,
 * with its output appended to `logFile`.
 *
 * @param configPath The keeper config (see `writeKeeperConfig`).
 * @param privateKey The keeper's key, passed only through the child's environment.
 * @param logFile Where the keeper's stdout and stderr go.
 */
export function startKeeperRun(configPath: string, privateKey: string, logFile: string): KeeperProcess {
  const child = spawn("npm", ["run", "--silent", "keeper", "--", "run", "--config", configPath], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, [KEEPER_KEY_ENV]: privateKey },
  });
  const log = createWriteStream(logFile);
  let recent = "";
  const keep = (chunk: Buffer) => {
    // Output still in the pipe can arrive after the process has exited: written while the log is open, kept in
    // `recent` either way (a write after `end` would be an unhandled stream error that kills the run).
    if (!log.writableEnded) log.write(chunk);
    recent = (recent + chunk.toString()).slice(-3000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  // "close" comes after "exit", once stdout and stderr are drained: the log ends only then.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const keeper: KeeperProcess = {
    child,
    exit: null,
    tail: () => recent.trim().split("\n").slice(-6).join("\n"),
    stop: async () => {
      await killProcessGroup(child);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
  child.on("exit", (code, signal) => (keeper.exit = { code, signal }));
  return keeper;
}

/**
 * The keeper's `keeper_last_block_evaluated` gauge from its Prometheus endpoint (the last block whose round has
 * finished, liquidations sent: indexed alone is not enough to mine the next block), or null when the endpoint does
 * not answer or does not have it.
 *
 * @param metricsUrl e.g. `http://127.0.0.1:9464/metrics`.
 */
export async function keeperLastBlock(metricsUrl: string): Promise<number | null> {
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return null;
    const match = /^keeper_last_block_evaluated(?:\{[^}]*\})?\s+([0-9.e+]+)\s*$/m.exec(await response.text());
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/**
 * Waits until the keeper has processed `block` (its gauge), it exits, or `timeoutMs` passes; gives up after
 * `probeMs` when the gauge was never readable.
 *
 * @returns Whether the keeper reported the block.
 */
export async function waitForKeeper(keeper: KeeperProcess, metricsUrl: string, block: number, timeoutMs: number, probeMs = timeoutMs): Promise<boolean> {
  const started = Date.now();
  let seen = false;
  while (keeper.exit === null) {
    const last = await keeperLastBlock(metricsUrl);
    if (last !== null && last >= block) return true;
    seen ||= last !== null;
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs || (!seen && elapsed >= probeMs)) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}
