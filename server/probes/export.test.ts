/** CSV export: raw samples whenever they hold the whole range, rollup points once older raw samples were pruned. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/server/db/database";
import { exportRange } from "./export";
import { DEFAULT_RETENTION, ProbeStore, type SampleRow } from "./store";

const work = mkdtempSync(join(tmpdir(), "passdeck-export-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

const T = Date.parse("2030-01-02T03:00:00.000Z");
const RAW_HEADER = "seq,sent,sent_us,rtt_us,lost,prober_lag_us";
const textOf = (body: ReadableStream<Uint8Array>) => new Response(body).text();

/** A target probed every 200 ms for `seconds`, starting at `startMs`, every 10th probe lost. */
function probed(startMs: number, seconds: number) {
  const store = new ProbeStore(openDatabase(join(work, `d${dirs++}`)), () => startMs);
  const target = store.addTarget({ address: "10.0.0.5" });
  const rows: SampleRow[] = Array.from({ length: seconds * 5 }, (_, i) => ({
    targetId: target.id,
    seq: i + 1,
    sentUs: (startMs + i * 200) * 1000,
    rttUs: i % 10 === 9 ? null : 50 + (i % 7),
    lagUs: 0,
    intervalMs: 200,
  }));
  store.insertSamples(rows);
  return { store, target, rows };
}

describe("exportRange", () => {
  it("exports the raw samples of a target younger than the range, even once its rollups exist", async () => {
    // Probed from T + 2 min for 2 min; the export asks for the 5 minutes from T (a Live view of a new target).
    const { store, target, rows } = probed(T + 120_000, 120);
    store.buildRollups((T + 300_000) * 1000);
    expect(store.oldestRollupUs(target.id, 10)).not.toBeNull();
    const out = exportRange(store, { target, fromMs: T, toMs: T + 300_000, format: "csv" });
    const [header, ...lines] = (await textOf(out.body)).trim().split("\n");
    expect(header).toBe(RAW_HEADER);
    expect(lines).toHaveLength(rows.length);
    expect(lines[9]).toBe(`10,${new Date(T + 120_000 + 9 * 200).toISOString()},${(T + 120_000 + 9 * 200) * 1000},,1,0`);
  });

  it("exports rollup points when the raw samples of the range's start were pruned", async () => {
    const { store, target } = probed(T, 600);
    store.buildRollups((T + 700_000) * 1000);
    // Keep only the last 2 minutes of raw samples.
    store.prune(T + 600_000, { ...DEFAULT_RETENTION, rawMs: 120_000 });
    const out = exportRange(store, { target, fromMs: T, toMs: T + 600_000, format: "csv" });
    expect((await textOf(out.body)).split("\n")[0]).toMatch(/^# 10\.0\.0\.5: 10s rollups, 10 s per row/);
  });
});
