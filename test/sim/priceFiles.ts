/** Synthetic daily price files for tests: correlated log-normal walks written as `<ASSET>-USD_1d.csv`. */
import { writeFileSync } from "node:fs";
import path from "node:path";

import { dateOfDay, dayNumber } from "../../sim/prices.js";
import { createRng } from "../../sim/rng.js";

/** One synthetic asset: its first close and daily volatility. */
export interface SyntheticAsset {
  asset: string;
  start: number;
  volatility: number;
}

/**
 * Writes one file per asset into `dir` with `days` closes from `from`; every asset's daily log return is
 * `volatility * (sqrt(rho) * common + sqrt(1 - rho) * own)`, so pairs correlate at about `rho`.
 *
 * @returns The rows of every file (header first), for tests that edit them.
 */
export function writeSyntheticPrices(dir: string, assets: readonly SyntheticAsset[], from: string, days: number, rho = 0.6, seed = 7): Record<string, string[]> {
  const rng = createRng(seed);
  const closes = assets.map((a) => [a.start]);
  for (let t = 1; t < days; t++) {
    const common = rng.normal();
    assets.forEach((a, i) => {
      const r = a.volatility * (Math.sqrt(rho) * common + Math.sqrt(1 - rho) * rng.normal());
      closes[i]!.push(closes[i]![t - 1]! * Math.exp(r));
    });
  }
  const first = dayNumber(from);
  const rows: Record<string, string[]> = {};
  assets.forEach((a, i) => {
    rows[a.asset] = ["datetime,close", ...closes[i]!.map((c, t) => `${dateOfDay(first + t)},${c.toPrecision(7)}`)];
    writeFileSync(path.join(dir, `${a.asset}-USD_1d.csv`), rows[a.asset]!.join("\n") + "\n");
  });
  return rows;
}
