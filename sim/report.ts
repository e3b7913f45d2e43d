/**
 * The demonstration's report: aggregation of what the replay recorded (pure, tested), its Markdown and its chart.
 */
import type { BadDebtEvent } from "./ledger.js";
import type { ReplayLiquidation, ReplayRecord } from "./replay.js";
import { PALETTE, renderChart, type Panel } from "./svg.js";

/** An account's margin as `vault.accountMargin` returned it (WAD USD). */
export interface MarginFigures {
  equity: bigint;
  maintenanceMargin: bigint;
  initialMargin: bigint;
  isolatedMaintenanceMargin: bigint;
}

/** One account of the run. */
export interface AccountOutcome {
  address: string;
  type: string;
  /** At opening, from the vault. */
  opening: MarginFigures;
  /** At the end, from the vault. */
  final: MarginFigures;
}

/** Inputs of `summarize`. */
export interface SummaryInputs {
  accounts: readonly AccountOutcome[];
  liquidations: readonly ReplayLiquidation[];
  badDebts: readonly BadDebtEvent[];
  firstUnder: ReadonlyMap<string, number>;
  /** The insurance fund's total assets at the start and the end (WAD USD). */
  fundStart: bigint;
  fundEnd: bigint;
  /** The vault's unbacked bad debt at the end (WAD USD). */
  unbackedBadDebt: bigint;
  /** The fund token's decimals (fundTokens of BadDebtSettled are in token units). */
  fundTokenDecimals: number;
}

/** Per portfolio type. */
export interface TypeSummary {
  type: string;
  accounts: number;
  liquidatedAccounts: number;
  liquidations: number;
  /** Sums at opening (WAD USD). */
  equity: bigint;
  mm: bigint;
  im: bigint;
  isolatedMm: bigint;
  /** MM / ISO_MM of the sums. */
  mmOverIsolated: number;
  /** Mean over its liquidated accounts of the share of the portfolio liquidated, 1 - prod(1 - fraction). */
  liquidatedFraction: number;
  /** Liquidated accounts whose whole portfolio went. */
  wipedAccounts: number;
}

/** The run's figures. */
export interface Summary {
  types: TypeSummary[];
  liquidations: {
    count: number;
    accounts: number;
    bonuses: bigint;
    fundShare: bigint;
    /** Liquidations of an account with E >= 0 before that left it with E < 0 (P1: must be 0). */
    solventPushedBelowZero: number;
    /** Blocks from the first E < MM of the episode to the first liquidation of each liquidated account. */
    delay: { min: number; median: number; max: number; mean: number } | null;
    /** Accounts seen under MM that were never liquidated. */
    neverLiquidated: number;
    /** Accounts still under MM at the end. */
    underMmAtEnd: number;
  };
  badDebt: {
    events: number;
    shortfall: bigint;
    fromFundCash: bigint;
    /** Fund tokens pulled, in WAD USD. */
    fromFundTokens: bigint;
    unbacked: bigint;
    unbackedAtEnd: bigint;
    /** -E summed over accounts still at E < 0 (not settled yet). */
    latentShortfall: bigint;
  };
  fund: { start: bigint; end: bigint; result: bigint };
}

function sum(values: readonly bigint[]): bigint {
  return values.reduce((s, v) => s + v, 0n);
}

/** The share of a portfolio its liquidations took: 1 - prod(1 - fraction). */
function liquidatedShare(liquidations: readonly ReplayLiquidation[]): number {
  return 1 - liquidations.reduce((left, l) => left * (1 - Number(l.fraction) / 1e18), 1);
}

function ratio(x: bigint, y: bigint): number {
  return y === 0n ? Number.NaN : Number((x * 1_000_000n) / y) / 1e6;
}

/**
 * Aggregates a run.
 *
 * @param inputs Accounts (opening and final vault figures), liquidations, bad-debt events, fund figures.
 * @returns Per-type capital (MM vs isolated MM) and liquidations; liquidation delays; bad debt; the fund's result.
 */
export function summarize(inputs: SummaryInputs): Summary {
  const types = [...new Set(inputs.accounts.map((a) => a.type))].map((type) => {
    const group = inputs.accounts.filter((a) => a.type === type);
    const members = new Set(group.map((a) => a.address.toLowerCase()));
    const liquidations = inputs.liquidations.filter((l) => members.has(l.account));
    const mm = sum(group.map((a) => a.opening.maintenanceMargin));
    const isolatedMm = sum(group.map((a) => a.opening.isolatedMaintenanceMargin));
    const shares = [...members].filter((m) => liquidations.some((l) => l.account === m)).map((m) => liquidatedShare(liquidations.filter((l) => l.account === m)));
    return {
      type,
      accounts: group.length,
      liquidatedAccounts: new Set(liquidations.map((l) => l.account)).size,
      liquidations: liquidations.length,
      equity: sum(group.map((a) => a.opening.equity)),
      mm,
      im: sum(group.map((a) => a.opening.initialMargin)),
      isolatedMm,
      mmOverIsolated: ratio(mm, isolatedMm),
      liquidatedFraction: shares.length === 0 ? Number.NaN : shares.reduce((s, x) => s + x, 0) / shares.length,
      wipedAccounts: shares.filter((x) => x >= 1).length,
    };
  });

  const firstLiquidation = new Map<string, ReplayLiquidation>();
  for (const l of inputs.liquidations) if (!firstLiquidation.has(l.account)) firstLiquidation.set(l.account, l);
  const delays = [...firstLiquidation.values()].map((l) => l.delayBlocks).filter((d): d is number => d !== null).sort((a, b) => a - b);
  const tracked = new Set(inputs.accounts.map((a) => a.address.toLowerCase()));
  const tokenScale = 10n ** BigInt(18 - inputs.fundTokenDecimals);

  return {
    types,
    liquidations: {
      count: inputs.liquidations.length,
      accounts: firstLiquidation.size,
      bonuses: sum(inputs.liquidations.map((l) => l.bonus)),
      fundShare: sum(inputs.liquidations.map((l) => l.fundShare)),
      solventPushedBelowZero: inputs.liquidations.filter((l) => l.solventBefore && l.equityAfter < 0n).length,
      delay:
        delays.length === 0
          ? null
          : {
              min: delays[0]!,
              median: delays[Math.floor((delays.length - 1) / 2)]!,
              max: delays[delays.length - 1]!,
              mean: delays.reduce((s, d) => s + d, 0) / delays.length,
            },
      neverLiquidated: [...inputs.firstUnder.keys()].filter((a) => tracked.has(a) && !firstLiquidation.has(a)).length,
      underMmAtEnd: inputs.accounts.filter((a) => a.final.equity < a.final.maintenanceMargin).length,
    },
    badDebt: {
      events: inputs.badDebts.length,
      shortfall: sum(inputs.badDebts.map((b) => b.shortfall)),
      fromFundCash: sum(inputs.badDebts.map((b) => b.fromFundCash)),
      fromFundTokens: sum(inputs.badDebts.map((b) => b.fundTokens)) * tokenScale,
      unbacked: sum(inputs.badDebts.map((b) => b.unbacked)),
      unbackedAtEnd: inputs.unbackedBadDebt,
      latentShortfall: sum(inputs.accounts.filter((a) => a.final.equity < 0n).map((a) => -a.final.equity)),
    },
    fund: { start: inputs.fundStart, end: inputs.fundEnd, result: inputs.fundEnd - inputs.fundStart },
  };
}

/** WAD USD as "$1,234,567". */
export function usd(x: bigint): string {
  const negative = x < 0n;
  const whole = (negative ? -x : x) / 10n ** 18n;
  return `${negative ? "-" : ""}$${whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

/** Everything the Markdown shows besides the summary. */
export interface RunInfo {
  title: string;
  window: string;
  pricesDir: string;
  stepsPerDay: number;
  mode: string;
  blocks: number;
  drainBlocks: number;
  accounts: number;
  seed: number;
  wallSeconds: number;
  keeperStatus: string;
  ledgerCheck: string;
  chartFile: string;
  /** Lines on cash settlement at the end of the run (sim/settle.ts), shown after the fund's. */
  cashLines?: readonly string[];
}

/** The report as Markdown. */
export function reportMarkdown(summary: Summary, info: RunInfo): string {
  const l = summary.liquidations;
  const b = summary.badDebt;
  const typeRows = summary.types.map(
    (t) =>
      `| ${t.type} | ${t.accounts} | ${usd(t.equity)} | ${usd(t.mm)} | ${usd(t.isolatedMm)} | ${Number.isFinite(t.mmOverIsolated) ? t.mmOverIsolated.toFixed(3) : "–"} | ${t.liquidatedAccounts} | ${t.liquidations} | ${Number.isFinite(t.liquidatedFraction) ? `${(100 * t.liquidatedFraction).toFixed(1)}%` : "–"} | ${t.wipedAccounts} |`,
  );
  return [
    `# ${info.title}`,
    "",
    `Window ${info.window} (\`${info.pricesDir}\`), ${info.stepsPerDay} blocks per day (${info.mode} interpolation), ` +
      `${info.blocks} blocks replayed (${info.drainBlocks} after the last close), ${info.accounts} accounts (seed ${info.seed}), ` +
      `spec §7 default parameters, wall time ${info.wallSeconds.toFixed(0)} s.`,
    "",
    `Keeper: ${info.keeperStatus}`,
    "",
    "## Liquidations",
    "",
    `- ${l.count} liquidations of ${l.accounts} accounts; ${usd(l.bonuses)} of bonuses (${usd(l.fundShare)} to the insurance fund).`,
    `- **Solvent accounts pushed below zero equity: ${l.solventPushedBelowZero}**`,
    l.delay === null
      ? "- Blocks from the first E < MM to the liquidation: –"
      : `- Blocks from an account's first E < MM to its liquidation: min ${l.delay.min}, median ${l.delay.median}, mean ${l.delay.mean.toFixed(1)}, max ${l.delay.max}.`,
    `- Accounts seen under MM and never liquidated: ${l.neverLiquidated}; under MM at the end: ${l.underMmAtEnd}.`,
    "",
    "## Bad debt and the insurance fund",
    "",
    `- ${b.events} bad-debt settlements: shortfall ${usd(b.shortfall)}, paid from the fund's vault cash ${usd(b.fromFundCash)} and its tokens ${usd(b.fromFundTokens)}; unbacked ${usd(b.unbacked)}.`,
    `- **Unbacked bad debt at the end: ${usd(b.unbackedAtEnd)}**; shortfall of accounts still insolvent (not settled): ${usd(b.latentShortfall)}.`,
    `- Insurance fund: ${usd(summary.fund.start)} -> ${usd(summary.fund.end)} (result ${usd(summary.fund.result)}).`,
    ...(info.cashLines ?? []),
    "",
    "## Capital: portfolio margin vs isolated margin (at opening, from `vault.accountMargin`)",
    "",
    "| type | accounts | equity | MM | isolated MM | MM / ISO_MM | liquidated accounts | liquidations | liquidated fraction (mean) | wiped |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...typeRows,
    "",
    `Ledger check: ${info.ledgerCheck}`,
    "",
    `![chart](${info.chartFile})`,
    "",
  ].join("\n");
}

/** The chart: prices (start = 100), equity / MM per type, accounts under MM; liquidation markers. */
export function reportSvg(record: ReplayRecord, title: string, groups: readonly string[]): string {
  const stepOfBlock = new Map(record.blocks.map((b, i) => [b, i]));
  // One marker per block with liquidations.
  const markers = [...new Set(record.liquidations.map((l) => stepOfBlock.get(l.block) ?? l.step))].map((x) => ({ x }));
  const assets = Object.keys(record.prices);
  const panels: Panel[] = [
    {
      title: "Oracle prices (start = 100)",
      series: assets.map((a, i) => ({
        name: a,
        color: PALETTE[i % PALETTE.length]!,
        values: record.prices[a]!.map((p) => (100 * p) / record.prices[a]![0]!),
      })),
      markers,
    },
    {
      title: "Equity / maintenance margin per portfolio type (sums; log scale)",
      log: true,
      hLines: [{ y: 1, label: "E = MM", color: "#d62728" }],
      series: groups.map((g, i) => ({
        name: g,
        color: PALETTE[i % PALETTE.length]!,
        values: record.series[g]!.equity.map((e, k) => e / record.series[g]!.mm[k]!),
      })),
      markers,
    },
    {
      title: "Accounts under maintenance margin (E < MM)",
      yMin: 0,
      series: groups.map((g, i) => ({ name: g, color: PALETTE[i % PALETTE.length]!, values: record.series[g]!.under })),
      markers,
    },
  ];
  return renderChart({ title, xLabels: record.labels, panels, panelHeight: 220 });
}
