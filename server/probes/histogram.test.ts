/** The sparse log-linear histogram: exact below 2,048 µs, 0.1 % above, nearest-rank percentiles, its encoding. */
import { describe, expect, it } from "vitest";
import { bucketOf, LatencyHistogram } from "./histogram";
import { percentile } from "./stats";
import { mulberry32 } from "./verdict";

describe("buckets", () => {
  it("keeps every value below 2,048 µs exactly", () => {
    for (let v = 0; v < 2048; v++) expect(bucketOf(v)).toBe(v);
    expect(bucketOf(12.4)).toBe(12);
    expect(bucketOf(-5)).toBe(0);
  });

  it("puts larger values within 0.1 % below them, and clamps at a minute", () => {
    const b = bucketOf(100_000);
    expect(b).toBeLessThanOrEqual(100_000);
    expect((100_000 - b) / 100_000).toBeLessThan(0.001);
    for (const v of [2048, 2049, 4097, 123_457, 9_999_999, 59_999_999]) {
      expect(bucketOf(v)).toBeLessThanOrEqual(v);
      expect(v - bucketOf(v)).toBeLessThan(v * 0.001);
    }
    expect(bucketOf(2049)).toBe(2048); // the first inexact bucket is 2 µs wide
    expect(bucketOf(3_600_000_000)).toBe(bucketOf(60_000_000));
  });
});

describe("LatencyHistogram", () => {
  it("gives the same nearest-rank percentiles as stats.ts on values below 2,048 µs", () => {
    const random = mulberry32(7);
    for (let round = 0; round < 20; round++) {
      const n = 1 + Math.floor(random() * 3000);
      const values = Array.from({ length: n }, () => Math.floor(random() * 2048));
      const h = LatencyHistogram.of(values);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0, 0.05, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) expect(h.percentile(q)).toBe(percentile(sorted, q));
      expect([h.count, h.min, h.max]).toEqual([n, sorted[0], sorted[n - 1]]);
      expect(h.mean()).toBeCloseTo(values.reduce((a, b) => a + b, 0) / n, 9);
      expect(h.countAtOrBelow(1000)).toBe(values.filter((v) => v <= 1000).length);
    }
  });

  it("is empty without values", () => {
    const h = new LatencyHistogram();
    expect([h.count, h.min, h.max, h.percentile(0.5), h.mean()]).toEqual([0, null, null, null, null]);
    expect(h.encode().byteLength).toBe(0);
  });

  it("round-trips its encoding: ascending (bucket, count) uint32 pairs", () => {
    const h = LatencyHistogram.of([5, 5, 3, 100_000, 7]);
    h.record(3, 4);
    const buf = h.encode();
    expect([...new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)]).toEqual([3, 5, 5, 2, 7, 1, bucketOf(100_000), 1]);
    const back = LatencyHistogram.decode(buf);
    expect(back.entries()).toEqual(h.entries());
    expect(back.count).toBe(9);
    expect(back.percentile(0.5)).toBe(3);
  });

  it("adds an encoded histogram exactly as add() does", () => {
    const random = mulberry32(3);
    const a = LatencyHistogram.of(Array.from({ length: 500 }, () => random() * 5000));
    const b = LatencyHistogram.of(Array.from({ length: 700 }, () => random() * 300_000));
    const viaAdd = LatencyHistogram.of([1, 2, 3]).add(a).add(b);
    const viaEncoded = LatencyHistogram.of([1, 2, 3]).addEncoded(a.encode()).addEncoded(b.encode());
    expect(viaEncoded.entries()).toEqual(viaAdd.entries());
    expect(viaEncoded.count).toBe(1203);
    for (const q of [0.5, 0.99]) expect(viaEncoded.percentile(q)).toBe(viaAdd.percentile(q));
  });

  it("decodes a Buffer at an odd byte offset (SQLite may hand back unaligned slices)", () => {
    const h = LatencyHistogram.of([10, 20, 20, 4000]);
    const enc = h.encode();
    const backing = Buffer.alloc(enc.byteLength + 3);
    enc.copy(backing, 1);
    const unaligned = backing.subarray(1, 1 + enc.byteLength);
    expect(unaligned.byteOffset % 4).toBe(1);
    expect(LatencyHistogram.decode(unaligned).entries()).toEqual([
      [10, 1],
      [20, 2],
      [4000, 1],
    ]);
  });
});
