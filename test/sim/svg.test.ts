import { expect } from "chai";

import { formatTick, renderChart } from "../../sim/svg.js";
import { XMLParser } from "./xml.js";

describe("sim/svg", () => {
  const svg = renderChart({
    title: "A & B <chart>",
    xLabels: ["d0", "d1", "d2", "d3"],
    panels: [
      { title: "linear", series: [{ name: "s", color: "#000", values: [1, Number.NaN, 3, 4] }], hLines: [{ y: 2, label: "two" }], markers: [{ x: 2 }] },
      { title: "log", log: true, series: [{ name: "t", color: "#111", values: [1, 10, 0, 100] }] },
    ],
  });

  it("writes a well-formed standalone SVG with escaped text", () => {
    expect(new XMLParser().parse(svg)).to.equal("svg");
    expect(svg).to.include("A &amp; B &lt;chart&gt;");
    expect(svg).to.include(">liquidation</text>");
    expect(svg).to.include(">two</text>");
  });

  it("breaks a line at NaN and, on a log scale, at non-positive values", () => {
    const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!);
    expect(paths).to.have.length(2);
    expect(paths[0]!.match(/M/g)).to.have.length(2);
    expect(paths[1]!.match(/M/g)).to.have.length(2);
  });

  it("formats ticks compactly", () => {
    expect([formatTick(1_234_567), formatTick(56_000), formatTick(0.0523), formatTick(2e9)]).to.deep.equal(["1.23M", "56k", "0.0523", "2B"]);
  });
});
