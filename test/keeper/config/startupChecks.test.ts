import { expect } from "chai";
import type { Contract } from "ethers";
import { createServer } from "node:net";
import { createPublicClient, custom, getAddress, type EIP1193Provider, type PublicClient } from "viem";

import { checkDeployment } from "../../../keeper/src/commands/run.js";
import { ChainResetError, ConfigError } from "../../../keeper/src/errors.js";
import { createMetrics } from "../../../keeper/src/metrics.js";
import { loadSigner } from "../../../keeper/src/send/loadSigner.js";
import { startServer } from "../../../keeper/src/server.js";
import { connection, deployDefault, networkHelpers } from "../../fixtures.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;

describe("keeper start-up: configs that used to 'work' silently or crash with a stack trace", () => {
  it("an EOA as vault: ChainResetError naming the address", async () => {
    const { alice } = await networkHelpers.loadFixture(deployDefault);
    const error = await checkDeployment(client, { vault: getAddress(alice.address), startBlock: 0 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ChainResetError);
  });

  it("a startBlock after the vault's deployment: ConfigError; the deployment block itself passes", async () => {
    const { vault } = await networkHelpers.loadFixture(deployDefault);
    const address = getAddress(await vault.getAddress());
    const receipt = await (vault as Contract).deploymentTransaction()?.wait();
    const head = Number(await client.getBlockNumber());
    const late = await checkDeployment(client, { vault: address, startBlock: head }).catch((e: unknown) => e);
    expect(late).to.be.instanceOf(ConfigError);
    expect((late as ConfigError).shortMessage).to.match(/after the vault's deployment/);
    if (receipt) await checkDeployment(client, { vault: address, startBlock: receipt.blockNumber });
  });

  it("a zero private key: ConfigError, not a secp256k1 stack trace", async () => {
    const error = await loadSigner({ key: { privateKeyEnv: "K" }, env: { K: `0x${"0".repeat(64)}` } }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConfigError);
  });

  it("a metrics port in use: ConfigError saying so", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const error = await startServer({ host: "127.0.0.1", port, metrics: createMetrics(), readiness: { maxBlockLag: 3, maxStaleSeconds: 60, maxFailedRounds: 3 }, status: () => ({ lastBlock: null, lastBlockAt: 0, head: null, failedRounds: 0 }) }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).shortMessage).to.match(/port is in use/);
    } finally {
      holder.close();
    }
  });
});
