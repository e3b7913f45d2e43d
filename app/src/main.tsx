/** Entry: reads /config.json, connects to the RPC, follows the vault and renders. */
import { render } from "preact";
import { createPublicClient, defineChain, http, webSocket, type PublicClient } from "viem";

import { bookFromState, type BookStateJson } from "./chain/book.js";
import { toDeployment } from "./chain/deployment.js";
import { startSync, type ChainSnapshot } from "./chain/sync.js";
import { recordTiming } from "./timing.js";
import { loadConfig } from "./config.js";
import { App } from "./views/App.js";
import { prestartRankWorker } from "./risk/workerRanker.js";
import "./styles.css";

async function main(): Promise<void> {
  recordTiming("scriptStart", performance.now());
  prestartRankWorker();
  const root = document.getElementById("app")!;
  try {
    const config = await loadConfig();
    if (config.bench) return renderBench(root, config);
    const transport = config.rpcUrl.startsWith("ws") ? webSocket(config.rpcUrl) : http(config.rpcUrl, { batch: true });
    const probe = createPublicClient({ transport });
    const chainId = await probe.getChainId();
    const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [config.rpcUrl] } } });
    const publicClient = createPublicClient({ chain, transport, pollingInterval: config.pollingIntervalMs }) as PublicClient;
    render(
      <App
        config={config}
        chain={chain}
        publicClient={publicClient}
        subscribe={(onUpdate, onError) => startSync({ client: publicClient, vault: config.vault, settlement: config.settlement, chainId, startBlock: config.startBlock, onUpdate, onError })}
      />,
      root,
    );
  } catch (error) {
    root.textContent = `Cannot start: ${error instanceof Error ? error.message : String(error)}`;
  }
}

void main();

/** `npm run bench`: the page on a synthetic book (no chain), to time the protocol view and the what-if simulator. */
async function renderBench(root: HTMLElement, config: Awaited<ReturnType<typeof loadConfig>>): Promise<void> {
  const state = (await (await fetch("./bench.json")).json()) as BookStateJson;
  recordTiming("benchFetched", performance.now());
  const book = bookFromState(state);
  const symbols = new Map(state.collaterals.map((c) => [c.token, c.symbol] as const));
  const deployment = toDeployment(book, { chainId: 31337, vault: config.vault, settlement: config.vault, startBlock: 0, symbols, feedDecimals: book.assets.map(() => 8) });
  const snapshot: ChainSnapshot = { book, deployment, block: 0, timestamp: 0, prices: state.prices.map(BigInt), priceError: null, fund: null, symbols, touched: null };
  const chain = defineChain({ id: 31337, name: "bench", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [config.rpcUrl] } } });
  recordTiming("benchDataReady", performance.now());
  render(<App config={config} chain={chain} publicClient={null} subscribe={(onUpdate) => (onUpdate(snapshot), () => undefined)} />, root);
}
