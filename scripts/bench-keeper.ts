/**
 * `npm run bench:keeper`: the keeper's figures, measured, never asserted.
 * 1. 100k accounts x 5 positions, every decision (E < MM) in bigint;
 * 2. 1M accounts x 5 positions, float screen then bigint near the boundary (same decisions, proven in
 *    test/keeper/margin/batch.test.ts);
 * 3. the latency from a price update (mined) to the liquidation transaction sent, with 10k tracked accounts, on
 *    an in-process Hardhat node.
 */
import { availableParallelism, cpus } from "node:os";
import { performance } from "node:perf_hooks";

import { createBatchParams, createMarginBook, liquidatableBigint, liquidatableScreened } from "../keeper/src/margin/batch.js";
import type { Portfolio } from "../keeper/src/margin/marginLib.js";
import { randomBook } from "./bench-keeper-data.js";
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

// 1M accounts: the 100k above, ten times, each copy with its own cash offset so that decisions differ.
const million: Portfolio[] = [];
for (let copy = 0; copy < 10; copy++) {
  for (const p of base.portfolios) million.push({ ...p, cash: p.cash + BigInt(copy - 5) * 10n ** 20n });
}
const book1m = createMarginBook(million);
const screened = time(() => liquidatableScreened(book1m, params, base.prices), 2);
console.log(`1M accounts x 5 positions, float screen+bigint: ${screened.ms.toFixed(0).padStart(6)} ms  (target <= 1000 ms; ${count(screened.result.liquidatable)} liquidatable, ${screened.result.deferred} decided in bigint)`);
const screened100k = liquidatableScreened(book100k, params, base.prices).liquidatable;
console.log(`  same decisions as bigint on the 100k set: ${screened100k.every((x, i) => x === exact.result[i])}`);

const latency = await latencyBench({ tracked: 10_000 });
console.log(`\nprice update -> liquidation sent, ${latency.tracked} tracked accounts (in-process Hardhat node):`);
console.log(`  decision (prices read -> tx sent):  ${latency.decisionMs.toFixed(1).padStart(7)} ms  (target <= 50 ms)`);
console.log(`  whole round (index + prices + decision + send): ${latency.roundMs.toFixed(1)} ms; accounts re-evaluated: ${latency.reevaluated}`);
process.exit(0);
