/** The page: header (block, connection, signer), the protocol view and the account view, chosen by the URL hash. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getAddress, isAddress, type Address, type Chain, type PublicClient } from "viem";

import { writeClient } from "../actions.js";
import type { ChainSnapshot } from "../chain/sync.js";
import type { AppConfig } from "../config.js";
import type { RankedAccount } from "../risk/ranking.js";
import { createWorkerRanker } from "../risk/workerRanker.js";
import { recordTiming } from "../timing.js";
import { connectWallet, devAccounts, devSigner, discoverWallets, type Signer, type WalletInfo } from "../wallet.js";
import { AccountView, currentRisk } from "./AccountView.js";
import { ActionsPanel } from "./ActionsPanel.js";
import { ProtocolView } from "./ProtocolView.js";
import { StressPanel } from "./StressPanel.js";
import { TradePanel } from "./TradePanel.js";
import { WhatIfPanel } from "./WhatIfPanel.js";

export interface AppProps {
  config: AppConfig;
  chain: Chain;
  publicClient: PublicClient | null;
  /** Subscribes to chain snapshots; returns an unsubscribe. */
  subscribe: (onSnapshot: (s: ChainSnapshot) => void, onError: (e: Error) => void) => () => void;
}

type Route = { view: "protocol" } | { view: "account"; address: Address | null };

function parseRoute(hash: string): Route {
  const m = /^#\/account(?:\/(0x[0-9a-fA-F]{40}))?/.exec(hash);
  if (m) return { view: "account", address: m[1] ? getAddress(m[1]) : null };
  return { view: "protocol" };
}

const SERIES_LENGTH = 300;

export function App({ config, chain, publicClient, subscribe }: AppProps) {
  const [snapshot, setSnapshot] = useState<ChainSnapshot | null>(null);
  const snapshotRef = useRef<number | null>(null);
  snapshotRef.current = snapshot?.block ?? null;
  const [error, setError] = useState<string | null>(null);
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  const [signer, setSigner] = useState<Signer | null>(null);
  const [wallets, setWallets] = useState<WalletInfo[]>([]);
  const [devs, setDevs] = useState<Address[]>([]);
  const [lookup, setLookup] = useState("");
  const [series, setSeries] = useState(new Map<Address, { blocks: number[]; equity: number[]; mm: number[]; im: number[] }>());

  useEffect(
    () =>
      subscribe(
        (s) => (setSnapshot(s), setError(null)),
        (e) => setError(`${(e as { shortMessage?: string }).shortMessage ?? e.message} The page keeps retrying on every poll; figures are as of block ${snapshotRef.current ?? "none"}.`),
      ),
    [],
  );
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => discoverWallets(setWallets), []);
  useEffect(() => {
    if (!config.bench && (chain.id === 31337 || chain.id === 1337)) void devAccounts(config.rpcUrl).then(setDevs).catch(() => setDevs([]));
  }, [chain.id]);

  // The at-risk ranking runs in a Web Worker: the page stays responsive while 100k accounts are re-ranked.
  const [ranking, setRanking] = useState<{ block: number | null; ranked: RankedAccount[] }>({ block: null, ranked: [] });
  const ranker = useMemo(
    () =>
      createWorkerRanker(
        (r) => (recordTiming("rankAccounts", r.ms), setRanking({ block: r.block, ranked: r.ranked })),
        (e) => setError(e.message),
      ),
    [],
  );
  useEffect(() => () => ranker.stop(), []);
  useEffect(() => {
    if (snapshot !== null) ranker.rank(snapshot);
  }, [snapshot]);

  const viewed: Address | null = route.view === "account" ? (route.address ?? signer?.account ?? null) : null;

  // The viewed account's E, MM, IM per block, for its chart.
  useEffect(() => {
    if (snapshot === null || viewed === null) return;
    const risk = currentRisk(snapshot, viewed);
    if (risk === null) return;
    const next = new Map(series);
    const s = next.get(viewed) ?? { blocks: [], equity: [], mm: [], im: [] };
    if (s.blocks.at(-1) === snapshot.block) return;
    const push = (xs: number[], x: number) => [...xs.slice(-SERIES_LENGTH + 1), x];
    next.set(viewed, {
      blocks: push(s.blocks, snapshot.block),
      equity: push(s.equity, Number(risk.after.equity) / 1e18),
      mm: push(s.mm, Number(risk.maintenanceMargin) / 1e18),
      im: push(s.im, Number(risk.initialMargin) / 1e18),
    });
    setSeries(next);
  }, [snapshot, viewed]);

  const settlement = config.settlement ?? snapshot?.book.settlement ?? null;
  const pm = useMemo(() => (signer && publicClient && settlement ? writeClient(publicClient, signer, config.vault, settlement) : null), [signer, publicClient, settlement]);

  const pickDev = (value: string) => {
    if (value === "") return setSigner(null);
    const account = getAddress(value);
    setSigner(devSigner(config.rpcUrl, account, chain));
    location.hash = `#/account/${account}`;
  };

  return (
    <div class="app">
      <header>
        <div class="brand">Portfolio margin <span class="muted">risk</span></div>
        <nav>
          <a href="#/protocol" class={route.view === "protocol" ? "active" : ""} data-testid="nav-protocol">Protocol</a>
          <a href={`#/account${signer ? `/${signer.account}` : ""}`} class={route.view === "account" ? "active" : ""} data-testid="nav-account">Account</a>
        </nav>
        <form class="lookup" onSubmit={(e) => { e.preventDefault(); if (isAddress(lookup)) location.hash = `#/account/${getAddress(lookup)}`; }}>
          <input value={lookup} placeholder="any address 0x…" onInput={(e) => setLookup((e.currentTarget as HTMLInputElement).value)} data-testid="lookup" />
        </form>
        <div class="status" data-testid="status">
          {snapshot ? <>block <b data-testid="block">{snapshot.block}</b></> : "connecting…"} · chain {chain.id}
        </div>
        <div class="signer">
          {signer ? (
            <span data-testid="signer">{signer.label}: <span class="mono">{signer.account.slice(0, 8)}…</span> <button class="link" onClick={() => setSigner(null)}>disconnect</button></span>
          ) : (
            <>
              {wallets.map((w) => (
                <button key={w.uuid} onClick={() => void connectWallet(w, chain).then((s) => (setSigner(s), (location.hash = `#/account/${s.account}`))).catch((e: Error) => setError(e.message))}>Connect {w.name}</button>
              ))}
              {devs.length > 0 && (
                <select onChange={(e) => pickDev((e.currentTarget as HTMLSelectElement).value)} data-testid="dev-account">
                  <option value="">dev account…</option>
                  {devs.map((d, i) => <option key={d} value={getAddress(d)}>#{i} {getAddress(d).slice(0, 10)}…</option>)}
                </select>
              )}
            </>
          )}
        </div>
      </header>
      {signer === null && <div class="banner" data-testid="readonly">Read-only: no wallet connected. Figures update live on every block; connect a wallet{devs.length > 0 ? " or pick a dev account" : ""} to act.</div>}
      {error && <div class="banner bad" data-testid="error">{error}</div>}
      {snapshot?.priceError && <div class="banner bad">Oracle: {snapshot.priceError}</div>}
      <main>
        {snapshot === null ? <p class="muted">Reading the vault's events…</p> : route.view === "protocol" ? (
          <ProtocolView snapshot={snapshot} ranked={ranking.ranked} rankedBlock={ranking.block} keeperMetrics={config.keeperMetrics} onOpen={() => undefined} />
        ) : viewed === null ? (
          <p class="muted">Enter an address above, pick an account in the protocol view, or connect a wallet.</p>
        ) : (
          <>
            <AccountView snapshot={snapshot} address={viewed} series={series.get(viewed) ?? { blocks: [], equity: [], mm: [], im: [] }} />
            <div class="grid">
              <ActionsPanel snapshot={snapshot} pm={pm} viewed={viewed} />
              {pm !== null && pm.address.toLowerCase() === viewed.toLowerCase() && <TradePanel snapshot={snapshot} pm={pm} makerUrl={config.makerUrl} />}
              <WhatIfPanel snapshot={snapshot} address={viewed} />
              <StressPanel snapshot={snapshot} address={viewed} />
            </div>
          </>
        )}
      </main>
    </div>
  );
}
