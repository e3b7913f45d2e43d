/**
 * The local run's counterparty: the RFQ maker service (`maker/`, the same code as `npm run maker`) on the market
 * maker's account (the node's account #1). The run's accounts open and close their positions by asking it for quotes
 * over HTTP and settling its signed orders; with `--keep-running` a trader's CLI and the page trade against it too.
 */
import { parseMakerConfig, type MakerConfig } from "../maker/src/config.js";
import { startMaker, type RunningMaker } from "../maker/src/startMaker.js";
import { hardhatTestKey, type Protocol } from "./chain.js";
import { freePort } from "./node.js";

const MAKER_KEY_ENV = "SIM_MAKER_PRIVATE_KEY";

/** What differs between the run's maker and the one kept running for a trader. */
export type SimMakerOptions = Pick<MakerConfig, "spreadBps" | "quoteTtlSeconds" | "maxInventory" | "maxQuoteSize" | "rateLimitPerMinute">;

/**
 * The run's maker: zero spread, so that every account opens at the oracle price exactly as its plan (sized with the
 * twin at the oracle price) says; no inventory, size or rate limit that 300 accounts could reach, since the market
 * maker's $300M is the counterparty of the whole book. Its initial-margin and stale-feed refusals stay on.
 */
export const RUN_MAKER: SimMakerOptions = {
  spreadBps: 0,
  quoteTtlSeconds: 120,
  maxInventory: "1000000000000",
  maxQuoteSize: "1000000000000",
  rateLimitPerMinute: 1_000_000,
};

/** The maker a trader meets after the run (`--keep-running`): 10 bps, quotes valid 60 s. */
export const TRADER_MAKER: SimMakerOptions = {
  spreadBps: 10,
  quoteTtlSeconds: 60,
  maxInventory: "100000",
  maxQuoteSize: "10000",
  rateLimitPerMinute: 60,
};

/**
 * Starts the RFQ maker service on the market maker's account, on a free loopback port.
 *
 * @param protocol The deployed protocol.
 * @param rpcUrl The node's URL.
 * @param options Spread, quote lifetime and limits.
 */
export async function startSimMaker(protocol: Protocol, rpcUrl: string, options: SimMakerOptions): Promise<RunningMaker> {
  const config = parseMakerConfig({
    rpcUrl,
    chainId: Number(protocol.chainId),
    vault: await protocol.vault.getAddress(),
    settlement: await protocol.settlement.getAddress(),
    fromBlock: String(protocol.deployBlock),
    key: { privateKeyEnv: MAKER_KEY_ENV },
    http: { host: "127.0.0.1", port: await freePort() },
    ...options,
    logLevel: "silent",
  });
  return startMaker(config, { env: { [MAKER_KEY_ENV]: hardhatTestKey(1) } });
}
