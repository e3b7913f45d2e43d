/**
 * The operator's CLI: `run` (the liquidation keeper: per-block loop, /metrics, /healthz, /readyz), `scan`
 * (accounts closest to liquidation) and `account <address>` (one account's margin breakdown). All index the
 * vault into the state file of the config.
 *
 *   npx tsx keeper/src/cli.ts init --deployment ignition/deployments/chain-31337 --rpc-url http://127.0.0.1:8545
 *   npx tsx keeper/src/cli.ts run --config keeper.config.json
 *
 *   npx tsx keeper/src/cli.ts scan --config keeper.config.json [--limit 20]
 *   npx tsx keeper/src/cli.ts account 0x… --config keeper.config.json
 *   npx tsx keeper/src/cli.ts unwind --config keeper.config.json --deployment deployments/localhost.json --max-loss-usd 500
 *   npx tsx keeper/src/cli.ts risk propose --config keeper.config.json [--static ignition/parameters/spec-v1.json] [--send]
 */
import { Command, InvalidArgumentError } from "commander";
import { parseUnits } from "viem";

import { connect } from "../../client/src/client.js";
import { loadDeploymentFile } from "../../client/src/deploymentFile.js";

import { createKeeperClient, createKeeperTransport } from "./client.js";
import { createPublicClient, createWalletClient, defineChain, http } from "viem";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { parseDeploymentConfig } from "../../ignition/modules/deploymentConfig.js";

import { accountCommand } from "./commands/account.js";
import { formatProposals, proposeScans, sendScanUpdates } from "./commands/riskPropose.js";
import { initCommand } from "./commands/init.js";
import { runCommand } from "./commands/run.js";
import { scanCommand } from "./commands/scan.js";
import { unwindCommand } from "./commands/unwind.js";
import { loadConfig } from "./config/loadConfig.js";
import { ConfigError, KeeperError, redact } from "./errors.js";
import { createLogger } from "./log.js";
import { loadSigner } from "./send/loadSigner.js";

/** The spec's default parameter file (its scans are the static v1 scans). */
const DEFAULT_CONFIG_PATH = fileURLToPath(new URL("../../ignition/parameters/spec-v1.json", import.meta.url));

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a whole number > 0");
  return n;
}

async function setup(configPath: string) {
  const config = loadConfig(configPath);
  const logger = createLogger({ level: config.logLevel });
  const client = await createKeeperClient(config);
  return { config, logger, client };
}

const program = new Command()
  .name("keeper")
  .description("Off-chain keeper of the portfolio-margin vault")
  .showHelpAfterError();

program
  .command("init")
  .description("write a keeper config from an Ignition deployment (vault address and deployment block)")
  .requiredOption("-d, --deployment <dir>", "the Ignition deployment directory, e.g. ignition/deployments/chain-31337")
  .option("-r, --rpc-url <url>", "the node's JSON-RPC endpoint", "http://127.0.0.1:8545")
  .option("-m, --module <id>", "the Ignition module id", "PortfolioMargin")
  .option("-o, --out <path>", "the config file to write", "keeper.config.json")
  .option("--private-key-env <NAME>", "the environment variable holding the key (writes mode \"run\")")
  .option("--force", "overwrite --out")
  .action(async (options: { deployment: string; rpcUrl: string; module: string; out: string; privateKeyEnv?: string; force?: boolean }) => {
    const client = createPublicClient({ transport: http(options.rpcUrl, { retryCount: 0 }) });
    const config = await initCommand({
      deployment: options.deployment,
      moduleId: options.module,
      rpcUrls: [options.rpcUrl],
      client,
      out: options.out,
      force: options.force,
      mode: options.privateKeyEnv === undefined ? "dry-run" : "run",
      privateKeyEnv: options.privateKeyEnv,
    });
    console.log(`wrote ${options.out}: vault ${config.vault}, chain ${config.chainId}, startBlock ${config.startBlock}, mode ${config.mode}`);
  });

program
  .command("scan")
  .description("index the vault to the head and list the accounts closest to liquidation")
  .requiredOption("-c, --config <path>", "keeper.config.json")
  .option("-n, --limit <n>", "accounts to show", positiveInt, 20)
  .action(async (options: { config: string; limit: number }) => {
    const { config, logger, client } = await setup(options.config);
    console.log(await scanCommand({ config, client, logger, limit: options.limit }));
  });

program
  .command("account")
  .description("index the vault to the head and show one account's margin breakdown")
  .argument("<address>", "the account")
  .requiredOption("-c, --config <path>", "keeper.config.json")
  .action(async (address: string, options: { config: string }) => {
    const { config, logger, client } = await setup(options.config);
    console.log(await accountCommand({ config, client, logger, account: address }));
  });

program
  .command("unwind")
  .description("close the positions taken over in liquidations through the RFQ maker, within a loss limit")
  .requiredOption("-c, --config <path>", "keeper.config.json (its key is the account unwound)")
  .requiredOption("--deployment <file>", "deployment file: the settlement contract and the maker's URL")
  .option("--maker <url>", "the RFQ maker (default: the deployment file's makerUrl)")
  .requiredOption("--max-loss-usd <usd>", "the most the unwind may lose against the oracle prices, in USD")
  .option("--dry-run", "quote and report, send nothing")
  .action(async (options: { config: string; deployment: string; maker?: string; maxLossUsd: string; dryRun?: boolean }) => {
    const config = loadConfig(options.config);
    if (config.key === undefined) throw new ConfigError("unwind needs the keeper's signing key.", { metaMessages: ["Set `key` in the config."] });
    if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(options.maxLossUsd)) throw new ConfigError(`--max-loss-usd "${options.maxLossUsd}" is not a number of USD.`);
    const file = loadDeploymentFile(options.deployment);
    const makerUrl = options.maker ?? file.makerUrl;
    if (makerUrl === undefined) throw new ConfigError("No maker URL.", { metaMessages: ["Pass --maker <url> or set makerUrl in the deployment file."] });
    const account = await loadSigner({ key: config.key });
    const pm = await connect({ rpcUrl: config.rpcUrls[0]!, addresses: { vault: config.vault, settlement: file.settlement, fromBlock: BigInt(config.startBlock) }, account });
    const result = await unwindCommand({ pm, makerUrl, maxLoss: parseUnits(options.maxLossUsd, 18), dryRun: options.dryRun });
    console.log(result.text);
  });

const risk = program.command("risk").description("risk-steward tools (docs/risk-model.md)");
risk
  .command("propose")
  .description("compute the next adaptive (v1.1) scan update of every asset from the feeds' round data; print it, or send it with --send")
  .requiredOption("-c, --config <path>", "keeper.config.json (with --send, its key must hold RISK_STEWARD_ROLE)")
  .option("--static <file>", "deployment config whose scans are the static (v1) scans, by asset id", DEFAULT_CONFIG_PATH)
  .option("--days <n>", "closes of history replayed", positiveInt, 90)
  .option("--period <seconds>", "length of one close's period (a UTC day on a real chain)", positiveInt, 86_400)
  .option("--send", "send the due updates with the config's key (otherwise only print them)")
  .action(async (options: { config: string; static: string; days: number; period: number; send?: boolean }) => {
    const { config, client } = await setup(options.config);
    const statics = parseDeploymentConfig(JSON.parse(readFileSync(options.static, "utf8"))).assets.map((a) => ({ symbol: a.symbol, scan: a.scan }));
    const result = await proposeScans({ client, vault: config.vault, statics, periods: options.days, period: options.period });
    console.log(formatProposals(result));
    if (!options.send) return;
    if (config.key === undefined) throw new ConfigError("--send needs the steward's signing key.", { metaMessages: ["Set `key` in the config (a keystore or an environment variable)."] });
    const account = await loadSigner({ key: config.key });
    const chain = defineChain({ id: config.chainId, name: `chain ${config.chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
    const wallet = createWalletClient({ account, chain, transport: createKeeperTransport(config) });
    const sent = await sendScanUpdates({ client, wallet, vault: config.vault, proposals: result.proposals });
    console.log(sent.length === 0 ? "nothing due: no update sent" : sent.map((s) => `sent setAssetScan ${s.symbol}: ${s.hash}`).join("\n"));
  });

program
  .command("run")
  .description("follow the chain and liquidate the accounts under maintenance margin (or only log, in dry-run)")
  .requiredOption("-c, --config <path>", "keeper.config.json")
  .option("--dry-run", "decide and simulate, send nothing (overrides the config's mode)")
  .action(async (options: { config: string; dryRun?: boolean }) => {
    const loaded = loadConfig(options.config);
    const config = options.dryRun ? { ...loaded, mode: "dry-run" as const } : loaded;
    const logger = createLogger({ level: config.logLevel });
    const controller = new AbortController();
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      // `on`, not `once`: a repeated signal (a supervisor, or a wrapper relaying it) must not kill the process
      // in the middle of the bookkeeping of a transaction it has just sent.
      process.on(signal, () => {
        if (controller.signal.aborted) return;
        logger.info({ signal }, "stopping: finishing the round in progress");
        controller.abort();
      });
    }
    await runCommand({ config, logger, signal: controller.signal });
  });

try {
  await program.parseAsync(process.argv);
  // A websocket transport would keep the process alive.
  process.exit(0);
} catch (error) {
  console.error(error instanceof KeeperError ? `${error.name}: ${error.message}` : redact(String(error instanceof Error ? error.stack : error)));
  process.exit(1);
}
