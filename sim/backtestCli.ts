/**
 * `npm run backtest -- [--from --to --assets --prices --random --seed --out]`: the margin model against history
 * with the keeper's bigint twin (no chain). Prints coverage and MM / isolated MM and writes a Markdown report and
 * an SVG chart to the output directory.
 */
import { Command, InvalidArgumentError } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { backtest, randomPortfolios, typicalPortfolios } from "./backtest.js";
import { backtestMarkdown, backtestSvg } from "./backtestReport.js";
import { loadPriceWindow, PriceFileError } from "./prices.js";
import { createRng } from "./rng.js";
import { defaultDeploymentConfig, riskModelOf } from "./riskModel.js";

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number >= 0");
  return n;
}

const program = new Command()
  .name("backtest")
  .description("Backtest the portfolio margin model on daily closes (no chain needed)")
  .option("--from <date>", "first close (YYYY-MM-DD)", "2020-04-10")
  .option("--to <date>", "last close (YYYY-MM-DD)", "2023-12-31")
  .option("--assets <list>", "comma-separated assets", "BTC,ETH,SOL,LINK,DOGE")
  .option("--prices <dir>", "directory of <ASSET>-USD_1d.csv files", "data/prices")
  .option("--random <n>", "random portfolios", wholeNumber, 200)
  .option("--seed <n>", "random seed", wholeNumber, 1)
  .option("--out <dir>", "report directory", "reports")
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse(process.argv);
  const options = program.opts<{ from: string; to: string; assets: string; prices: string; random: number; seed: number; out: string }>();
  const model = riskModelOf(defaultDeploymentConfig());
  const assets = options.assets.split(",").map((a) => a.trim().toUpperCase()).filter(Boolean);
  for (const a of assets) {
    if (model.marketOf[a] === undefined) throw new Error(`--assets: ${a} is not a listed asset (${model.assets.slice(1).join(", ")})`);
  }
  const window = loadPriceWindow(options.prices, assets, options.from, options.to);
  const portfolios = [...typicalPortfolios(assets), ...randomPortfolios(assets, options.random, createRng(options.seed))];
  const started = Date.now();
  const result = backtest(model, window, portfolios);

  mkdirSync(options.out, { recursive: true });
  const base = `backtest-${options.from}_${options.to}`;
  const chartFile = `${base}.svg`;
  const markdown = backtestMarkdown({ result, window, pricesDir: options.prices, chartFile, seed: options.seed, random: options.random });
  writeFileSync(path.join(options.out, `${base}.md`), markdown);
  writeFileSync(path.join(options.out, chartFile), backtestSvg(result, window));

  console.log(`backtest ${options.from} .. ${options.to}, ${assets.join(",")}: ${portfolios.length} portfolios x ${result.dates.length} days (${Date.now() - started} ms)`);
  for (const f of result.families) {
    console.log(
      `  ${f.family.padEnd(12)} coverage ${(f.coverage * 100).toFixed(2).padStart(6)}%  breaches ${String(f.observations - f.covered).padStart(5)}  MM/ISO_MM ${f.mmOverIsolated.toFixed(3)}  worst loss/MM ${f.worstLossOverMm.toFixed(2)}`,
    );
  }
  console.log(`  ${"all".padEnd(12)} coverage ${(result.total.coverage * 100).toFixed(2).padStart(6)}%  MM/ISO_MM ${result.total.mmOverIsolated.toFixed(3)}`);
  console.log(`report: ${path.join(options.out, `${base}.md`)}, chart: ${path.join(options.out, chartFile)}`);
}

try {
  await main();
} catch (error) {
  console.error(error instanceof PriceFileError ? `price file error: ${error.message}` : `backtest failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
