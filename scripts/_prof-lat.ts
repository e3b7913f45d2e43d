import { latencyBench } from "./bench-keeper-latency.js";
const l = await latencyBench({ tracked: 100_000, runs: 5 });
console.log(JSON.stringify(l));
process.exit(0);
