/** The latency store on a real SQLite file: targets, samples, rollups against the raw numbers, pruning, counters, agent. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { LatencyHistogram } from "./histogram";
import { windowStats } from "./series";
import { summarize } from "./stats";
import { DEFAULT_RETENTION, openProbeStores, pruneProbeData } from "./stores";
import { mergeRollups } from "./rollup";
import { TargetConflict } from "./target-store";
import type { SampleRow } from "./sample-store";
import { mulberry32 } from "./verdict";

const work = mkdtempSync(join(tmpdir(), "passdeck-probes-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

const HOUR_MS = 3_600_000;
const T = Date.parse("2030-01-02T03:00:00.000Z"); // hour-aligned, ms
const TU = T * 1000;

function setup() {
  let clock = T;
  const store = openProbeStores(openWebDatabase(join(work, `d${dirs++}`)), () => clock);
  return { store, setClock: (ms: number) => (clock = ms) };
}

/** `count` probes every `intervalMs` from `startUs`: RTTs 50–1549 µs (exact buckets), losses at i % 50 ∈ {10, 11, 27}. */
function synthetic(targetId: number, startUs: number, count: number, intervalMs = 200, seed = 1, firstSeq = 1): SampleRow[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const rtt = 50 + Math.floor(random() * 1500);
    const lag = Math.floor(random() * 400);
    const lost = [10, 11, 27].includes(i % 50);
    return {
      targetId,
      seq: firstSeq + i,
      sentUs: startUs + i * intervalMs * 1000 + lag,
      rttUs: lost ? null : rtt,
      lagUs: i % 97 === 5 ? intervalMs * 1000 + 5000 : lag, // an occasional prober gap
      intervalMs,
    };
  });
}

describe("targets", () => {
  it("validates, adds with defaults, and refuses the same address, kind and port twice", () => {
    const { store } = setup();
    const a = store.targets.add({ address: "10.0.0.5" });
    expect(a).toEqual({
      id: 1,
      name: "10.0.0.5",
      address: "10.0.0.5",
      kind: "icmp",
      port: null,
      intervalMs: 200,
      timeoutMs: 1000,
      label: null,
      vmUuid: null,
      createdAt: T,
      removedAt: null,
    });
    expect(() => store.targets.add({ address: "10.0.0.5", intervalMs: 500 })).toThrow(TargetConflict);
    expect(() => store.targets.add({ address: "10.0.0.5", intervalMs: 500 })).toThrow("10.0.0.5 is already a target (id 1)");
    const tcp = store.targets.add({ address: "10.0.0.5", kind: "tcp", port: 22, label: "vm1 ssh" });
    expect([tcp.id, tcp.name, tcp.port]).toEqual([2, "vm1 ssh — 10.0.0.5:22 (tcp)", 22]);
    expect(store.targets.add({ address: "10.0.0.5", kind: "tcp", port: 80 }).id).toBe(3);
    expect(() => store.targets.add({ address: "10.0.0.5", kind: "tcp", port: 22 })).toThrow(TargetConflict);
    // bad input never reaches the table
    expect(() => store.targets.add({ address: "-f" })).toThrow("neither an IP address nor a host name");
    expect(() => store.targets.add({ address: "10.0.0.6", kind: "tcp" })).toThrow("a TCP probe needs a port");
    expect(() => store.targets.add({ address: "10.0.0.6", intervalMs: 5 })).toThrow("at least 10 ms");
    expect(store.targets.active().map((t) => t.id)).toEqual([1, 2, 3]);
    // removed, it can be added again
    store.targets.remove(1);
    expect(store.targets.add({ address: "10.0.0.5" }).id).toBe(4);
  });

  it("finds a target by id, address or label; an address probed two ways is ambiguous", () => {
    const { store, setClock } = setup();
    const icmp = store.targets.add({ address: "10.0.0.7", label: "vm7" });
    const other = store.targets.add({ address: "host-b.lan" });
    expect(store.targets.find(String(other.id))?.id).toBe(other.id);
    expect(store.targets.find("10.0.0.7")?.id).toBe(icmp.id);
    expect(store.targets.find("vm7")?.id).toBe(icmp.id);
    expect(store.targets.find("host-b.lan")?.id).toBe(other.id);
    expect(store.targets.find("10.9.9.9")).toBeNull();
    const tcp = store.targets.add({ address: "10.0.0.7", kind: "tcp", port: 22 });
    expect(() => store.targets.find("10.0.0.7")).toThrow(TargetConflict);
    expect(() => store.targets.find("10.0.0.7")).toThrow(`"10.0.0.7" names 2 targets (${tcp.id}: 10.0.0.7:22 (tcp), ${icmp.id}: vm7 — 10.0.0.7): give the id`);
    // a removed target is still found (its history stays)
    setClock(T + 1000);
    store.targets.remove(other.id);
    expect(store.targets.find("host-b.lan")).toMatchObject({ id: other.id, removedAt: T + 1000 });
    expect(store.targets.active().map((t) => t.id)).toEqual([icmp.id, tcp.id]);
    expect(store.targets.all()).toHaveLength(3);
  });

  it("keeps one status per target", () => {
    const { store, setClock } = setup();
    const t = store.targets.add({ address: "10.0.0.5" });
    store.targets.setStatus(t.id, "starting", null);
    setClock(T + 5);
    store.targets.setStatus(t.id, "failing", "no reply within 1000 ms");
    expect(store.targets.statuses()).toEqual([{ targetId: t.id, state: "failing", message: "no reply within 1000 ms", updatedAt: T + 5 }]);
  });
});

describe("samples", () => {
  it("stores batches and reads a time range in sequence order", () => {
    const { store } = setup();
    const t = store.targets.add({ address: "10.0.0.5" });
    const rows = synthetic(t.id, TU, 20);
    store.samples.insert(rows.slice(10).reverse());
    store.samples.insert(rows.slice(0, 10));
    const back = store.samples.range(t.id, TU + 1_000_000, TU + 3_000_000);
    expect(back.map((s) => s.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(back[0]).toMatchObject({ targetId: t.id, seq: 6, sentUs: rows[5]!.sentUs, rttUs: rows[5]!.rttUs, lagUs: rows[5]!.lagUs, intervalMs: 200 });
    expect(store.samples.oldestUs(t.id)).toBe(rows[0]!.sentUs);
    expect(store.samples.lastSeq(t.id)).toBe(20);
    expect(store.samples.lastId()).toBe(20);
    expect(store.samples.after(18).map((s) => s.seq)).toEqual([9, 10]);
  });

  it("adds each batch to the Prometheus counters: a count per bucket bound (−1 = +Inf), sent, received, sum", () => {
    const { store } = setup();
    const t = store.targets.add({ address: "10.0.0.5" });
    const row = (seq: number, rttUs: number | null): SampleRow => ({ targetId: t.id, seq, sentUs: TU + seq * 200_000, rttUs, lagUs: 0, intervalMs: 200 });
    store.samples.insert([row(1, 100), row(2, 101), row(3, null), row(4, 20_000_000)]);
    store.samples.insert([row(5, 100), row(6, 3), row(7, null)]);
    const [c] = store.counters.read();
    expect(c).toMatchObject({ targetId: t.id, sent: 7, received: 5, rttSumUs: 100 + 101 + 20_000_000 + 100 + 3 });
    expect([...c!.buckets.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [-1, 1],
      [5, 1],
      [100, 2],
      [200, 1],
    ]);
  });
});

describe("rollups", () => {
  // 3 minutes at 200 ms from an hour boundary: 900 probes, 18 ten-second buckets of 50.
  function rolled() {
    const { store } = setup();
    const t = store.targets.add({ address: "10.0.0.5" });
    const rows = synthetic(t.id, TU, 900);
    store.samples.insert(rows);
    expect(store.rollups.build(TU + 2 * HOUR_MS * 1000)).toBe(18 + 3 + 1);
    return { store, t, rows };
  }

  it("10 s and 1 min rollups give exactly the raw minute's numbers", () => {
    const { store, t, rows } = rolled();
    const minute = rows.filter((r) => r.sentUs >= TU + 60e6 && r.sentUs < TU + 120e6);
    expect(minute).toHaveLength(300);
    const raw = summarize(minute);

    const tens = store.rollups.range(t.id, 10, TU + 60e6, TU + 120e6);
    expect(tens.map((r) => r.startUs)).toEqual([0, 1, 2, 3, 4, 5].map((k) => TU + 60e6 + k * 10e6));
    const m = mergeRollups(tens);
    const fromRollups = {
      n: m.received,
      sent: m.sent,
      loss: 1 - m.received / m.sent,
      min: m.rtt.min,
      p50: m.rtt.percentile(0.5),
      p90: m.rtt.percentile(0.9),
      p99: m.rtt.percentile(0.99),
      max: m.rtt.max,
    };
    const expected = { n: raw.n, sent: raw.sent, loss: raw.loss, min: raw.min, p50: raw.p50, p90: raw.p90, p99: raw.p99, max: raw.max };
    expect(fromRollups).toEqual(expected);
    expect([m.lossLongest, m.lossEpisodes]).toEqual([raw.lossBursts.longest, raw.lossBursts.episodes]);
    expect([raw.sent, raw.n, raw.lossBursts.longest, raw.lossBursts.episodes]).toEqual([300, 282, 2, 12]);
    expect(m.gaps).toBe(minute.filter((r) => r.lagUs! > 200_000).length);
    expect(m.intervalMs).toBe(200);

    // the minute rollup is the merge of its six 10 s rollups
    const [one] = store.rollups.range(t.id, 60, TU + 60e6, TU + 120e6);
    expect(one!.startUs).toBe(TU + 60e6);
    expect([one!.sent, one!.received, one!.lossLongest, one!.lossEpisodes, one!.gaps, one!.jitterBuckets]).toEqual([
      m.sent,
      m.received,
      m.lossLongest,
      m.lossEpisodes,
      m.gaps,
      6,
    ]);
    // read back still encoded
    expect(LatencyHistogram.decode(one!.rtt).entries()).toEqual(m.rtt.entries());
    expect(LatencyHistogram.decode(one!.ipdvAbs).entries()).toEqual(m.ipdvAbs.entries());
    expect(LatencyHistogram.decode(one!.lag).entries()).toEqual(m.lag.entries());
    expect(one!.jitterSumUs).toBeCloseTo(m.jitterSumUs, 9);

    // windowStats over rollups (raw pruned) gives the same numbers
    pruneProbeData(store, T + 3 * HOUR_MS, { ...DEFAULT_RETENTION, rawMs: HOUR_MS });
    expect(store.samples.oldestUs(t.id)).toBeNull();
    const w = windowStats(store, t.id, T + 60_000, T + 120_000);
    expect(w.source).toBe("10s");
    const s = w.summary;
    expect({ n: s.n, sent: s.sent, loss: s.loss, min: s.min, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max }).toEqual(expected);
    expect([s.p95, s.p999, s.pdv.p99]).toEqual([raw.p95, raw.p999, raw.pdv.p99]);
    expect(s.mean).toBeCloseTo(raw.mean!, 9);
    expect(s.mdev).toBeCloseTo(raw.mdev!, 6);
    expect(w.gaps).toBe(m.gaps);

    // with the 10 s rollups pruned too, from the minute rollups: the same again
    pruneProbeData(store, T + 3 * HOUR_MS, { ...DEFAULT_RETENTION, rawMs: HOUR_MS, tenSecondMs: HOUR_MS });
    const w1 = windowStats(store, t.id, T + 60_000, T + 120_000);
    expect(w1.source).toBe("1m");
    expect({
      n: w1.summary.n,
      sent: w1.summary.sent,
      loss: w1.summary.loss,
      min: w1.summary.min,
      p50: w1.summary.p50,
      p90: w1.summary.p90,
      p99: w1.summary.p99,
      max: w1.summary.max,
    }).toEqual(expected);
  });

  it("the hour rollup holds every probe of the hour", () => {
    const { store, t, rows } = rolled();
    const [hour] = store.rollups.range(t.id, 3600, TU, TU + HOUR_MS * 1000);
    const rtt = LatencyHistogram.decode(hour!.rtt);
    const all = summarize(rows);
    expect(hour).toMatchObject({ startUs: TU, resolutionS: 3600, sent: 900, received: all.n, intervalMs: 200 });
    expect(rtt.entries()).toEqual(LatencyHistogram.of(rows.flatMap((r) => (r.rttUs === null ? [] : [r.rttUs]))).entries());
    expect([rtt.percentile(0.5), rtt.percentile(0.99), rtt.min, rtt.max]).toEqual([all.p50, all.p99, all.min, all.max]);
    expect(hour!.jitterBuckets).toBe(18);
    expect(store.rollups.doneUntil(t.id, 3600)).toBe(TU + HOUR_MS * 1000);
  });

  it("waits for a bucket's last timeout, the interval and 5 s before rolling it up", () => {
    const { store } = setup();
    const t = store.targets.add({ address: "10.0.0.5" }); // 200 ms, timeout 1000 ms → 6.2 s
    store.samples.insert(synthetic(t.id, TU, 60));
    expect(store.rollups.build(TU + 16_200_000 - 1)).toBe(0);
    expect(store.rollups.doneUntil(t.id, 10)).toBeNull();
    expect(store.rollups.build(TU + 16_200_000)).toBe(1);
    expect(store.rollups.doneUntil(t.id, 10)).toBe(TU + 10e6);
    expect(store.rollups.range(t.id, 10, 0, Number.MAX_SAFE_INTEGER).map((r) => [r.startUs, r.sent])).toEqual([[TU, 50]]);
    expect(store.rollups.build(TU + 16_200_000)).toBe(0);
  });

  it("rolls up at most maxBuckets per call and continues where it stopped", () => {
    const { store } = setup();
    const t = store.targets.add({ address: "10.0.0.5" });
    store.samples.insert(synthetic(t.id, TU, 900));
    const far = TU + 2 * HOUR_MS * 1000;
    expect(store.rollups.build(far, 4)).toBe(4);
    expect(store.rollups.doneUntil(t.id, 10)).toBe(TU + 40e6);
    expect(store.rollups.doneUntil(t.id, 60)).toBeNull();
    expect(store.rollups.build(far, 4)).toBe(4 + 1);
    expect(store.rollups.doneUntil(t.id, 10)).toBe(TU + 80e6);
    expect(store.rollups.doneUntil(t.id, 60)).toBe(TU + 60e6);
    expect(store.rollups.range(t.id, 10, 0, far).map((r) => (r.startUs - TU) / 1e6)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    let calls = 0;
    while (store.rollups.build(far, 4) > 0) calls++;
    expect(store.rollups.range(t.id, 10, 0, far)).toHaveLength(18);
    expect(store.rollups.range(t.id, 60, 0, far)).toHaveLength(3);
    expect(calls).toBeGreaterThan(1);
  });
});

describe("prune", () => {
  it("deletes raw samples older than the retention, oldest first, at most `chunk` rows per table", () => {
    const { store } = setup();
    const t = store.targets.add({ address: "10.0.0.5" });
    const old = synthetic(t.id, TU, 25);
    const recent = synthetic(t.id, TU + HOUR_MS * 1000, 5, 200, 2, 100);
    store.samples.insert([...old, ...recent]);
    const retention = { ...DEFAULT_RETENTION, rawMs: 30 * 60_000 };
    const now = T + HOUR_MS + 60_000;
    expect(pruneProbeData(store, now, retention, 10)).toBe(10);
    expect(store.samples.oldestUs(t.id)).toBe(old[10]!.sentUs);
    expect(pruneProbeData(store, now, retention, 10)).toBe(10);
    expect(pruneProbeData(store, now, retention, 10)).toBe(5);
    expect(pruneProbeData(store, now, retention, 10)).toBe(0);
    expect(store.samples.range(t.id, 0, Number.MAX_SAFE_INTEGER).map((s) => s.seq)).toEqual([100, 101, 102, 103, 104]);
  });

  it("prunes each rollup resolution by its own retention, in chunks", () => {
    const { store } = setup();
    const t = store.targets.add({ address: "10.0.0.5" });
    store.samples.insert(synthetic(t.id, TU, 900));
    store.rollups.build(TU + 2 * HOUR_MS * 1000);
    const retention = { rawMs: 10 * HOUR_MS, tenSecondMs: HOUR_MS, minuteMs: 10 * HOUR_MS, hourMs: 10 * HOUR_MS };
    const now = T + 2 * HOUR_MS;
    expect(pruneProbeData(store, now, retention, 10)).toBe(10);
    expect(pruneProbeData(store, now, retention, 10)).toBe(8);
    expect(pruneProbeData(store, now, retention, 10)).toBe(0);
    expect(store.rollups.oldestUs(t.id, 10)).toBeNull();
    expect(store.rollups.range(t.id, 60, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(3);
    expect(store.samples.range(t.id, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(900);
  });
});

describe("agent registration", () => {
  const me = (pid: number) => ({ pid, bootAt: T - 1000, pingVersion: "ping from iputils 20221126", minIntervalMs: 2, note: null });

  it("refuses a second live agent with a fresh heartbeat; takes over a stale or dead one", () => {
    const { store, setClock } = setup();
    const alive = () => true;
    expect(store.agent.claim(me(100), alive)).toEqual({ ok: true });
    expect(store.agent.current()).toEqual({
      pid: 100,
      bootAt: T - 1000,
      startedAt: T,
      heartbeatAt: T,
      pingVersion: "ping from iputils 20221126",
      minIntervalMs: 2,
      note: null,
    });
    setClock(T + 9_000);
    store.agent.heartbeat(100);
    setClock(T + 18_999);
    const refused = store.agent.claim(me(200), alive);
    expect(refused).toMatchObject({ ok: false, other: { pid: 100, heartbeatAt: T + 9_000 } });
    expect(store.agent.claim(me(100), alive)).toEqual({ ok: true }); // the same process again
    setClock(T + 18_999 + 19_999);
    expect(store.agent.claim(me(200), alive).ok).toBe(false);
    setClock(T + 18_999 + 20_000); // stale: AGENT_STALE_MS
    expect(store.agent.claim(me(200), alive)).toEqual({ ok: true });
    expect(store.agent.current()?.pid).toBe(200);
    // fresh but its process is gone
    expect(store.agent.claim(me(300), (pid) => pid !== 200)).toEqual({ ok: true });
    store.agent.release(300);
    expect(store.agent.current()).toBeNull();
  });
});

describe("annotations", () => {
  it("adds, lists by time and removes", () => {
    const { store } = setup();
    const a = store.notes.add(T + 500, "moved vm1 to a VF", "alice");
    const b = store.notes.add(T + 100, "BIOS update", "bob");
    store.notes.add(T + 10_000, "later", "carol");
    expect(a).toEqual({ id: 1, atMs: T + 500, text: "moved vm1 to a VF", actor: "alice", createdAt: T });
    expect(store.notes.between(T, T + 500).map((x) => [x.id, x.text, x.actor])).toEqual([
      [b.id, "BIOS update", "bob"],
      [a.id, "moved vm1 to a VF", "alice"],
    ]);
    expect(store.notes.remove(a.id)).toBe(true);
    expect(store.notes.remove(a.id)).toBe(false);
    expect(store.notes.between(0, T + 60_000).map((x) => x.text)).toEqual(["BIOS update", "later"]);
  });
});
