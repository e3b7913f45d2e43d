/**
 * `npm run margin:check -- [vectors.json]`: evaluates every case of a margin vector file with the on-chain
 * engine (deployed through the Ignition module on an in-process Hardhat network) and with the keeper's
 * TypeScript twin, compares every field of `expect` exactly, and exits non-zero on any mismatch.
 */
import { Command } from "commander";
import { network } from "hardhat";
import type { Contract } from "ethers";

import { buildPortfolioMarginModule } from "../ignition/modules/PortfolioMargin.js";
import { DEFAULT_GOVERNANCE, type DeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import {
  accountMargin,
  caseToPortfolio,
  casePrices,
  compareMargin,
  loadVectorFile,
  paramsToRiskParams,
  type Margin,
  type Mismatch,
  type VectorCase,
  type VectorFile,
} from "../client/src/margin/index.js";

// The largest maximum price the vault can store (64 bits in units of 1e9 WAD, MAX_PRICE_UNIT): 1.8e10 USD per unit,
// far above every vector's price.
const UNBOUNDED_PRICE = (2n ** 64n - 1n) * 10n ** 9n;
const WEEK = 7 * 24 * 3600;

/** A listing slot: the n-th token (or market) with the same risk parameters, so that no two entries of one case
 * are merged into one balance (mulDown of a sum is not the sum of mulDowns). */
type Slot = { asset: number; rate: bigint; copy: number };

function slots<T>(cases: VectorCase[], entries: (c: VectorCase) => T[], key: (e: T) => [number, bigint]): Slot[] {
  const multiplicity = new Map<string, Slot>();
  for (const c of cases) {
    const seen = new Map<string, number>();
    for (const entry of entries(c)) {
      const [asset, rate] = key(entry);
      const id = `${asset}:${rate}`;
      const copy = seen.get(id) ?? 0;
      seen.set(id, copy + 1);
      const slotId = `${id}:${copy}`;
      if (!multiplicity.has(slotId)) multiplicity.set(slotId, { asset, rate, copy });
    }
  }
  return [...multiplicity.values()];
}

function slotIndex(all: Slot[], asset: number, rate: bigint, copy: number): number {
  return all.findIndex((s) => s.asset === asset && s.rate === rate && s.copy === copy);
}

function deploymentFor(file: VectorFile, collateralSlots: Slot[], marketSlots: Slot[]): DeploymentConfig {
  const assets = [...file.params.assets].sort((a, b) => a.id - b.id);
  assets.forEach((asset, index) => {
    if (asset.id !== index) throw new Error(`margin vectors: asset ids must be 0..n-1 without gaps (missing ${index})`);
  });
  const symbol = (id: number) => assets[id]!.symbol;
  return {
    imFactor: file.params.imFactor,
    harness: true,
    settlement: { priceBandBps: 500 },
    liquidation: { bonusRate: 0n, fundShare: 0n, dustThreshold: 0n },
    cash: { settlementDiscount: 0n, liquidationGracePeriod: 0 },
    governance: DEFAULT_GOVERNANCE,
    // 18-decimal mock feeds carry WAD prices as they are; no cap is needed because the harness places balances.
    assets: assets.map((a) => ({ symbol: a.symbol, feed: { mock: { decimals: 18, answer: 1n } }, heartbeat: WEEK, scan: a.scan, maxPrice: UNBOUNDED_PRICE })),
    correlations: [...file.params.rho].map(([key, rho]) => {
      const [a, b] = key.split(",").map(Number) as [number, number];
      return { a: symbol(a), b: symbol(b), rho };
    }),
    collateral: collateralSlots.map((s, i) => ({
      token: { mock: { name: `Vector collateral ${i}`, symbol: `C${i}`, decimals: 18 } },
      asset: symbol(s.asset),
      haircut: s.rate,
      depositCap: 0n,
    })),
    markets: marketSlots.map((s) => ({ asset: symbol(s.asset), k: s.rate, openInterestCap: 0n })),
  };
}

async function evaluateOnchain(file: VectorFile): Promise<Mismatch[][]> {
  const connection = await network.create();
  const { ethers, ignition } = connection;
  const collateralSlots = slots(file.cases, (c) => c.collateral, (e) => [e.asset, e.haircut]);
  const marketSlots = slots(file.cases, (c) => c.positions, (e) => [e.asset, e.k]);
  const deployed = await ignition.deploy(buildPortfolioMarginModule(deploymentFor(file, collateralSlots, marketSlots), "MarginCheck"), {
    displayUi: false,
  });
  const vault = deployed.vault as Contract;
  const feeds = file.params.assets.map((a) => deployed[`feed_${a.symbol}`] as Contract);
  const tokens = collateralSlots.map((_, i) => deployed[`token_C${i}`] as Contract);

  const results: Mismatch[][] = [];
  for (const c of file.cases) {
    for (const [asset, price] of c.prices) await feeds[asset]!.setAnswer(price);
    const account = ethers.Wallet.createRandom().address;
    const copies = new Map<string, number>();
    const nextCopy = (id: string) => {
      const copy = copies.get(id) ?? 0;
      copies.set(id, copy + 1);
      return copy;
    };
    for (const e of c.collateral) {
      const slot = slotIndex(collateralSlots, e.asset, e.haircut, nextCopy(`c${e.asset}:${e.haircut}`));
      await vault.harnessSetBalance(account, tokens[slot]!, e.balance);
    }
    for (const p of c.positions) {
      const slot = slotIndex(marketSlots, p.asset, p.k, nextCopy(`m${p.asset}:${p.k}`));
      await vault.harnessSetPosition(account, slot, p.size);
    }
    await vault.harnessSetCash(account, c.cash);

    const m = await vault.accountMargin(account);
    const margin: Margin = {
      equity: m.equity,
      touched: m.touchedAssets,
      exposures: Array.from(m.exposures as bigint[]),
      weightedSensitivities: Array.from(m.weightedSensitivities as bigint[]),
      kLow: m.kLow,
      kMedium: m.kMedium,
      kHigh: m.kHigh,
      k: m.k,
      addOns: m.addOns,
      maintenanceMargin: m.maintenanceMargin,
      initialMargin: m.initialMargin,
      isolatedMaintenanceMargin: m.isolatedMaintenanceMargin,
    };
    const mismatches = compareMargin(c.expect, margin, c.name);
    const liquidatable: boolean = await vault.isLiquidatable(account);
    if (liquidatable !== c.expect.liquidatable) {
      mismatches.push({ case: c.name, field: "isLiquidatable()", expected: String(c.expect.liquidatable), actual: String(liquidatable) });
    }
    results.push(mismatches);
  }
  await connection.close();
  return results;
}

function evaluateKeeper(file: VectorFile): Mismatch[][] {
  const params = paramsToRiskParams(file.params);
  return file.cases.map((c) => compareMargin(c.expect, accountMargin(caseToPortfolio(c), params, casePrices(c, params.scan.length)), c.name));
}

function report(engine: string, results: Mismatch[][]): boolean {
  const matching = results.filter((r) => r.length === 0).length;
  console.log(`${engine}: ${matching}/${results.length} cases match`);
  for (const m of results.flat()) {
    console.log(`  [${engine}] case "${m.case}": ${m.field} expected ${m.expected}, got ${m.actual}`);
  }
  return matching === results.length;
}

const program = new Command()
  .name("margin:check")
  .description("Checks the on-chain margin engine and the keeper's twin against a margin vector file, to the wei.")
  .argument("[vectors]", "path of a vector file in the margin-v1 format", "test/vectors/margin-v1.json")
  .action(async (path: string) => {
    let file: VectorFile;
    try {
      file = loadVectorFile(path);
    } catch (err) {
      console.error((err as Error).message);
      process.exitCode = 2;
      return;
    }
    const onchain = report("onchain", await evaluateOnchain(file));
    const keeper = report("keeper", evaluateKeeper(file));
    process.exitCode = onchain && keeper ? 0 : 1;
  });

await program.parseAsync();
