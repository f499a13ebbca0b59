/** The before/after verdict around a change, read from the store's raw samples. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { compareAround } from "./compare";
import { summarize } from "./stats";
import { openProbeStores } from "./stores";
import type { SampleRow } from "./sample-store";
import { mulberry32 } from "./verdict";

const work = mkdtempSync(join(tmpdir(), "passdeck-compare-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

const AT = Date.parse("2030-01-02T03:10:00.000Z"); // the change
const newStore = () => openProbeStores(openWebDatabase(join(work, `d${dirs++}`)), () => AT);

/** Probes every 200 ms in [fromMs, toMs): RTT `center` ± 5 µs. */
function probes(targetId: number, fromMs: number, toMs: number, center: number, seed: number, firstSeq: number): SampleRow[] {
  const random = mulberry32(seed);
  const out: SampleRow[] = [];
  for (let ms = fromMs, seq = firstSeq; ms < toMs; ms += 200, seq++)
    out.push({ targetId, seq, sentUs: ms * 1000, rttUs: center - 5 + Math.floor(random() * 11), lagUs: 20, intervalMs: 200 });
  return out;
}

describe("compareAround", () => {
  it("finds ~100 µs → ~60 µs significant, from the windows either side of the change", () => {
    const store = newStore();
    const t = store.targets.add({ address: "10.0.0.5" });
    const before = probes(t.id, AT - 300_000, AT, 100, 1, 1);
    const settle = probes(t.id, AT, AT + 30_000, 500, 2, 1501); // the change itself: outside both windows
    const after = probes(t.id, AT + 30_000, AT + 330_000, 60, 3, 1651);
    store.samples.insert([...before, ...settle, ...after]);

    const out = compareAround(store, { targetId: t.id, atMs: AT }, AT + 400_000);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.windows).toEqual({ before: { fromMs: AT - 300_000, toMs: AT }, after: { fromMs: AT + 30_000, toMs: AT + 330_000 } });
    expect(out.pending).toBe(false);
    const v = out.verdict;
    expect(v.before.summary).toEqual(summarize(before));
    expect(v.after.summary).toEqual(summarize(after));
    expect([v.before.summary.n, v.after.summary.n]).toEqual([1500, 1500]);
    expect(v.before.summary.p99).toBeGreaterThanOrEqual(100);
    expect(v.after.summary.p99).toBeLessThanOrEqual(65);
    expect(v.significant).toBe(true);
    expect(v.headline).toMatch(/^p99 /);
    expect(v.headline).toContain("significant");
    expect(v.mannWhitney?.direction).toBe("lower");
    expect(v.mannWhitney?.u).toBe(0); // every after RTT is below every before RTT
    expect(v.deltas.find((d) => d.metric === "p50")).toMatchObject({ before: v.before.summary.p50, after: v.after.summary.p50 });
    expect([v.before.intervalMs, v.after.intervalMs]).toEqual([200, 200]);

    // asked before the after-window is over: pending
    const early = compareAround(store, { targetId: t.id, atMs: AT }, AT + 60_000);
    expect(early.ok && early.pending).toBe(true);
  });

  it("says why it cannot compare: no such target, no samples, raw samples start too late", () => {
    const store = newStore();
    expect(compareAround(store, { targetId: 42, atMs: AT })).toEqual({ ok: false, reason: "there is no latency target 42" });

    const empty = store.targets.add({ address: "10.0.0.9", label: "vm9" });
    const none = compareAround(store, { targetId: empty.id, atMs: AT });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.reason).toBe("vm9 — 10.0.0.9 has no samples yet: is the probe agent running?");

    const late = store.targets.add({ address: "10.0.0.10" });
    store.samples.insert(probes(late.id, AT - 120_000, AT + 330_000, 100, 4, 1));
    const out = compareAround(store, { targetId: late.id, atMs: AT });
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.reason).toContain("the raw samples of 10.0.0.10 start at 2030-01-02T03:08:00.000Z");
      expect(out.reason).toContain("the comparison needs raw samples");
    }
    // a shorter window fits
    expect(compareAround(store, { targetId: late.id, atMs: AT, windowMs: 120_000 }).ok).toBe(true);
  });
});
