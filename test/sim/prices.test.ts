import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { loadPriceFile, loadPriceWindow, parsePriceCsv, PriceFileError, selectWindow } from "../../sim/prices.js";

const FULL = "datetime,open,high,low,close,volume\n2021-05-05,1,2,0.5,10,100\n2021-05-06,1,2,0.5,11,100\n2021-05-07,1,2,0.5,12,100\n";

function thrown(fn: () => unknown): PriceFileError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(PriceFileError);
    return error as PriceFileError;
  }
  throw new Error("expected a PriceFileError");
}

describe("sim/prices", () => {
  it("parses the full OHLCV format and the trimmed datetime,close format", () => {
    expect(parsePriceCsv(FULL, "f.csv", "BTC").closes.map((c) => c.close)).to.deep.equal([10, 11, 12]);
    const trimmed = parsePriceCsv("datetime,close\r\n2021-05-05,57000.5\r\n\r\n", "f.csv", "BTC");
    expect(trimmed.closes).to.deep.equal([{ date: "2021-05-05", close: 57000.5, line: 2 }]);
  });

  it("names the file, the line and the problem of a malformed line", () => {
    const fields = thrown(() => parsePriceCsv("datetime,close\n2021-05-05,1\n2021-05-06\n", "BTC.csv", "BTC"));
    expect([fields.file, fields.line]).to.deep.equal(["BTC.csv", 3]);
    expect(fields.message).to.match(/^BTC\.csv:3: expected 2 fields/);

    expect(thrown(() => parsePriceCsv("datetime,close\n2021-02-30,1\n", "a.csv", "A")).message).to.equal(
      'a.csv:2: "2021-02-30" is not a date (expected YYYY-MM-DD)',
    );
    expect(thrown(() => parsePriceCsv("datetime,close\n2021-05-05,abc\n", "a.csv", "A")).message).to.equal(
      'a.csv:2: close "abc" is not a positive number',
    );
    expect(thrown(() => parsePriceCsv("datetime,close\n2021-05-05,-3\n", "a.csv", "A")).line).to.equal(2);
    expect(thrown(() => parsePriceCsv("datetime,close\n2021-05-05,1\n2021-05-05,2\n", "a.csv", "A")).message).to.match(
      /a\.csv:3: date 2021-05-05 does not follow 2021-05-05 \(line 2\)/,
    );
    expect(thrown(() => parsePriceCsv("date,price\n2021-05-05,1\n", "a.csv", "A")).message).to.match(/a\.csv:1: header must name/);
    expect(thrown(() => parsePriceCsv("", "a.csv", "A")).message).to.match(/a\.csv:1: empty file/);
    expect(thrown(() => parsePriceCsv("datetime,close\n", "a.csv", "A")).message).to.equal("a.csv: no price rows after the header");
  });

  it("names a missing file", () => {
    const error = thrown(() => loadPriceFile("/nonexistent/BTC-USD_1d.csv", "BTC"));
    expect(error.message).to.equal("/nonexistent/BTC-USD_1d.csv: price file not found (expected daily closes of BTC)");
  });

  it("selects an aligned window and reports gaps with the line after the gap", () => {
    const a = parsePriceCsv(FULL, "a.csv", "A");
    const b = parsePriceCsv("datetime,close\n2021-05-04,1\n2021-05-05,2\n2021-05-06,3\n2021-05-07,4\n2021-05-08,5\n", "b.csv", "B");
    const window = selectWindow([a, b], "2021-05-05", "2021-05-07");
    expect(window.dates).to.deep.equal(["2021-05-05", "2021-05-06", "2021-05-07"]);
    expect(window.closes).to.deep.equal({ A: [10, 11, 12], B: [2, 3, 4] });

    const gappy = parsePriceCsv("datetime,close\n2021-05-05,1\n2021-05-07,3\n", "g.csv", "G");
    const gap = thrown(() => selectWindow([gappy], "2021-05-05", "2021-05-07"));
    expect(gap.message).to.equal("g.csv:3: gap: no close for 2021-05-06 (the window needs every day)");

    expect(thrown(() => selectWindow([a], "2021-05-01", "2021-05-07")).message).to.equal(
      "a.csv: covers 2021-05-05 .. 2021-05-07, not the window 2021-05-01 .. 2021-05-07",
    );
    expect(() => selectWindow([a], "2021-05-07", "2021-05-05")).to.throw(/--to must be after --from/);
  });

  it("loads a window of the committed files", () => {
    const window = loadPriceWindow("data/prices", ["BTC", "ETH", "SOL", "LINK", "DOGE"], "2021-05-05", "2021-05-25");
    expect(window.dates).to.have.length(21);
    expect(window.closes.BTC![0]).to.be.within(50_000, 60_000);
    const dir = mkdtempSync(path.join(tmpdir(), "prices-"));
    writeFileSync(path.join(dir, "BTC-USD_1d.csv"), "datetime,close\n2021-05-05,oops\n");
    expect(() => loadPriceWindow(dir, ["BTC"], "2021-05-05", "2021-05-06")).to.throw(PriceFileError, /BTC-USD_1d\.csv:2: close "oops"/);
  });
});
