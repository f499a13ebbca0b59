import { describe, expect, it } from "vitest";
import { formatDeltaUs, formatPercent, formatRelative, formatUs, lossColor, LOSS_BINS } from "./latency-format";
import { chosenTargets, formatLatencyView, parseLatencyView, visibleSpan, type LatencyView } from "./latency-view";

const parse = (qs: string) => parseLatencyView(new URLSearchParams(qs));

describe("latency view in the URL", () => {
  it("round-trips targets, a zoom, a marker and the verdict settings", () => {
    const v: LatencyView = {
      targets: [2, 7],
      range: "6h",
      zoom: { fromMs: 1_700_000_000_000, toMs: 1_700_000_600_000 },
      marker: "plan-12",
      windowS: 10,
      settleS: 0,
      thresholdUs: 50,
    };
    const qs = formatLatencyView(v);
    expect(qs).toBe("?targets=2,7&range=6h&from=1700000000000&to=1700000600000&marker=plan-12&window=10&settle=0&threshold=50");
    expect(parse(qs.slice(1))).toEqual(v);
  });

  it("defaults to every target, live, no marker, 5 min window, 30 s settle, 100 µs", () => {
    expect(parse("")).toEqual({ targets: null, range: "live", zoom: null, marker: null, windowS: 300, settleS: 30, thresholdUs: 100 });
    expect(formatLatencyView(parse(""))).toBe("");
  });

  it("ignores what is malformed instead of breaking the page", () => {
    expect(parse("targets=1,x,0,3,3&range=2h&from=9&to=5&marker=plan-x&window=5&threshold=0")).toEqual({
      targets: [1, 3],
      range: "live",
      zoom: null,
      marker: null,
      windowS: 300, // under the 10 s the server requires
      settleS: 30,
      thresholdUs: 100,
    });
    // An empty list is a choice (nothing selected), not "every target".
    expect(parse("targets=").targets).toEqual([]);
  });

  it("spans: live is the last 5 minutes, presets end now (rounded up to the tick), a zoom is absolute", () => {
    expect(visibleSpan(parse(""), 1_000_500)).toEqual({ fromMs: 701_000, toMs: 1_001_000, live: true });
    expect(visibleSpan(parse("range=1h"), 10_001_000, 10_000)).toEqual({ fromMs: 6_410_000, toMs: 10_010_000, live: false });
    expect(visibleSpan(parse("range=1h&from=100&to=200"), 10_001_000)).toEqual({ fromMs: 100, toMs: 200, live: false });
  });

  it("keeps only chosen targets that exist", () => {
    expect(chosenTargets(parse("targets=3,9"), [1, 3])).toEqual([3]);
    expect(chosenTargets(parse(""), [1, 3])).toEqual([1, 3]);
  });
});

describe("latency numbers", () => {
  it("µs below 10,000, ms with 2 decimals above", () => {
    expect([formatUs(7), formatUs(9_999), formatUs(10_000), formatUs(12_345), formatUs(-412), formatUs(null)]).toEqual([
      "7 µs",
      "9,999 µs",
      "10.00 ms",
      "12.35 ms",
      "−412 µs",
      "—",
    ]);
    expect([formatDeltaUs(12), formatDeltaUs(-1200), formatDeltaUs(0)]).toEqual(["+12 µs", "−1,200 µs", "0 µs"]);
    expect([formatPercent(0), formatPercent(0.004), formatPercent(0.123), formatPercent(1)]).toEqual(["0 %", "0.4 %", "12 %", "100 %"]);
    expect([formatRelative(-0.786), formatRelative(0.02), formatRelative(0)]).toEqual(["−79 %", "+2 %", "0 %"]);
  });

  it("colours the median by SmokePing's loss bins", () => {
    const colors = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.99, 1].map(lossColor);
    const bin = (label: string) => LOSS_BINS.find((b) => b.label === label)!.color;
    expect(colors).toEqual([bin("0"), bin("> 0"), bin("≥ 5 %"), bin("≥ 10 %"), bin("≥ 25 %"), bin("≥ 50 %"), bin("≥ 50 %"), bin("100 %")]);
  });
});
