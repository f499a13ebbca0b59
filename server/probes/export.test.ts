/** CSV export: raw samples whenever they hold the whole range, rollup points once older raw samples were pruned. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { CsvBytes, exportRange, isoFormatter, parseExportRange } from "./export";
import { DEFAULT_RETENTION, openProbeStores, pruneProbeData } from "./stores";
import type { SampleRow } from "./sample-store";

const work = mkdtempSync(join(tmpdir(), "passdeck-export-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

const T = Date.parse("2030-01-02T03:00:00.000Z");
const RAW_HEADER = "seq,sent,sent_us,rtt_us,lost,prober_lag_us";
const textOf = (body: ReadableStream<Uint8Array>) => new Response(body).text();

/** A target probed every 200 ms for `seconds`, starting at `startMs`, every 10th probe lost. */
function probed(startMs: number, seconds: number) {
  const store = openProbeStores(openWebDatabase(join(work, `d${dirs++}`)), () => startMs);
  const target = store.targets.add({ address: "10.0.0.5" });
  const rows: SampleRow[] = Array.from({ length: seconds * 5 }, (_, i) => ({
    targetId: target.id,
    seq: i + 1,
    sentUs: (startMs + i * 200) * 1000,
    rttUs: i % 10 === 9 ? null : 50 + (i % 7),
    lagUs: 0,
    intervalMs: 200,
  }));
  store.samples.insert(rows);
  return { store, target, rows };
}

describe("exportRange", () => {
  it("exports the raw samples of a target younger than the range, even once its rollups exist", async () => {
    // Probed from T + 2 min for 2 min; the export asks for the 5 minutes from T (a Live view of a new target).
    const { store, target, rows } = probed(T + 120_000, 120);
    store.rollups.build((T + 300_000) * 1000);
    expect(store.rollups.oldestUs(target.id, 10)).not.toBeNull();
    const out = exportRange(store, { target, fromMs: T, toMs: T + 300_000, format: "csv" });
    const [header, ...lines] = (await textOf(out.body)).trim().split("\n");
    expect(header).toBe(RAW_HEADER);
    expect(lines).toHaveLength(rows.length);
    expect(lines[9]).toBe(`10,${new Date(T + 120_000 + 9 * 200).toISOString()},${(T + 120_000 + 9 * 200) * 1000},,1,0`);
  });

  it("exports rollup points when the raw samples of the range's start were pruned", async () => {
    const { store, target } = probed(T, 600);
    store.rollups.build((T + 700_000) * 1000);
    // Keep only the last 2 minutes of raw samples.
    pruneProbeData(store, T + 600_000, { ...DEFAULT_RETENTION, rawMs: 120_000 });
    const out = exportRange(store, { target, fromMs: T, toMs: T + 600_000, format: "csv" });
    expect((await textOf(out.body)).split("\n")[0]).toMatch(/^# 10\.0\.0\.5: 10s rollups, 10 s per row/);
  });
});

/** `n` samples of one target, 100 ms apart from `startMs`, written by SQLite itself (fast enough for 100,000s). */
function bulk(n: number, startMs: number) {
  const store = openProbeStores(openWebDatabase(join(work, `d${dirs++}`)), () => startMs);
  const target = store.targets.add({ address: "10.0.0.9", intervalMs: 100 });
  store.db
    .prepare(
      `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
       INSERT INTO probe_samples (target_id, seq, sent_us, rtt_us, lag_us, interval_ms)
       SELECT ?, i + 1, ? + i * 100000, CASE WHEN i % 10 = 9 THEN NULL ELSE 50 + i % 7 END, 0, 100 FROM s`,
    )
    .run(n - 1, target.id, startMs * 1000);
  return { store, target };
}

describe("exportRange streams", () => {
  it("reads a page per chunk the client takes: 30,000 rows come in 31 chunks, and an unread stream stops reading", async () => {
    const { store, target } = bulk(30_000, T);
    let pages = 0;
    const read = store.samples.rowsPage.bind(store.samples);
    store.samples.rowsPage = (...args) => (pages++, read(...args));
    const out = exportRange(store, { target, fromMs: T, toMs: T + 3_000_000, format: "csv" });
    expect([out.kind, out.source]).toEqual(["samples", "raw"]);
    const reader = out.body.getReader();
    let lines = 0;
    let chunks = 0;
    let largest = 0;
    const take = async () => {
      const { done, value } = await reader.read();
      if (done) return false;
      chunks++;
      largest = Math.max(largest, value.length);
      for (const b of value) if (b === 10) lines++;
      return true;
    };
    // The header, then one page: nothing more is read while the client waits.
    await take();
    await take();
    await new Promise((r) => setTimeout(r, 50));
    expect(pages).toBeLessThanOrEqual(2);
    while (await take());
    expect(lines - 1).toBe(30_000);
    expect(lines - 1).toBe(store.samples.count(target.id, T * 1000, (T + 3_000_000) * 1000, 1e9));
    expect(chunks).toBe(31); // the header and 30 pages of EXPORT_PAGE_ROWS
    expect(largest).toBeLessThan(128 * 1024);
    expect(pages).toBe(31); // the last, empty page ends it
  });

  it("streams valid JSON across pages, every sample once, in send order", async () => {
    const { store, target } = bulk(2_500, T);
    const out = exportRange(store, { target, fromMs: T, toMs: T + 250_000, format: "json" }, 1_000);
    const parsed = JSON.parse(await textOf(out.body)) as { kind: string; samples: { seq: number; sent_us: number; rtt_us: number | null }[] };
    expect(parsed.kind).toBe("samples");
    expect(parsed.samples.map((s) => s.seq)).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 1));
    expect(parsed.samples[9]).toEqual({ seq: 10, sent: new Date(T + 900).toISOString(), sent_us: (T + 900) * 1000, rtt_us: null, lag_us: 0 });
  });

  it("streams rollup points and the raw tail as valid JSON once the range's raw start was pruned", async () => {
    const { store, target } = bulk(6_000, T); // 10 minutes
    store.rollups.build((T + 400_000) * 1000); // rolled up to about T + 5 min
    pruneProbeData(store, T + 600_000, { ...DEFAULT_RETENTION, rawMs: 300_000 });
    const out = exportRange(store, { target, fromMs: T, toMs: T + 600_000, format: "json" }, 7);
    expect([out.kind, out.source]).toEqual(["points", "10s"]);
    const parsed = JSON.parse(await textOf(out.body)) as { source: string; stepMs: number; points: { t: number; sent: number }[] };
    expect([parsed.source, parsed.stepMs]).toEqual(["10s", 10_000]);
    // one point per 10 s over the 10 minutes, from the rollups and then the tail's samples, none twice
    expect(parsed.points.map((p) => p.t)).toEqual(Array.from({ length: 60 }, (_, i) => T + i * 10_000));
    expect(parsed.points.every((p) => p.sent === 100)).toBe(true);
  });
});

describe("parseExportRange", () => {
  const NOW = Date.parse("2026-11-25T12:00:00Z");
  const parse = (q: string) => parseExportRange(new URLSearchParams(q), NOW);

  it("takes ISO times and ms, and defaults to the last hour", () => {
    expect(parse("from=2026-11-25T10:00:00Z&to=2026-11-25T11:00:00Z")).toEqual({ ok: true, fromMs: NOW - 7_200_000, toMs: NOW - 3_600_000 });
    expect(parse(`from=${NOW - 1000}&to=${NOW}`)).toEqual({ ok: true, fromMs: NOW - 1000, toMs: NOW });
    expect(parse("")).toEqual({ ok: true, fromMs: NOW - 3_600_000, toMs: NOW });
  });

  it("refuses each bad form with what was wrong", () => {
    expect(parse("from=-5")).toEqual({ ok: false, message: "from=-5 is negative: send an ISO time (2026-11-25T10:00:00Z) or ms since the epoch" });
    expect(parse("to=NaN")).toEqual({ ok: false, message: "to=NaN is not a time: send an ISO time (2026-11-25T10:00:00Z) or ms since the epoch" });
    expect(parse("from=yesterday")).toEqual({
      ok: false,
      message: "from=yesterday is not a time: send an ISO time (2026-11-25T10:00:00Z) or ms since the epoch",
    });
    expect(parse("from=1764000000")).toEqual({
      ok: false,
      message: "from=1764000000 is before 2000-01-01, older than any sample (ms since the epoch, not seconds?)",
    });
    expect(parse("from=1999-12-31T23:59:59Z")).toMatchObject({ ok: false, message: expect.stringContaining("is before 2000-01-01") });
    expect(parse(`to=${NOW + 86_400_001}`)).toEqual({
      ok: false,
      message: `to=${NOW + 86_400_001} is more than a day in the future: no samples are there yet`,
    });
    expect(parse(`from=${NOW}&to=${NOW}`)).toEqual({ ok: false, message: "from (2026-11-25T12:00:00.000Z) must be before to (2026-11-25T12:00:00.000Z)" });
    expect(parse(`from=${NOW}&to=${NOW - 1}`)).toMatchObject({ ok: false, message: expect.stringContaining("must be before to") });
    expect(parse(`from=${NOW - 367 * 86_400_000}&to=${NOW}`)).toEqual({
      ok: false,
      message: "the range is 367 days; an export covers at most 366: export it in parts",
    });
  });
});

describe("isoFormatter", () => {
  it("formats like Date.toISOString, also across minutes, hours, days and years", () => {
    const iso = isoFormatter();
    const start = Date.parse("2025-12-31T23:58:30.000Z") * 1000;
    let us = start;
    for (let i = 0; i < 20_000; i++) {
      us += Math.floor(Math.abs(Math.sin(i)) * 20_000_000) + 1; // 1 µs to 20 s apart, sub-ms parts included
      expect(iso(us)).toBe(new Date(us / 1000).toISOString());
    }
    expect(us).toBeGreaterThan(Date.parse("2026-01-01T00:00:00Z") * 1000);
  });
});

describe("CsvBytes", () => {
  it("writes integers as String() does, negative and unsafe ones too, and grows past its first buffer", () => {
    const csv = new CsvBytes();
    const values = [0, 7, 10, 99, 100, 123_456, -1, -40, 1_796_636_747_967_027, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5, 1e21];
    for (let i = 0; i < 20_000; i++) for (const v of values) csv.int(v).byte(44);
    const text = new TextDecoder().decode(csv.take());
    expect(text).toBe(`${values.join(",")},`.repeat(20_000));
    expect(new TextDecoder().decode(csv.text("a").take())).toBe("a");
  });
});
