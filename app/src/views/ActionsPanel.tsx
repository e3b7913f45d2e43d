/**
 * Deposit, withdraw and settle cash for the connected account; the error the vault would raise is shown before anything
 * is signed.
 */
import { useState } from "preact/hooks";
import type { Address } from "viem";

import type { PortfolioMarginClient } from "../../../client/src/client.js";
import { describeFailure } from "../actions.js";
import type { ChainSnapshot } from "../chain/sync.js";
import { parseUnits, usd } from "../format.js";

export function ActionsPanel({ snapshot, pm, viewed }: { snapshot: ChainSnapshot; pm: PortfolioMarginClient | null; viewed: Address }) {
  const { book } = snapshot;
  const [token, setToken] = useState(0);
  const [amount, setAmount] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  if (pm === null) return <section class="card"><h2>Actions</h2><p class="muted">Read-only: connect a wallet (or pick a dev account on a local node) to deposit, withdraw or trade.</p></section>;
  const own = pm.address;
  if (own.toLowerCase() !== viewed.toLowerCase()) return <section class="card"><h2>Actions</h2><p class="muted">You are viewing another account; actions act on your own ({own}). <a href={`#/account/${own}`}>Open it</a>.</p></section>;

  const c = book.collaterals[token];
  const send = async (what: string, write: () => Promise<{ blockNumber: bigint; transactionHash: string }>) => {
    setBusy(true);
    setMessage(null);
    try {
      const receipt = await write();
      setMessage({ ok: true, text: `${what} confirmed in block ${receipt.blockNumber}: ${receipt.transactionHash}` });
    } catch (error) {
      setMessage({ ok: false, text: describeFailure(error) });
    } finally {
      setBusy(false);
    }
  };
  const run = async (what: "deposit" | "withdraw") => {
    if (c === undefined) return;
    const units = parseUnits(amount, c.decimals);
    if (units === null || units <= 0n) return setMessage({ ok: false, text: "Enter a positive amount." });
    await send(what, () => (what === "deposit" ? pm.deposit({ token: c.token, amount: units }) : pm.withdraw({ token: c.token, amount: units })));
  };

  // Cash settlement (docs/cash.md): negative cash (a long's cost, a realised loss) is paid from the account's own
  // settlement token (USDC) into the pool that pays other accounts' profits; equity does not change.
  const record = book.accounts.get(own);
  const cash = record?.cash ?? 0n;
  const settlementToken = book.collaterals.find((col) => col !== undefined && col.asset === 0);
  const settlementBalance = settlementToken === undefined ? 0n : (record?.balances[settlementToken.id] ?? 0n);
  const settlementSymbol = settlementToken === undefined ? "USDC" : (snapshot.symbols.get(settlementToken.token) ?? book.collateralLabel(settlementToken));

  return (
    <section class="card" data-testid="actions">
      <h2>Deposit / withdraw / settle cash</h2>
      <div class="row">
        <select value={token} onChange={(e) => setToken(Number((e.currentTarget as HTMLSelectElement).value))} data-testid="action-token">
          {book.collaterals.map((col) => <option key={col.id} value={col.id}>{snapshot.symbols.get(col.token) ?? book.collateralLabel(col)}</option>)}
        </select>
        <input value={amount} placeholder="amount" onInput={(e) => setAmount((e.currentTarget as HTMLInputElement).value)} data-testid="action-amount" />
        <button disabled={busy} onClick={() => void run("deposit")} data-testid="deposit">Deposit</button>
        <button disabled={busy} class="secondary" onClick={() => void run("withdraw")} data-testid="withdraw">Withdraw</button>
      </div>
      <div class="row">
        <span data-testid="settle-cash-state" data-wei={cash.toString()}>
          cash {usd(cash)}
          {cash < 0n
            ? settlementBalance > 0n
              ? `: settling pays it from your ${settlementSymbol} into the settlement pool (equity unchanged)`
              : `: no ${settlementSymbol} to settle it with`
            : ": nothing to settle (positive cash is paid by a withdrawal)"}
        </span>
        <button disabled={busy} class="secondary" onClick={() => void send("cash settlement", () => pm.settleCash())} data-testid="settle-cash">Settle cash</button>
      </div>
      {message && <p class={message.ok ? "ok" : "bad"} data-testid="action-result">{message.text}</p>}
    </section>
  );
}
