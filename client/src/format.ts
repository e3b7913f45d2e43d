/** Text formatting of WAD amounts for the operator's tables. */
import { WAD } from "./margin/mathLib.js";

/**
 * Formats a WAD amount as USD with 2 decimals, truncated toward zero, with thousands separators.
 *
 * @param wad The amount (WAD).
 * @returns e.g. "-1,234.56".
 * @example formatUsd(1234567n * 10n ** 15n) // "1,234.56"
 */
export function formatUsd(wad: bigint): string {
  const negative = wad < 0n;
  const cents = (negative ? -wad : wad) / (WAD / 100n);
  const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (cents % 100n).toString().padStart(2, "0");
  return `${negative && cents !== 0n ? "-" : ""}${whole}.${fraction}`;
}

/**
 * Formats the ratio x / y with 2 decimals (truncated toward zero); "inf" when y is 0.
 *
 * @param x The numerator (WAD).
 * @param y The denominator (WAD).
 * @returns e.g. "1.25".
 */
export function formatRatio(x: bigint, y: bigint): string {
  if (y === 0n) return "inf";
  return formatUsd((x * WAD) / y);
}

/**
 * Lays out rows as a text table, the first row as header; columns after the first are right-aligned.
 *
 * @param rows The cells.
 * @returns The table, one line per row.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ").trimEnd())
    .join("\n");
}
