/**
 * `keeper init`: writes a keeper config from an Ignition deployment, so that the vault address and its deployment
 * block are read from what was deployed, never copied by hand (the example config's address used to be a feed's).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getAddress, type Address, type PublicClient } from "viem";

import { parseConfig } from "../config/loadConfig.js";
import type { KeeperConfig } from "../config/schema.js";
import { ConfigError } from "../errors.js";

/** What `readIgnitionDeployment` finds. */
export interface IgnitionDeployment {
  vault: Address;
  /** The block of the vault's deployment receipt: the first block the indexer reads. */
  startBlock: number;
}

/** Options of `initCommand`. */
export interface InitCommandParameters {
  /** The Ignition deployment directory, e.g. `ignition/deployments/chain-31337`. */
  deployment: string;
  /** The Ignition module id. @default "PortfolioMargin" */
  moduleId?: string;
  rpcUrls: string[];
  /** Checks the chain id and the vault's code; the chain id written is the endpoint's. */
  client: PublicClient;
  /** Where to write the config. */
  out: string;
  /** Overwrite `out` if it exists. @default false */
  force?: boolean;
  /** @default "dry-run" */
  mode?: KeeperConfig["mode"];
  /** `key.privateKeyEnv` to write (mode `run` needs a key). */
  privateKeyEnv?: string;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    throw new ConfigError(`Cannot read ${what} ${file}.`, {
      cause,
      metaMessages: ["Pass the directory Ignition wrote, e.g. --deployment ignition/deployments/chain-31337 (deploy first)."],
    });
  }
}

/**
 * Reads the vault's address and deployment block from an Ignition deployment directory (`deployed_addresses.json`
 * and the receipt in `journal.jsonl`).
 *
 * @param deployment The deployment directory.
 * @param moduleId The module id (`PortfolioMargin`; the local run uses other ids).
 * @returns The vault and its deployment block.
 * @throws ConfigError when the directory, the vault or its receipt is missing.
 */
export function readIgnitionDeployment(deployment: string, moduleId = "PortfolioMargin"): IgnitionDeployment {
  const futureId = `${moduleId}#vault`;
  const addresses = JSON.parse(readText(path.join(deployment, "deployed_addresses.json"), "the deployed addresses")) as Record<string, string>;
  const vault = addresses[futureId];
  if (vault === undefined) {
    throw new ConfigError(`The deployment ${deployment} has no ${futureId}.`, {
      metaMessages: [`It lists: ${Object.keys(addresses).join(", ") || "nothing"}.`, "Pass the module id with --module."],
    });
  }
  let startBlock: number | undefined;
  for (const line of readText(path.join(deployment, "journal.jsonl"), "the Ignition journal").split("\n")) {
    if (!line.includes(futureId)) continue;
    const entry = JSON.parse(line) as { futureId?: string; receipt?: { blockNumber?: number; contractAddress?: string } };
    if (entry.futureId === futureId && entry.receipt?.blockNumber !== undefined) startBlock = entry.receipt.blockNumber;
  }
  if (startBlock === undefined) {
    throw new ConfigError(`The Ignition journal of ${deployment} has no receipt for ${futureId}.`, {
      metaMessages: ["Finish the deployment (run the same `ignition deploy` again), then run init again."],
    });
  }
  return { vault: getAddress(vault), startBlock };
}

/**
 * `keeper init`: reads the deployment, checks it against the endpoint (same chain, code at the vault), validates
 * the config through the schema and writes it.
 *
 * @param parameters Deployment, endpoint, output.
 * @returns The config written.
 * @throws ConfigError when `out` exists (without `force`), the deployment is unreadable, or the vault has no code
 * on the endpoint's chain (the node was restarted, or it is another chain).
 */
export async function initCommand(parameters: InitCommandParameters): Promise<KeeperConfig> {
  const { deployment, client, out } = parameters;
  if (existsSync(out) && parameters.force !== true) {
    throw new ConfigError(`${out} exists.`, { metaMessages: ["Pass --force to overwrite it, or another --out."] });
  }
  const { vault, startBlock } = readIgnitionDeployment(deployment, parameters.moduleId);
  const chainId = await client.getChainId();
  const code = await client.getCode({ address: vault });
  if (code === undefined || code === "0x") {
    throw new ConfigError(`No contract at the vault ${vault} on chain ${chainId}.`, {
      metaMessages: ["The node was restarted since the deployment, or rpcUrls points at another chain: deploy again, then run init."],
    });
  }
  const raw = {
    rpcUrls: parameters.rpcUrls,
    vault,
    chainId,
    startBlock,
    mode: parameters.mode ?? "dry-run",
    ...(parameters.privateKeyEnv !== undefined ? { key: { privateKeyEnv: parameters.privateKeyEnv } } : {}),
  };
  const config = parseConfig(raw, { source: "generated config" });
  writeFileSync(out, `${JSON.stringify(raw, null, 2)}\n`);
  return config;
}
