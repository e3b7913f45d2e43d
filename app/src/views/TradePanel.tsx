/**
 * A trade through the RFQ maker: ask a quote, see the margin after the trade (the client's `tradeImpact`, exact)
 * before signing, then sign the taker's order and settle both (the client's `takeQuote`).
 */
import { useEffect, useState } from "preact/hooks";
import type { Address } from "viem";

import type { PortfolioMarginClient } from "../../../client/src/client.js";
import { quoteFromJson, type Quote } from "../../../client/src/quote.js";
import { tradeImpact, type Impact } from "../../../client/src/risk.js";
import { describeFailure } from "../actions.js";
import { accountSnapshot } from "../chain/deployment.js";
import type { ChainSnapshot } from "../chain/sync.js";
import { parseUnits, usd } from "../format.js";

export function TradePanel({ snapshot, pm, makerUrl }: { snapshot: ChainSnapshot; pm: PortfolioMarginClient | null; makerUrl: string | null }) {
  const { book, prices } = snapshot;
  const [market, setMarket] = useState(0);
  const [side, setSide] = useState<"buy" | "sell">("buy");
  const [size, setSize] = useState("");
  const [quote, setQuote] = useState<Quote | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  if (pm === null || makerUrl === null) {
    return <section class="card"><h2>Trade (RFQ)</h2><p class="muted">{pm === null ? "Connect a wallet to trade." : "No RFQ maker is configured (npm run app -- --maker URL)."}</p></section>;
  }
  const account = pm.address as Address;
  let impact: Impact | string | null = null;
  if (quote !== null && prices !== null) {
    try {
      // The taker takes the opposite side of the maker's order.
      impact = tradeImpact(accountSnapshot(snapshot.deployment, book, account, prices), { market: Number(quote.order.market), size: -quote.order.size, price: quote.price });
    } catch (error) {
      impact = error instanceof Error ? error.message : String(error);
    }
  }
  const secondsLeft = quote === null ? 0 : Number(quote.order.expiry) - Math.floor(now / 1000);

  const ask = async () => {
    const wad = parseUnits(size, 18);
    if (wad === null || wad <= 0n) return setMessage({ ok: false, text: "Enter a positive size." });
    setBusy(true);
    setMessage(null);
    setQuote(null);
    try {
      const response = await fetch("./maker/quote", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ market, side, size: wad.toString() }) });
      const json = (await response.json()) as { quote?: unknown; error?: string; reason?: string };
      if (json.quote === undefined) throw new Error(`The maker refused: ${json.error ?? response.statusText}${json.reason ? ` (${json.reason})` : ""}`);
      setQuote(quoteFromJson(json.quote));
    } catch (error) {
      setMessage({ ok: false, text: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(false);
    }
  };
  const take = async () => {
    if (quote === null) return;
    setBusy(true);
    try {
      const { receipt } = await pm.takeQuote({ quote });
      setMessage({ ok: true, text: `trade settled in block ${receipt.blockNumber}: ${receipt.transactionHash}` });
      setQuote(null);
    } catch (error) {
      setMessage({ ok: false, text: describeFailure(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" data-testid="trade">
      <h2>Trade through the RFQ maker</h2>
      <div class="row">
        <select value={market} onChange={(e) => (setMarket(Number((e.currentTarget as HTMLSelectElement).value)), setQuote(null))} data-testid="trade-market">
          {book.markets.map((m) => <option key={m.id} value={m.id}>{book.marketLabel(m.id)}</option>)}
        </select>
        <select value={side} onChange={(e) => (setSide((e.currentTarget as HTMLSelectElement).value as "buy" | "sell"), setQuote(null))} data-testid="trade-side">
          <option value="buy">buy</option>
          <option value="sell">sell</option>
        </select>
        <input value={size} placeholder="size" onInput={(e) => (setSize((e.currentTarget as HTMLInputElement).value), setQuote(null))} data-testid="trade-size" />
        <button disabled={busy} onClick={() => void ask()} data-testid="trade-quote">Get quote</button>
      </div>
      {quote && (
        <div class="quote" data-testid="trade-preview">
          <p>Quote: {side} at <b>{usd(quote.price, 4)}</b> (oracle {usd(quote.oraclePrice, 4)}), {secondsLeft > 0 ? `valid ${secondsLeft} s` : <span class="bad">expired</span>}</p>
          {typeof impact === "string" ? <p class="bad">{impact}</p> : impact && (
            <>
              <table class="kv">
                <thead><tr><th /><th class="num">now</th><th class="num">after the trade</th></tr></thead>
                <tbody>
                  <tr><td>E</td><td class="num">{usd(impact.before.equity)}</td><td class="num" data-testid="trade-after-equity" data-wei={impact.after.equity.toString()}>{usd(impact.after.equity)}</td></tr>
                  <tr><td>MM</td><td class="num">{usd(impact.before.maintenanceMargin)}</td><td class="num" data-testid="trade-after-mm" data-wei={impact.after.maintenanceMargin.toString()}>{usd(impact.after.maintenanceMargin)}</td></tr>
                  <tr><td>IM</td><td class="num">{usd(impact.before.initialMargin)}</td><td class="num" data-testid="trade-after-im" data-wei={impact.after.initialMargin.toString()}>{usd(impact.after.initialMargin)}</td></tr>
                </tbody>
              </table>
              <p class={impact.accepted ? "ok" : "bad"}>{impact.accepted ? "The vault accepts this trade." : `The vault would refuse it: ${impact.reason}.`}</p>
            </>
          )}
          <button disabled={busy || secondsLeft <= 0} onClick={() => void take()} data-testid="trade-sign">Sign and settle</button>
        </div>
      )}
      {message && <p class={message.ok ? "ok" : "bad"} data-testid="trade-result">{message.text}</p>}
    </section>
  );
}
