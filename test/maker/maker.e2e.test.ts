import { expect } from "chai";

import { ContractError, quoteFromJson, requestQuote, QuoteRefusedError, type Quote } from "../../client/src/index.js";
import { createLogger } from "../../client/src/log.js";
import { parseMakerConfig, type MakerConfig } from "../../maker/src/config.js";
import { startMaker, type RunningMaker } from "../../maker/src/startMaker.js";
import { startClientEnv, stopAll, WAD, type ClientEnv } from "../client/harness.js";

const MARKET = { BTC: 0, ETH: 1, SOL: 2 } as const;
const USDC = (x: number) => BigInt(x) * 10n ** 6n;

type Trader = Awaited<ReturnType<ClientEnv["trader"]>>;

describe("maker: the RFQ service against a hardhat node", function () {
  this.timeout(300_000);
  let env: ClientEnv;
  let makerTrader: Trader;
  let running: RunningMaker;
  let config: MakerConfig;
  let alice: Trader;
  let bob: Trader;

  const refusal = async (url: string, body: unknown): Promise<{ status: number; reason: string }> => {
    const response = await fetch(`${url}/quote`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await response.json()) as { reason?: string };
    return { status: response.status, reason: json.reason ?? "ok" };
  };

  before(async () => {
    env = await startClientEnv();
    makerTrader = await env.trader(200_000);
    await makerTrader.pm.deposit({ token: "USDC", amount: USDC(200_000) });
    alice = await env.trader(50_000);
    bob = await env.trader(50_000);
    await alice.pm.deposit({ token: "USDC", amount: USDC(50_000) });
    await bob.pm.deposit({ token: "USDC", amount: USDC(50_000) });
    config = parseMakerConfig({
      rpcUrl: env.url,
      chainId: 31337,
      vault: env.vault,
      settlement: env.settlement,
      key: { privateKeyEnv: "MAKER_TEST_KEY" },
      http: { host: "127.0.0.1", port: 0 },
      spreadBps: 20,
      quoteTtlSeconds: 30,
      maxInventory: "50",
      marketInventory: { "BTC-PERP": "100" },
      rateLimitPerMinute: 1000,
      logLevel: "silent",
    });
    running = await startMaker(config, { env: { MAKER_TEST_KEY: makerTrader.key }, logger: createLogger({ level: "silent" }) });
  });

  after(async () => {
    await running?.close();
    await stopAll();
  });

  it("quotes follow the oracle: oracle price plus the spread for a buyer, minus it for a seller", async () => {
    const eth = (await alice.pm.getAccount()).prices[2]!;
    const buy = await requestQuote(running.url, { market: MARKET.ETH, side: "buy", size: WAD });
    expect(buy.oraclePrice).to.equal(eth);
    expect(buy.price).to.equal((eth * 10_020n + 9_999n) / 10_000n);
    expect(buy.order.size).to.equal(-WAD);
    const sell = await requestQuote(running.url, { market: MARKET.ETH, side: "sell", size: WAD });
    expect(sell.price).to.equal((eth * 9_980n) / 10_000n);

    const moved = eth + 100n * WAD;
    await (await env.d.feed("ETH").setAnswer(moved / 10n ** 10n)).wait();
    const after = await requestQuote(running.url, { market: "ETH-PERP" as unknown as number, side: "buy", size: WAD });
    expect(after.oraclePrice).to.equal(moved);
    expect(after.price).to.equal((moved * 10_020n + 9_999n) / 10_000n);
    await (await env.d.feed("ETH").setAnswer(eth / 10n ** 10n)).wait();
  });

  it("a taker fills a quote: positions move by the size at the quoted price", async () => {
    const quote = await requestQuote(running.url, { market: MARKET.ETH, side: "buy", size: 2n * WAD });
    await alice.pm.takeQuote({ quote });
    expect((await alice.pm.getAccount()).state.positions[MARKET.ETH]).to.equal(2n * WAD);
    expect((await makerTrader.pm.getAccount()).state.positions[MARKET.ETH]).to.equal(-2n * WAD);
  });

  it("two takers racing for one quote cannot both fill it", async () => {
    const quote = await requestQuote(running.url, { market: MARKET.SOL, side: "buy", size: 3n * WAD });
    const before = (await makerTrader.pm.getAccount()).state.positions[MARKET.SOL]!;
    const results = await Promise.allSettled([alice.pm.takeQuote({ quote }), bob.pm.takeQuote({ quote })]);
    expect(results.filter((r) => r.status === "fulfilled")).to.have.length(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).to.be.instanceOf(ContractError);
    expect((lost.reason as ContractError).decoded?.name).to.equal("OrderOverfilled");
    expect((await makerTrader.pm.getAccount()).state.positions[MARKET.SOL]).to.equal(before - 3n * WAD);
  });

  it("refuses past the inventory limit, counting the quotes still outstanding", async () => {
    expect(await refusal(running.url, { market: MARKET.ETH, side: "buy", size: (60n * WAD).toString() })).to.deep.equal({ status: 422, reason: "inventory-limit" });
    // 2 ETH short already; outstanding quotes of the first test (-1, +1, -1) count until they expire: 45 more passes, then 5 more does not.
    await requestQuote(running.url, { market: MARKET.ETH, side: "buy", size: 45n * WAD });
    expect(await refusal(running.url, { market: MARKET.ETH, side: "buy", size: (5n * WAD).toString() })).to.deep.equal({ status: 422, reason: "inventory-limit" });
    // A quote that reduces the inventory is still given.
    expect((await refusal(running.url, { market: MARKET.ETH, side: "sell", size: (5n * WAD).toString() })).status).to.equal(200);
  });

  it("refuses a quote that would take its own account under initial margin", async () => {
    expect(await refusal(running.url, { market: MARKET.BTC, side: "buy", size: (40n * WAD).toString() })).to.deep.equal({ status: 422, reason: "initial-margin" });
  });

  it("an expired quote cannot be filled", async () => {
    const quote: Quote = await requestQuote(running.url, { market: MARKET.SOL, side: "sell", size: WAD });
    await env.rpc("evm_increaseTime", [config.quoteTtlSeconds + 5]);
    await env.rpc("evm_mine");
    const error = await alice.pm.takeQuote({ quote }).catch((e: unknown) => e);
    expect((error as ContractError).decoded?.name).to.equal("OrderExpired");
  });

  it("rejects malformed requests, rate-limits, and serves /metrics, /healthz and /readyz", async () => {
    expect(await refusal(running.url, { market: "NOPE", side: "buy", size: "1" })).to.deep.equal({ status: 400, reason: "bad-request" });
    expect(await refusal(running.url, { market: 1, side: "up", size: "1" })).to.deep.equal({ status: 400, reason: "bad-request" });
    const limited = await startMaker({ ...config, rateLimitPerMinute: 2 }, { env: { MAKER_TEST_KEY: makerTrader.key } });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await refusal(limited.url, { market: 2, side: "buy", size: WAD.toString() })).status);
      expect(statuses).to.deep.equal([200, 200, 429]);
      const metrics = await (await fetch(`${limited.url}/metrics`)).text();
      expect(metrics).to.include('maker_quotes_total{result="rate-limited"} 1').and.include('maker_quotes_total{result="ok"} 2');
      expect((await fetch(`${limited.url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${limited.url}/readyz`)).status).to.equal(200);
    } finally {
      await limited.close();
    }
    const error = await requestQuote(running.url, { market: 99, side: "buy", size: WAD }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(QuoteRefusedError);
  });

  it("refuses to quote on a stale feed", async () => {
    await env.rpc("evm_increaseTime", [3_700]);
    await env.rpc("evm_mine");
    expect(await refusal(running.url, { market: MARKET.ETH, side: "buy", size: WAD.toString() })).to.deep.equal({ status: 503, reason: "stale-feed" });
  });

  it("parses quotes from the wire exactly", async () => {
    expect(() => quoteFromJson({})).to.throw(/malformed quote/);
  });
});
