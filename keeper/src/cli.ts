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
 */
import { Command, InvalidArgumentError } from "commander";
import { parseUnits } from "viem";

import { connect } from "../../client/src/client.js";
import { loadDeploymentFile } from "../../client/src/deploymentFile.js";

import { createKeeperClient } from "./client.js";
import { createPublicClient, http } from "viem";

import { accountCommand } from "./commands/account.js";
import { initCommand } from "./commands/init.js";
import { runCommand } from "./commands/run.js";
import { scanCommand } from "./commands/scan.js";
import { unwindCommand } from "./commands/unwind.js";
import { loadConfig } from "./config/loadConfig.js";
import { ConfigError, KeeperError, redact } from "./errors.js";
import { createLogger } from "./log.js";
import { loadSigner } from "./send/loadSigner.js";

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
