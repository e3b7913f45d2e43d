/**
 * `npm start -- --keep-running`: after the report, the node stays up for a trader. It writes the deployment file the
 * CLI reads (`deployments/localhost.json`), starts the RFQ maker service on the market maker's account (the account
 * the run's accounts traded with, through the run's own zero-spread maker; this one quotes 10 bps), and republishes the mock feeds' answers every few minutes
 * so that prices never go stale while nobody moves them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Contract } from "ethers";

import { deploymentFileJson } from "../client/src/deploymentFile.js";
import type { RunningMaker } from "../maker/src/startMaker.js";
import { hardhatTestKey, type Protocol } from "./chain.js";
import { startSimMaker, TRADER_MAKER } from "./maker.js";

/** The deployment file the trader's CLI reads by default. */
export const DEPLOYMENT_FILE = path.join("deployments", "localhost.json");

/** The node account whose public test key the README's trader uses. */
export const TRADER_ACCOUNT_INDEX = 5;

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
  // The replay mines its blocks by hand; a trader's transactions must be mined as they come.
  await protocol.provider.send("evm_setAutomine", [true]);
  const vault = await protocol.vault.getAddress();
  const settlement = await protocol.settlement.getAddress();
  const chainId = Number(protocol.chainId);
  const maker = await startSimMaker(protocol, rpcUrl, TRADER_MAKER);
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
