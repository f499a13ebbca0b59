import { describe, expect, it } from "vitest";
import { liveChartPoints, mergeSamples, rfc3550Jitter, trailingPoint, windowNumbers, type RawSample } from "./latency-live";

// One probe a second; seq 2 is lost, seq 4 was sent 1.5 s late (a prober gap), seq 6's lateness is negative (early).
const S = (id: number, seq: number, sentMs: number, rttUs: number | null, lagUs: number | null): RawSample => ({ id, seq, sentMs, rttUs, lagUs });
const samples: RawSample[] = [
  S(1, 0, 1000, 100, 0),
  S(2, 1, 2000, 120, 10),
  S(3, 2, 3000, null, 0),
  S(4, 3, 4000, 90, 5),
  S(5, 4, 5000, 300, 1_500_000),
  S(6, 5, 6000, 110, 20),
  S(7, 6, 7000, 95, -3),
];

describe("trailingPoint", () => {
  it("takes the samples sent in (t − band, t] and computes nearest-rank bands, loss, PDV, J and prober noise", () => {
    // Window (2000, 7000]: seq 2…6; received RTTs sorted 90, 95, 110, 300.
    expect(trailingPoint(samples, 6, 1000, 5000)).toEqual({
      t: 7000,
      sent: 5,
      n: 4,
      loss: 0.2,
      min: 90,
      p5: 90, // rank ceil(0.05·4) = 1
      p25: 90, // rank 1
      p50: 95, // rank 2
      p75: 110, // rank 3
      p95: 300, // rank ceil(3.8) = 4
      p99: 300,
      max: 300,
      pdvP99: 210, // 300 − 90
      // J over consecutive received pairs (3,4), (4,5), (5,6): 210/16 = 13.125; + (190 − 13.125)/16; + (15 − 24.1796875)/16
      jitter: 23.60595703125,
      lagP99: 1_500_000, // lags 0, 5, 1.5 s, 20, 0 (−3 clamped): rank 5 of 5
      gaps: 1, // seq 4 was sent more than one interval late
    });
  });

  it("starts its window at the first sample and has no loss or J with a single reply", () => {
    expect(trailingPoint(samples, 0, 1000, 5000)).toMatchObject({ t: 1000, sent: 1, n: 1, loss: 0, p5: 100, p50: 100, max: 100, pdvP99: 0, jitter: null });
  });
});

describe("liveChartPoints", () => {
  it("draws the newest sample of each time bucket, with its trailing-window bands", () => {
    // 8 s in 4 buckets of 2 s: [0,2000) [2000,4000) [4000,6000) [6000,8000) → the samples at 1000, 3000, 5000, 7000.
    const points = liveChartPoints(samples, { fromMs: 0, toMs: 8000, intervalMs: 1000, bandMs: 5000, maxPoints: 4 });
    expect(points.map((p) => p.t)).toEqual([1000, 3000, 5000, 7000]);
    expect(points.map((p) => [p.sent, p.n, p.p50])).toEqual([
      [1, 1, 100],
      [3, 2, 100], // 100, 120, lost
      [5, 4, 100], // 90, 100, 120, 300
      [5, 4, 95],
    ]);
    expect(points[1]!.loss).toBeCloseTo(1 / 3, 12);
    // Max is the slowest probe of each point's own bucket, not of its trailing window: 300 shows once, at 5000.
    expect(points.map((p) => p.max)).toEqual([100, 120, 300, 110]);
  });

  it("draws only what was sent inside the range, while the bands still look back before its start", () => {
    const points = liveChartPoints(samples, { fromMs: 2500, toMs: 6500, intervalMs: 1000, bandMs: 5000, maxPoints: 2 });
    // 4 s in 2 buckets of 2 s, aligned to the epoch: 3000 | 4000, 5000 | 6000 (7000 is after the range).
    expect(points.map((p) => p.t)).toEqual([3000, 5000, 6000]);
    expect(points[0]).toMatchObject({ sent: 3, n: 2, min: 100, p50: 100 });
    // The first bucket holds only the lost probe at 3000 (2000 is before the range): no max dot.
    expect(points.map((p) => p.max)).toEqual([null, 300, 110]);
  });

  it("is empty without samples", () => {
    expect(liveChartPoints([], { fromMs: 0, toMs: 1000, intervalMs: 200 })).toEqual([]);
  });
});

describe("windowNumbers", () => {
  it("summarizes a window for the chart header", () => {
    expect(windowNumbers(samples, 2000, 6000)).toEqual({
      sent: 5,
      n: 4,
      loss: 0.2,
      min: 90,
      p50: 110,
      p95: 300,
      p99: 300,
      max: 300,
      pdvP99: 210,
      jitter: 24.1796875, // pairs (3,4) and (4,5); seq 1→2 and 2→3 straddle the loss
    });
  });

  it("has N 0 and no percentiles for an empty window", () => {
    expect(windowNumbers(samples, 10_000, 20_000)).toEqual({
      sent: 0,
      n: 0,
      loss: null,
      min: null,
      p50: null,
      p95: null,
      p99: null,
      max: null,
      pdvP99: null,
      jitter: null,
    });
  });
});

describe("rfc3550Jitter", () => {
  it("skips pairs that are not consecutive sequence numbers", () => {
    expect(rfc3550Jitter([S(1, 0, 0, 100, 0), S(2, 2, 2000, 200, 0)])).toBeNull();
    expect(rfc3550Jitter([S(1, 0, 0, 100, 0), S(2, 1, 1000, 260, 0)])).toBe(10);
  });
});

describe("mergeSamples", () => {
  it("drops duplicates and old samples and keeps send order when a late sample arrives", () => {
    const merged = mergeSamples(samples.slice(0, 3), [samples[2]!, samples[4]!, samples[3]!], 1500);
    expect(merged.map((s) => s.id)).toEqual([2, 3, 4, 5]);
  });

  it("returns the same buffer when nothing changes", () => {
    const buffer = samples.slice(0, 3);
    expect(mergeSamples(buffer, [samples[1]!], 0)).toBe(buffer);
  });
});
