/** Deposit and withdraw for the connected account; the error the vault would raise is shown before anything is signed. */
import { useState } from "preact/hooks";
import type { Address } from "viem";

import { ActionError, deposit, withdraw, type WriteContext } from "../actions.js";
import type { ChainSnapshot } from "../chain/sync.js";
import { parseUnits } from "../format.js";

export function ActionsPanel({ snapshot, ctx, viewed }: { snapshot: ChainSnapshot; ctx: WriteContext | null; viewed: Address }) {
  const { book } = snapshot;
  const [token, setToken] = useState(0);
  const [amount, setAmount] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  if (ctx === null) return <section class="card"><h2>Actions</h2><p class="muted">Read-only: connect a wallet (or pick a dev account on a local node) to deposit, withdraw or trade.</p></section>;
  if (ctx.signer.account.toLowerCase() !== viewed.toLowerCase()) return <section class="card"><h2>Actions</h2><p class="muted">You are viewing another account; actions act on your own ({ctx.signer.account}). <a href={`#/account/${ctx.signer.account}`}>Open it</a>.</p></section>;

  const c = book.collaterals[token];
  const run = async (what: "deposit" | "withdraw") => {
    if (c === undefined) return;
    const units = parseUnits(amount, c.decimals);
    if (units === null || units <= 0n) return setMessage({ ok: false, text: "Enter a positive amount." });
    setBusy(true);
    setMessage(null);
    try {
      const hash = await (what === "deposit" ? deposit : withdraw)(ctx, c.token, units);
      setMessage({ ok: true, text: `${what} confirmed: ${hash}` });
    } catch (error) {
      setMessage({ ok: false, text: error instanceof ActionError ? error.message : String(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" data-testid="actions">
      <h2>Deposit / withdraw</h2>
      <div class="row">
        <select value={token} onChange={(e) => setToken(Number((e.currentTarget as HTMLSelectElement).value))} data-testid="action-token">
          {book.collaterals.map((col) => <option key={col.id} value={col.id}>{snapshot.symbols.get(col.token) ?? book.collateralLabel(col)}</option>)}
        </select>
        <input value={amount} placeholder="amount" onInput={(e) => setAmount((e.currentTarget as HTMLInputElement).value)} data-testid="action-amount" />
        <button disabled={busy} onClick={() => void run("deposit")} data-testid="deposit">Deposit</button>
        <button disabled={busy} class="secondary" onClick={() => void run("withdraw")} data-testid="withdraw">Withdraw</button>
      </div>
      {message && <p class={message.ok ? "ok" : "bad"} data-testid="action-result">{message.text}</p>}
    </section>
  );
}
