import { describe, expect, it } from "vitest";
import { floorTo, groupByBucket, mergeRollups, rollupFromSamples, type SampleRow, type StoredRollup } from "./rollup";

const S = 1_000_000;
/** Samples of one target, 1 s apart from `startUs`: an RTT in µs, or null for a loss. */
const samples = (startUs: number, rtts: (number | null)[], intervalMs = 1000, firstSeq = 1): SampleRow[] =>
  rtts.map((rttUs, i) => ({ targetId: 1, seq: firstSeq + i, sentUs: startUs + i * S, rttUs, lagUs: 100, intervalMs }));

describe("buckets", () => {
  it("floors a time to its bucket's start, and keeps null for nothing stored", () => {
    expect(floorTo(25 * S + 3, 10 * S)).toBe(20 * S);
    expect(floorTo(20 * S, 10 * S)).toBe(20 * S);
    expect(floorTo(null, 10 * S)).toBeNull();
  });

  it("groups items by the bucket they fall in, buckets in first-seen order", () => {
    const g = groupByBucket([12, 3, 15, 27, 9], (x) => x, 10);
    expect([...g]).toEqual([
      [10, [12, 15]],
      [0, [3, 9]],
      [20, [27]],
    ]);
  });
});

describe("rollupFromSamples", () => {
  it("counts sent, received, loss episodes and the longest burst, in sequence order whatever the order given", () => {
    const rows = samples(0, [500, null, null, 700, null, 600, 600, null, null, null]);
    const r = rollupFromSamples(1, 0, [...rows].reverse());
    expect(r).toMatchObject({ targetId: 1, resolutionS: 10, startUs: 0, sent: 10, received: 4, lossEpisodes: 3, lossLongest: 3, intervalMs: 1000 });
    expect([r.rtt.min, r.rtt.max, r.rtt.count]).toEqual([500, 700, 4]);
  });

  it("takes IPDV and the RFC 3550 jitter only between consecutive replies", () => {
    const r = rollupFromSamples(1, 0, samples(0, [1000, 1400, null, 1000, 1300]));
    // pairs (1,2) and (4,5): |Δ| 400 and 300; J after two steps of J += (|D| − J)/16
    expect(r.ipdvAbs.count).toBe(2);
    const j1 = 400 / 16;
    expect(r.jitterSumUs).toBeCloseTo(j1 + (300 - j1) / 16, 9);
    expect(r.jitterBuckets).toBe(1);
    expect(rollupFromSamples(1, 0, samples(0, [1000, null, 1000])).jitterBuckets).toBe(0);
  });

  it("counts a gap when the prober was later than one interval, and has no single interval for mixed ones", () => {
    const rows = samples(0, [500, 500], 10);
    rows[1]!.lagUs = 20_000; // 20 ms late on a 10 ms interval
    const r = rollupFromSamples(1, 0, [...rows, ...samples(2 * S, [500], 100, 3)]);
    expect(r.gaps).toBe(1);
    expect(r.intervalMs).toBeNull();
  });
});

describe("mergeRollups", () => {
  const a = rollupFromSamples(1, 0, samples(0, [500, null, 700, 800]));
  const b = rollupFromSamples(1, 10 * S, samples(10 * S, [null, null, 900], 1000, 5));
  const stored = (r: typeof a): StoredRollup => ({ ...r, rtt: r.rtt.encode(), ipdvAbs: r.ipdvAbs.encode(), lag: r.lag.encode() });

  it("adds counts and histograms exactly; the longest burst is the longest part's", () => {
    const m = mergeRollups([a, b]);
    const all = rollupFromSamples(1, 0, [...samples(0, [500, null, 700, 800]), ...samples(10 * S, [null, null, 900], 1000, 5)]);
    expect([m.sent, m.received, m.rtt.entries(), m.lag.entries()]).toEqual([all.sent, all.received, all.rtt.entries(), all.lag.entries()]);
    expect(m.lossEpisodes).toBe(2);
    expect(m.lossLongest).toBe(2);
    // b has no two consecutive replies: no J of its own
    expect([m.jitterSumUs, m.jitterBuckets]).toEqual([a.jitterSumUs, 1]);
    expect(m.intervalMs).toBe(1000);
  });

  it("gives the same result from stored (encoded) rollups as from rollups in memory", () => {
    const fromMemory = mergeRollups([a, b]);
    const fromStored = mergeRollups([stored(a), stored(b)]);
    expect(fromStored.rtt.entries()).toEqual(fromMemory.rtt.entries());
    expect(fromStored.ipdvAbs.entries()).toEqual(fromMemory.ipdvAbs.entries());
    expect({ ...fromStored, rtt: null, ipdvAbs: null, lag: null }).toEqual({ ...fromMemory, rtt: null, ipdvAbs: null, lag: null });
  });

  it("merges nothing into an empty rollup", () => {
    expect(mergeRollups([])).toMatchObject({ sent: 0, received: 0, lossLongest: 0, jitterBuckets: 0, intervalMs: null });
  });
});
