/**
 * `npm run bench:keeper`: the keeper's figures, measured, never asserted.
 * 1. 100k accounts x 5 positions, every decision (E < MM) in bigint;
 * 2. 1M accounts x 5 positions (a generated population, 1 % of it at the boundary), float screen then bigint
 *    near the boundary (same decisions, proven in test/keeper/margin/batch.test.ts), with the count decided in bigint;
 * 3. the latency from a price update (mined) to the liquidation transaction sent, with 10k and 100k tracked
 *    accounts, on an in-process Hardhat node.
 */
import { availableParallelism, cpus } from "node:os";
import { performance } from "node:perf_hooks";

import { createBatchParams, createMarginBook, liquidatableBigint, liquidatableScreened } from "../keeper/src/margin/batch.js";
import { populationBook, randomBook } from "./bench-keeper-data.js";
import { latencyBench } from "./bench-keeper-latency.js";

function time<T>(fn: () => T, runs = 3): { ms: number; result: T } {
  let best = Infinity;
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}

const cores = availableParallelism();
console.log(`keeper bench: ${cores} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}, single thread\n`);

const base = randomBook({ accounts: 100_000, positions: 5, seed: 1 });
const params = createBatchParams(base.riskParams);
const book100k = createMarginBook(base.portfolios);
const exact = time(() => liquidatableBigint(book100k, params, base.prices));
const count = (xs: Uint8Array) => xs.reduce((n, x) => n + x, 0);
console.log(`100k accounts x 5 positions, bigint:            ${exact.ms.toFixed(0).padStart(6)} ms  (target <= 300 ms; ${count(exact.result)} liquidatable)`);

// 1M accounts: a generated population with 1 % of the accounts at the boundary (within 1e-10 of their gross
// value, half of them within a few wei), where the float screen must hand over to bigint.
const population = populationBook({ accounts: 1_000_000, positions: 5, seed: 2, nearBoundary: 0.01 });
const screened = time(() => liquidatableScreened(population.book, params, population.prices), 3);
console.log(
  `1M accounts x 5 positions, float screen+bigint: ${screened.ms.toFixed(0).padStart(6)} ms  (target <= 1000 ms; ${count(screened.result.liquidatable)} liquidatable; ` +
    `${population.near} generated at the boundary, ${screened.result.deferred} decided in bigint)`,
);
const exact1m = time(() => liquidatableBigint(population.book, params, population.prices), 1);
console.log(`  same 1M, all in bigint: ${exact1m.ms.toFixed(0)} ms; same decisions: ${exact1m.result.every((x, i) => x === screened.result.liquidatable[i])}`);
const screened100k = liquidatableScreened(book100k, params, base.prices).liquidatable;
console.log(`  same decisions as bigint on the 100k set: ${screened100k.every((x, i) => x === exact.result[i])}`);

console.log("\nprice update -> liquidation sent (in-process Hardhat node; all tracked accounts hold ETH, whose price moves):");
// The first round of a process also compiles the liquidation path (JIT, viem's caches): shown apart, as "cold";
// a keeper that has been running is warm.
for (const [tracked, label] of [[10_000, "cold"], [10_000, "warm"], [100_000, "warm"]] as const) {
  const latency = await latencyBench({ tracked });
  console.log(
    `  ${String(tracked).padStart(7)} tracked, ${label}: decision (prices read -> tx sent) ${latency.decisionMs.toFixed(1).padStart(6)} ms (target <= 50 ms at 10k); ` +
      `whole round (index + prices + decision + send) ${latency.roundMs.toFixed(1)} ms; re-evaluated ${latency.reevaluated}, decided in bigint ${latency.decidedInBigint}`,
  );
}
process.exit(0);
