/**
 * Daily price files: `<ASSET>-USD_1d.csv` with a header naming at least `datetime` and `close` (extra columns such
 * as open, high, low, volume are allowed and ignored). Every error names the file, the line and what is wrong.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** Thrown when a price file is missing or malformed; `file` and `line` (1-based, 0 for the whole file) say where. */
export class PriceFileError extends Error {
  override name = "PriceFileError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
  }
}

/** One daily close and where it was read. */
export interface DailyClose {
  date: string;
  close: number;
  line: number;
}

/** One asset's closes in date order. */
export interface PriceSeries {
  asset: string;
  file: string;
  closes: DailyClose[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Days from 1970-01-01 of an ISO date (`YYYY-MM-DD`), or NaN when it is not a real date. */
export function dayNumber(date: string): number {
  if (!DATE.test(date)) return Number.NaN;
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) return Number.NaN;
  return ms / DAY_MS;
}

/** The ISO date `days` after 1970-01-01. */
export function dateOfDay(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Parses the text of a daily price file.
 *
 * @param text The file's content.
 * @param file The file's name, for messages.
 * @param asset The asset the file prices.
 * @returns The closes, strictly increasing by date.
 * @throws PriceFileError on a missing column, a wrong field count, a bad date or price, or dates out of order.
 * @example parsePriceCsv("datetime,close\n2021-05-05,57000\n", "BTC-USD_1d.csv", "BTC")
 */
export function parsePriceCsv(text: string, file: string, asset: string): PriceSeries {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").split(",").map((h) => h.trim().toLowerCase());
  const dateColumn = header.indexOf("datetime");
  const closeColumn = header.indexOf("close");
  if (lines[0] === undefined || lines[0].trim() === "") throw new PriceFileError(file, 1, "empty file (expected a header: datetime,...,close,...)");
  if (dateColumn < 0 || closeColumn < 0) {
    throw new PriceFileError(file, 1, `header must name the columns "datetime" and "close", found "${lines[0].trim()}"`);
  }
  const closes: DailyClose[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === "") continue;
    const line = i + 1;
    const fields = raw.split(",").map((f) => f.trim());
    if (fields.length !== header.length) {
      throw new PriceFileError(file, line, `expected ${header.length} fields (${header.join(",")}), found ${fields.length}: "${raw}"`);
    }
    const date = fields[dateColumn]!;
    if (Number.isNaN(dayNumber(date))) throw new PriceFileError(file, line, `"${date}" is not a date (expected YYYY-MM-DD)`);
    const closeText = fields[closeColumn]!;
    const close = Number(closeText);
    if (closeText === "" || !Number.isFinite(close) || close <= 0) {
      throw new PriceFileError(file, line, `close "${closeText}" is not a positive number`);
    }
    const previous = closes[closes.length - 1];
    if (previous !== undefined && dayNumber(date) <= dayNumber(previous.date)) {
      throw new PriceFileError(file, line, `date ${date} does not follow ${previous.date} (line ${previous.line}); dates must increase`);
    }
    closes.push({ date, close, line });
  }
  if (closes.length === 0) throw new PriceFileError(file, 0, "no price rows after the header");
  return { asset, file, closes };
}

/** The file name of an asset's daily prices in a directory. */
export function priceFileName(directory: string, asset: string): string {
  return path.join(directory, `${asset}-USD_1d.csv`);
}

/**
 * Reads and parses one asset's price file.
 *
 * @throws PriceFileError when the file is missing or malformed.
 */
export function loadPriceFile(file: string, asset: string): PriceSeries {
  if (!existsSync(file)) throw new PriceFileError(file, 0, `price file not found (expected daily closes of ${asset})`);
  return parsePriceCsv(readFileSync(file, "utf8"), file, asset);
}

/** Closes of several assets on the same days. */
export interface PriceWindow {
  assets: string[];
  dates: string[];
  /** closes[asset][day], in USD. */
  closes: Record<string, number[]>;
}

/**
 * The closes of every series from `from` to `to` (inclusive), which must be present for every day.
 *
 * @param series One series per asset.
 * @param from First date (YYYY-MM-DD).
 * @param to Last date (YYYY-MM-DD), after `from`.
 * @returns The aligned window.
 * @throws PriceFileError naming the file and line where a day is missing, or the file when the window is not covered.
 */
export function selectWindow(series: readonly PriceSeries[], from: string, to: string): PriceWindow {
  const first = dayNumber(from);
  const last = dayNumber(to);
  if (Number.isNaN(first) || Number.isNaN(last)) throw new Error(`window ${from} .. ${to}: dates must be YYYY-MM-DD`);
  if (last <= first) throw new Error(`window ${from} .. ${to}: --to must be after --from`);
  const dates: string[] = [];
  for (let d = first; d <= last; d++) dates.push(dateOfDay(d));
  const closes: Record<string, number[]> = {};
  for (const s of series) {
    const inWindow = s.closes.filter((c) => {
      const d = dayNumber(c.date);
      return d >= first && d <= last;
    });
    const head = s.closes[0]!;
    const tail = s.closes[s.closes.length - 1]!;
    if (dayNumber(head.date) > first || dayNumber(tail.date) < last) {
      throw new PriceFileError(s.file, 0, `covers ${head.date} .. ${tail.date}, not the window ${from} .. ${to}`);
    }
    for (let i = 0; i < dates.length; i++) {
      const c = inWindow[i];
      if (c === undefined || c.date !== dates[i]) {
        const where = c?.line ?? tail.line;
        throw new PriceFileError(s.file, where, `gap: no close for ${dates[i]} (the window needs every day)`);
      }
    }
    closes[s.asset] = inWindow.map((c) => c.close);
  }
  return { assets: series.map((s) => s.asset), dates, closes };
}

/**
 * Loads the window of several assets from `<directory>/<ASSET>-USD_1d.csv`.
 *
 * @throws PriceFileError for a missing or malformed file, or a gap in the window.
 */
export function loadPriceWindow(directory: string, assets: readonly string[], from: string, to: string): PriceWindow {
  return selectWindow(
    assets.map((asset) => loadPriceFile(priceFileName(directory, asset), asset)),
    from,
    to,
  );
}
