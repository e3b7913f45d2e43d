/**
 * Seeded random accounts for the keeper's benchmarks and the batch-engine tests: the spec's default risk
 * parameters (6 assets, asset 0 USD), each account with USD collateral, cash and `positions` perpetual
 * positions on distinct risk assets, sized so that a share of them sits near maintenance margin.
 */
import { readFileSync } from "node:fs";

import { DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { createBatchParams, createBatchScratch, createMarginBook, prepareBatchPrices, slackBigint, type MarginBook } from "../keeper/src/margin/batch.js";
import { marginRequirement, pairIndex, type Portfolio, type RiskParams } from "../client/src/margin/marginLib.js";

/** A deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of `randomBook`. */
export interface RandomBookParameters {
  accounts: number;
  /** Positions per account (<= 5, one per non-USD asset). */
  positions: number;
  seed: number;
}

/** The spec's risk parameters, WAD prices, and the accounts. */
export function randomBook(parameters: RandomBookParameters): { portfolios: Portfolio[]; riskParams: RiskParams; prices: bigint[]; k: bigint[] } {
  const spec = parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")));
  const n = spec.assets.length;
  const symbols = spec.assets.map((a) => a.symbol);
  const rho = new Array<bigint>((n * (n - 1)) / 2).fill(0n);
  for (const c of spec.correlations) {
    const [a, b] = [symbols.indexOf(c.a), symbols.indexOf(c.b)].sort((x, y) => x - y) as [number, number];
    rho[pairIndex(a, b)] = c.rho;
  }
  const riskParams: RiskParams = { scan: spec.assets.map((a) => a.scan), rho, imFactor: spec.imFactor };
  const prices = spec.assets.map((a) => (typeof a.feed === "string" ? 10n ** 18n : a.feed.mock.answer * 10n ** BigInt(18 - a.feed.mock.decimals)));
  const k = spec.assets.map((_a, asset) => spec.markets.find((m) => symbols.indexOf(m.asset) === asset)?.k ?? 0n);
  const random = rng(parameters.seed);
  const portfolios: Portfolio[] = [];
  for (let i = 0; i < parameters.accounts; i++) {
    const portfolio = randomPortfolio(random, parameters.positions, prices, k);
    // Cash puts the account around its maintenance margin: between 0.5 x and 2 x MM of slack.
    const r = marginRequirement(portfolio, riskParams, prices);
    const target = (r.mm * BigInt(Math.floor((0.5 + random() * 1.5) * 1e6))) / 10n ** 6n;
    portfolio.cash = target - r.equity;
    portfolios.push(portfolio);
  }
  return { portfolios, riskParams, prices, k };
}

/** A random account with no cash: `positions` perps of 100 to 50,100 USD, one per non-USD asset in turn, and up to
 * 20,000 USDC of collateral. */
function randomPortfolio(random: () => number, positions: number, prices: bigint[], k: bigint[]): Portfolio {
  const n = prices.length;
  const entries = [];
  for (let j = 0; j < positions; j++) {
    const asset = 1 + (j % (n - 1));
    const notionalUsd = 100 + random() * 50_000;
    const sign = random() < 0.5 ? -1n : 1n;
    const size = (BigInt(Math.floor(notionalUsd * 1e6)) * 10n ** 30n) / prices[asset]!;
    entries.push({ asset, k: k[asset]!, size: sign * size });
  }
  const collateral = [{ asset: 0, haircut: 0n, balance: BigInt(Math.floor(random() * 20_000 * 1e6)) * 10n ** 12n }];
  return { cash: 0n, collateral, positions: entries };
}

/** Options of `populationBook`. */
export interface PopulationBookParameters {
  accounts: number;
  /** Positions per account (<= 5, one per non-USD asset). */
  positions: number;
  seed: number;
  /** Share of the accounts put right at the boundary (|E - MM| <= 1e-10 of their gross value), e.g. 0.01. */
  nearBoundary: number;
}

/**
 * A generated population for the screened engine's benchmark: random portfolios as in `randomBook`, each given
 * the cash that puts E - MM where the population needs it — most accounts between -0.05 and +0.1 of their gross
 * value from the boundary (a share of them liquidatable), and `nearBoundary` of them within 1e-10 of it (some
 * within a few wei), where the float screen cannot decide and hands them to bigint.
 */
export function populationBook(parameters: PopulationBookParameters): { book: MarginBook; riskParams: RiskParams; prices: bigint[]; near: number } {
  const { riskParams, prices, k } = randomBook({ accounts: 0, positions: 0, seed: parameters.seed });
  const n = prices.length;
  const random = rng(parameters.seed);
  const portfolios: Portfolio[] = [];
  for (let i = 0; i < parameters.accounts; i++) {
    portfolios.push(randomPortfolio(random, parameters.positions, prices, k));
  }
  const book = createMarginBook(portfolios);
  portfolios.length = 0;
  const params = createBatchParams(riskParams);
  const bp = prepareBatchPrices(prices);
  const pricesFloat = bp.pricesFloat;
  const scratch = createBatchScratch(n);
  let near = 0;
  for (let i = 0; i < book.count; i++) {
    let gross = 0;
    for (let j = book.offsets[i]!; j < book.offsets[i + 1]!; j++) gross += Math.abs(book.amountFloat[j]! * pricesFloat[book.asset[j]!]!);
    let target: bigint;
    const u = random();
    if (u < parameters.nearBoundary) {
      near++;
      // Half within a few wei, half within 1e-10 of the gross value (~ a few micro-dollars).
      target = random() < 0.5 ? BigInt(Math.floor(random() * 7) - 3) : BigInt(Math.round((random() * 2 - 1) * 1e-10 * gross * 1e18));
    } else {
      target = BigInt(Math.round((random() * 0.15 - 0.05) * gross * 1e6)) * 10n ** 12n;
    }
    const slack = slackBigint(book, params, bp, i, scratch); // with cash 0
    book.cash[i] = target - slack;
    book.cashFloat[i] = Number(book.cash[i]) / 1e18;
  }
  return { book, riskParams, prices, near };
}
