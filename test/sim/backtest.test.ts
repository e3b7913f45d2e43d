import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { execFile } from "node:child_process";
import { XMLParser } from "./xml.js";
import { writeSyntheticPrices } from "./priceFiles.js";

import { backtest, correlatedPairs, evaluateDay, pricesAt, randomPortfolios, typicalPortfolios } from "../../sim/backtest.js";
import { PAIRS } from "../../sim/portfolios.js";
import type { PriceWindow } from "../../sim/prices.js";
import { createRng } from "../../sim/rng.js";
import { defaultDeploymentConfig, riskModelOf } from "../../sim/riskModel.js";

const model = riskModelOf(defaultDeploymentConfig());
const WAD = 10n ** 18n;

/** A window where BTC moves -10%, -22.2%, +10%, -22.08%, and ETH stays flat. */
const synthetic: PriceWindow = {
  assets: ["BTC", "ETH"],
  dates: ["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04", "2021-01-05"],
  closes: { BTC: [100, 90, 70, 77, 60], ETH: [10, 10, 10, 10, 10] },
};

describe("sim/backtest", () => {
  it("computes MM and the next-day loss of a long perp exactly (MM = 12.5% of notional)", () => {
    const long = { name: "long BTC", family: "directional", collateral: [], positions: [{ asset: "BTC", usd: 100_000 }] };
    const day = evaluateDay(model, long, pricesAt(model, synthetic, 0), pricesAt(model, synthetic, 1));
    expect(day.mm).to.equal(12_500n * WAD); // scan 0.12 + k 0.005
    expect(day.isolated).to.equal(12_500n * WAD);
    expect(day.loss).to.equal(10_000n * WAD);
  });

  it("finds the known coverage on a synthetic series", () => {
    const long = { name: "long BTC", family: "directional", collateral: [], positions: [{ asset: "BTC", usd: 100_000 }] };
    const short = { name: "short BTC", family: "directional", collateral: [], positions: [{ asset: "BTC", usd: -100_000 }] };
    const hedged = { name: "hedged", family: "hedged", collateral: [{ asset: "BTC", usd: 100_000 }], positions: [{ asset: "BTC", usd: -100_000 }] };
    const result = backtest(model, synthetic, [long, short, hedged]);
    expect(result.dates).to.have.length(4);
    // Long: losses 10%, 22.2%, -10%, 22.1% against MM 12.5%: days 2 and 4 breach.
    expect(result.portfolios[0]!.covered).to.equal(2);
    expect(result.portfolios[0]!.coverage).to.equal(0.5);
    expect(result.portfolios[0]!.worstLossOverMm).to.be.within(1.77, 1.78);
    // Short: only the +10% day is a loss, 10% < 12.5%.
    expect(result.portfolios[1]!.coverage).to.equal(1);
    // Hedged: collateral and short offset; MM is the add-ons and a small WS, far below isolated margin.
    expect(result.portfolios[2]!.coverage).to.equal(1);
    expect(result.portfolios[2]!.mmOverIsolated).to.be.below(0.15);
    const directional = result.families.find((f) => f.family === "directional")!;
    expect([directional.observations, directional.covered, directional.coverage]).to.deep.equal([8, 6, 0.75]);
    expect([result.total.observations, result.total.covered]).to.deep.equal([12, 10]);
  });

  it("v1.1 scans set MM day by day while ISO_MM stays static; each family names its worst days and its median", () => {
    const long = { name: "long BTC", family: "directional", collateral: [], positions: [{ asset: "BTC", usd: 100_000 }] };
    const half = model.riskParams.scan.map((s) => s / 2n);
    const v11 = backtest(model, synthetic, [long], { scans: synthetic.dates.map(() => half), worstDays: 2 });
    // MM = (0.06 + 0.005) x 100k; ISO_MM at the static 0.125 x 100k.
    expect(v11.portfolios[0]!.days[0]).to.deep.include({ mm: 6_500n * WAD, isolated: 12_500n * WAD });
    expect(v11.families[0]!.medianMmOverIsolated).to.equal(0.52);
    expect(v11.families[0]!.worstDays.map((d) => [d.date, d.portfolio])).to.deep.equal([
      ["2021-01-02", "long BTC"],
      ["2021-01-04", "long BTC"],
    ]);
    expect(v11.families[0]!.coverage).to.equal(0.25);
  });

  it("the correlated pairs of the default model are the local run's pairs", () => {
    const pairs = correlatedPairs(model, ["BTC", "ETH", "SOL", "LINK", "DOGE"]).map((p) => p.join("/"));
    expect(pairs.sort()).to.deep.equal(PAIRS.map((p) => p.join("/")).sort());
  });

  it("builds typical portfolios only on the chosen assets, and reproducible random ones", () => {
    const typical = typicalPortfolios(["BTC", "ETH"]);
    expect(typical.map((p) => p.name)).to.deep.equal([
      "BTC collateral, short BTC perp",
      "ETH collateral, short ETH perp",
      "long BTC / short ETH",
      "long ETH / short BTC",
      "long BTC",
      "short BTC",
      "long ETH",
      "short ETH",
    ]);
    const a = randomPortfolios(["BTC", "ETH"], 5, createRng(3));
    expect(a).to.deep.equal(randomPortfolios(["BTC", "ETH"], 5, createRng(3)));
    for (const p of a) for (const q of [...p.positions, ...p.collateral]) expect(["BTC", "ETH"]).to.include(q.asset);
  });

  it("`npm run backtest` on a tiny window prints coverage and writes the Markdown and the SVG", function () {
    this.timeout(120_000);
    const out = mkdtempSync(path.join(tmpdir(), "backtest-"));
    const run = spawnSync("npm", ["run", "--silent", "backtest", "--", "--from", "2022-11-01", "--to", "2022-11-10", "--assets", "BTC,ETH", "--random", "5", "--out", out], {
      encoding: "utf8",
    });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/directional\s+v1 coverage\s+\d+\.\d+%.*\|\s+v1\.1 coverage\s+\d+\.\d+%/);
    const md = readFileSync(path.join(out, "backtest-2022-11-01_2022-11-10.md"), "utf8");
    expect(md).to.match(/^# Margin model backtest, 2022-11-01 \.\. 2022-11-10/);
    expect(md).to.include("| long BTC / short ETH |");
    expect(md).to.include("![chart](backtest-2022-11-01_2022-11-10.svg)");
    const svg = readFileSync(path.join(out, "backtest-2022-11-01_2022-11-10.svg"), "utf8");
    expect(new XMLParser().parse(svg)).to.equal("svg");
    expect(svg).to.include("loss = MM");
  });

  it("`npm run backtest` names the file and line of a malformed price file and exits 1", function () {
    this.timeout(120_000);
    const dir = mkdtempSync(path.join(tmpdir(), "prices-"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "BTC-USD_1d.csv"), "datetime,close\n2022-11-01,20000\n2022-11-02,20k\n");
    const run = spawnSync("npm", ["run", "--silent", "backtest", "--", "--from", "2022-11-01", "--to", "2022-11-02", "--assets", "BTC", "--prices", dir, "--out", dir], { encoding: "utf8" });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.include(`${path.join(dir, "BTC-USD_1d.csv")}:3: close "20k" is not a positive number`);
  });

  it("`npm run backtest` calibrates a new asset on the window's start and reports out-of-sample coverage per family with the worst days; an unlisted asset is refused", async function () {
    this.timeout(120_000);
    const dir = mkdtempSync(path.join(tmpdir(), "backtest-oos-"));
    writeSyntheticPrices(dir, [{ asset: "AVAX", start: 20, volatility: 0.05 }, { asset: "BNB", start: 300, volatility: 0.035 }], "2021-01-01", 500);
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "sim/backtestCli.ts", "--prices", dir, "--out", dir, "--random", "10", ...args], { encoding: "utf8" }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const [oos, unlisted] = await Promise.all([
      run(["--assets", "AVAX,BNB", "--from", "2021-01-01", "--calibrate-to", "2022-01-01", "--test-from", "2022-01-02", "--to", "2022-05-15"]),
      run(["--assets", "AVAX", "--from", "2021-01-01", "--to", "2021-03-01"]),
    ]);
    expect(oos.code, oos.stderr).to.equal(0);
    expect(oos.stdout).to.include("backtest 2022-01-02 .. 2022-05-15, AVAX,BNB (parameters calibrated on 2021-01-01 .. 2022-01-01, tested out of sample)");
    for (const family of ["hedged", "pairs", "directional", "random"]) {
      expect(oos.stdout).to.match(new RegExp(`${family}\\s+v1 coverage\\s+\\d+\\.\\d+%.*v1\\.1 coverage`));
    }
    expect(oos.stdout).to.match(/directional\s+v1\s+2022-\d\d-\d\d (long|short) (AVAX|BNB) \d+\.\d\d/);
    const params = JSON.parse(readFileSync(path.join(dir, "calibration-2021-01-01_2022-01-01.json"), "utf8"));
    expect(params.assets.map((a: { symbol: string }) => a.symbol)).to.deep.equal(["USD", "AVAX", "BNB"]);
    expect(readFileSync(path.join(dir, "backtest-2022-01-02_2022-05-15.md"), "utf8")).to.include("## Static v1 beside adaptive v1.1");
    expect(unlisted.code).to.equal(1);
    expect(unlisted.stderr).to.match(/AVAX is not listed in .*spec-v1\.json \(BTC, ETH, SOL, LINK, DOGE\); calibrate it first: npm run calibrate -- --assets AVAX/);
  });
});
