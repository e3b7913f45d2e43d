/**
 * `npm start -- --keep-running`: after the report, the node stays up for a trader. It writes the deployment file the
 * CLI reads (`deployments/localhost.json`), starts the RFQ maker service on the market maker's account (the same
 * account that was the scripted counterparty of the run), and republishes the mock feeds' answers every few minutes
 * so that prices never go stale while nobody moves them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Contract } from "ethers";

import { deploymentFileJson } from "../client/src/deploymentFile.js";
import { parseMakerConfig } from "../maker/src/config.js";
import { startMaker, type RunningMaker } from "../maker/src/startMaker.js";
import { hardhatTestKey, type Protocol } from "./chain.js";
import { freePort } from "./node.js";

/** The deployment file the trader's CLI reads by default. */
export const DEPLOYMENT_FILE = path.join("deployments", "localhost.json");

/** The node account whose public test key the README's trader uses. */
export const TRADER_ACCOUNT_INDEX = 5;

const MAKER_KEY_ENV = "SIM_MAKER_PRIVATE_KEY";

/** What keeps running. */
export interface KeptRunning {
  maker: RunningMaker;
  deploymentFile: string;
  traderKey: string;
  stop(): Promise<void>;
}

/**
 * Writes the deployment file, starts the maker and the feed refresher.
 *
 * @param protocol The deployed protocol.
 * @param rpcUrl The node's URL.
 * @returns The running maker and `stop`.
 */
export async function keepRunning(protocol: Protocol, rpcUrl: string): Promise<KeptRunning> {
  const vault = await protocol.vault.getAddress();
  const settlement = await protocol.settlement.getAddress();
  const chainId = Number(protocol.chainId);
  const config = parseMakerConfig({
    rpcUrl,
    chainId,
    vault,
    settlement,
    fromBlock: String(protocol.deployBlock),
    key: { privateKeyEnv: MAKER_KEY_ENV },
    http: { host: "127.0.0.1", port: await freePort() },
    spreadBps: 10,
    quoteTtlSeconds: 60,
    maxInventory: "100000",
    maxQuoteSize: "10000",
    logLevel: "silent",
  });
  const maker = await startMaker(config, { env: { [MAKER_KEY_ENV]: hardhatTestKey(1) } });
  mkdirSync(path.dirname(DEPLOYMENT_FILE), { recursive: true });
  writeFileSync(
    DEPLOYMENT_FILE,
    deploymentFileJson({ rpcUrl, chainId, vault: vault as `0x${string}`, settlement: settlement as `0x${string}`, fromBlock: BigInt(protocol.deployBlock), makerUrl: maker.url }),
  );

  // The feeds' heartbeat is an hour: republish the current answers every 5 minutes.
  const refresh = async () => {
    for (const feed of Object.values(protocol.feeds)) {
      const [, answer] = (await feed.latestRoundData()) as [bigint, bigint];
      await ((await (feed.connect(protocol.admin) as Contract).setAnswer(answer)) as { wait(): Promise<unknown> }).wait();
    }
  };
  const timer = setInterval(() => void refresh().catch(() => undefined), 5 * 60_000);
  return {
    maker,
    deploymentFile: DEPLOYMENT_FILE,
    traderKey: hardhatTestKey(TRADER_ACCOUNT_INDEX),
    async stop() {
      clearInterval(timer);
      await maker.close();
    },
  };
}
