import { createWalletClient, defineChain, getAddress, type Address, type PublicClient } from "viem";

import { createKeeperClient, createKeeperTransport } from "../client.js";
import type { KeeperConfig } from "../config/schema.js";
import { ConfigError } from "../errors.js";
import { assertVaultCode, createKeeper, onLiquidationSettled } from "../keeper.js";
import type { Logger } from "../log.js";
import { createMetrics } from "../metrics.js";
import { loadSigner } from "../send/loadSigner.js";
import { createSender, type Sender } from "../send/sender.js";
import { startServer } from "../server.js";
import { openStore } from "../store/store.js";

/**
 * Refuses a config that would silently "work" on nothing: a `vault` without code (an EOA, a wrong address, a node
 * restarted empty), or a `startBlock` after the vault's deployment (the listings would be missed: E = MM = 0).
 *
 * @param client The client.
 * @param config The vault and start block.
 * @param logger Warns when the node cannot serve the state at `startBlock - 1` (a pruned node): unchecked then.
 * @throws ChainResetError (no code) or ConfigError (startBlock too late).
 */
export async function checkDeployment(client: PublicClient, config: Pick<KeeperConfig, "vault" | "startBlock">, logger?: Logger): Promise<void> {
  await assertVaultCode(client, config.vault);
  if (config.startBlock === 0) return;
  let before: string | undefined;
  try {
    before = await client.getCode({ address: config.vault, blockNumber: BigInt(config.startBlock - 1) });
  } catch (error) {
    logger?.warn({ err: error, startBlock: config.startBlock }, "cannot read the vault's code before startBlock (pruned node?): startBlock unchecked");
    return;
  }
  if (before !== undefined && before !== "0x") {
    throw new ConfigError(`startBlock ${config.startBlock} is after the vault's deployment: the vault already has code at block ${config.startBlock - 1}.`, {
      metaMessages: ["Set `startBlock` to the vault's deployment block (`keeper init` reads it from the Ignition deployment)."],
    });
  }
}

/** Options of `runCommand`. */
export interface RunCommandParameters {
  config: KeeperConfig;
  logger: Logger;
  /** Stops the keeper (the CLI aborts it on SIGINT/SIGTERM). */
  signal: AbortSignal;
}

/**
 * `keeper run`: the HTTP endpoints, then the per-block loop until `signal` aborts; then waits for the round in
 * progress (and the bookkeeping of what it sent), closes the state file and the server.
 *
 * @param parameters Config, logger, signal.
 * @throws ConfigError when mode "run" has no key, or `liquidator` contradicts the key.
 */
export async function runCommand(parameters: RunCommandParameters): Promise<void> {
  const { config, logger, signal } = parameters;
  const metrics = createMetrics({ defaultMetrics: true });
  if (config.mode === "run" && config.key === undefined) {
    throw new ConfigError('mode "run" needs a signing key.', { metaMessages: ['Set `key` ({ "privateKeyEnv": "KEEPER_PRIVATE_KEY" } or a keystore), or use mode "dry-run".'] });
  }
  const account = config.key ? await loadSigner({ key: config.key }) : null;
  if (account && config.liquidator && getAddress(config.liquidator) !== account.address) {
    throw new ConfigError(`\`liquidator\` ${config.liquidator} is not the key's address ${account.address}.`, { metaMessages: ["Remove `liquidator` or fix it."] });
  }
  const liquidator: Address | undefined = account?.address ?? config.liquidator;
  if (liquidator === undefined) {
    throw new ConfigError("No liquidator address.", { metaMessages: ["Set `key`, or `liquidator` (the address simulations are made from) for a dry run."] });
  }
  const client = await createKeeperClient(config, metrics);
  await checkDeployment(client, config, logger);
  const store = openStore({ path: config.dbPath, vault: config.vault, chainId: config.chainId });
  let sender: Sender | null = null;
  if (account) {
    const chain = defineChain({ id: config.chainId, name: `chain ${config.chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
    const walletClient = createWalletClient({ account, chain, transport: createKeeperTransport(config, metrics) });
    sender = createSender({
      publicClient: client,
      walletClient,
      vault: config.vault,
      gas: config.gas,
      metrics,
      logger: logger.child({ module: "sender" }),
      onSettled: onLiquidationSettled(logger.child({ module: "sender" })),
      journal: store,
    });
  }
  const keeper = createKeeper({ config, client, store, sender, liquidator, metrics, logger });
  const http = await startServer({ host: config.metrics.host, port: config.metrics.port, metrics, readiness: config.readiness, status: keeper.status });
  logger.info({ host: config.metrics.host, port: http.port }, "serving /metrics, /healthz, /readyz");
  try {
    await keeper.run(signal);
  } finally {
    store.close();
    await http.close();
  }
}
