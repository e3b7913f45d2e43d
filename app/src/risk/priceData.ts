/** The daily closes shipped in data/prices, bundled into the page at build time (Vite), and their 1- and 3-day moves. */
import { historicalMoves, parseCloses, type HistoricalMove, type PriceSeries } from "./stress.js";

const files = import.meta.glob("../../../data/prices/*-USD_1d.csv", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

export const PRICE_SERIES: PriceSeries[] = Object.entries(files).map(([path, text]) => parseCloses(/([A-Z]+)-USD_1d\.csv$/.exec(path)![1]!, text));
export const MOVES_1D: HistoricalMove[] = historicalMoves(PRICE_SERIES, 1);
export const MOVES_3D: HistoricalMove[] = historicalMoves(PRICE_SERIES, 3);
