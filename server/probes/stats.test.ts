import { describe, expect, it } from "vitest";
import { fractionUnder, percentile, summarize, type ProbeSample } from "./stats";

const probes = (rtts: (number | null)[], firstSeq = 1): ProbeSample[] => rtts.map((rttUs, i) => ({ seq: firstSeq + i, rttUs }));

describe("nearest-rank percentiles", () => {
  it("takes x[ceil(q·N) − 1] of the sorted values", () => {
    const xs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect([percentile(xs, 0.5), percentile(xs, 0.9), percentile(xs, 0.95), percentile(xs, 0.99), percentile(xs, 0.999)]).toEqual([50, 90, 100, 100, 100]);
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
    // 1..1000: p99 is the 990th value, p99.9 the 999th.
    const thousand = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect([percentile(thousand, 0.99), percentile(thousand, 0.999)]).toEqual([990, 999]);
  });
});

describe("summarize", () => {
  // RTTs 100, 110, lost, 130, 105, lost, lost, 120 (µs), sequence 1..8.
  const s = summarize(probes([100, 110, null, 130, 105, null, null, 120]));

  it("counts loss, and loss bursts as runs of consecutive lost sequence numbers", () => {
    expect([s.sent, s.n, s.loss]).toEqual([8, 5, 3 / 8]);
    expect(s.lossBursts).toEqual({ longest: 2, episodes: 2 });
  });

  it("gives min/percentiles/max/mean over the received probes, with N", () => {
    // sorted: 100 105 110 120 130
    expect([s.min, s.p50, s.p90, s.p95, s.p99, s.p999, s.max]).toEqual([100, 110, 130, 130, 130, 130, 130]);
    expect(s.mean).toBe(113);
    // population sd: mean of squares (10000 + 12100 + 16900 + 11025 + 14400) / 5 = 12885; 12885 − 113² = 116 → √116
    expect(s.mdev).toBeCloseTo(Math.sqrt(116), 10);
  });

  it("PDV is RTT minus the window minimum", () => {
    // PDV sorted: 0 5 10 20 30
    expect(s.pdv).toEqual({ p50: 10, p99: 30, p999: 30 });
  });

  it("IPDV and the RFC 3550 recurrence use only consecutive received probes (1→2 and 4→5)", () => {
    // D(1,2) = +10, D(4,5) = −25; the pairs across losses (2→4, 5→8) are skipped.
    expect(s.ipdv).toEqual({ meanAbs: 17.5, p99Abs: 25, peakToPeak: 35 });
    // J1 = 0 + (10 − 0)/16 = 0.625; J2 = 0.625 + (25 − 0.625)/16 = 2.1484375
    expect(s.jitterRfc3550).toBe(2.1484375);
  });

  it("orders by sequence number, whatever order the samples arrive in", () => {
    const shuffled = probes([100, 110, null, 130, 105, null, null, 120]).reverse();
    expect(summarize(shuffled)).toEqual(s);
  });

  it("has nothing to say about nothing, and no jitter without two consecutive replies", () => {
    const none = summarize([]);
    expect([none.sent, none.n, none.loss, none.p50, none.jitterRfc3550]).toEqual([0, 0, null, null, null]);
    const allLost = summarize(probes([null, null, null]));
    expect([allLost.loss, allLost.lossBursts, allLost.min, allLost.pdv.p99]).toEqual([1, { longest: 3, episodes: 1 }, null, null]);
    expect(summarize(probes([100, null, 140])).jitterRfc3550).toBeNull();
  });

  it("RFC 3550 J converges to |D| for a constant alternation, as the recurrence says", () => {
    const alternating = probes(Array.from({ length: 400 }, (_, i) => (i % 2 ? 120 : 100)));
    expect(summarize(alternating).jitterRfc3550).toBeCloseTo(20, 6);
  });
});

describe("fractionUnder", () => {
  it("is the share of sent probes answered within the threshold; lost probes count against it", () => {
    const xs = probes([50, 90, 100, null, 150]);
    expect(fractionUnder(xs, 100)).toBe(3 / 5);
    expect(fractionUnder(xs, 49)).toBe(0);
    expect(fractionUnder([], 100)).toBeNull();
  });
});
