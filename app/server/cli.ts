/** `npm run app -- --rpc URL --vault ADDRESS [...]`: builds the page and serves it for one deployment. */
import { Command, InvalidArgumentError } from "commander";
import { isAddress, type Address } from "viem";

import { buildApp, serveApp } from "./serve.js";

const address = (value: string): Address => {
  if (!isAddress(value)) throw new InvalidArgumentError("expected a 0x-prefixed 20-byte address");
  return value;
};
const whole = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
};

const program = new Command()
  .name("app")
  .description("Serve the portfolio-margin web page (account, what-if, stress, protocol views) for one deployment")
  .requiredOption("--rpc <url>", "JSON-RPC endpoint the browser reads (http(s):// or ws(s)://)")
  .requiredOption("--vault <address>", "the MarginVault", address)
  .option("--settlement <address>", "the TradeSettlement (default: the holder of the vault's SETTLER_ROLE)", address)
  .option("--start-block <n>", "the vault's deployment block", whole, 0)
  .option("--keeper-metrics <url>", "the keeper's /metrics URL, shown in the protocol view")
  .option("--maker <url>", "the RFQ maker's URL")
  .option("--port <n>", "port on 127.0.0.1 (0: a free one)", whole, 5173)
  .option("--poll-ms <n>", "block polling interval of the page", whole, 500)
  .option("--no-build", "serve app/dist as it is")
  .showHelpAfterError();

program.parse(process.argv);
const o = program.opts<{ rpc: string; vault: Address; settlement?: Address; startBlock: number; keeperMetrics?: string; maker?: string; port: number; pollMs: number; build: boolean }>();
try {
  if (o.build) await buildApp();
  const server = await serveApp({
    rpcUrl: o.rpc, vault: o.vault, settlement: o.settlement ?? null, startBlock: o.startBlock, keeperMetricsUrl: o.keeperMetrics ?? null, makerUrl: o.maker ?? null, port: o.port, pollingIntervalMs: o.pollMs,
  });
  console.log(`portfolio-margin page: ${server.url}  (vault ${o.vault} on ${o.rpc}; Ctrl-C stops)`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
} catch (error) {
  console.error(`npm run app: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
