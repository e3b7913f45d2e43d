/**
 * `npm start -- [--from --to --prices --accounts --blocks-per-day ...]`: the whole system on a local node.
 *
 * 1. starts `hardhat node` on 127.0.0.1 (its own process group), deploys the protocol through the Ignition module
 *    with the spec's default parameters (mock tokens and feeds);
 * 2. funds a market maker, the keeper and the insurance fund, starts the RFQ maker service (`maker/`, as
 *    `npm run maker` does) on the market maker's account, and opens a few hundred accounts (hedged, pairs,
 *    directional, over-levered) that each ask it for quotes and settle them through TradeSettlement;
 * 3. starts the keeper (`npm run keeper -- run`) as a separate process and replays a window of daily closes as
 *    oracle updates, one block per step;
 * 4. closes the open positions through the same maker, settles cash, withdraws the profits, prints the report and
 *    writes it to reports/ (Markdown and SVG);
 * 5. with --keep-running, leaves the node up for a trader: writes deployments/localhost.json (read by
 *    `npm run pm`), serves the RFQ maker (`maker/`) on the market maker's account, keeps the feeds fresh, and stops
 *    on Ctrl-C.
 * Every child process is killed on exit, on error and on SIGINT.
 */
import { Command, InvalidArgumentError } from "commander";

import { buildApp, serveApp, type AppServer } from "../app/server/serve.js";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Contract } from "ethers";

import { deployProtocol, fundParticipants, openAccounts, removeDeploymentJournal, setFeeds, type Protocol } from "./chain.js";
import { cashReportLines, closeAndWithdrawProfits } from "./settle.js";
import { RUN_MAKER, startSimMaker } from "./maker.js";
import type { RunningMaker } from "../maker/src/startMaker.js";
import { answerToWad, toFeedAnswer, type InterpolationMode } from "./interpolate.js";
import { startKeeperRun, waitForKeeper, writeKeeperConfig, type KeeperProcess } from "./keeper.js";
import { VaultLedger } from "./ledger.js";
import { freePort, startLocalNode, type LocalNode } from "./node.js";
import { defaultMix, generatePortfolios, PORTFOLIO_TYPES } from "./portfolios.js";
import { loadPriceWindow, PriceFileError } from "./prices.js";
import { stage } from "./progress.js";
import { replay, type TrackedAccount } from "./replay.js";
import { reportMarkdown, reportSvg, summarize, usd, type AccountOutcome, type MarginFigures } from "./report.js";
import { createRng } from "./rng.js";
import { defaultDeploymentConfig, marginOf, riskModelOf } from "./riskModel.js";
import { keepRunning, TRADER_ACCOUNT_INDEX, type KeptRunning } from "./keepRunning.js";
import { adaptiveDeploymentConfig, createLocalSteward, STEWARD_ACCOUNT_INDEX, stewardSummary } from "./steward.js";

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return n;
  };
}

interface Options {
  from: string;
  to: string;
  prices: string;
  accounts: number;
  seed: number;
  blocksPerDay: number;
  interpolation: InterpolationMode;
  blockMs: number;
  keeperTimeoutMs: number;
  drainBlocks: number;
  out: string;
  keepRunning?: boolean;
  adaptive?: boolean;
}

const program = new Command()
  .name("start")
  .description("Run the protocol locally (node, deployment, accounts, keeper) replaying real daily closes, and report")
  .option("--from <date>", "first close of the window (YYYY-MM-DD)", "2021-05-05")
  .option("--to <date>", "last close of the window (YYYY-MM-DD)", "2021-05-25")
  .option("--prices <dir>", "directory of <ASSET>-USD_1d.csv files (datetime,...,close)", "data/prices")
  .option("--accounts <n>", "accounts to open", wholeNumber(4), 300)
  .option("--seed <n>", "random seed of the portfolios", wholeNumber(0), 1)
  .option("--blocks-per-day <n>", "oracle updates (blocks) per day", wholeNumber(1), 12)
  .option("--interpolation <mode>", "log or linear", (v) => {
    if (v !== "log" && v !== "linear") throw new InvalidArgumentError('expected "log" or "linear"');
    return v;
  }, "log")
  .option("--block-ms <ms>", "wall time the keeper gets to send after it has processed a block", wholeNumber(0), 100)
  .option("--keeper-timeout-ms <ms>", "longest wait for the keeper to process a block", wholeNumber(0), 3000)
  .option("--drain-blocks <n>", "extra blocks at the last close while accounts are under MM", wholeNumber(0), 40)
  .option("--out <dir>", "report directory", "reports")
  .option("--keep-running", "after the report, keep the node, an RFQ maker and fresh feeds up for `npm run pm` (Ctrl-C stops)")
  .option("--adaptive", "adaptive scans (v1.1): after each close a risk steward moves the scans through the registry's bounded path")
  .showHelpAfterError();

/** Child processes and files to clean up, whatever happens. */
const cleanup: { node: LocalNode | null; keeper: KeeperProcess | null; tmp: string | null; kept: KeptRunning | null; app: AppServer | null; maker: RunningMaker | null } = {
  node: null,
  keeper: null,
  tmp: null,
  kept: null,
  app: null,
  maker: null,
};

async function shutdown(): Promise<void> {
  const { keeper, node, tmp, kept, app, maker } = cleanup;
  cleanup.keeper = cleanup.node = cleanup.tmp = cleanup.kept = cleanup.app = cleanup.maker = null;
  await app?.close();
  await maker?.close();
  await kept?.stop();
  await keeper?.stop();
  await node?.stop();
  removeDeploymentJournal();
  if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
}

async function vaultMargin(vault: Contract, account: string): Promise<MarginFigures> {
  const m = await vault.accountMargin(account);
  return { equity: m.equity, maintenanceMargin: m.maintenanceMargin, initialMargin: m.initialMargin, isolatedMaintenanceMargin: m.isolatedMaintenanceMargin };
}

async function main(): Promise<number> {
  const started = Date.now();
  program.parse(process.argv);
  const options = program.opts<Options>();
  const config = options.adaptive ? adaptiveDeploymentConfig(defaultDeploymentConfig()) : defaultDeploymentConfig();
  const model = riskModelOf(config);
  const assets = model.assets.filter((a) => a !== "USD");
  // Fail on a missing or malformed price file before anything starts.
  const window = loadPriceWindow(options.prices, assets, options.from, options.to);
  const opening = Object.fromEntries(assets.map((a) => [a, toFeedAnswer(window.closes[a]![0]!)]));
  const openingWad = model.assets.map((a) => (a === "USD" ? 10n ** 18n : answerToWad(opening[a]!)));
  const plans = generatePortfolios({ model, prices: openingWad, counts: defaultMix(options.accounts), rng: createRng(options.seed) });

  let s = stage("node", 1);
  const appBuilt = buildApp(); // the web page, built while the node starts
  cleanup.node = await startLocalNode();
  s.done(cleanup.node.url);

  s = stage("deploy", 1);
  const protocol: Protocol = await deployProtocol(cleanup.node.url, config, model);
  await setFeeds(protocol, opening);
  await fundParticipants({ protocol, model, marketMakerUsd: 300_000_000n, keeperUsd: 50_000_000n, insuranceFundUsd: 2_000_000n });
  const maker = (cleanup.maker = await startSimMaker(protocol, cleanup.node.url, RUN_MAKER));
  s.done(`vault ${await protocol.vault.getAddress()}, spec §7 parameters, fund $2,000,000; RFQ maker ${maker.url}`);

  s = stage("accounts", plans.length);
  let opened = 0;
  const addresses = await openAccounts({
    protocol,
    model,
    plans,
    makerUrl: maker.url,
    onAccount: (plan) => s.update(++opened, `${plan.type}: ${plan.description}`),
  });
  const openingFigures = await Promise.all(addresses.map((a) => vaultMargin(protocol.vault, a)));
  const twinAgrees = plans.filter((p, i) => openingFigures[i]!.equity === p.margin.equity && openingFigures[i]!.maintenanceMargin === p.margin.maintenanceMargin).length;
  const counts = PORTFOLIO_TYPES.map((t) => `${plans.filter((p) => p.type === t).length} ${t}`).join(", ");
  s.done(`${counts}; vault margin = planned margin for ${twinAgrees}/${plans.length}`);

  const ledger = new VaultLedger(model, protocol.vault.interface, await Promise.all(protocol.tokens.map((t) => t.getAddress())));
  const head = await protocol.provider.getBlockNumber();
  // In chunks: one request for every log of the setup can outlast the provider's timeout on a loaded machine.
  const vaultAddress = await protocol.vault.getAddress();
  for (let from = protocol.deployBlock; from <= head; from += 500) {
    ledger.apply(await protocol.provider.getLogs({ address: vaultAddress, fromBlock: from, toBlock: Math.min(head, from + 499) }));
  }
  const usdcDecimals = model.collaterals[model.collateralOf["USD"]!]!.decimals;
  const fundStart = ((await protocol.insuranceFund.totalAssets()) as bigint) * 10n ** BigInt(18 - usdcDecimals);

  s = stage("keeper", 1);
  mkdirSync(options.out, { recursive: true });
  const base = `local-${options.from}_${options.to}`;
  cleanup.tmp = mkdtempSync(path.join(tmpdir(), "pm-local-"));
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const configPath = writeKeeperConfig(cleanup.tmp, {
    rpcUrl: cleanup.node.url,
    vault: await protocol.vault.getAddress(),
    chainId: Number(protocol.chainId),
    startBlock: protocol.deployBlock,
    dbPath: path.join(cleanup.tmp, "keeper-state.sqlite"),
    metricsPort,
    pollIntervalMs: 100,
  });
  const keeperLog = path.join(options.out, `${base}.keeper.log`);
  cleanup.keeper = startKeeperRun(configPath, protocol.keeperPrivateKey, keeperLog);
  // The keeper indexes the setup blocks first; the replay starts when it has caught up with the head.
  const caughtUp = await waitForKeeper(cleanup.keeper, metricsUrl, await protocol.provider.getBlockNumber(), 120_000, 20_000);
  s.done(
    cleanup.keeper.exit
      ? `keeper exited at start (code ${cleanup.keeper.exit.code}), see ${keeperLog}`
      : `npm run keeper -- run (log ${keeperLog})${caughtUp ? ", indexed to the head" : `; no keeper_last_block_processed at ${metricsUrl}: fixed pacing`}`,
  );

  await appBuilt;
  cleanup.app = await serveApp({
    rpcUrl: cleanup.node.url,
    vault: (await protocol.vault.getAddress()) as `0x${string}`,
    settlement: (await protocol.settlement.getAddress()) as `0x${string}`,
    startBlock: protocol.deployBlock,
    keeperMetricsUrl: metricsUrl,
  });
  console.log(`\nweb page: ${cleanup.app.url}#/protocol  (live during the replay: accounts nearest liquidation, what-if, stress)\n`);

  const tracked: TrackedAccount[] = addresses.map((address, i) => ({ address, type: plans[i]!.type }));
  tracked.push({ address: await protocol.marketMaker.getAddress(), type: "market maker" });
  const steps = (window.dates.length - 1) * options.blocksPerDay + 1;
  const steward = options.adaptive ? createLocalSteward({ rpcUrl: cleanup.node.url, vault: await protocol.vault.getAddress(), model, config }) : null;
  await steward?.startDay();
  s = stage("replay", steps);
  const record = await replay({
    protocol,
    model,
    ledger,
    window,
    stepsPerDay: options.blocksPerDay,
    mode: options.interpolation,
    blockMs: options.blockMs,
    keeperMetricsUrl: caughtUp ? metricsUrl : null,
    keeperTimeoutMs: options.keeperTimeoutMs,
    maxDrainBlocks: options.drainBlocks,
    accounts: tracked,
    keeper: cleanup.keeper,
    onStep: (step, total, info) => s.update(Math.min(step, total), info),
    onClose: steward === null ? undefined : async (day) => void (await steward.afterClose(day)),
  });
  s.done(`${record.blocks.length} blocks, ${record.liquidations.length} liquidations`);
  if (steward !== null) {
    console.log(`adaptive scans (v1.1): ${steward.updates.length} updates through the steward path (account #${STEWARD_ACCOUNT_INDEX}); ${stewardSummary(steward, config, model) || "no scan moved"}`);
  }

  s = stage("report", 1);
  const keeper = cleanup.keeper;
  const keeperStoppedEarly = keeper.exit !== null;
  const keeperStatus = keeper.exit
    ? `**the keeper process exited during the run** (code ${keeper.exit.code}); its last output:\n\n\`\`\`\n${keeper.tail()}\n\`\`\``
    : `\`npm run keeper -- run\` ran against the node for the whole replay (separate process, its own key and SQLite state); ` +
      `${record.keeperLate} of ${record.blocks.length} blocks were mined before it reported them processed.`;
  await keeper.stop();
  const finalFigures = await Promise.all(addresses.map((a) => vaultMargin(protocol.vault, a)));
  const finalWad = model.assets.map((a) => (a === "USD" ? 10n ** 18n : answerToWad(toFeedAnswer(record.prices[a]!.at(-1)!))));
  const matches = addresses.filter((a, i) => {
    const m = marginOf(model, ledger.state(a), finalWad);
    return m.equity === finalFigures[i]!.equity && m.maintenanceMargin === finalFigures[i]!.maintenanceMargin;
  }).length;
  const fundEnd = ((await protocol.insuranceFund.totalAssets()) as bigint) * 10n ** BigInt(18 - usdcDecimals);
  const [, unbacked] = (await protocol.vault.insurance()) as [string, bigint];
  const accounts: AccountOutcome[] = addresses.map((address, i) => ({
    address: address.toLowerCase(),
    type: plans[i]!.type,
    opening: openingFigures[i]!,
    final: finalFigures[i]!,
  }));
  const summary = summarize({
    accounts,
    liquidations: record.liquidations.filter((l) => accounts.some((a) => a.address === l.account)),
    badDebts: ledger.badDebts,
    firstUnder: record.firstUnder,
    fundStart,
    fundEnd,
    unbackedBadDebt: unbacked,
    fundTokenDecimals: usdcDecimals,
  });
  // Every account still open closes at the end prices; whoever closed in profit withdraws it in USDC.
  const cashOutcome = await closeAndWithdrawProfits(protocol, model, addresses, maker.url);
  await maker.close();
  cleanup.maker = null;
  const wallSeconds = (Date.now() - started) / 1000;
  const title = `Local run, ${options.from} .. ${options.to}`;
  const chartFile = `${base}.svg`;
  const markdown = reportMarkdown(summary, {
    title,
    window: `${options.from} .. ${options.to}`,
    pricesDir: options.prices,
    stepsPerDay: options.blocksPerDay,
    mode: options.interpolation,
    blocks: record.blocks.length,
    drainBlocks: record.drainBlocks,
    accounts: addresses.length,
    seed: options.seed,
    wallSeconds,
    keeperStatus,
    ledgerCheck: `the event ledger's twin margin equals \`vault.accountMargin\` (E and MM) for ${matches}/${addresses.length} accounts at the end; at opening the vault matched the planned margin for ${twinAgrees}/${plans.length}.`,
    chartFile,
    cashLines: cashReportLines(cashOutcome),
  });
  writeFileSync(path.join(options.out, `${base}.md`), markdown);
  writeFileSync(path.join(options.out, chartFile), reportSvg(record, title, [...PORTFOLIO_TYPES, "market maker"]));
  s.done(path.join(options.out, `${base}.md`));

  console.log("");
  console.log(markdown.split("\n## Capital")[0]!.replace(/\n\n+/g, "\n").trim());
  for (const t of summary.types) {
    console.log(`  ${t.type.padEnd(12)} ${String(t.accounts).padStart(4)} accounts  MM ${usd(t.mm).padStart(14)}  isolated MM ${usd(t.isolatedMm).padStart(14)}  MM/ISO_MM ${t.mmOverIsolated.toFixed(3)}  liquidated ${t.liquidatedAccounts}`);
  }
  console.log(`\nreport: ${path.join(options.out, `${base}.md`)}  chart: ${path.join(options.out, chartFile)}  keeper log: ${keeperLog}  (${wallSeconds.toFixed(0)} s)`);
  if (keeperStoppedEarly) {
    console.error("\nThe keeper process did not run the whole replay (see above): liquidations are missing from this run.");
    return 2;
  }
  if (options.keepRunning) {
    cleanup.kept = await keepRunning(protocol, cleanup.node.url);
    // The keeper goes on liquidating (its state file is kept): a trader's over-levered account is liquidated too.
    const keptLog = path.join(options.out, `${base}.keeper-kept-running.log`);
    cleanup.keeper = startKeeperRun(configPath, protocol.keeperPrivateKey, keptLog);
    cleanup.app?.setMakerUrl(cleanup.kept.maker.url);
    console.log(
      [
        "",
        `Kept running: node ${cleanup.node.url}, RFQ maker ${cleanup.kept.maker.url}, keeper (log ${keptLog}), deployment file ${cleanup.kept.deploymentFile}.`,
        `Trade as the node's account #${TRADER_ACCOUNT_INDEX} (a public Hardhat test key, local only):`,
        `  export PM_PRIVATE_KEY=${cleanup.kept.traderKey}`,
        "  npm run pm -- faucet 10000 USDC && npm run pm -- deposit 10000 USDC && npm run pm -- trade ETH buy 2 && npm run pm -- account",
        `Or in the browser: ${cleanup.app?.url}#/account (pick dev account #${TRADER_ACCOUNT_INDEX}; reload the page to trade through the maker).`,
        "Ctrl-C stops the node, the maker, the keeper and the page.",
      ].join("\n"),
    );
    await new Promise<never>(() => {});
  }
  return 0;
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping the node and the keeper...`);
    void shutdown().finally(() => process.exit(130));
  });
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(
    error instanceof PriceFileError ? `\nprice file error: ${error.message}` : `\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  code = 1;
} finally {
  await shutdown();
}
process.exit(code);
