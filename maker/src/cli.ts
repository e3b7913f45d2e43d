/**
 * The RFQ market maker: `npm run maker -- --config maker.config.json`. Answers `POST /quote` with signed orders at
 * the oracle price plus or minus the spread; `/metrics`, `/healthz`, `/readyz`. Stops on SIGINT / SIGTERM.
 */
import { Command } from "commander";

import { PortfolioMarginError, redact } from "../../client/src/errors.js";
import { createLogger } from "../../client/src/log.js";
import { loadMakerConfig } from "./config.js";
import { startMaker } from "./startMaker.js";

const program = new Command()
  .name("maker")
  .description("RFQ market maker of portfolio-margin")
  .requiredOption("-c, --config <path>", "maker.config.json (documented in maker/src/config.ts)")
  .action(async (options: { config: string }) => {
    const config = loadMakerConfig(options.config);
    const logger = createLogger({ level: config.logLevel });
    const running = await startMaker(config, { logger });
    console.log(`maker listening on ${running.url} (POST /quote, GET /metrics /healthz /readyz)`);
    await new Promise<void>((resolve) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
    });
    await running.close();
  });

try {
  await program.parseAsync(process.argv);
  process.exit(0);
} catch (error) {
  console.error(error instanceof PortfolioMarginError ? `${error.name}: ${[error.shortMessage, ...error.metaMessages].join(" ")}` : `maker failed: ${redact(error instanceof Error ? error.message : String(error))}`);
  process.exit(1);
}
