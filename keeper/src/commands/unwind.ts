import { formatUnits } from "viem";

import type { PortfolioMarginClient } from "../../../client/src/client.js";
import { formatTable, formatUsd } from "../../../client/src/format.js";
import { mulUp } from "../../../client/src/margin/mathLib.js";
import { requestQuote } from "../../../client/src/quote.js";

/** Options of `unwindCommand`. */
export interface UnwindCommandParameters {
  /** The keeper's client (its wallet is the keeper's account). */
  pm: PortfolioMarginClient;
  /** The RFQ maker's URL. */
  makerUrl: string;
  /** The most the whole unwind may lose against the oracle prices (WAD USD). */
  maxLoss: bigint;
  /** Quote and report, send nothing. */
  dryRun?: boolean;
}

/** One position's outcome. */
export interface UnwindLine {
  market: string;
  size: bigint;
  oraclePrice: bigint;
  price: bigint | null;
  /** What closing at the quote loses against the oracle price (WAD USD, rounded up). */
  loss: bigint | null;
  status: "closed" | "would close" | "skipped: loss limit" | `refused: ${string}` | `failed: ${string}`;
}

/**
 * `keeper unwind`: closes the positions the keeper took over in liquidations by trading them back to the RFQ maker,
 * in market order, as long as the total loss against the oracle prices (the spread paid) stays within `maxLoss`.
 * A position whose quote would pass the limit is left open and reported.
 *
 * @returns The outcome per position and the total loss.
 */
export async function unwindCommand(parameters: UnwindCommandParameters): Promise<{ lines: UnwindLine[]; totalLoss: bigint; text: string }> {
  const { pm } = parameters;
  const snapshot = await pm.getAccount();
  const lines: UnwindLine[] = [];
  let totalLoss = 0n;
  for (const market of snapshot.deployment.markets) {
    const size = snapshot.state.positions[market.id] ?? 0n;
    if (size === 0n) continue;
    const oraclePrice = snapshot.prices[market.asset] ?? 0n;
    const line: UnwindLine = { market: market.symbol, size, oraclePrice, price: null, loss: null, status: "would close" };
    lines.push(line);
    // Closing a long is a sell (the keeper is the taker): the maker buys at oracle - spread.
    const side = size > 0n ? "sell" : "buy";
    const abs = size > 0n ? size : -size;
    try {
      const quote = await requestQuote(parameters.makerUrl, { market: market.id, side, size: abs });
      line.price = quote.price;
      const perUnit = side === "sell" ? oraclePrice - quote.price : quote.price - oraclePrice;
      // Rounded up: the limit is never passed by rounding.
      line.loss = perUnit > 0n ? mulUp(abs, perUnit) : -mulUp(abs, -perUnit);
      if (totalLoss + line.loss > parameters.maxLoss) {
        line.status = "skipped: loss limit";
        continue;
      }
      if (!parameters.dryRun) {
        await pm.takeQuote({ quote });
        line.status = "closed";
      }
      totalLoss += line.loss;
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
      line.status = line.price === null ? `refused: ${reason}` : `failed: ${reason}`;
    }
  }
  const rows = [["market", "size", "oracle", "quote", "loss (USD)", "status"]];
  for (const l of lines) {
    rows.push([l.market, formatUnits(l.size, 18), formatUsd(l.oraclePrice), l.price === null ? "-" : formatUsd(l.price), l.loss === null ? "-" : formatUsd(l.loss), l.status]);
  }
  const text =
    lines.length === 0
      ? `account ${snapshot.account} holds no position: nothing to unwind`
      : `${formatTable(rows)}\n\ntotal loss ${formatUsd(totalLoss)} USD of at most ${formatUsd(parameters.maxLoss)}${parameters.dryRun ? " (dry run: nothing sent)" : ""}`;
  return { lines, totalLoss, text };
}
