/**
 * Parsing of the trader's command-line values: decimal amounts into token units or WAD, sides, markets, tokens and
 * the what-if changes. Every failure is a `UsageError` whose message names the value and what is expected.
 */
import { parseUnits } from "viem";

import { UsageError } from "../../client/src/errors.js";
import { findCollateral, findMarket, type CollateralInfo, type Deployment, type MarketInfo } from "../../client/src/deployment.js";

const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

/**
 * Parses a decimal string into an integer with `decimals` decimals.
 *
 * @param what The argument's name, for the message.
 * @param options `positive`: must be > 0; `signed`: may be negative.
 */
export function parseDecimal(text: string, decimals: number, what: string, options: { positive?: boolean; signed?: boolean } = {}): bigint {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) throw new UsageError(`${what} "${text}" is not a number.`, { metaMessages: ["Write a decimal number, e.g. 1.5."] });
  const fraction = trimmed.split(".")[1] ?? "";
  if (fraction.length > decimals) throw new UsageError(`${what} "${text}" has more than ${decimals} decimals.`);
  const value = parseUnits(trimmed.replace(/^\+/, ""), decimals);
  if (!options.signed && value < 0n) throw new UsageError(`${what} must not be negative (got ${text}).`);
  if (options.positive && value === 0n) throw new UsageError(`${what} must be greater than 0.`);
  return value;
}

/** A listed market by symbol ("ETH", "ETH-PERP") or id. */
export function parseMarket(deployment: Deployment, text: string): MarketInfo {
  const market = findMarket(deployment, text);
  if (market === undefined) {
    throw new UsageError(`Unknown market "${text}".`, { metaMessages: [`Markets: ${deployment.markets.map((m) => m.symbol).join(", ")}.`] });
  }
  return market;
}

/** A listed collateral token by symbol, address or id. */
export function parseToken(deployment: Deployment, text: string): CollateralInfo {
  const token = findCollateral(deployment, text);
  if (token === undefined) {
    throw new UsageError(`Unknown token "${text}".`, { metaMessages: [`Collateral tokens: ${deployment.collaterals.map((c) => c.symbol).join(", ")}.`] });
  }
  return token;
}

/** "buy" or "sell" (also "long" / "short"). */
export function parseSide(text: string): "buy" | "sell" {
  const t = text.trim().toLowerCase();
  if (t === "buy" || t === "long") return "buy";
  if (t === "sell" || t === "short") return "sell";
  throw new UsageError(`Side "${text}" is neither buy nor sell.`);
}

/** An asset id by symbol or id. */
export function parseAsset(deployment: Deployment, text: string): number {
  const t = text.trim().toUpperCase();
  const asset = /^[0-9]+$/.test(t) ? deployment.assets[Number(t)] : deployment.assets.find((a) => a.symbol.toUpperCase() === t);
  if (asset === undefined) throw new UsageError(`Unknown asset "${text}".`, { metaMessages: [`Assets: ${deployment.assets.map((a) => a.symbol).join(", ")}.`] });
  return asset.id;
}

/** "KEY=VALUE" (or "KEY:VALUE"). */
export function splitPair(text: string, what: string): [string, string] {
  const match = /^([^=:]+)[=:](.+)$/.exec(text.trim());
  if (match === null) throw new UsageError(`${what} "${text}" is not NAME=VALUE.`, { metaMessages: [`e.g. ETH=2.5`] });
  return [match[1]!, match[2]!];
}

/** A percentage like "-10%" or "-10" into basis points. */
export function parseShockBps(text: string): number {
  const value = parseDecimal(text.replace(/%$/, ""), 2, "The shock", { signed: true });
  const bps = Number(value);
  if (bps <= -10_000) throw new UsageError(`The shock ${text} takes prices to zero or below; use more than -100%.`);
  return bps;
}
