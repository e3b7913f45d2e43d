/** The backtest's Markdown report and SVG chart. */
import type { BacktestResult } from "./backtest.js";
import type { PriceWindow } from "./prices.js";
import { PALETTE, renderChart } from "./svg.js";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : "–");

/** Options of `backtestMarkdown`. */
export interface BacktestReportParameters {
  result: BacktestResult;
  window: PriceWindow;
  pricesDir: string;
  chartFile: string;
  seed: number;
  random: number;
}

/** The report as Markdown. */
export function backtestMarkdown(parameters: BacktestReportParameters): string {
  const { result, window } = parameters;
  const lines = [
    `# Margin model backtest, ${window.dates[0]} .. ${window.dates[window.dates.length - 1]}`,
    "",
    `Assets ${window.assets.join(", ")}; daily closes from \`${parameters.pricesDir}\`; spec §7 default parameters; ` +
      `${result.portfolios.length} portfolios (typical ones and ${parameters.random} random, seed ${parameters.seed}), ` +
      `${result.dates.length} days each. Each portfolio is opened at every close with the same USD notionals; ` +
      "MM is computed at that close with the keeper's bigint twin and compared with the loss to the next close.",
    "",
    `**Coverage ${pct(result.total.coverage)}** (${result.total.covered} of ${result.total.observations} portfolio-days with loss <= MM); ` +
      `mean MM / isolated MM ${num(result.total.mmOverIsolated)}.`,
    "",
    "| family | portfolios | portfolio-days | coverage | breaches | mean MM / ISO_MM | worst loss / MM |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...result.families.map(
      (f) =>
        `| ${f.family} | ${f.portfolios} | ${f.observations} | ${pct(f.coverage)} | ${f.observations - f.covered} | ${num(f.mmOverIsolated)} | ${num(f.worstLossOverMm, 2)} |`,
    ),
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

/** The chart: normalised prices, and each family's worst daily loss / MM (a breach is above 1). */
export function backtestSvg(result: BacktestResult, window: PriceWindow): string {
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
      {
        title: "Closes (first day = 100, log scale)",
        log: true,
        series: window.assets.map((a, i) => ({
          name: a,
          color: PALETTE[i % PALETTE.length]!,
          values: window.closes[a]!.slice(0, result.dates.length).map((c) => (100 * c) / window.closes[a]![0]!),
        })),
      },
      {
        title: "Worst loss to the next close / MM, per family (above 1 = MM breached)",
        yMin: -1,
        yMax: 2,
        hLines: [{ y: 1, label: "loss = MM", color: "#d62728" }],
        series: families.map((f, i) => ({ name: f, color: PALETTE[i % PALETTE.length]!, values: worst(f) })),
      },
    ],
  });
}
