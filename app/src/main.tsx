/** Entry: reads /config.json, connects to the RPC, follows the vault and renders. */
import { render } from "preact";
import { createPublicClient, defineChain, http, webSocket, type PublicClient } from "viem";

import { startSync } from "./chain/sync.js";
import { loadConfig } from "./config.js";
import { App } from "./views/App.js";
import "./styles.css";

async function main(): Promise<void> {
  const root = document.getElementById("app")!;
  try {
    const config = await loadConfig();
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
