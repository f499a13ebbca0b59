/** Chart series and window statistics: raw while kept, rollups after, the raw tail, never more than maxPoints. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { seriesFor, windowStats, type Series } from "./series";
import { summarize } from "./stats";
import { compareAround } from "./compare";
import { DEFAULT_RETENTION, openProbeStores, pruneProbeData } from "./stores";
import { RAW_ROW_BUDGET, type SampleRow } from "./sample-store";
import { mulberry32 } from "./verdict";

const work = mkdtempSync(join(tmpdir(), "passdeck-series-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

const T = Date.parse("2030-01-02T03:00:00.000Z"); // hour-aligned
const HOUR = 3_600_000;
const newStore = () => openProbeStores(openWebDatabase(join(work, `d${dirs++}`)), () => T);

describe("seriesFor on raw samples", () => {
  // 5 minutes at 200 ms: in second k the RTTs are 100, 110, 120, 130, 140 (+k) µs; every 10th second loses its last probe.
  const store = newStore();
  const t = store.targets.add({ address: "10.0.0.5" });
  const rows: SampleRow[] = Array.from({ length: 1500 }, (_, i) => {
    const k = Math.floor(i / 5);
    const j = i % 5;
    return { targetId: t.id, seq: i + 1, sentUs: (T + i * 200) * 1000, rttUs: j === 4 && k % 10 === 0 ? null : 100 + 10 * j + k, lagUs: 0, intervalMs: 200 };
  });
  store.samples.insert(rows);

  it("gives one point per second over 5 minutes at 300 points, each from its five probes", () => {
    const s = seriesFor(store, t.id, { fromMs: T, toMs: T + 300_000, maxPoints: 300 });
    expect([s.source, s.stepMs, s.points.length]).toEqual(["raw", 1000, 300]);
    for (const k of [0, 1, 9, 10, 11, 299]) {
      const p = s.points[k]!;
      const lossy = k % 10 === 0;
      expect(p).toMatchObject({
        t: T + k * 1000,
        sent: 5,
        n: lossy ? 4 : 5,
        min: 100 + k,
        p50: (lossy ? 110 : 120) + k,
        max: (lossy ? 130 : 140) + k,
        gaps: 0,
      });
      expect(p.loss).toBeCloseTo(lossy ? 0.2 : 0, 12);
    }
    expect(s.points[1]!.pdvP99).toBe(40);
  });

  it("never uses a step below the probe interval or a second", () => {
    const s = seriesFor(store, t.id, { fromMs: T, toMs: T + 10_000, maxPoints: 1000 });
    expect([s.source, s.stepMs, s.points.length]).toEqual(["raw", 1000, 10]);
  });

  it("windowStats is exact over the raw samples", () => {
    const w = windowStats(store, t.id, T + 10_000, T + 20_000);
    expect(w.source).toBe("raw");
    expect(w.summary).toEqual(summarize(rows.slice(50, 100)));
    expect([w.intervalMs, w.proberLagP99Us, w.gaps]).toEqual([200, 0, 0]);
  });
});

describe("seriesFor after the raw samples are pruned", () => {
  // 3 hours at 1 s; rollups built up to T + 2.5 h, raw pruned before T + 2 h.
  const store = newStore();
  const t = store.targets.add({ address: "10.0.0.5", intervalMs: 1000 });
  const random = mulberry32(11);
  const rows: SampleRow[] = Array.from({ length: 3 * 3600 }, (_, i) => ({
    targetId: t.id,
    seq: i + 1,
    sentUs: (T + i * 1000) * 1000 + 250,
    rttUs: i % 37 === 3 ? null : 80 + Math.floor(random() * 1900),
    lagUs: 100,
    intervalMs: 1000,
  }));
  const rawIn = (fromMs: number, toMs: number) => rows.filter((r) => r.sentUs >= fromMs * 1000 && r.sentUs < toMs * 1000);

  beforeAll(() => {
    store.samples.insert(rows);
    while (store.rollups.build((T + 2.5 * HOUR) * 1000) > 0);
    pruneProbeData(store, T + 2.5 * HOUR, { ...DEFAULT_RETENTION, rawMs: 0.5 * HOUR });
  });

  /** Each point equals the raw samples of its bucket (the range clips the edge buckets). */
  function expectExact(s: Series) {
    for (const p of s.points) {
      const sum = summarize(rawIn(Math.max(p.t, s.fromMs), Math.min(p.t + s.stepMs, s.toMs)));
      expect({ t: p.t, sent: p.sent, n: p.n, min: p.min, p50: p.p50, p99: p.p99, max: p.max }).toEqual({
        t: p.t,
        sent: sum.sent,
        n: sum.n,
        min: sum.min,
        p50: sum.p50,
        p99: sum.p99,
        max: sum.max,
      });
    }
  }

  it("the state the tests below assume", () => {
    expect(store.samples.oldestUs(t.id)).toBe((T + 2 * HOUR) * 1000 + 250);
    expect(store.rollups.doneUntil(t.id, 10)).toBe((T + 8990_000) * 1000);
    expect(store.rollups.doneUntil(t.id, 60)).toBe((T + 8940_000) * 1000);
    expect(store.rollups.doneUntil(t.id, 3600)).toBe((T + 2 * HOUR) * 1000);
  });

  it("uses 10 s rollups for an hour at 300 points, with the raw numbers", () => {
    const s = seriesFor(store, t.id, { fromMs: T, toMs: T + HOUR, maxPoints: 300 });
    expect([s.source, s.stepMs, s.points.length]).toEqual(["10s", 20_000, 180]);
    expect(s.points[0]).toMatchObject({ t: T, sent: 20 });
    expectExact(s);
  });

  it("uses 1 min rollups for an hour at 50 points", () => {
    const s = seriesFor(store, t.id, { fromMs: T, toMs: T + HOUR, maxPoints: 50 });
    expect([s.source, s.stepMs, s.points.length]).toEqual(["1m", 120_000, 30]);
    expectExact(s);
  });

  it("never returns more than maxPoints, also for a range not aligned to the step", () => {
    for (const [fromMs, toMs, maxPoints] of [
      [T + 10_000, T + 6_010_000, 300],
      [T + 10_000, T + 2 * HOUR, 10],
      [T + 30_000, T + 30_000 + 3000 * 1000, 300],
      [T + 1234, T + 2 * HOUR - 1234, 97],
    ] as const) {
      const s = seriesFor(store, t.id, { fromMs, toMs, maxPoints });
      expect(s.source).not.toBe("raw");
      expect(s.points.length).toBeLessThanOrEqual(maxPoints);
      // rollups are whole: those starting inside the range
      const res = s.source === "10s" ? 10_000 : 60_000;
      expect(s.points.reduce((a, p) => a + p.sent, 0)).toBe(rawIn(Math.ceil(fromMs / res) * res, Math.ceil(toMs / res) * res).length);
    }
  });

  it("takes the part not rolled up yet from the raw samples", () => {
    const s = seriesFor(store, t.id, { fromMs: T + 2 * HOUR, toMs: T + 3 * HOUR, maxPoints: 300 });
    expect([s.source, s.stepMs, s.points.length]).toEqual(["10s", 20_000, 180]);
    expect(s.points.at(-1)).toMatchObject({ t: T + 3 * HOUR - 20_000, sent: 20 });
    expectExact(s);
    // misaligned with the step: the tail's buckets line up with the rollups' buckets
    const m = seriesFor(store, t.id, { fromMs: T + 2 * HOUR + 10_000, toMs: T + 3 * HOUR + 10_000, maxPoints: 300 });
    expect(m.points.every((p) => p.t % m.stepMs === 0)).toBe(true);
    expectExact(m);
  });

  it("windowStats: raw where raw is kept, rollups before", () => {
    const raw = windowStats(store, t.id, T + 2 * HOUR, T + 2 * HOUR + 600_000);
    expect(raw.source).toBe("raw");
    expect(raw.summary).toEqual(summarize(rawIn(T + 2 * HOUR, T + 2 * HOUR + 600_000)));

    const old = windowStats(store, t.id, T + 600_000, T + 1_200_000);
    const exact = summarize(rawIn(T + 600_000, T + 1_200_000));
    expect(old.source).toBe("10s");
    expect(old.summary).toMatchObject({
      sent: exact.sent,
      n: exact.n,
      loss: exact.loss,
      min: exact.min,
      p50: exact.p50,
      p90: exact.p90,
      p99: exact.p99,
      max: exact.max,
    });
    expect([old.intervalMs, old.proberLagP99Us, old.gaps]).toEqual([1000, 100, 0]);
  });
});

describe("the raw-row budget", () => {
  // 400,000 probes 50 ms apart (5 h 33 min), every 10th lost, all rolled up: more raw rows than one read takes.
  const store = newStore();
  const t = store.targets.add({ address: "10.0.0.6", intervalMs: 50 });
  const N = 400_000;
  const STEP_MS = 50;
  beforeAll(() => {
    store.db
      .prepare(
        `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
         INSERT INTO probe_samples (target_id, seq, sent_us, rtt_us, lag_us, interval_ms)
         SELECT ?, i + 1, ? + i * ?, CASE WHEN i % 10 = 9 THEN NULL ELSE 100 + i % 50 END, 0, ? FROM s`,
      )
      .run(N - 1, t.id, T * 1000, STEP_MS * 1000, STEP_MS);
    while (store.rollups.build((T + N * STEP_MS + 60_000) * 1000) > 0);
  });

  it("the state the tests below assume", () => {
    expect(RAW_ROW_BUDGET).toBe(200_000);
    expect(store.samples.count(t.id, T * 1000, (T + N * STEP_MS) * 1000, 1e9)).toBe(N);
    expect(store.rollups.doneUntil(t.id, 10)).toBeGreaterThanOrEqual((T + N * STEP_MS) * 1000);
  });

  it("windowStats answers from merged rollup histograms past the budget, exactly from raw within it", () => {
    const all = windowStats(store, t.id, T, T + N * STEP_MS);
    expect(all.source).toBe("10s");
    // histograms add exactly: the counts and the percentiles of these small RTTs (below 2,048 µs) are the raw ones
    const exact = summarize(store.samples.range(t.id, T * 1000, (T + N * STEP_MS) * 1000, N));
    expect(all.summary).toMatchObject({ sent: N, n: N * 0.9, min: exact.min, p50: exact.p50, p90: exact.p90, p99: exact.p99, max: exact.max });
    expect(all.summary.loss).toBeCloseTo(0.1, 12);
    const hour = windowStats(store, t.id, T, T + HOUR);
    expect(hour.source).toBe("raw");
    expect(hour.summary).toEqual(summarize(store.samples.range(t.id, T * 1000, (T + HOUR) * 1000)));
    // exactly the budget: still raw, and summarize copes with 200,000 samples
    const full = windowStats(store, t.id, T, T + RAW_ROW_BUDGET * STEP_MS);
    expect([full.source, full.summary.sent]).toEqual(["raw", RAW_ROW_BUDGET]);
  });

  it("seriesFor takes the rollups instead of more raw rows than the budget, within maxPoints", () => {
    // 5 h at 2,000 points wants 9 s steps, which raw would serve: 360,000 rows, over the budget
    const s = seriesFor(store, t.id, { fromMs: T, toMs: T + 5 * HOUR, maxPoints: 2000 });
    expect([s.source, s.stepMs, s.points.length]).toEqual(["10s", 10_000, 1800]);
    expect(s.points.reduce((a, p) => a + p.sent, 0)).toBe(360_000);
    // 2 h (144,000 rows) fits: raw
    expect(seriesFor(store, t.id, { fromMs: T, toMs: T + 2 * HOUR, maxPoints: 2000 }).source).toBe("raw");
  });

  it("compareAround refuses windows beyond the budget instead of reading them, and compares shorter ones", () => {
    const atMs = T + 4 * HOUR;
    const long = compareAround(store, { targetId: t.id, atMs, windowMs: 3 * HOUR, settleMs: 0 }, T + 10 * HOUR);
    expect(long).toEqual({
      ok: false,
      reason: "the window before the change holds more than 200,000 raw samples of 10.0.0.6 (its interval is 50 ms): choose a shorter window (at most 166 min)",
    });
    const short = compareAround(store, { targetId: t.id, atMs, windowMs: HOUR, settleMs: 0 }, T + 10 * HOUR);
    expect(short.ok).toBe(true);
  });
});
