/** The probe agent with fake probes: following the targets table, batching samples into the store, one per data dir. */
import type * as ChildProcess from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { ProbeAgent } from "./agent";
import type { ProbeSink } from "./runners";
import { openProbeStores } from "./stores";
import type { ProbeTarget } from "./target-store";

// `ping -V` only: no real ping runs in these tests.
vi.mock("node:child_process", async (importOriginal) => ({
  ...(await importOriginal<typeof ChildProcess>()),
  execFileSync: vi.fn(() => "ping from iputils 20221126\nlibcap: yes\n"),
}));

const work = mkdtempSync(join(tmpdir(), "passdeck-agent-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());
let dirs = 0;

const T = Date.parse("2030-01-02T03:00:00.000Z");

function setup() {
  const dir = join(work, `d${dirs++}`);
  let clock = T;
  const store = openProbeStores(openWebDatabase(dir), () => clock);
  const started: { target: ProbeTarget; sink: ProbeSink; firstSeq: number; probe: { stop: ReturnType<typeof vi.fn> } }[] = [];
  const logs: string[] = [];
  const agent = new ProbeAgent(store, {
    probeFor: (target, sink, firstSeq) => {
      const probe = { stop: vi.fn() };
      started.push({ target, sink, firstSeq, probe });
      return probe;
    },
    flushMs: 10,
    syncMs: 50,
    rollupMs: 1000,
    pruneMs: 1000,
    log: (line) => logs.push(line),
  });
  return { dir, store, agent, started, logs, tick: (ms: number) => (clock += ms) };
}

/** Runs `fn` as if this were another process. */
function asPid<R>(pid: number, fn: () => R): R {
  const real = process.pid;
  Object.defineProperty(process, "pid", { value: pid, configurable: true });
  try {
    return fn();
  } finally {
    Object.defineProperty(process, "pid", { value: real, configurable: true });
  }
}

describe("ProbeAgent", () => {
  it("starts one probe per active target, stops removed ones, restarts changed ones", () => {
    vi.useFakeTimers();
    const { store, agent, started, logs } = setup();
    const a = store.targets.add({ address: "10.0.0.5" });
    const b = store.targets.add({ address: "10.0.0.6", intervalMs: 1000 });
    expect(agent.start()).toBe(true);
    expect(started.map((s) => [s.target.id, s.firstSeq])).toEqual([
      [a.id, 0],
      [b.id, 0],
    ]);
    expect(logs).toContain("probing 10.0.0.5 every 200 ms");
    expect(store.agent.current()).toMatchObject({ pid: process.pid, pingVersion: "ping from iputils 20221126", heartbeatAt: T });

    agent.sync(); // nothing changed
    expect(started).toHaveLength(2);

    store.targets.remove(b.id);
    agent.sync();
    expect(started[1]!.probe.stop).toHaveBeenCalledTimes(1);
    expect(started[0]!.probe.stop).not.toHaveBeenCalled();
    expect(started).toHaveLength(2);

    // a new sample continues the target's sequence after a restart
    started[0]!.sink.samples(a.id, [{ seq: 41, sentUs: T * 1000, rttUs: 150, lagUs: null }], 200);
    agent.flush();
    store.db.prepare(`UPDATE probe_targets SET interval_ms = 500 WHERE id = ?`).run(a.id);
    agent.sync();
    expect(started[0]!.probe.stop).toHaveBeenCalledTimes(1);
    expect(started).toHaveLength(3);
    expect(started[2]).toMatchObject({ target: { id: a.id, intervalMs: 500 }, firstSeq: 41 });

    const c = store.targets.add({ address: "10.0.0.7", kind: "tcp", port: 22 });
    vi.advanceTimersByTime(50); // the sync timer
    expect(started.map((s) => s.target.id)).toEqual([a.id, b.id, a.id, c.id]);

    agent.stop();
    expect(started[2]!.probe.stop).toHaveBeenCalledTimes(1);
    expect(started[3]!.probe.stop).toHaveBeenCalledTimes(1);
    expect(store.agent.current()).toBeNull();
  });

  it("stores what the probes report: samples once flushed, statuses at once", () => {
    vi.useFakeTimers();
    const { store, agent, started } = setup();
    const a = store.targets.add({ address: "10.0.0.5" });
    expect(agent.start()).toBe(true);
    const sink = started[0]!.sink;
    sink.samples(
      a.id,
      [
        { seq: 1, sentUs: T * 1000, rttUs: 120, lagUs: null },
        { seq: 2, sentUs: T * 1000 + 200_000, rttUs: null, lagUs: 0 },
      ],
      200,
    );
    expect(store.samples.range(a.id, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    agent.flush();
    expect(store.samples.range(a.id, 0, Number.MAX_SAFE_INTEGER)).toEqual([
      { id: 1, targetId: a.id, seq: 1, sentUs: T * 1000, rttUs: 120, lagUs: null, intervalMs: 200 },
      { id: 2, targetId: a.id, seq: 2, sentUs: T * 1000 + 200_000, rttUs: null, lagUs: 0, intervalMs: 200 },
    ]);
    // the flush timer writes the next batch
    sink.samples(a.id, [{ seq: 3, sentUs: T * 1000 + 400_000, rttUs: 130, lagUs: 0 }], 200);
    vi.advanceTimersByTime(10);
    expect(store.samples.lastSeq(a.id)).toBe(3);

    sink.status(a.id, "failing", "no reply within 1000 ms");
    expect(store.targets.statuses()).toEqual([{ targetId: a.id, state: "failing", message: "no reply within 1000 ms", updatedAt: T }]);
    agent.stop();
  });

  it("refuses to be a second agent on a data directory while the first one's heartbeat is fresh", () => {
    vi.useFakeTimers();
    const { dir, store, agent, tick } = setup();
    store.targets.add({ address: "10.0.0.5" });
    expect(agent.start()).toBe(true);

    const otherStarted: number[] = [];
    const otherLogs: string[] = [];
    const other = new ProbeAgent(
      openProbeStores(openWebDatabase(dir), () => T + 5_000),
      {
        probeFor: (t) => (otherStarted.push(t.id), { stop: () => {} }),
        log: (line) => otherLogs.push(line),
      },
    );
    expect(asPid(process.pid + 1_000_000, () => other.start())).toBe(false);
    expect(otherLogs).toEqual([`another probe agent (pid ${process.pid}) is running on this data directory; not starting a second one`]);
    expect(otherStarted).toEqual([]);
    expect(store.agent.current()?.pid).toBe(process.pid);

    // the first agent's heartbeat (every 5 s) keeps it
    tick(5_000);
    vi.advanceTimersByTime(5_000);
    expect(store.agent.current()?.heartbeatAt).toBe(T + 5_000);

    // once it has stopped, the directory is free
    agent.stop();
    expect(other.start()).toBe(true);
    expect(otherStarted).toHaveLength(1);
    other.stop();
  });
});
