/** The what-if simulator: edit sizes, collateral, prices, a % shock or the regime; the twin recomputes as you type. */
import { useLayoutEffect, useMemo, useState } from "preact/hooks";
import type { Address } from "viem";

import { fmtUnits } from "../chain/book.js";
import type { ChainSnapshot } from "../chain/sync.js";
import { healthClass, parseUnits, ratio, usd } from "../format.js";
import { accountSnapshot } from "../chain/deployment.js";
import { simulate, type Regime, type WhatIfEdits, type WhatIfResult } from "../risk/whatIf.js";
import { recordEditToFrame, recordTiming } from "../timing.js";

export interface WhatIfPanelProps {
  snapshot: ChainSnapshot;
  address: Address;
}

type Texts = Record<string, string>;

function delta(before: bigint, after: bigint) {
  const d = after - before;
  if (d === 0n) return null;
  return <span class={d > 0n ? "up" : "down"}> ({d > 0n ? "+" : ""}{usd(d)})</span>;
}

export function WhatIfPanel({ snapshot, address }: WhatIfPanelProps) {
  const { book, prices } = snapshot;
  const [texts, setTexts] = useState<Texts>({});
  const [shock, setShock] = useState(0);
  const [regime, setRegime] = useState<Regime | "">("");
  const record = book.accounts.get(address) ?? { address, cash: 0n, balances: [], positions: [] };

  const { edits, invalid } = useMemo(() => {
    const e: WhatIfEdits = { sizes: new Map(), balances: new Map(), prices: new Map(), shockBps: shock * 100 };
    const bad: string[] = [];
    for (const [key, text] of Object.entries(texts)) {
      if (text.trim() === "") continue;
      const [kind, id] = key.split(":") as [string, string];
      const n = Number(id);
      const decimals = kind === "bal" ? (book.collaterals[n]?.decimals ?? 18) : 18;
      const value = parseUnits(text, decimals);
      if (value === null || (kind !== "size" && value < 0n) || (kind === "px" && value === 0n)) bad.push(key);
      else (kind === "size" ? e.sizes! : kind === "bal" ? e.balances! : e.prices!).set(n, value);
    }
    if (regime !== "") e.regime = regime;
    return { edits: e, invalid: new Set(bad) };
  }, [texts, shock, regime, book]);

  const result = useMemo((): WhatIfResult | { error: string } | null => {
    if (prices === null) return null;
    const started = performance.now();
    try {
      const out = simulate(accountSnapshot(snapshot.deployment, book, address, prices), edits);
      recordTiming("whatIfCompute", performance.now() - started);
      return out;
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }, [edits, snapshot, address]);

  useLayoutEffect(recordEditToFrame);

  const edit = (key: string) => (e: Event) => {
    (window as unknown as { __pmEditAt?: number }).__pmEditAt = performance.now();
    setTexts({ ...texts, [key]: (e.currentTarget as HTMLInputElement).value });
  };
  const input = (key: string, placeholder: string) => (
    <input class={invalid.has(key) ? "invalid" : ""} value={texts[key] ?? ""} placeholder={placeholder} onInput={edit(key)} data-testid={`whatif-${key.replace(":", "-")}`} />
  );
  const touchedMarkets = book.markets.filter((m) => m !== undefined);
  const symbol = (a: number) => book.assets[a]?.symbol ?? `#${a}`;

  return (
    <section class="card wide" data-testid="whatif">
      <h2>What-if simulator <span class="muted">(computed in the browser by the twin; nothing is sent)</span></h2>
      <div class="whatif">
        <div>
          <h3>Positions (size, base units)</h3>
          {touchedMarkets.map((m) => (
            <label key={m.id}><span>{book.marketLabel(m.id)}</span>{input(`size:${m.id}`, fmtUnits(record.positions[m.id] ?? 0n, 18))}</label>
          ))}
        </div>
        <div>
          <h3>Collateral (token units)</h3>
          {book.collaterals.map((c) => (
            <label key={c.id}><span>{snapshot.symbols.get(c.token) ?? book.collateralLabel(c)}</span>{input(`bal:${c.id}`, fmtUnits(record.balances[c.id] ?? 0n, c.decimals))}</label>
          ))}
        </div>
        <div>
          <h3>Prices (USD)</h3>
          {book.assets.slice(1).map((a) => (
            <label key={a.id}><span>{a.symbol}</span>{input(`px:${a.id}`, fmtUnits(prices?.[a.id] ?? 0n, 18, 4))}</label>
          ))}
          <label><span>shock all</span><input type="range" min={-40} max={40} step={1} value={shock} onInput={(e) => { (window as unknown as { __pmEditAt?: number }).__pmEditAt = performance.now(); setShock(Number((e.currentTarget as HTMLInputElement).value)); }} data-testid="whatif-shock" /><b>{shock > 0 ? "+" : ""}{shock}%</b></label>
          <label><span>regime</span>
            <select value={regime} onChange={(e) => setRegime((e.currentTarget as HTMLSelectElement).value as Regime | "")} data-testid="whatif-regime">
              <option value="">worst of three (the vault's rule)</option>
              <option value="low">low correlations</option>
              <option value="medium">medium correlations</option>
              <option value="high">high correlations</option>
            </select>
          </label>
          <button class="secondary" onClick={() => { setTexts({}); setShock(0); setRegime(""); }}>reset</button>
        </div>
        <div class="whatif-out">
          {result === null ? <p class="bad">No usable prices.</p> : "error" in result ? <p class="bad">{result.error}</p> : (() => {
            const { before } = result;
            const after = { ...result, margin: result.after.margin, binding: result.after.regimes.binding };
            const r = after.maintenanceMargin === 0n ? Infinity : Number((after.margin.equity * 1_000_000n) / after.maintenanceMargin) / 1e6;
            return (
              <>
                <table class="kv">
                  <tbody>
                    <tr><td>E</td><td class="num" data-testid="whatif-equity" data-wei={after.margin.equity.toString()}>{usd(after.margin.equity)}{delta(before.equity, after.margin.equity)}</td></tr>
                    <tr><td>MM</td><td class="num" data-testid="whatif-mm" data-wei={after.maintenanceMargin.toString()}>{usd(after.maintenanceMargin)}{delta(before.maintenanceMargin, after.maintenanceMargin)}</td></tr>
                    <tr><td>IM</td><td class="num" data-testid="whatif-im" data-wei={after.initialMargin.toString()}>{usd(after.initialMargin)}{delta(before.initialMargin, after.initialMargin)}</td></tr>
                    <tr><td>E / MM</td><td class={`num ${healthClass(r)}`}>{ratio(r)}</td></tr>
                    <tr><td>binding regime</td><td class="num" data-testid="whatif-binding">{after.binding}{edits.regime ? ` (shown: ${after.regime})` : ""}</td></tr>
                  </tbody>
                </table>
                <p class={after.margin.equity < after.maintenanceMargin ? "bad" : after.margin.equity < after.initialMargin ? "warn" : "ok"}>
                  {after.margin.equity < after.maintenanceMargin ? "Liquidatable after this change." : after.margin.equity < after.initialMargin ? "Below IM: the vault would refuse a trade or withdrawal that ends here." : "Above IM: the vault accepts this state."}
                </p>
                <table>
                  <thead><tr><th>asset</th><th class="num">exposure</th><th class="num">WS</th><th class="num">share of K</th></tr></thead>
                  <tbody>
                    {after.contributions.map((c) => (
                      <tr key={c.asset}><td>{symbol(c.asset)}</td><td class="num">{usd(c.exposure, 0)}</td><td class="num">{usd(c.weightedSensitivity, 0)}</td><td class="num">${c.kShare.toLocaleString("en-US", { maximumFractionDigits: 0 })}</td></tr>
                    ))}
                  </tbody>
                </table>
              </>
            );
          })()}
        </div>
      </div>
    </section>
  );
}
