/**
 * The web page's performance, in the same headless Chromium as the browser tests, on a synthetic book (the spec's
 * parameters, seeded random accounts; no chain): the protocol view's first render with 10,000 accounts, and a
 * what-if edit of a six-asset account from the input event to the next frame. Printed beside the targets;
 * BENCH_APP_TIMINGS=1 also prints every load's timings (script start, data fetched, ranking posted to and received
 * from the worker).
 */
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { getAddress, toHex, type Address } from "viem";

import { buildApp, serveApp } from "../app/server/serve.js";
import type { BookStateJson } from "../app/src/chain/book.js";
import { DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { mulDown } from "../client/src/margin/mathLib.js";
import { rng } from "./bench-keeper-data.js";

const ACCOUNTS = 10_000;
const EDITS = 40;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** The spec's listing with seeded accounts: USDC and 1..5 perps at 0.5x..8x leverage; account 1 holds all six assets. */
function syntheticBook(accounts: number, seed: number): { state: BookStateJson; sixAssets: Address } {
  const spec = parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")));
  const symbols = spec.assets.map((a) => a.symbol);
  const prices = spec.assets.map((a) => (typeof a.feed === "string" ? 10n ** 18n : a.feed.mock.answer * 10n ** BigInt(18 - a.feed.mock.decimals)));
  const markets = spec.markets.map((m) => ({ asset: symbols.indexOf(m.asset), k: m.k.toString(), openInterestCap: m.openInterestCap.toString() }));
  const random = rng(seed);
  const list: BookStateJson["accounts"] = [];
  for (let i = 1; i <= accounts; i++) {
    const usdc = BigInt(Math.floor(1_000 + random() * 1_000_000));
    const count = i === 1 ? markets.length : 1 + Math.floor(random() * markets.length);
    const leverage = 0.5 + random() * 7.5;
    let cash = 0n;
    const positions = markets.map(() => "0");
    for (let k = 0; k < count; k++) {
      const id = i === 1 ? k : Math.floor(random() * markets.length);
      const price = prices[markets[id]!.asset]!;
      const notional = (Number(usdc) * leverage) / count * (random() < 0.5 ? -1 : 1);
      const size = (BigInt(Math.round((notional / (Number(price) / 1e18)) * 1e6)) * 10n ** 12n);
      positions[id] = (BigInt(positions[id]!) + size).toString();
      cash -= mulDown(size, price);
    }
    list.push({ address: getAddress(toHex(i, { size: 20 })), cash: cash.toString(), balances: [(usdc * 10n ** 6n).toString(), "0", "0", "0", "0", "0"], positions });
  }
  const rho: [number, number, string][] = spec.correlations.map((c) => [symbols.indexOf(c.a), symbols.indexOf(c.b), c.rho.toString()]);
  return {
    state: {
      assets: spec.assets.map((a) => ({ symbol: a.symbol, scan: a.scan.toString(), maxPrice: a.maxPrice.toString() })),
      rho,
      imFactor: spec.imFactor.toString(),
      collaterals: spec.collateral.map((c, id) => ({ token: getAddress(toHex(0xc0 + id, { size: 20 })), symbol: typeof c.token === "string" ? c.token : c.token.mock.symbol, asset: symbols.indexOf(c.asset), decimals: typeof c.token === "string" ? 18 : c.token.mock.decimals, haircut: c.haircut.toString() })),
      markets,
      prices: prices.map(String),
      accounts: list,
    },
    sixAssets: list[0]!.address,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = (what: string, ms: number, target: number, extra: string) =>
  console.log(`  ${what.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms  target < ${target} ms ${ms < target ? "ok" : "MISS"}  ${extra}`);

await buildApp();
const { state, sixAssets } = syntheticBook(ACCOUNTS, 7);
const server = await serveApp({ rpcUrl: "http://127.0.0.1:9", vault: getAddress(toHex(0xfa, { size: 20 })), benchState: JSON.stringify(state) });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  console.log(`\nweb page (headless Chromium, synthetic book of ${ACCOUNTS.toLocaleString()} accounts):`);
  const firsts: { paint: number; fromData: number; rank: number }[] = [];
  for (let run = 0; run < 4; run++) {
    await page.goto("about:blank");
    await page.goto(`${server.url}#/protocol`);
    await page.waitForFunction(() => (globalThis as unknown as { __pmTimings: Record<string, number> }).__pmTimings.protocolFirstRender !== undefined, undefined, { timeout: 60_000 });
    const t = await page.evaluate(() => (globalThis as unknown as { __pmTimings: Record<string, number> }).__pmTimings);
    // The first load warms the browser's caches (a person's second visit); the next three are measured.
    if (process.env.BENCH_APP_TIMINGS) console.log(JSON.stringify(t));
    if (run > 0) firsts.push({ paint: t.protocolFirstRender!, fromData: t.protocolFirstRender! - t.benchDataReady!, rank: t.rankAccounts! });
  }
  const best = firsts.sort((a, b) => a.paint - b.paint)[1]!; // the median of three
  line("protocol view, first render (navigation -> painted)", best.paint, 2000, `(book ready -> painted ${best.fromData.toFixed(0)} ms, of which ranking ${best.rank.toFixed(0)} ms; median of 3 loads)`);

  await page.goto(`${server.url}#/account/${sixAssets}`);
  const input = page.getByTestId("whatif-size-1");
  await input.waitFor();
  const edits: number[] = [];
  const computes: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    await input.fill(String(-1 - i));
    await page.waitForFunction(() => (globalThis as unknown as { __pmEditAt?: number }).__pmEditAt === undefined);
    await page.evaluate(() => new Promise((r) => (globalThis as unknown as { requestAnimationFrame(f: () => void): void }).requestAnimationFrame(() => (globalThis as unknown as { requestAnimationFrame(f: () => void): void }).requestAnimationFrame(() => r(null)))));
    const t = await page.evaluate(() => (globalThis as unknown as { __pmTimings: Record<string, number> }).__pmTimings);
    edits.push(t.whatIfEdit!);
    computes.push(t.whatIfCompute!);
  }
  line("what-if edit, 6-asset account (input -> next frame)", median(edits), 16, `(median of ${EDITS}; max ${Math.max(...edits).toFixed(1)} ms; twin compute median ${median(computes).toFixed(2)} ms)`);
} finally {
  await browser.close();
  await server.close();
}
process.exit(0);
