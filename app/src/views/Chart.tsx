/** A uPlot line chart that follows its data (x: numbers, series: floats). */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartProps {
  title: string;
  x: number[];
  series: { label: string; values: (number | null)[]; stroke: string; dash?: number[] }[];
  xLabel: string;
  height?: number;
  /** x values are block numbers or percents, not times. */
  xIsTime?: boolean;
}

/** An axis tick in USD: $1.2M, $12k, $2.5k, $950. */
function money(t: number): string {
  const a = Math.abs(t);
  return `${t < 0 ? "-" : ""}$${a >= 1e6 ? `${(a / 1e6).toFixed(1)}M` : a >= 1e4 ? `${(a / 1e3).toFixed(0)}k` : a >= 1e3 ? `${(a / 1e3).toFixed(1)}k` : a.toFixed(0)}`;
}

export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label).join("|");

  useEffect(() => {
    if (host.current === null) return;
    const width = Math.max(300, host.current.clientWidth);
    plot.current = new uPlot(
      {
        title: props.title,
        width,
        height: props.height ?? 220,
        scales: { x: { time: props.xIsTime ?? false } },
        axes: [{ label: props.xLabel }, { values: (_u, ticks) => ticks.map(money), size: 70 }],
        series: [{ label: props.xLabel }, ...props.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: s.dash }))],
      },
      [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      host.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData);
  }, [props.x, props.series]);

  return <div class="chart" ref={host} />;
}
