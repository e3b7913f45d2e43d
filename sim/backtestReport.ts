/** The backtest's Markdown report and SVG chart. */
import { formatUnits } from "viem";

import type { AdaptiveScanParameters, AdaptiveSchedule } from "./adaptive.js";
import type { BacktestResult, FamilyResult } from "./backtest.js";
import type { PriceWindow } from "./prices.js";
import { closesPanel, PALETTE, renderChart } from "./svg.js";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : "–");

/** v1.1's result beside v1's. */
export interface AdaptiveReport {
  result: BacktestResult;
  schedule: AdaptiveSchedule;
  parameters: AdaptiveScanParameters;
}

/** Options of `backtestMarkdown`. */
export interface BacktestReportParameters {
  result: BacktestResult;
  adaptive?: AdaptiveReport;
  window: PriceWindow;
  /** Where the parameters come from (a file, or a calibration window). @default "spec §7 default parameters" */
  parameters?: string;
  pricesDir: string;
  chartFile: string;
  seed: number;
  random: number;
}

/** The report as Markdown. */
export function backtestMarkdown(parameters: BacktestReportParameters): string {
  const { result, window, adaptive } = parameters;
  const worst = (f: FamilyResult) => f.worstDays.map((d) => `${d.date} ${d.portfolio} (${num(d.lossOverMm, 2)})`).join("; ") || "no loss";
  const adaptiveLines = adaptive
    ? [
        "",
        `## Static v1 beside adaptive v1.1`,
        "",
        `v1.1: EWMA volatility (lambda ${adaptive.parameters.lambda}), scan = clamp(${adaptive.parameters.multiplier} sigma, ` +
          `${adaptive.parameters.floor}x, ${adaptive.parameters.cap}x the static scan), moved through the steward path: at most ` +
          `${formatUnits(adaptive.parameters.maxStep * 100n, 18)}% of the scan per update, at most every ${adaptive.parameters.minInterval / 3600} h ` +
          `(${adaptive.schedule.updates} updates in the window). MM / ISO_MM divides by the static isolated margin in both columns.`,
        "",
        "| family | v1 coverage | v1.1 coverage | v1 breaches | v1.1 breaches | v1 median MM / ISO_MM | v1.1 median MM / ISO_MM | v1 mean | v1.1 mean |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ...[...result.families, { ...result.total, family: "all" }].map((f, i) => {
          const g = i < result.families.length ? adaptive.result.families[i]! : { ...adaptive.result.total, family: "all" };
          return (
            `| ${f.family} | ${pct(f.coverage)} | ${pct(g.coverage)} | ${f.observations - f.covered} | ${g.observations - g.covered} | ` +
            `${num(f.medianMmOverIsolated)} | ${num(g.medianMmOverIsolated)} | ${num(f.mmOverIsolated)} | ${num(g.mmOverIsolated)} |`
          );
        }),
        "",
        "Worst days under v1.1 (opening close, portfolio, loss to the next close / MM):",
        "",
        ...adaptive.result.families.map((f) => `- ${f.family}: ${worst(f)}`),
      ]
    : [];
  const lines = [
    `# Margin model backtest, ${window.dates[0]} .. ${window.dates[window.dates.length - 1]}`,
    "",
    `Assets ${window.assets.join(", ")}; daily closes from \`${parameters.pricesDir}\`; ${parameters.parameters ?? "spec §7 default parameters"}; ` +
      `${result.portfolios.length} portfolios (typical ones and ${parameters.random} random, seed ${parameters.seed}), ` +
      `${result.dates.length} days each. Each portfolio is opened at every close with the same USD notionals; ` +
      "MM is computed at that close with the keeper's bigint twin and compared with the loss to the next close.",
    "",
    `**Coverage ${pct(result.total.coverage)}** (${result.total.covered} of ${result.total.observations} portfolio-days with loss <= MM); ` +
      `mean MM / isolated MM ${num(result.total.mmOverIsolated)}.`,
    "",
    "| family | portfolios | portfolio-days | coverage | breaches | mean MM / ISO_MM | median MM / ISO_MM | worst loss / MM |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...result.families.map(
      (f) =>
        `| ${f.family} | ${f.portfolios} | ${f.observations} | ${pct(f.coverage)} | ${f.observations - f.covered} | ${num(f.mmOverIsolated)} | ${num(f.medianMmOverIsolated)} | ${num(f.worstLossOverMm, 2)} |`,
    ),
    "",
    "Worst days (opening close, portfolio, loss to the next close / MM):",
    "",
    ...result.families.map((f) => `- ${f.family}: ${worst(f)}`),
    ...adaptiveLines,
    "",
    "Typical portfolios ($100k per leg):",
    "",
    "| portfolio | coverage | breaches | mean MM / ISO_MM | worst loss / MM |",
    "|---|---:|---:|---:|---:|",
    ...result.portfolios
      .filter((r) => r.portfolio.family !== "random")
      .map((r) => `| ${r.portfolio.name} | ${pct(r.coverage)} | ${r.days.length - r.covered} | ${num(r.mmOverIsolated)} | ${num(r.worstLossOverMm, 2)} |`),
    "",
    `![chart](${parameters.chartFile})`,
    "",
  ];
  return lines.join("\n");
}

/**
 * The chart: normalised prices, each family's worst daily loss / MM (a breach is above 1) and, with v1.1, each
 * asset's adaptive scan as a fraction of its static one.
 */
export function backtestSvg(result: BacktestResult, window: PriceWindow, adaptive?: AdaptiveReport): string {
  const families = result.families.map((f) => f.family);
  const worst = (family: string) =>
    result.dates.map((_, t) => {
      let w = Number.NEGATIVE_INFINITY;
      for (const r of result.portfolios) {
        if (r.portfolio.family !== family) continue;
        const d = r.days[t]!;
        if (d.mm > 0n) w = Math.max(w, Number((d.loss * 1_000_000n) / d.mm) / 1e6);
      }
      return w;
    });
  return renderChart({
    title: `Margin model backtest ${window.dates[0]} .. ${window.dates[window.dates.length - 1]}`,
    xLabels: result.dates,
    panels: [
      closesPanel(window.assets, Object.fromEntries(window.assets.map((a) => [a, window.closes[a]!.slice(0, result.dates.length)]))),
      {
        title: "Worst loss to the next close / MM, per family (above 1 = MM breached)",
        yMin: -1,
        yMax: 2,
        hLines: [{ y: 1, label: "loss = MM", color: "#d62728" }],
        series: families.map((f, i) => ({ name: f, color: PALETTE[i % PALETTE.length]!, values: worst(f) })),
      },
      ...(adaptive
        ? [
            {
              title: "v1.1 scan / static scan (through the steward path's steps)",
              yMin: 0.4,
              yMax: 1.35,
              hLines: [{ y: 1, label: "static v1", color: "#7f7f7f" }],
              series: window.assets.map((a, i) => {
                const path = adaptive.schedule.paths[a]!;
                const offset = path.scan.length - window.dates.length;
                const base = Number(path.scan[0]!);
                return { name: a, color: PALETTE[i % PALETTE.length]!, values: result.dates.map((_, t) => Number(path.scan[offset + t]!) / base) };
              }),
            },
          ]
        : []),
    ],
  });
}
