/**
 * Hand-written SVG line charts: stacked panels sharing one x axis, each with its own y range, optional
 * horizontal reference lines and vertical markers. No dependency; the output is a standalone .svg file.
 */

/** One line of a panel; `y` values are plotted against the index (x = 0 .. n-1); NaN breaks the line. */
export interface Series {
  name: string;
  color: string;
  values: readonly number[];
  dashed?: boolean;
}

/** One panel. */
export interface Panel {
  title: string;
  yLabel?: string;
  series: Series[];
  /** Horizontal reference lines. */
  hLines?: { y: number; label: string; color?: string }[];
  /** Vertical markers at x indices (e.g. liquidations). */
  markers?: { x: number; color?: string }[];
  /** Fixed y range; otherwise from the data (and reference lines). */
  yMin?: number;
  yMax?: number;
  /** Log-scale y axis (values must be > 0). */
  log?: boolean;
}

/** A chart: panels stacked vertically over x labels. */
export interface Chart {
  title: string;
  /** Label of each x index (shown at a few ticks). */
  xLabels: readonly string[];
  panels: Panel[];
  width?: number;
  panelHeight?: number;
}

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A short number label: 1.2k, 3.4M, 0.05. */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${+(value / 1e9).toPrecision(3)}B`;
  if (abs >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${+(value / 1e3).toPrecision(3)}k`;
  return `${+value.toPrecision(3)}`;
}

/**
 * Renders a chart as SVG text.
 *
 * @param chart Panels, x labels, size.
 * @returns The SVG document.
 * @example renderChart({ title: "t", xLabels: ["a", "b"], panels: [{ title: "p", series: [{ name: "s", color: "#000", values: [1, 2] }] }] })
 */
export function renderChart(chart: Chart): string {
  const width = chart.width ?? 960;
  const panelHeight = chart.panelHeight ?? 260;
  const left = 70;
  const right = 170;
  const top = 40;
  const gap = 46;
  const plotWidth = width - left - right;
  const n = Math.max(chart.xLabels.length, 2);
  const height = top + chart.panels.length * (panelHeight + gap) + 20;
  const x = (i: number) => left + (i / (n - 1)) * plotWidth;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];

  chart.panels.forEach((panel, p) => {
    const y0 = top + p * (panelHeight + gap) + 18;
    const plotHeight = panelHeight - 18;
    const finite = panel.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v) && (!panel.log || v > 0)));
    const refs = (panel.hLines ?? []).map((h) => h.y);
    let lo = panel.yMin ?? Math.min(...finite, ...refs);
    let hi = panel.yMax ?? Math.max(...finite, ...refs);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
    if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
    const t = (v: number) => (panel.log ? Math.log(v) : v);
    const [tl, th] = [t(lo), t(hi)];
    const y = (v: number) => y0 + plotHeight - ((t(Math.min(Math.max(v, lo), hi)) - tl) / (th - tl)) * plotHeight;

    out.push(`<text x="${left}" y="${y0 - 6}" font-size="12" font-weight="bold">${escapeXml(panel.title)}</text>`);
    out.push(`<rect x="${left}" y="${y0}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = panel.log ? Math.exp(tl + ((th - tl) * k) / 4) : lo + ((hi - lo) * k) / 4;
      const yy = y(v);
      out.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" stroke="#eee"/>`);
      out.push(`<text x="${left - 6}" y="${(yy + 4).toFixed(1)}" text-anchor="end">${formatTick(v)}</text>`);
    }
    if (panel.yLabel) {
      out.push(`<text transform="translate(14 ${y0 + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`);
    }
    for (const m of panel.markers ?? []) {
      out.push(`<line x1="${x(m.x).toFixed(1)}" x2="${x(m.x).toFixed(1)}" y1="${y0}" y2="${y0 + plotHeight}" stroke="${m.color ?? "#d62728"}" stroke-opacity="0.35"/>`);
    }
    for (const h of panel.hLines ?? []) {
      const yy = y(h.y).toFixed(1);
      out.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${yy}" y2="${yy}" stroke="${h.color ?? "#000"}" stroke-dasharray="6 3"/>`);
      out.push(`<text x="${left + plotWidth - 4}" y="${Number(yy) - 4}" text-anchor="end">${escapeXml(h.label)}</text>`);
    }
    panel.series.forEach((s, k) => {
      let d = "";
      let pen = false;
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v) || (panel.log && v <= 0)) {
          pen = false;
          return;
        }
        d += `${pen ? "L" : "M"}${x(i).toFixed(1)} ${y(v).toFixed(1)} `;
        pen = true;
      });
      out.push(`<path d="${d.trim()}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="4 3"' : ""}/>`);
      const ly = y0 + 10 + k * 16;
      out.push(`<line x1="${left + plotWidth + 12}" x2="${left + plotWidth + 30}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ""}/>`);
      out.push(`<text x="${left + plotWidth + 36}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
    });
    if ((panel.markers ?? []).length > 0) {
      const ly = y0 + 10 + panel.series.length * 16;
      out.push(`<line x1="${left + plotWidth + 20}" x2="${left + plotWidth + 20}" y1="${ly - 6}" y2="${ly + 6}" stroke="#d62728"/>`);
      out.push(`<text x="${left + plotWidth + 36}" y="${ly + 4}">liquidation</text>`);
    }
  });

  const bottom = top + chart.panels.length * (panelHeight + gap) - gap + 18 + 14;
  const ticks = Math.min(8, chart.xLabels.length);
  for (let k = 0; k < ticks; k++) {
    const i = Math.round((k * (chart.xLabels.length - 1)) / Math.max(ticks - 1, 1));
    out.push(`<text x="${x(i).toFixed(1)}" y="${bottom}" text-anchor="middle">${escapeXml(chart.xLabels[i] ?? "")}</text>`);
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/**
 * A panel of several assets' closes, each scaled to 100 on its first close, on a log scale.
 *
 * @param assets The assets, in legend order.
 * @param closes Closes by asset, each as long as the chart's x axis.
 */
export function closesPanel(assets: readonly string[], closes: Record<string, readonly number[]>): Panel {
  return {
    title: "Closes (first day = 100, log scale)",
    log: true,
    series: assets.map((a, i) => ({ name: a, color: PALETTE[i % PALETTE.length]!, values: closes[a]!.map((c) => (100 * c) / closes[a]![0]!) })),
  };
}
