/** The calibration's Markdown report and SVG chart: what it chose, and why. */
import path from "node:path";
import { formatUnits } from "viem";

import type { DeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { CALIBRATION, correlation, type AssetCalibration, type Calibration } from "./calibrate.js";
import type { PriceWindow } from "./prices.js";
import { closesPanel, PALETTE, renderChart } from "./svg.js";

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
/** A WAD amount as an exact decimal. */
export const wad = (x: bigint) => formatUnits(x, 18);

/** An asset's value in `base`, when the base lists it: scan, k and haircut (WAD). */
export interface BaseValues {
  scan: bigint;
  k?: bigint;
  haircut?: bigint;
}

/** The base config's scan, k and haircut of `asset`, or undefined when it does not list it. */
export function baseValuesOf(base: DeploymentConfig, asset: string): BaseValues | undefined {
  const a = base.assets.find((x) => x.symbol === asset);
  if (a === undefined) return undefined;
  return { scan: a.scan, k: base.markets.find((m) => m.asset === asset)?.k, haircut: base.collateral.find((c) => c.asset === asset)?.haircut };
}

/** The base config's medium correlation of a pair (0 when unlisted), or undefined when it lacks one of the assets. */
export function baseRhoOf(base: DeploymentConfig, a: string, b: string): bigint | undefined {
  if (!base.assets.some((x) => x.symbol === a) || !base.assets.some((x) => x.symbol === b)) return undefined;
  return base.correlations.find((c) => (c.a === a && c.b === b) || (c.a === b && c.b === a))?.rho ?? 0n;
}

/** The relative difference of a calibrated scan from the base's, as a signed fraction. */
export function scanDifference(scan: bigint, base: bigint): number {
  return Number(scan - base) / Number(base);
}

/** One sentence saying why the scan is what it is. */
export function scanReason(a: AssetCalibration): string {
  const moves = `up move ${pct(a.upMove)}, down move ${pct(a.downMove)}, stressed floor ${pct(a.stressedFloor)} (z x ${pct(a.stressedVolatility)} daily volatility of the year from ${a.stressedFrom})`;
  return `${a.asset}: scan ${wad(a.scan)} = the ${a.binding} rounded up to 1% (${moves}); tier ${a.tier} gives k ${wad(a.k)} and haircut ${wad(a.haircut)}.`;
}

/** Options of `calibrationMarkdown`. */
export interface CalibrationReportParameters {
  calibration: Calibration;
  pricesDir: string;
  baseFile: string;
  base: DeploymentConfig;
  paramsFile: string;
  chartFile: string;
}

/** The report as Markdown. */
export function calibrationMarkdown(parameters: CalibrationReportParameters): string {
  const { calibration: c, base } = parameters;
  const listed = (asset: string) => c.config.assets.find((a) => a.symbol === asset)!;
  const lines = [
    `# Risk calibration, ${c.from} .. ${c.to}`,
    "",
    `Assets ${c.assets.map((a) => a.asset).join(", ")}; ${c.returns} daily returns from \`${parameters.pricesDir}\`; ` +
      `base config \`${path.relative(process.cwd(), parameters.baseFile)}\`. Parameter file: \`${parameters.paramsFile}\` (every value within RiskRegistry's bounds). ` +
      "Method: docs/risk-model.md.",
    "",
    "## Scans, add-ons and haircuts",
    "",
    `Scan = max(99.5% up move, 99.5% down move, ${CALIBRATION.z.toFixed(3)} x the daily volatility of the most volatile ` +
      `${CALIBRATION.stressedDays}-day window), rounded up to 1%. k and h follow the spec's tiers: scan <= 0.15 -> 0.5% / 2%, ` +
      "each further 0.10 of scan -> +0.5% / +3%.",
    "",
    "| asset | up move | down move | stressed year from | stressed floor | binding | scan | base scan | difference | k | h | maxPrice (USD) | worst day |",
    "|---|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ...c.assets.map((a) => {
      const b = baseValuesOf(base, a.asset);
      const diff = b ? `${scanDifference(a.scan, b.scan) >= 0 ? "+" : ""}${pct(scanDifference(a.scan, b.scan), 1)}` : "new";
      return (
        `| ${a.asset} | ${pct(a.upMove)} | ${pct(a.downMove)} | ${a.stressedFrom} | ${pct(a.stressedFloor)} | ${a.binding} | ${wad(a.scan)} | ` +
        `${b ? wad(b.scan) : "–"} | ${diff} | ${wad(a.k)} | ${wad(a.haircut)} | ${wad(listed(a.asset).maxPrice)} | ${a.worstDay} (${pct(a.worstMove, 1)}) |`
      );
    }),
    "",
    ...c.assets.map((a) => `- ${scanReason(a)}`),
    "",
    "## Correlations",
    "",
    "Medium = the sample correlation of daily log returns over the whole window, rounded to 0.05; low and high are the " +
      `spec's regimes of it (max(2 rho - 1, 0.75 rho), min(1.25 rho, 1)). The rolling ${CALIBRATION.rollingDays}-day ` +
      "correlations show how far the pair moved inside the window, and how often the [low, high] band held it.",
    "",
    `| pair | sample | medium | low | high | base medium | rolling ${CALIBRATION.rollingDays}-day range | inside [low, high] |`,
    "|---|---:|---:|---:|---:|---:|---|---:|",
    ...c.pairs.map((p) => {
      const b = baseRhoOf(base, p.a, p.b);
      return (
        `| ${p.a}/${p.b} | ${p.sample.toFixed(3)} | ${wad(p.rho)} | ${wad(p.low)} | ${wad(p.high)} | ${b === undefined ? "–" : wad(b)} | ` +
        `${p.rollingMin.toFixed(2)} .. ${p.rollingMax.toFixed(2)} | ${pct(p.rollingInside, 0)} |`
      );
    }),
    "",
    `![chart](${parameters.chartFile})`,
    "",
  ];
  return lines.join("\n");
}

/** The chart: closes, daily moves against each scan, and the rolling correlations of every pair. */
export function calibrationSvg(calibration: Calibration, window: PriceWindow): string {
  const days = window.dates.slice(1);
  const moves = (a: string) => window.closes[a]!.slice(1).map((p, t) => Math.abs(p / window.closes[a]![t]! - 1));
  const L = CALIBRATION.rollingDays;
  const logReturns = (a: string) => window.closes[a]!.slice(1).map((p, t) => Math.log(p / window.closes[a]![t]!));
  const rolling = (a: string, b: string) => {
    const [x, y] = [logReturns(a), logReturns(b)];
    return days.map((_, t) => (t + 1 < L ? Number.NaN : correlation(x.slice(t + 1 - L, t + 1), y.slice(t + 1 - L, t + 1))));
  };
  return renderChart({
    title: `Risk calibration ${calibration.from} .. ${calibration.to}`,
    xLabels: days,
    panels: [
      closesPanel(window.assets, Object.fromEntries(window.assets.map((a) => [a, window.closes[a]!.slice(1)]))),
      {
        title: "One-day moves |P(t)/P(t-1) - 1| and each scan (dashed)",
        yMin: 0,
        yMax: Math.min(1, Math.max(...calibration.assets.map((a) => Number(a.scan) / 1e18)) * 2),
        hLines: calibration.assets.map((a, i) => ({ y: Number(a.scan) / 1e18, label: `${a.asset} scan ${wad(a.scan)}`, color: PALETTE[i % PALETTE.length]! })),
        series: window.assets.map((a, i) => ({ name: a, color: PALETTE[i % PALETTE.length]!, values: moves(a) })),
      },
      {
        title: `Rolling ${L}-day correlation of daily log returns`,
        yMin: -0.2,
        yMax: 1,
        series: calibration.pairs.map((p, i) => ({ name: `${p.a}/${p.b}`, color: PALETTE[i % PALETTE.length]!, values: rolling(p.a, p.b), dashed: i >= PALETTE.length })),
      },
    ],
  });
}
