/** Display helpers: WAD amounts as USD, ratios, sizes. Exact integers stay bigints until they are shown. */
const WAD = 10n ** 18n;

/** A WAD USD amount as "$1,234.56" (truncated to cents). */
export function usd(wad: bigint, digits = 2): string {
  const negative = wad < 0n;
  const abs = negative ? -wad : wad;
  const whole = (abs / WAD).toLocaleString("en-US");
  const fraction = digits === 0 ? "" : `.${(abs % WAD).toString().padStart(18, "0").slice(0, digits)}`;
  return `${negative ? "-" : ""}$${whole}${fraction}`;
}

/** A WAD USD amount as a float (for charts and colours only, never for figures shown as exact). */
export function toFloat(wad: bigint): number {
  return Number(wad) / 1e18;
}

/** E / MM shown as "1.234×" ("∞" without requirement). */
export function ratio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(3)}×` : "∞";
}

/** Percent with a sign. */
export function pct(x: number, digits = 1): string {
  return `${x > 0 ? "+" : ""}${(x * 100).toFixed(digits)}%`;
}

/** Parses a decimal string into an integer with `decimals` (null when it is not a number). */
export function parseUnits(text: string, decimals: number): bigint | null {
  const t = text.trim().replace(/,/g, "");
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(t);
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) return null;
  const fraction = (m[3] ?? "").slice(0, decimals).padEnd(decimals, "0");
  const value = BigInt(m[2] || "0") * 10n ** BigInt(decimals) + BigInt(fraction || "0");
  return m[1] ? -value : value;
}

/** The health class of an E / MM ratio: under 1 liquidatable, under 1.5 at risk. */
export function healthClass(r: number): "bad" | "warn" | "ok" {
  return r < 1 ? "bad" : r < 1.5 ? "warn" : "ok";
}
