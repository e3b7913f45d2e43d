/**
 * Who signs: an injected wallet found through EIP-6963 (or the legacy `window.ethereum`, EIP-1193), or on a local
 * node one of its unlocked dev accounts (the node signs `eth_sendTransaction`). Without either the page is read-only.
 */
import { createWalletClient, custom, http, type Address, type Chain, type EIP1193Provider, type WalletClient } from "viem";

/** An EIP-6963 provider announcement. */
export interface WalletInfo {
  uuid: string;
  name: string;
  icon: string;
  provider: EIP1193Provider;
}

/** Collects EIP-6963 announcements (and `window.ethereum` when nothing announces) into `onChange`. */
export function discoverWallets(onChange: (wallets: WalletInfo[]) => void): () => void {
  const found = new Map<string, WalletInfo>();
  const listener = (event: Event) => {
    const detail = (event as CustomEvent<{ info: { uuid: string; name: string; icon: string }; provider: EIP1193Provider }>).detail;
    found.set(detail.info.uuid, { ...detail.info, provider: detail.provider });
    onChange([...found.values()]);
  };
  window.addEventListener("eip6963:announceProvider", listener);
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  const legacy = (window as unknown as { ethereum?: EIP1193Provider }).ethereum;
  const timer = setTimeout(() => {
    if (found.size === 0 && legacy !== undefined) onChange([{ uuid: "injected", name: "Browser wallet", icon: "", provider: legacy }]);
  }, 300);
  return () => {
    clearTimeout(timer);
    window.removeEventListener("eip6963:announceProvider", listener);
  };
}

/** A signer: its account and a wallet client. */
export interface Signer {
  account: Address;
  client: WalletClient;
  /** How it was chosen, shown in the header. */
  label: string;
}

/** Connects an injected wallet (asks for accounts). */
export async function connectWallet(wallet: WalletInfo, chain: Chain): Promise<Signer> {
  const [account] = (await wallet.provider.request({ method: "eth_requestAccounts" })) as Address[];
  if (account === undefined) throw new Error(`${wallet.name} returned no account.`);
  return { account, client: createWalletClient({ account, chain, transport: custom(wallet.provider) }), label: wallet.name };
}

/** The node's unlocked accounts (a local hardhat / anvil node); empty on a real network. */
export async function devAccounts(rpcUrl: string): Promise<Address[]> {
  const response = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_accounts", params: [] }) });
  const json = (await response.json()) as { result?: Address[] };
  return json.result ?? [];
}

/** A signer that has the local node sign for one of its dev accounts. */
export function devSigner(rpcUrl: string, account: Address, chain: Chain): Signer {
  return { account, client: createWalletClient({ account, chain, transport: http(rpcUrl) }), label: "dev account (local node)" };
}
