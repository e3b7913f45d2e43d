/**
 * A local Hardhat JSON-RPC node as a child process in its own process group, bound to 127.0.0.1 only, so that
 * stopping it (on success, error or SIGINT) kills `npx`, the hardhat CLI and everything they started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A running node. */
export interface LocalNode {
  url: string;
  port: number;
  pid: number;
  /** Kills the node's whole process group; safe to call twice. */
  stop(): Promise<void>;
}

/** Options of `startLocalNode`. */
export interface StartLocalNodeParameters {
  /** TCP port; a free loopback port when omitted. */
  port?: number;
  /** How long to wait for the node to answer, in ms. @default 120000 */
  timeoutMs?: number;
  /** Working directory (the project root). @default process.cwd() */
  cwd?: string;
}

/** A TCP port that is free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Kills the process group led by `child` (SIGTERM, then SIGKILL after `graceMs`) and waits for the leader to exit.
 *
 * @param child A child spawned with `detached: true` (so that its pid is its group id).
 * @param graceMs How long SIGTERM has before SIGKILL.
 */
export async function killProcessGroup(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  const exited = child.exitCode !== null || child.signalCode !== null;
  if (!exited) {
    const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    await done;
    clearTimeout(timer);
  }
  // Grandchildren may outlive the leader; the group id still reaches them.
  signalGroup("SIGKILL");
}

async function rpcAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts `npx hardhat node --hostname 127.0.0.1 --port <port>` and waits until it answers `eth_chainId`.
 *
 * @param parameters Port, timeout, working directory.
 * @returns The node; call `stop()` in a `finally`.
 * @throws Error with the node's last output when it exits or does not answer in time.
 */
export async function startLocalNode(parameters: StartLocalNodeParameters = {}): Promise<LocalNode> {
  const port = parameters.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn("npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: parameters.cwd ?? process.cwd(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const node: LocalNode = { url, port, pid: child.pid ?? -1, stop: () => killProcessGroup(child) };

  const deadline = Date.now() + (parameters.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`hardhat node exited (code ${child.exitCode ?? child.signalCode}) before answering:\n${output.trim()}`);
    }
    if (await rpcAnswers(url)) {
      // The node's log is large (every request); keep draining it so the pipe never blocks.
      child.stdout!.removeListener("data", keep);
      child.stdout!.resume();
      return node;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await node.stop();
  throw new Error(`hardhat node did not answer on ${url} within ${parameters.timeoutMs ?? 120_000} ms:\n${output.trim()}`);
}
