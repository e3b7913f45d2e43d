/** The daily closes shipped in data/prices, bundled into the page at build time (Vite), and their 1- and 3-day moves. */
import { historicalMoves, parseCloses, type HistoricalMove, type PriceSeries } from "./stress.js";

const files = import.meta.glob("../../../data/prices/*-USD_1d.csv", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

let cache: { d1: HistoricalMove[]; d3: HistoricalMove[] } | null = null;

/** The 1-day and 3-day moves of every shipped series (parsed on first use, not at page load). */
export function historicalMovesOfData(): { d1: HistoricalMove[]; d3: HistoricalMove[] } {
  if (cache === null) {
    const series: PriceSeries[] = Object.entries(files).map(([path, text]) => parseCloses(/([A-Z]+)-USD_1d\.csv$/.exec(path)![1]!, text));
    cache = { d1: historicalMoves(series, 1), d3: historicalMoves(series, 3) };
  }
  return cache;
}
