/**
 * `npm run backtest -- [--params --assets --from --to --calibrate-to --test-from --prices --random --seed --out]`: the
 * margin model against history with the keeper's bigint twin (no chain), static v1 beside adaptive v1.1 (EWMA scans
 * moved through the steward path's step and interval limits). Any asset with a parameter file works; with
 * `--calibrate-to` the parameters are calibrated on the window's start and tested on the days after (out of sample).
 * Prints coverage, MM / isolated MM and the worst days per family, and writes a Markdown report and an SVG chart.
 */
import { Command, InvalidArgumentError } from "commander";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { formatUnits, parseUnits } from "viem";

import { DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig, type DeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { ADAPTIVE_DEFAULTS, adaptiveSchedule, type AdaptiveScanParameters } from "./adaptive.js";
import { backtest, correlatedPairs, randomPortfolios, typicalPortfolios, type BacktestResult, type FamilyResult } from "./backtest.js";
import { backtestMarkdown, backtestSvg } from "./backtestReport.js";
import { calibrate, calibrationWindow, configToJson } from "./calibrate.js";
import { dateOfDay, dayNumber, loadPriceFile, priceFileName, PriceFileError, selectWindow, type PriceWindow } from "./prices.js";
import { createRng } from "./rng.js";
import { riskModelOf } from "./riskModel.js";

/** Days of history before the backtest's first day that warm v1.1's EWMA up (when the files have them). */
const WARM_UP_DAYS = 60;

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number >= 0");
  return n;
}

function fraction(value: string): bigint {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("expected a fraction in [0, 1]");
  return parseUnits(value, 18);
}

const program = new Command()
  .name("backtest")
  .description("Backtest the portfolio margin model on daily closes, static v1 beside adaptive v1.1 (no chain needed)")
  .option("--params <file>", "deployment config (Ignition parameter file) whose assets are tested", DEFAULT_CONFIG_PATH)
  .option("--assets <list>", "comma-separated assets (default: every asset of --params)")
  .option("--from <date>", "first close (YYYY-MM-DD)", "2020-04-10")
  .option("--to <date>", "last close (YYYY-MM-DD)", "2023-12-31")
  .option("--calibrate-to <date>", "calibrate the parameters on --from .. this date (on top of --params), and test after it")
  .option("--test-from <date>", "first day of the out-of-sample test (default: the day after --calibrate-to)")
  .option("--prices <dir>", "directory of <ASSET>-USD_1d.csv files", "data/prices")
  .option("--random <n>", "random portfolios", wholeNumber, 200)
  .option("--seed <n>", "random seed", wholeNumber, 1)
  .option("--max-step <fraction>", "v1.1: the steward path's largest relative step per update (default: --params' governance.maxStep)", fraction)
  .option("--min-interval <seconds>", "v1.1: the least interval between two updates of a scan (default: --params' governance.minInterval)", wholeNumber)
  .option("--out <dir>", "report directory", "reports")
  .showHelpAfterError();

interface Options {
  params: string;
  assets?: string;
  from: string;
  to: string;
  calibrateTo?: string;
  testFrom?: string;
  prices: string;
  random: number;
  seed: number;
  maxStep?: bigint;
  minInterval?: number;
  out: string;
}

const pct = (x: number) => `${(x * 100).toFixed(2).padStart(6)}%`;

function familyLine(v1: FamilyResult, v11: FamilyResult | undefined): string {
  const side = (f: FamilyResult) =>
    `coverage ${pct(f.coverage)}  breaches ${String(f.observations - f.covered).padStart(4)}  MM/ISO_MM mean ${f.mmOverIsolated.toFixed(3)} median ${f.medianMmOverIsolated.toFixed(3)}`;
  return `  ${v1.family.padEnd(12)} v1 ${side(v1)}${v11 ? `  |  v1.1 ${side(v11)}` : ""}`;
}

function main(): void {
  program.parse(process.argv);
  const options = program.opts<Options>();
  if (options.testFrom !== undefined && options.calibrateTo === undefined) throw new Error("--test-from needs --calibrate-to (the end of the calibration window)");
  let config: DeploymentConfig = parseDeploymentConfig(JSON.parse(readFileSync(options.params, "utf8")));
  const listed = config.assets.slice(1).map((a) => a.symbol);
  const assets = options.assets === undefined ? listed : options.assets.split(",").map((a) => a.trim().toUpperCase()).filter(Boolean);
  // With --calibrate-to, the calibration lists every asset (on top of --params); otherwise --params must list them.
  for (const a of options.calibrateTo === undefined ? assets : []) {
    if (!listed.includes(a)) {
      throw new Error(
        `--assets: ${a} is not listed in ${path.relative(process.cwd(), options.params)} (${listed.join(", ")}); calibrate it first: ` +
          `npm run calibrate -- --assets ${a} --prices ${options.prices}, then pass --params <its parameter file>`,
      );
    }
  }
  const series = assets.map((a) => loadPriceFile(priceFileName(options.prices, a), a));

  let from = options.from;
  let calibratedNote = `parameters ${path.relative(process.cwd(), options.params)}`;
  let paramsFile: string | undefined;
  if (options.calibrateTo !== undefined) {
    const testFrom = options.testFrom ?? dateOfDay(dayNumber(options.calibrateTo) + 1);
    if (!(dayNumber(testFrom) > dayNumber(options.calibrateTo))) throw new Error(`--test-from ${testFrom} must be after --calibrate-to ${options.calibrateTo} (out of sample)`);
    const calibration = calibrate(calibrationWindow(series, options.from, options.calibrateTo), config);
    config = calibration.config;
    from = testFrom;
    paramsFile = path.join(options.out, `calibration-${calibration.from}_${calibration.to}.json`);
    calibratedNote = `parameters calibrated on ${calibration.from} .. ${calibration.to}, tested out of sample`;
  }
  const model = riskModelOf(config);

  // v1.1 warms its EWMA up on the days before the test when the files have them (the keeper reads that history too).
  const firstCommon = series.map((s) => s.closes[0]!.date).reduce((x, y) => (x > y ? x : y));
  const warmFrom = dateOfDay(Math.max(dayNumber(from) - WARM_UP_DAYS, dayNumber(firstCommon)));
  const full = selectWindow(series, warmFrom < from ? warmFrom : from, options.to);
  const start = full.dates.indexOf(from);
  const window: PriceWindow = {
    assets: full.assets,
    dates: full.dates.slice(start),
    closes: Object.fromEntries(Object.entries(full.closes).map(([a, c]) => [a, c.slice(start)])),
  };
  const adaptive: AdaptiveScanParameters = {
    ...ADAPTIVE_DEFAULTS,
    maxStep: options.maxStep ?? config.governance.maxStep,
    minInterval: options.minInterval ?? config.governance.minInterval,
  };
  const schedule = adaptiveSchedule(model.assets, model.riskParams.scan, full, start, adaptive);

  const portfolios = [...typicalPortfolios(assets, correlatedPairs(model, assets)), ...randomPortfolios(assets, options.random, createRng(options.seed))];
  const started = Date.now();
  const v1 = backtest(model, window, portfolios);
  const v11: BacktestResult = backtest(model, window, portfolios, { scans: schedule.scans });
  const elapsed = Date.now() - started;

  const base = `backtest-${from}_${options.to}`;
  const chartFile = `${base}.svg`;
  const markdown = backtestMarkdown({
    result: v1,
    adaptive: { result: v11, schedule, parameters: adaptive },
    window,
    parameters: calibratedNote,
    pricesDir: options.prices,
    chartFile,
    seed: options.seed,
    random: options.random,
  });
  mkdirSync(options.out, { recursive: true });
  if (paramsFile !== undefined) writeFileSync(paramsFile, configToJson(config));
  writeFileSync(path.join(options.out, `${base}.md`), markdown);
  writeFileSync(path.join(options.out, chartFile), backtestSvg(v1, window, { result: v11, schedule, parameters: adaptive }));

  console.log(`backtest ${from} .. ${options.to}, ${assets.join(",")} (${calibratedNote}): ${portfolios.length} portfolios x ${v1.dates.length} days (${elapsed} ms)`);
  const step = `${formatUnits(adaptive.maxStep * 100n, 18)}%`;
  console.log(
    `v1 static scans | v1.1 adaptive: EWMA lambda ${adaptive.lambda}, scan = clamp(${adaptive.multiplier} sigma, ${adaptive.floor}x, ${adaptive.cap}x static), ` +
      `steps <= ${step} at most every ${adaptive.minInterval / 3600} h (${schedule.updates} updates)`,
  );
  v1.families.forEach((f, i) => console.log(familyLine(f, v11.families[i])));
  console.log(familyLine({ ...v1.total, family: "all" }, { ...v11.total, family: "all" }));
  console.log("worst days (loss to the next close / MM):");
  v1.families.forEach((f, i) => {
    const days = (list: FamilyResult["worstDays"]) => list.map((d) => `${d.date} ${d.portfolio} ${d.lossOverMm.toFixed(2)}`).join("; ") || "no loss";
    console.log(`  ${f.family.padEnd(12)} v1   ${days(f.worstDays)}`);
    console.log(`  ${"".padEnd(12)} v1.1 ${days(v11.families[i]!.worstDays)}`);
  });
  console.log(`report: ${path.join(options.out, `${base}.md`)}, chart: ${path.join(options.out, chartFile)}${paramsFile ? `, parameters: ${paramsFile}` : ""}`);
}

try {
  main();
} catch (error) {
  console.error(error instanceof PriceFileError ? `price file error: ${error.message}` : `backtest failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
