import { expect } from "chai";

import type { BadDebtEvent } from "../../sim/ledger.js";
import type { ReplayLiquidation } from "../../sim/replay.js";
import { reportMarkdown, summarize, usd, type AccountOutcome, type MarginFigures } from "../../sim/report.js";

const W = 10n ** 18n;
const figures = (equity: number, mm: number, isolated: number): MarginFigures => ({
  equity: BigInt(equity) * W,
  maintenanceMargin: BigInt(mm) * W,
  initialMargin: (BigInt(mm) * W * 3n) / 2n,
  isolatedMaintenanceMargin: BigInt(isolated) * W,
});
const account = (address: string, type: string, opening: MarginFigures, final: MarginFigures): AccountOutcome => ({ address, type, opening, final });
const liquidation = (account: string, block: number, delayBlocks: number | null, fraction: bigint = W / 2n, solventBefore = true): ReplayLiquidation => ({
  block,
  step: block,
  account,
  type: "directional",
  fraction,
  bonus: 20n * W,
  fundShare: 10n * W,
  solventBefore,
  equityAfter: solventBefore ? 1n * W : 0n,
  delayBlocks,
});

describe("sim/report", () => {
  const accounts = [
    account("0xa", "hedged", figures(100, 10, 80), figures(100, 10, 80)),
    account("0xb", "hedged", figures(100, 30, 120), figures(90, 30, 120)),
    account("0xc", "directional", figures(50, 40, 40), figures(0, 0, 0)),
    account("0xd", "directional", figures(50, 40, 40), figures(-5, 10, 10)),
    account("0xe", "directional", figures(50, 40, 40), figures(20, 30, 30)),
  ];
  const badDebts: BadDebtEvent[] = [
    { block: 9, account: "0xc", shortfall: 7n * W, fromFundCash: 4n * W, fundTokens: 2_000_000n, unbacked: 1n * W, totalBadDebt: 1n * W },
  ];
  const summary = summarize({
    accounts,
    liquidations: [liquidation("0xc", 5, 2), liquidation("0xc", 9, 3, W, false), liquidation("0xd", 9, 6), liquidation("0xb", 12, null)],
    badDebts,
    firstUnder: new Map([
      ["0xc", 3],
      ["0xd", 3],
      ["0xe", 7],
    ]),
    fundStart: 1000n * W,
    fundEnd: 1014n * W,
    unbackedBadDebt: 1n * W,
    fundTokenDecimals: 6,
  });

  it("aggregates capital per type: sums of MM and isolated MM from the vault's figures", () => {
    expect(summary.types.map((t) => [t.type, t.accounts, t.mm / W, t.isolatedMm / W, t.mmOverIsolated])).to.deep.equal([
      ["hedged", 2, 40n, 200n, 0.2],
      ["directional", 3, 120n, 120n, 1],
    ]);
    expect(summary.types[1]!.liquidatedAccounts).to.equal(2);
    expect(summary.types[1]!.liquidations).to.equal(3);
    expect(summary.types[0]!.im).to.equal(60n * W);
  });

  it("counts liquidations and the blocks from the first E < MM to each account's first liquidation", () => {
    expect(summary.liquidations.count).to.equal(4);
    expect(summary.liquidations.accounts).to.equal(3);
    expect(summary.liquidations.bonuses).to.equal(80n * W);
    expect(summary.liquidations.solventPushedBelowZero).to.equal(0);
    expect(summary.liquidations.fundShare).to.equal(40n * W);
    // First liquidations: 0xc after 2 blocks, 0xd after 6, 0xb never seen under MM (no delay).
    expect(summary.liquidations.delay).to.deep.equal({ min: 2, median: 2, max: 6, mean: 4 });
    expect(summary.liquidations.neverLiquidated).to.equal(1); // 0xe
    expect(summary.liquidations.underMmAtEnd).to.equal(2); // 0xd (E < 0), 0xe
  });

  it("adds up bad debt, converts fund tokens to USD and computes the fund's result", () => {
    expect(summary.badDebt).to.deep.equal({
      events: 1,
      shortfall: 7n * W,
      fromFundCash: 4n * W,
      fromFundTokens: 2n * W,
      unbacked: 1n * W,
      unbackedAtEnd: 1n * W,
      latentShortfall: 5n * W,
    });
    expect(summary.fund).to.deep.equal({ start: 1000n * W, end: 1014n * W, result: 14n * W });
  });

  it("renders the Markdown with every figure", () => {
    const md = reportMarkdown(summary, {
      title: "Local run",
      window: "2021-05-05 .. 2021-05-25",
      pricesDir: "data/prices",
      stepsPerDay: 12,
      mode: "log",
      blocks: 241,
      drainBlocks: 0,
      accounts: 5,
      seed: 1,
      wallSeconds: 100,
      keeperStatus: "ran",
      ledgerCheck: "5/5",
      chartFile: "c.svg",
    });
    expect(md).to.include("4 liquidations of 3 accounts");
    expect(md).to.include("min 2, median 2, mean 4.0, max 6");
    expect(md).to.include("**Unbacked bad debt at the end: $1**");
    expect(md).to.include("**Solvent accounts pushed below zero equity: 0**");
    expect(md).to.include("| hedged | 2 | $200 | $40 | $200 | 0.200 | 1 | 1 | 50.0% | 0 |");
    // 0xc: half, then the rest (wiped); 0xd: half. Mean share 75%.
    expect(md).to.include("| directional | 3 | $150 | $120 | $120 | 1.000 | 2 | 3 | 75.0% | 1 |");
    expect(md).to.include("![chart](c.svg)");
    expect(usd(-1_234_567n * W)).to.equal("-$1,234,567");
  });
});
