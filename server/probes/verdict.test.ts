import { describe, expect, it } from "vitest";
import type { ProbeSample } from "./stats";
import {
  bootstrapPercentileDeltas,
  compareWindows,
  empiricalCdf,
  erfc,
  formatMicros,
  hodgesLehmann,
  mannWhitney,
  mulberry32,
  normalCdf,
  type VerdictSide,
} from "./verdict";

const probes = (rtts: (number | null)[]): ProbeSample[] => rtts.map((rttUs, i) => ({ seq: i + 1, rttUs }));

const side = (rtts: (number | null)[], extra: Partial<VerdictSide> = {}): VerdictSide => ({
  samples: probes(rtts),
  intervalMs: 200,
  proberLagP99Us: null,
  fromUs: 1_000_000,
  toUs: 2_000_000,
  ...extra,
});

/**
 * Integer µs RTTs like ping prints: base + a bell-shaped core (sum of three uniforms, centred) + an exponential
 * tail of mean 8 µs. Rounding makes ties, as real data has.
 */
function syntheticRtts(baseUs: number, count: number, seed: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Math.round(baseUs + 10 * (random() + random() + random()) - 15 - 8 * Math.log(1 - random())));
}

describe("erfc and the normal CDF", () => {
  it("match reference values (scipy) to ~1e-7 relative", () => {
    const cases: [number, number][] = [
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028516],
      [-1, 1.8427007929497148],
      [2, 0.004677734981047266],
      [3, 2.2090496998585445e-5],
    ];
    for (const [x, expected] of cases) expect(Math.abs(erfc(x) / expected - 1)).toBeLessThan(2e-7);
    expect(erfc(0)).toBeCloseTo(1, 7);
  });

  it("Φ at the usual quantiles", () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 7);
    expect(Math.abs(normalCdf(-3) / 0.0013498980316300933 - 1)).toBeLessThan(2e-7);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1)).toBeCloseTo(0.8413447, 6);
    expect(normalCdf(-1.5)).toBeCloseTo(0.0668072, 6);
  });
});

describe("Mann-Whitney U (u = U of the after sample: pairs with after > before, ties ½)", () => {
  it("complete separation: before 1..5, after 6..10", () => {
    const r = mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])!;
    // Rank sum of after = 6+7+8+9+10 = 40 → U = 40 − 5·6/2 = 25 = n·m.
    expect(r.u).toBe(25);
    // μ = 12.5, σ² = 5·5·11/12 → σ = 4.78714; z = (25 − 12.5 − 0.5)/σ = 2.50672; p = 2(1 − Φ(z)) = 0.012186.
    expect(r.z).toBeCloseTo(2.50672, 4);
    expect(r.pValue).toBeCloseTo(0.012186, 5);
    expect(r.direction).toBe("higher");
    expect(r.effectSize).toBe(0);
    // Swapping the sides mirrors everything.
    const mirrored = mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])!;
    expect([mirrored.u, mirrored.direction, mirrored.effectSize]).toEqual([0, "lower", 1]);
    expect(mirrored.z).toBeCloseTo(-2.50672, 4);
    expect(mirrored.pValue).toBeCloseTo(r.pValue, 12);
  });

  it("with ties: before [1,2,2,3], after [2,3,3,4]", () => {
    // Merged: 1b 2b 2b 2a 3b 3a 3a 4a → mid-ranks 1, 3,3,3, 6,6,6, 8. After rank sum 3+6+6+8 = 23, U = 23 − 10 = 13.
    // Tie groups of 3 and 3: Σ(t³ − t) = 48. σ² = 16/12 · (9 − 48/(8·7)) = 10.857143 → σ = 3.295018.
    // z = (13 − 8 − 0.5)/σ = 1.365698; p = 0.172034 (scipy mannwhitneyu asymptotic, continuity on).
    const r = mannWhitney([1, 2, 2, 3], [2, 3, 3, 4])!;
    expect(r.u).toBe(13);
    expect(r.z).toBeCloseTo(1.365698, 5);
    expect(r.pValue).toBeCloseTo(0.172034, 5);
    expect(r.effectSize).toBeCloseTo(3 / 16, 12);
    expect(r.direction).toBe("higher");
  });

  it("identical samples: U at its mean, p = 1, direction same; empty side gives null", () => {
    const r = mannWhitney([5, 5, 5], [5, 5, 5])!;
    expect([r.u, r.z, r.pValue, r.direction, r.effectSize]).toEqual([4.5, 0, 1, "same", 0.5]);
    expect(mannWhitney([], [1])).toBeNull();
  });
});

describe("Hodges-Lehmann shift", () => {
  it("median of the pairwise differences, odd count", () => {
    // after − before over [2,4,7] × [1,2,3]: 1 0 −1 3 2 1 6 5 4 → sorted −1 0 1 1 2 3 4 5 6 → 2
    expect(hodgesLehmann([1, 2, 3], [2, 4, 7])).toEqual({ shiftUs: 2, exact: true });
  });

  it("even count averages the two middle differences", () => {
    // [1,2] − [0,10]: 1 −9 2 −8 → sorted −9 −8 1 2 → (−8 + 1)/2
    expect(hodgesLehmann([0, 10], [1, 2])).toEqual({ shiftUs: -3.5, exact: true });
  });

  it("subsamples above 4 M pairs and still recovers a pure shift", () => {
    const before = syntheticRtts(100, 3000, 7);
    const after = before.map((x) => x + 50);
    expect(hodgesLehmann(before, after)).toEqual({ shiftUs: 50, exact: false });
  });
});

describe("compareWindows on synthetic data", () => {
  const before = syntheticRtts(100, 2000, 11);
  const after = syntheticRtts(60, 2000, 12);
  const verdict = compareWindows(side(before), side(after));

  it("detects a −40 µs shift", () => {
    expect(verdict.significant).toBe(true);
    expect(verdict.mannWhitney!.direction).toBe("lower");
    expect(verdict.mannWhitney!.pValue).toBeLessThan(1e-10);
    expect(verdict.mannWhitney!.effectSize).toBeGreaterThan(0.95);
    const p50 = verdict.intervals!.p50;
    expect(p50.metric).toBe("p50");
    expect(p50.high).toBeLessThan(0);
    // The interval sits around the true shift: it reaches within 3 µs of −40 from both sides.
    expect(p50.low).toBeLessThanOrEqual(-37);
    expect(p50.high).toBeGreaterThanOrEqual(-43);
    expect(p50.high - p50.low).toBeLessThan(6);
    expect(verdict.hodgesLehmann!.exact).toBe(true);
    expect(Math.abs(verdict.hodgesLehmann!.shiftUs + 40)).toBeLessThanOrEqual(2);
  });

  it("reports deltas per metric", () => {
    const p50 = verdict.deltas.find((d) => d.metric === "p50")!;
    expect(p50.before).toBe(verdict.before.summary.p50);
    expect(p50.delta).toBe(verdict.after.summary.p50! - verdict.before.summary.p50!);
    expect(p50.relative).toBeCloseTo(p50.delta! / p50.before!, 12);
    expect(verdict.deltas.map((d) => d.metric)).toEqual(["p50", "p95", "p99", "pdvP99", "jitter", "loss", "fractionUnder"]);
    const loss = verdict.deltas.find((d) => d.metric === "loss")!;
    expect([loss.before, loss.after, loss.delta, loss.relative]).toEqual([0, 0, 0, null]);
    const under = verdict.deltas.find((d) => d.metric === "fractionUnder")!;
    expect(under.after).toBe(after.filter((x) => x <= 100).length / after.length);
    expect(under.after!).toBeGreaterThan(0.98); // only the far tail of the after window reaches 100 µs
    expect(under.before).toBe(before.filter((x) => x <= 100).length / before.length);
    expect(under.before!).toBeLessThan(0.5); // the exponential tail puts the before median above 100 µs
    expect(under.relative).toBeCloseTo((under.after! - under.before!) / under.before!, 12);
  });

  it("headline is the p99 change with its significance", () => {
    const { p99: b99 } = verdict.before.summary;
    const { p99: a99 } = verdict.after.summary;
    const percent = Math.round(((a99! - b99!) / b99!) * 100);
    expect(verdict.headline).toBe(`p99 ${b99} µs → ${a99} µs, −${-percent} %, significant`);
    expect(verdict.headline.startsWith("p99 ")).toBe(true);
    expect(verdict.headline).not.toContain("not significant");
  });

  it("echoes the window bounds and interval", () => {
    expect([verdict.before.fromUs, verdict.before.toUs, verdict.before.intervalMs]).toEqual([1_000_000, 2_000_000, 200]);
  });

  it("same distribution on both sides is not significant", () => {
    const same = compareWindows(side(syntheticRtts(100, 2000, 21)), side(syntheticRtts(100, 2000, 22)));
    expect(same.significant).toBe(false);
    expect(same.mannWhitney!.pValue).toBeGreaterThan(0.05);
    expect(same.intervals!.p50.low).toBeLessThanOrEqual(0);
    expect(same.intervals!.p50.high).toBeGreaterThanOrEqual(0);
    expect(same.headline).toMatch(/^p99 \d+ µs → \d+ µs, (\+|−)?\d+ %, not significant$/);
  });
});

describe("mulberry32", () => {
  it("reproduces the reference sequence for seed 1", () => {
    const random = mulberry32(1);
    expect([random(), random(), random()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });
});

describe("bootstrap", () => {
  const before = syntheticRtts(100, 500, 31);
  const after = syntheticRtts(90, 500, 32);

  it("is deterministic for a seed", () => {
    const first = bootstrapPercentileDeltas(before, after, { seed: 42, iterations: 500 });
    const second = bootstrapPercentileDeltas(before, after, { seed: 42, iterations: 500 });
    expect(first).toEqual(second);
    expect(compareWindows(side(before), side(after)).intervals).toEqual(compareWindows(side(before), side(after)).intervals);
  });

  it("takes the 2.5th and 97.5th nearest-rank percentiles of the round deltas (ranks 25 and 975 of 1000)", () => {
    // Recompute the rounds the slow way with the same PRNG stream: draw each side's resample, sort, take ranks.
    const random = mulberry32(1);
    const resample = (xs: number[]) => Array.from({ length: xs.length }, () => xs[Math.floor(random() * xs.length)]!);
    const sortedBefore = [...before].sort((x, y) => x - y);
    const sortedAfter = [...after].sort((x, y) => x - y);
    const nearestRank = (xs: number[], q: number) => xs[Math.ceil(q * xs.length) - 1]!;
    const p50Deltas: number[] = [];
    for (let round = 0; round < 1000; round++) {
      const b = resample(sortedBefore).sort((x, y) => x - y);
      const a = resample(sortedAfter).sort((x, y) => x - y);
      p50Deltas.push(nearestRank(a, 0.5) - nearestRank(b, 0.5));
    }
    p50Deltas.sort((x, y) => x - y);
    const fast = bootstrapPercentileDeltas(before, after)!;
    expect([fast.p50.low, fast.p50.high]).toEqual([p50Deltas[24], p50Deltas[974]]);
  });

  it("gives a zero-width interval when both sides are constant, null for an empty side", () => {
    expect(bootstrapPercentileDeltas([10, 10, 10], [7, 7], { iterations: 50 })).toEqual({
      p50: { metric: "p50", low: -3, high: -3 },
      p99: { metric: "p99", low: -3, high: -3 },
    });
    expect(bootstrapPercentileDeltas([], [1])).toBeNull();
  });

  it("covers the observed Δp50 and Δp99", () => {
    const intervals = bootstrapPercentileDeltas(before, after)!;
    const verdict = compareWindows(side(before), side(after));
    const observed = (metric: string) => verdict.deltas.find((d) => d.metric === metric)!.delta!;
    expect(intervals.p50.low).toBeLessThanOrEqual(observed("p50"));
    expect(intervals.p50.high).toBeGreaterThanOrEqual(observed("p50"));
    expect(intervals.p99.low).toBeLessThanOrEqual(observed("p99"));
    expect(intervals.p99.high).toBeGreaterThanOrEqual(observed("p99"));
  });
});

describe("warnings", () => {
  const codes = (v: ReturnType<typeof compareWindows>) => v.warnings.map((w) => `${w.code}${w.side ? `:${w.side}` : ""}`);
  const steady = syntheticRtts(100, 1000, 41);

  it("different probe rates", () => {
    const v = compareWindows(side(steady), side(steady, { intervalMs: 20 }));
    expect(codes(v)).toContain("different-rate");
    expect(v.warnings.find((w) => w.code === "different-rate")!.message).toContain("before 200 ms, after 20 ms");
    // Unknown on one side is not a mismatch.
    expect(codes(compareWindows(side(steady), side(steady, { intervalMs: null })))).not.toContain("different-rate");
  });

  it("too few samples", () => {
    const v = compareWindows(side(steady), side(steady.slice(0, 50)));
    expect(codes(v)).toContain("too-few-samples:after");
    expect(codes(v)).not.toContain("too-few-samples:before");
    expect(v.warnings.find((w) => w.code === "too-few-samples")!.message).toContain("p99 needs at least 100 replies per side; widen the window");
  });

  it("p99.9 below 10,000 replies is low confidence (info)", () => {
    const v = compareWindows(side(steady), side(steady));
    const p999 = v.warnings.filter((w) => w.code === "low-confidence-p999");
    expect(p999.map((w) => [w.side, w.level])).toEqual([
      ["before", "info"],
      ["after", "info"],
    ]);
  });

  it("a loss burst of 5 names the side and the length; loss over 1 % flags high loss", () => {
    const withBurst: (number | null)[] = [...steady];
    withBurst.splice(500, 5, null, null, null, null, null);
    const v = compareWindows(side(steady), side(withBurst));
    const burst = v.warnings.find((w) => w.code === "loss-burst")!;
    expect(burst.side).toBe("after");
    expect(burst.message).toMatch(/^after: 5 consecutive probes were lost/);
    expect(codes(v)).not.toContain("high-loss:after"); // 0.5 % loss
    const lossy = compareWindows(side(steady), side(steady.map((x, i) => (i % 20 === 0 ? null : x))));
    expect(codes(lossy)).toContain("high-loss:after");
    expect(codes(lossy)).not.toContain("loss-burst:after"); // isolated losses only
  });

  it("prober noise above 10 % of the side's PDV p99", () => {
    const pdvP99 = compareWindows(side(steady), side(steady)).before.summary.pdv.p99!;
    const v = compareWindows(side(steady, { proberLagP99Us: pdvP99 * 0.1 + 1 }), side(steady, { proberLagP99Us: pdvP99 * 0.1 }));
    expect(codes(v)).toContain("prober-noise:before");
    expect(codes(v)).not.toContain("prober-noise:after");
  });

  it("comparable, clean windows of 10,000 replies produce no warnings", () => {
    const big = syntheticRtts(100, 10_000, 43);
    expect(compareWindows(side(big), side(big)).warnings).toEqual([]);
  });
});

describe("empirical CDF", () => {
  it("at most 200 points, from (min, 1/N) to (max, 1), non-decreasing", () => {
    const rtts = syntheticRtts(100, 2000, 51);
    const { cdf } = compareWindows(side(rtts), side(rtts));
    const points = cdf.after;
    expect(points).toHaveLength(200);
    expect(points[0]).toEqual({ rttUs: Math.min(...rtts), fraction: 1 / 2000 });
    expect(points[points.length - 1]).toEqual({ rttUs: Math.max(...rtts), fraction: 1 });
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.rttUs).toBeGreaterThanOrEqual(points[i - 1]!.rttUs);
      expect(points[i]!.fraction).toBeGreaterThan(points[i - 1]!.fraction);
    }
  });

  it("keeps every point of a short sample", () => {
    expect(empiricalCdf([3, 5, 9])).toEqual([
      { rttUs: 3, fraction: 1 / 3 },
      { rttUs: 5, fraction: 2 / 3 },
      { rttUs: 9, fraction: 1 },
    ]);
    expect(empiricalCdf([])).toEqual([]);
  });
});

describe("headline formatting", () => {
  it("µs below 10,000, ms with two decimals above, real minus sign", () => {
    expect(formatMicros(412)).toBe("412 µs");
    expect(formatMicros(9999.4)).toBe("9999 µs");
    expect(formatMicros(12_345)).toBe("12.35 ms");
    expect(formatMicros(-88)).toBe("−88 µs");
  });

  it("p99 in ms and a positive change", () => {
    const before = Array.from({ length: 100 }, () => 12_000);
    const after = Array.from({ length: 100 }, () => 12_240);
    expect(compareWindows(side(before), side(after)).headline).toBe("p99 12.00 ms → 12.24 ms, +2 %, significant");
  });

  it("says so when a side has no replies", () => {
    const v = compareWindows(side([100, 110, 120]), side([null, null, null, null]));
    expect(v.headline).toBe("no replies after the change: 100 % loss (p99 before: 120 µs)");
    expect(v.intervals).toBeNull();
    expect(v.mannWhitney).toBeNull();
    expect(v.hodgesLehmann).toBeNull();
    expect(v.significant).toBe(false);
    expect(v.cdf.after).toEqual([]);
    expect(compareWindows(side([]), side([50])).headline).toBe("no probes before the change (p99 after: 50 µs)");
  });
});
