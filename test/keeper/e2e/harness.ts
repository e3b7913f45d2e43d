/**
 * The end-to-end harness: a real node process on 127.0.0.1 (a free port) — `hardhat node` or anvil (Foundry's, from
 * the `@foundry-rs/anvil` npm package), the two JSON-RPC clients every keeper e2e test runs against — the protocol deployed on it
 * through the Ignition module, users that open positions through TradeSettlement with signed EIP-712 orders, and
 * keeper processes (`node --import tsx keeper/src/cli.ts run`) with their own config, state file and metrics port. Every child
 * process runs in its own process group, killed as a group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { Wallet, type Contract, type Signer } from "ethers";

import { buildPortfolioMarginModule, DEFAULT_CONFIG_PATH } from "../../../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig } from "../../../ignition/modules/deploymentConfig.js";
import { ORDER_TYPES, type Order } from "../../helpers/orders.js";

export const WAD = 10n ** 18n;
export const wad = (x: number): bigint => BigInt(Math.round(x * 1e6)) * 10n ** 12n;
export const MARKET = { BTC: 0, ETH: 1, SOL: 2, LINK: 3, DOGE: 4 } as const;

const ROOT = process.cwd();
const HARDHAT_CLI = join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const ANVIL_CLI = join(ROOT, "node_modules", "@foundry-rs", "anvil", "bin.mjs");

/** The JSON-RPC clients the e2e suites run against. */
export const NODE_CLIENTS = ["hardhat", "anvil"] as const;
export type NodeClient = (typeof NODE_CLIENTS)[number];
export const workDir = mkdtempSync(join(tmpdir(), "keeper-e2e-"));

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    await sleep(everyMs);
  }
}

/** A child process in its own process group. */
export interface Child {
  process: ChildProcess;
  log: string;
  exited: Promise<number | null>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const children = new Set<Child>();

// Whatever happens to the test runner, no child outlives it (children run in their own process groups, which a
// signal to the runner does not reach).
const killChildren = () => {
  for (const child of children) {
    try {
      process.kill(-child.process.pid!, "SIGKILL");
    } catch {}
  }
};
process.once("exit", killChildren);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

function startChild(args: string[], env: NodeJS.ProcessEnv, logName: string): Child {
  const log = join(workDir, logName);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  // Neither pipe ends the file: it is ended once both streams are drained ("close"), and `exited` resolves when the
  // file is written, so a test that reads the log after the exit sees its last line.
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => out.end(() => resolve(code))));
  const handle: Child = {
    process: child,
    log,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {}
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {}
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      const code = await exited; // an exited child's log is complete only once its streams are drained
      children.delete(handle);
      return code;
    },
  };
  children.add(handle);
  return handle;
}

/** Stops every child still running (the suite's `after`). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop(3_000)));
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<any> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const json = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (json.error) throw new Error(json.error.message);
  return json.result;
}

/** Starts `hardhat node` or anvil (chain id 31337, the same funded test accounts, automine) on `port` (default: a free one). */
export async function startNode(kind: NodeClient = "hardhat", port?: number): Promise<{ kind: NodeClient; url: string; child: Child; rpc: (method: string, params?: unknown[]) => Promise<any> }> {
  port ??= await freePort();
  const args =
    kind === "hardhat"
      ? [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)]
      : [ANVIL_CLI, "--host", "127.0.0.1", "--port", String(port), "--chain-id", "31337", "--silent"];
  const child = startChild(args, {}, `node-${kind}-${port}.log`);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`the ${kind} node`, () => rpc(url, "eth_chainId").then(() => true), 60_000, 200);
  return { kind, url, child, rpc: (method, params) => rpc(url, method, params) };
}

/** The protocol on the node: contracts, signers, tokens and feeds. */
export async function deploy(url: string) {
  const connection = await network.create({ network: "localhost", override: { url } });
  const { ethers, ignition } = connection;
  const deploymentId = `e2e-${process.pid}-${Date.now()}`;
  const config = parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")));
  const deployed = await ignition.deploy(buildPortfolioMarginModule(config), { deploymentId, displayUi: false });
  rmSync(join(ROOT, "ignition", "deployments", deploymentId), { recursive: true, force: true });
  const vault = deployed.vault as Contract;
  const settlement = deployed.settlement as Contract;
  const feed = (symbol: string) => deployed[`feed_${symbol}`] as Contract;
  const token = (symbol: string) => deployed[`token_${symbol}`] as Contract;
  const startBlock = Number((await ethers.provider.getBlockNumber()) - 200 < 0 ? 0 : 0);
  return { connection, ethers, vault, settlement, feed, token, startBlock, vaultAddress: (await vault.getAddress()) as `0x${string}` };
}
export type Deployment = Awaited<ReturnType<typeof deploy>>;

/** A fresh funded user: native balance, USDC minted, approved and deposited in the vault. */
export async function newUser(d: Deployment, usdc: number): Promise<Wallet> {
  const [admin] = await d.ethers.getSigners();
  const wallet = Wallet.createRandom().connect(d.ethers.provider) as unknown as Wallet;
  await (await admin!.sendTransaction({ to: wallet.address, value: 10n * WAD })).wait();
  if (usdc > 0) {
    const USDC = d.token("USDC");
    const amount = BigInt(usdc) * 10n ** 6n;
    await (await USDC.mint(wallet.address, amount)).wait();
    await (await (USDC.connect(wallet) as Contract).approve(d.vaultAddress, amount)).wait();
    await (await (d.vault.connect(wallet) as Contract).deposit(await USDC.getAddress(), amount, wallet.address)).wait();
  }
  return wallet;
}

let nonce = 1n;

/** A signed trade of `size` (WAD) in `market` at `price` (WAD) between `buyer` and `seller`. */
export async function trade(d: Deployment, buyer: Signer, seller: Signer, market: number, size: bigint, price: bigint): Promise<void> {
  const { chainId } = await d.ethers.provider.getNetwork();
  const domain = { name: "PortfolioMargin TradeSettlement", version: "1", chainId, verifyingContract: await d.settlement.getAddress() };
  const expiry = BigInt((await d.ethers.provider.getBlock("latest"))!.timestamp + 86_400);
  const buy: Order = { account: await buyer.getAddress(), market: BigInt(market), size, limitPrice: price, nonce: nonce++, expiry };
  const sell: Order = { account: await seller.getAddress(), market: BigInt(market), size: -size, limitPrice: price, nonce: nonce++, expiry };
  const [admin] = await d.ethers.getSigners();
  await (
    await (d.settlement.connect(admin) as Contract).settleTrade(
      buy,
      await buyer.signTypedData(domain, ORDER_TYPES, buy),
      sell,
      await seller.signTypedData(domain, ORDER_TYPES, sell),
      size,
      price,
    )
  ).wait();
}

/** Sets a mock feed (8 decimals) from a WAD price. */
export async function setPrice(d: Deployment, symbol: string, price: bigint): Promise<void> {
  await (await d.feed(symbol).setAnswer(price / 10n ** 10n)).wait();
}

/** The `Liquidated` events of `account` (by liquidator). */
export async function liquidations(d: Deployment, account: string): Promise<string[]> {
  const events = await d.vault.queryFilter(d.vault.filters.Liquidated(account), 0, "latest");
  return events.map((e) => (e as unknown as { args: { liquidator: string } }).args.liquidator);
}

/** A keeper process. */
export interface KeeperProcess extends Child {
  metricsPort: number;
  configPath: string;
  metrics(): Promise<string>;
  /** The value of a metric line (name with labels as printed), 0 when absent. */
  metric(name: string): Promise<number>;
}

/**
 * The keepers started by the test running now: stopped after it whatever its outcome (a keeper left running by a
 * failed test would race the next test's keeper for its victims), and their logs printed when it fails (CI keeps no
 * other trace).
 */
const testKeepers: KeeperProcess[] = [];

/** Prints the last `lines` lines of every keeper log of the test that just ran, each cut at `width` characters. */
function printKeeperLogs(title: string, lines = 60, width = 400): void {
  for (const { log } of testKeepers) {
    const text = existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n") : ["(no log)"];
    const tail = text.slice(-lines).map((line) => (line.length > width ? `${line.slice(0, width)}…` : line));
    console.log(`\n--- ${title}: the last ${tail.length} lines of ${log}\n${tail.join("\n")}\n---`);
  }
}

/** Writes a config and starts `node --import tsx keeper/src/cli.ts run --config <it>`. */
export async function startKeeper(name: string, config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, reuse?: { metricsPort: number; configPath: string }): Promise<KeeperProcess> {
  const metricsPort = reuse?.metricsPort ?? (await freePort());
  const configPath = reuse?.configPath ?? join(workDir, `${name}.config.json`);
  if (!reuse) {
    writeFileSync(configPath, JSON.stringify({ chainId: 31337, pollIntervalMs: 100, logLevel: process.env.E2E_LOG_LEVEL ?? "info", dbPath: join(workDir, `${name}.sqlite`), metrics: { host: "127.0.0.1", port: metricsPort }, ...config }, null, 2));
  }
  // `node --import tsx`, not the tsx CLI: the tsx CLI relays SIGTERM and SIGKILLs its child when the child does
  // not acknowledge within 30 ms (a keeper busy in a round), which is not the graceful stop under test.
  const child = startChild(["--import", "tsx", "keeper/src/cli.ts", "run", "--config", configPath], env, `${name}-${Date.now()}.log`);
  const metrics = async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    return response.text();
  };
  const keeper: KeeperProcess = {
    ...child,
    metricsPort,
    configPath,
    metrics,
    async metric(line: string) {
      const text = await metrics();
      const found = text.split("\n").find((l) => l.startsWith(`${line} `));
      return found ? Number(found.slice(line.length + 1)) : 0;
    },
  };
  testKeepers.push(keeper);
  await waitFor(`keeper ${name} ready`, async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200, 60_000, 200);
  return keeper;
}

/** A loopback JSON-RPC proxy to `target` that answers HTTP 503 while `failing` is set. */
export async function startFlakyProxy(target: string): Promise<{ url: string; failing: boolean; forwarded: number; failed: number; close(): Promise<void> }> {
  const state = { failing: false, forwarded: 0, failed: 0 };
  const targetUrl = new URL(target);
  const server: Server = createServer((req, res) => {
    if (state.failing) {
      state.failed++;
      req.resume();
      res.writeHead(503, { "content-type": "text/plain" }).end("upstream unavailable");
      return;
    }
    state.forwarded++;
    const upstream = httpRequest({ host: targetUrl.hostname, port: targetUrl.port, path: "/", method: req.method, headers: { "content-type": "application/json" } }, (up) => {
      res.writeHead(up.statusCode ?? 502, { "content-type": "application/json" });
      up.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  });
}

/** A JSON-RPC request as the proxy sees it. */
export interface ProxiedRequest {
  id: unknown;
  method: string;
  params?: unknown[];
}

/**
 * A loopback JSON-RPC proxy of the project's own, to inject faults between a keeper and its node: `drop` answers
 * an HTTP 503 for a whole request, `delayMs` holds every request, and `fail` answers a JSON-RPC error for the items
 * of a (batched) request it picks while the others go through — a failing feed read among good ones.
 */
export async function startFaultProxy(target: string) {
  const state = {
    drop: (() => false) as () => boolean,
    delayMs: 0,
    fail: (() => false) as (request: ProxiedRequest) => boolean,
    requests: 0,
    failed: 0,
  };
  const forward = async (body: unknown) => {
    const response = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return response.json() as Promise<unknown>;
  };
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", async () => {
      state.requests++;
      try {
        if (state.delayMs > 0) await sleep(state.delayMs);
        if (state.drop()) {
          state.failed++;
          res.writeHead(503, { "content-type": "text/plain" }).end("dropped by the fault proxy");
          return;
        }
        const parsed = JSON.parse(text) as ProxiedRequest | ProxiedRequest[];
        const items = Array.isArray(parsed) ? parsed : [parsed];
        const failing = items.filter((item) => state.fail(item));
        state.failed += failing.length;
        const passing = items.filter((item) => !failing.includes(item));
        const answers = passing.length > 0 ? ((await forward(passing)) as { id: unknown }[]) : [];
        const byId = new Map(answers.map((a) => [JSON.stringify(a.id), a]));
        const out = items.map((item) =>
          failing.includes(item) ? { jsonrpc: "2.0", id: item.id, error: { code: -32000, message: "injected by the fault proxy" } } : byId.get(JSON.stringify(item.id)),
        );
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  });
}

const spec = parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")));

export const NOTIONAL = 23_000;

/**
 * Opens a long of about 23,000 USD in `symbol`'s market for a new user holding 1.65 x its initial-margin
 * need (at IM/MM = 1.5), against a well-funded counterparty, then moves the oracle down until it is under
 * maintenance margin but still solvent. Returns the victim's address.
 */
export async function openAndCrash(d: Deployment, counterparty: Wallet, symbol: keyof typeof MARKET, options: { crash?: boolean } = {}) {
  const assetIndex = spec.assets.findIndex((a) => a.symbol === symbol);
  const market = spec.markets.findIndex((m) => m.asset === symbol);
  const m = Number(spec.assets[assetIndex]!.scan + spec.markets[market]!.k) / 1e18;
  const [, answer] = (await d.feed(symbol).latestRoundData()) as bigint[];
  const price = answer! * 10n ** 10n;
  const size = (BigInt(NOTIONAL) * WAD * WAD) / price;
  const victim = await newUser(d, Math.ceil(1.65 * m * NOTIONAL));
  await trade(d, victim, counterparty, market, size, price);
  const drop = (0.65 * m) / (1 - m) + 0.08;
  /** Submits the oracle move (the caller mines and waits when automine is off; `overrides`: e.g. its fees). */
  const crash = async (overrides: Record<string, unknown> = {}) =>
    d.feed(symbol).setAnswer((price * BigInt(Math.round((1 - drop) * 1e6))) / 10n ** 6n / 10n ** 10n, overrides) as Promise<{ wait(): Promise<{ blockNumber: number }> }>;
  let crashBlock: number | null = null;
  if (options.crash !== false) {
    crashBlock = (await (await crash()).wait()).blockNumber;
    // Read at the crash's block: a running keeper may have liquidated the victim by the time "latest" is read.
    if (!(await d.vault.isLiquidatable(victim.address, { blockTag: crashBlock }))) throw new Error("the victim is not under maintenance margin");
  }
  return { victim: victim.address, crash, crashBlock };
}


/**
 * Registers a suite's chain: a node of `client` started and the protocol deployed before the suite, a funded
 * counterparty and `keeperCount` funded keeper wallets; everything stopped after it.
 */
export function useChain(client: NodeClient, keeperCount = 3) {
  const chain = { node: null as unknown as Awaited<ReturnType<typeof startNode>>, d: null as unknown as Deployment, counterparty: null as unknown as Wallet, keepers: [] as Wallet[] };
  before(async () => {
    chain.node = await startNode(client);
    chain.d = await deploy(chain.node.url);
    chain.counterparty = await newUser(chain.d, 1_000_000);
    for (let i = 0; i < keeperCount; i++) chain.keepers.push(await newUser(chain.d, 100_000));
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") printKeeperLogs(this.currentTest.fullTitle());
    await Promise.all(testKeepers.splice(0).map((keeper) => keeper.stop(3_000)));
  });
  after(async () => {
    await chain.node?.child.stop(5_000);
    await stopAll();
    await chain.d?.connection.close().catch(() => undefined);
  });
  return chain;
}
