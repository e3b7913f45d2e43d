/**
 * `npm run calibrate -- --assets AVAX,BNB [--prices DIR --from --to --base --out]`: derives scans, correlations,
 * add-ons and haircuts from daily closes (docs/risk-model.md), and writes an Ignition parameter file, a Markdown
 * report and an SVG chart. On bad input it prints one line naming the file and the row, exits 1 and writes nothing.
 */
import { Command, CommanderError } from "commander";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { calibrate, calibrationWindow, configToJson } from "./calibrate.js";
import { baseValuesOf, calibrationMarkdown, calibrationSvg, scanDifference, wad } from "./calibrateReport.js";
import { loadPriceFile, priceFileName, PriceFileError } from "./prices.js";
import { checkRegistryBounds } from "./registryBounds.js";

/** Where `runCalibrate` prints. */
export interface CalibrateOutput {
  log: (line: string) => void;
  error: (line: string) => void;
}

function command(): Command {
  return new Command()
    .name("calibrate")
    .description("Calibrate risk parameters of any asset from its daily closes (docs/risk-model.md)")
    .requiredOption("--assets <list>", "comma-separated assets, each with <ASSET>-USD_1d.csv in --prices")
    .option("--prices <dir>", "directory of <ASSET>-USD_1d.csv files (datetime,close)", "data/prices")
    .option("--from <date>", "first close (YYYY-MM-DD); default: the first day every file covers")
    .option("--to <date>", "last close (YYYY-MM-DD); default: the last day every file covers")
    .option("--base <file>", "deployment config to extend (USD, USDC, liquidation settings; listed assets keep tokens and caps)", DEFAULT_CONFIG_PATH)
    .option("--out <dir>", "directory of the parameter file and the report", "reports")
    .showHelpAfterError()
    .exitOverride();
}

function calibrateCommand(argv: readonly string[], log: (line: string) => void): void {
  const program = command();
  program.parse(argv, { from: "user" });
  const options = program.opts<{ assets: string; prices: string; from?: string; to?: string; base: string; out: string }>();
  const assets = [...new Set(options.assets.split(",").map((a) => a.trim().toUpperCase()).filter(Boolean))];
  if (assets.length === 0) throw new Error("--assets: name at least one asset");
  if (assets.includes("USD")) throw new Error("--assets: USD is the unit of account (its scan comes from --base)");
  const base = parseDeploymentConfig(JSON.parse(readFileSync(options.base, "utf8")));
  const window = calibrationWindow(
    assets.map((a) => loadPriceFile(priceFileName(options.prices, a), a)),
    options.from,
    options.to,
  );
  const calibration = calibrate(window, base);
  const problems = checkRegistryBounds(calibration.config);
  if (problems.length > 0) throw new Error(`the calibrated config breaks RiskRegistry's bounds: ${problems.join("; ")}`);

  // Everything is computed and checked: only now is anything written.
  const name = `calibration-${calibration.from}_${calibration.to}`;
  const paramsFile = path.join(options.out, `${name}.json`);
  const chartFile = `${name}.svg`;
  const markdown = calibrationMarkdown({ calibration, pricesDir: options.prices, baseFile: options.base, base, paramsFile, chartFile });
  const svg = calibrationSvg(calibration, window);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(paramsFile, configToJson(calibration.config));
  writeFileSync(path.join(options.out, `${name}.md`), markdown);
  writeFileSync(path.join(options.out, chartFile), svg);

  log(`calibrate ${calibration.from} .. ${calibration.to} (${calibration.returns} daily returns), ${assets.join(",")}:`);
  for (const a of calibration.assets) {
    const b = baseValuesOf(base, a.asset);
    const versus = b ? `base ${wad(b.scan)}, ${(scanDifference(a.scan, b.scan) * 100).toFixed(1).padStart(5)}%` : "new asset";
    log(
      `  ${a.asset.padEnd(6)} scan ${(Number(a.scan) / 1e18).toFixed(2)} (${versus})  ${a.binding.padEnd(14)} up ${(a.upMove * 100).toFixed(1)}% down ${(a.downMove * 100).toFixed(1)}% stressed ${(a.stressedFloor * 100).toFixed(1)}%  k ${wad(a.k)} h ${wad(a.haircut)}`,
    );
  }
  for (const p of calibration.pairs) {
    log(`  ${`${p.a}/${p.b}`.padEnd(10)} rho ${(Number(p.rho) / 1e18).toFixed(2)} (sample ${p.sample.toFixed(3)}; low ${wad(p.low)}, high ${wad(p.high)})`);
  }
  log(`parameters: ${paramsFile}, report: ${path.join(options.out, `${name}.md`)}, chart: ${path.join(options.out, chartFile)}`);
}

/**
 * Runs `calibrate` with command-line arguments (after the script name).
 *
 * @returns The exit code: 0, or 1 after one line on `output.error` (nothing written).
 * @example runCalibrate(["--assets", "AVAX", "--prices", "data/new"])
 */
export function runCalibrate(argv: readonly string[], output: CalibrateOutput = { log: console.log, error: console.error }): number {
  try {
    calibrateCommand(argv, output.log);
    return 0;
  } catch (error) {
    // Commander has printed its own usage error already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    const message = error instanceof Error ? error.message : String(error);
    output.error(error instanceof PriceFileError ? `calibrate: price file error: ${message}` : `calibrate: ${message.replace(/\n\s*/g, " ")}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = runCalibrate(process.argv.slice(2));
