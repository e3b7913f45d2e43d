/**
 * `npm run liquidation:check -- [vectors.json] [--write]`: for every case of a liquidation vector file, places the
 * account and the liquidator on the default deployment (Ignition module, harness, in-process Hardhat network),
 * compares `previewLiquidation` on-chain and in the client's twin (`client/src/margin/liquidationLib.ts`) with the
 * case's `expect` to the wei, then sends `liquidate` and checks both accounts' E / MM / IM against it. Exits
 * non-zero on any mismatch. `--write` fills `expect` from the twin (for new cases), then checks on-chain.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { network } from "hardhat";
import type { Contract } from "ethers";

import { buildPortfolioMarginModule, DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig, type DeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import {
  pairIndex,
  previewLiquidation,
  type KeyedPortfolio,
  type LiquidationPreview,
  type RiskParams,
} from "../client/src/margin/index.js";

/** An account of a case: cash (WAD), balances in token units by collateral symbol, sizes (WAD) by market id. */
interface CaseAccount {
  cash: string;
  balances: Record<string, string>;
  positions: Record<string, string>;
}

interface LiquidationCase {
  name: string;
  /** WAD prices by asset symbol (the others keep the deployment's). */
  prices: Record<string, string>;
  account: CaseAccount;
  liquidator: CaseAccount;
  fraction: string;
  expect?: Record<keyof LiquidationPreview, string>;
}

const FIELDS: (keyof LiquidationPreview)[] = [
  "fraction",
  "value",
  "mmReleased",
  "bonus",
  "fundShare",
  "maxFraction",
  "equity",
  "maintenanceMargin",
  "initialMargin",
  "liquidatorEquity",
  "liquidatorMaintenanceMargin",
  "liquidatorInitialMargin",
];

function tokenSymbol(c: DeploymentConfig["collateral"][number]): string {
  return typeof c.token === "string" ? c.token : c.token.mock.symbol;
}

function decimalsOf(c: DeploymentConfig["collateral"][number]): number {
  if (typeof c.token === "string") throw new Error("liquidation:check: the default deployment's tokens are mocks");
  return c.token.mock.decimals;
}

/** The twin's risk parameters, scales and liquidation parameters of the deployment config. */
function twinOf(config: DeploymentConfig) {
  const assetId = new Map(config.assets.map((a, i) => [a.symbol, i]));
  const n = config.assets.length;
  const rho = new Array<bigint>((n * (n - 1)) / 2).fill(0n);
  for (const { a, b, rho: value } of config.correlations) {
    const [x, y] = [assetId.get(a)!, assetId.get(b)!].sort((p, q) => p - q) as [number, number];
    rho[pairIndex(x, y)] = value;
  }
  const risk: RiskParams = { scan: config.assets.map((a) => a.scan), rho, imFactor: config.imFactor };
  const scales = config.collateral.map((c) => 10n ** BigInt(18 - decimalsOf(c)));
  const params = { ...config.liquidation, hasFund: Boolean(config.insuranceFund) };
  const keyed = (account: CaseAccount): KeyedPortfolio => ({
    cash: BigInt(account.cash),
    collateral: config.collateral
      .map((c, id) => ({ c, id, amount: BigInt(account.balances[tokenSymbol(c)] ?? "0") }))
      .filter(({ amount }) => amount !== 0n)
      .map(({ c, id, amount }) => ({ id, entry: { asset: assetId.get(c.asset)!, haircut: c.haircut, balance: amount * scales[id]! } })),
    positions: config.markets
      .map((m, id) => ({ m, id, size: BigInt(account.positions[String(id)] ?? "0") }))
      .filter(({ size }) => size !== 0n)
      .map(({ m, id, size }) => ({ id, entry: { asset: assetId.get(m.asset)!, k: m.k, size } })),
  });
  const prices = (c: LiquidationCase): bigint[] =>
    config.assets.map((a) => {
      if (c.prices[a.symbol] !== undefined) return BigInt(c.prices[a.symbol]!);
      if (typeof a.feed === "string") throw new Error("liquidation:check: the default deployment's feeds are mocks");
      return a.feed.mock.answer * 10n ** BigInt(18 - a.feed.mock.decimals);
    });
  return (c: LiquidationCase): LiquidationPreview =>
    previewLiquidation({ account: keyed(c.account), liquidator: keyed(c.liquidator), scales: [...scales], risk, prices: prices(c), params, fraction: BigInt(c.fraction) });
}

function compare(name: string, engine: string, expected: Record<string, string>, actual: Record<string, bigint>): string[] {
  return FIELDS.filter((f) => expected[f] !== undefined && BigInt(expected[f]) !== actual[f]).map(
    (f) => `  [${engine}] case "${name}": ${f} expected ${expected[f]}, got ${actual[f]}`,
  );
}

async function checkOnchain(config: DeploymentConfig, cases: LiquidationCase[]): Promise<string[]> {
  const connection = await network.create();
  const { ethers, ignition } = connection;
  const deployed = await ignition.deploy(buildPortfolioMarginModule({ ...config, harness: true }), { displayUi: false });
  const vault = deployed.vault as Contract;
  const mismatches: string[] = [];
  for (const c of cases) {
    const snapshot = await connection.provider.request({ method: "evm_snapshot", params: [] });
    for (const [symbol, price] of Object.entries(c.prices)) {
      const feed = deployed[`feed_${symbol}`] as Contract;
      await feed.setAnswer(BigInt(price) / 10n ** (18n - BigInt(await feed.decimals())));
    }
    const [account, liquidator] = [ethers.Wallet.createRandom().address, (await ethers.getSigners())[5]!];
    for (const [who, state] of [[account, c.account], [liquidator.address, c.liquidator]] as const) {
      for (const [symbol, amount] of Object.entries(state.balances)) {
        await vault.harnessSetBalance(who, deployed[`token_${symbol}`] as Contract, BigInt(amount));
      }
      for (const [market, size] of Object.entries(state.positions)) await vault.harnessSetPosition(who, Number(market), BigInt(size));
      await vault.harnessSetCash(who, BigInt(state.cash));
    }
    const asLiquidator = vault.connect(liquidator) as Contract;
    const view = await asLiquidator.previewLiquidation(account, BigInt(c.fraction));
    mismatches.push(...compare(c.name, "onchain preview", c.expect!, Object.fromEntries(FIELDS.map((f) => [f, view[f] as bigint]))));
    try {
      await (await asLiquidator.liquidate(account, BigInt(c.fraction))).wait();
      const m = await vault.accountMargin(account);
      const l = await vault.accountMargin(liquidator.address);
      const after = {
        equity: m.equity,
        maintenanceMargin: m.maintenanceMargin,
        initialMargin: m.initialMargin,
        liquidatorEquity: l.equity,
        liquidatorMaintenanceMargin: l.maintenanceMargin,
        liquidatorInitialMargin: l.initialMargin,
      };
      const expected = Object.fromEntries(Object.keys(after).map((k) => [k, c.expect![k as keyof LiquidationPreview]]));
      mismatches.push(...compare(c.name, "onchain liquidate", expected, after));
    } catch (error) {
      mismatches.push(`  [onchain liquidate] case "${c.name}": reverted (${(error as Error).message.split("\n")[0]})`);
    }
    await connection.provider.request({ method: "evm_revert", params: [snapshot] });
  }
  await connection.close();
  return mismatches;
}

const program = new Command()
  .name("liquidation:check")
  .description("Checks previewLiquidation / liquidate on-chain and the client's twin against a liquidation vector file, to the wei.")
  .argument("[vectors]", "path of a liquidation vector file", "test/vectors/liquidation-v1.json")
  .option("--write", "fill every case's expect from the twin, then check on-chain")
  .action(async (path: string, options: { write?: boolean }) => {
    const file = JSON.parse(readFileSync(path, "utf8")) as { description: string; cases: LiquidationCase[] };
    const config = parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")));
    const twin = twinOf(config);
    if (options.write) {
      for (const c of file.cases) {
        const v = twin(c);
        c.expect = Object.fromEntries(FIELDS.map((f) => [f, v[f].toString()])) as LiquidationCase["expect"];
      }
      writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
    }
    const missing = file.cases.filter((c) => c.expect === undefined).map((c) => c.name);
    if (missing.length > 0) {
      console.error(`liquidation:check: cases without expect: ${missing.join(", ")}; run with --write to fill them from the twin`);
      process.exitCode = 2;
      return;
    }
    const keeper = file.cases.flatMap((c) => {
      const v = twin(c);
      return compare(c.name, "twin", c.expect!, Object.fromEntries(FIELDS.map((f) => [f, v[f]])));
    });
    const onchain = await checkOnchain(config, file.cases);
    console.log(`twin: ${file.cases.length - new Set(keeper.map((m) => m.split('"')[1])).size}/${file.cases.length} cases match`);
    console.log(`onchain: ${file.cases.length - new Set(onchain.map((m) => m.split('"')[1])).size}/${file.cases.length} cases match`);
    for (const m of [...keeper, ...onchain]) console.log(m);
    process.exitCode = keeper.length === 0 && onchain.length === 0 ? 0 : 1;
  });

await program.parseAsync();
