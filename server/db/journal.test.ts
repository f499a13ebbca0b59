/** The journal over a real SQLite file: stored rows, transitions, ordering, markers, crashes and reopening. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import type { Plan, PlanResult, StepReport } from "@/server/executor/plan";
import { openHostDatabase, type Db } from "./database";
import { Journal, JournalBusy, type JournalOptions } from "./journal";

const work = mkdtempSync(join(tmpdir(), "passdeck-journal-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

const T0 = Date.parse("2030-01-02T03:04:05.000Z");

function setup(options: JournalOptions = {}) {
  const dir = join(work, `j${n++}`);
  const db = openHostDatabase(dir);
  let clock = T0;
  const journal = new Journal(db, { now: () => clock, ...options });
  return { dir, db, journal, tick: (ms: number) => (clock += ms), at: () => clock };
}

function plan(id: string, title = `plan ${id}`): Plan {
  return {
    id,
    title,
    createdAt: new Date(T0).toISOString(),
    steps: [
      {
        step: { kind: "write-attribute", device: "0000:3b:00.1", attribute: "sriov_numvfs", value: "3" },
        summary: "Create 3 VFs",
        inverse: { kind: "write-attribute", device: "0000:3b:00.1", attribute: "sriov_numvfs", value: "0" },
      },
      { step: { kind: "wait-for", condition: { kind: "vf-count", pf: "0000:3b:00.1", count: 3 }, timeoutMs: 1000 }, summary: "Wait", inverse: null },
    ],
  };
}

const meta = { actor: "alice", source: "web" as const, origin: "192.0.2.7", before: { vfs: 0 } };
const done = (index: number, ms = 5): StepReport => ({ index, status: "done", command: `cmd ${index}`, ms });
const shortfall = {
  code: "vf-shortfall",
  cause: "the driver enabled 2 VFs, not 3",
  fix: "Ask for at most 2.",
  errno: null,
  kernelLines: ["iavf: only 2 VFs"],
};

describe("Journal", () => {
  it("stores a running entry at begin, appends steps as they come, and closes it applied with the after state", () => {
    const { db, journal, tick } = setup();
    const id = journal.begin(plan("p1"), meta);

    const row = db.prepare(`SELECT * FROM journal_entries WHERE id = ?`).get(id) as Record<string, unknown>;
    expect(row).toMatchObject({
      plan_id: "p1",
      title: "plan p1",
      actor: "alice",
      source: "web",
      origin: "192.0.2.7",
      status: "running",
      started_at: T0,
      finished_at: null,
      pid: process.pid,
      before_json: '{"vfs":0}',
      after_json: null,
    });
    expect(JSON.parse(row.plan_json as string)).toEqual(plan("p1"));

    tick(10);
    journal.step(id, done(0, 7));
    expect(journal.get(id)).toMatchObject({ status: "running", counts: { total: 1, done: 1 } });
    tick(10);
    journal.step(id, done(1, 3));
    tick(1);
    const result: PlanResult = { planId: "p1", ok: true, steps: [done(0, 7), done(1, 3)], rolledBack: null };
    journal.finish(id, result, { vfs: 3 });

    const steps = db.prepare(`SELECT * FROM journal_steps WHERE entry_id = ? ORDER BY seq`).all(id);
    expect(steps).toEqual([
      { entry_id: id, seq: 1, step_index: 0, status: "done", command: "cmd 0", ms: 7, error_json: null, at: T0 + 10 },
      { entry_id: id, seq: 2, step_index: 1, status: "done", command: "cmd 1", ms: 3, error_json: null, at: T0 + 20 },
    ]);
    const entry = journal.get(id)!;
    expect(entry).toMatchObject({
      status: "applied",
      startedAt: new Date(T0).toISOString(),
      finishedAt: new Date(T0 + 21).toISOString(),
      before: { vfs: 0 },
      after: { vfs: 3 },
      problem: null,
      counts: { total: 2, done: 2, failed: 0, "rolled-back": 0, "rollback-failed": 0, skipped: 0 },
    });
    expect(entry.steps.map((s) => [s.seq, s.index, s.status])).toEqual([
      [1, 0, "done"],
      [2, 1, "done"],
    ]);
    expect(entry.steps[0]).not.toHaveProperty("error");
  });

  it("stores a failure with its decoded error and the rollback, as failed-rolled-back or failed-rollback-incomplete", () => {
    const { journal } = setup();
    const failed: StepReport = { index: 0, status: "failed", command: "echo 3 > …", ms: 40, error: shortfall };
    const undone: StepReport = { index: 0, status: "rolled-back", command: "echo 0 > …", ms: 9 };
    const a = journal.begin(plan("a"), meta);
    journal.step(a, failed);
    journal.step(a, undone);
    journal.finish(a, { planId: "a", ok: false, steps: [failed, undone], rolledBack: true }, { vfs: 0 });
    expect(journal.get(a)).toMatchObject({
      status: "failed-rolled-back",
      counts: { total: 2, failed: 1, "rolled-back": 1 },
      steps: [
        { seq: 1, status: "failed", error: shortfall },
        { seq: 2, status: "rolled-back", command: "echo 0 > …" },
      ],
    });

    const stuck: StepReport = { index: 0, status: "rollback-failed", command: "echo 0 > …", ms: 2, error: { ...shortfall, code: "busy" } };
    const b = journal.begin(plan("b"), meta);
    journal.step(b, failed);
    journal.step(b, stuck);
    journal.finish(b, { planId: "b", ok: false, steps: [failed, stuck], rolledBack: false }, null);
    expect(journal.get(b)).toMatchObject({ status: "failed-rollback-incomplete", counts: { failed: 1, "rollback-failed": 1 }, after: null });
  });

  it("finish writes the steps the journal missed, and refuses a second finish or a step after it", () => {
    const { journal } = setup();
    const id = journal.begin(plan("p"), meta);
    journal.step(id, done(0));
    journal.finish(id, { planId: "p", ok: true, steps: [done(0), done(1)], rolledBack: null }, null);
    expect(journal.get(id)!.steps.map((s) => s.index)).toEqual([0, 1]);

    // a step missed in the middle: the stored steps are rewritten in the result's order, keeping the journaled times
    const gap = journal.begin(plan("gap"), meta);
    const failed: StepReport = { index: 1, status: "failed", command: "cmd 1", ms: 1, error: shortfall };
    const undo: StepReport = { index: 0, status: "rolled-back", command: "undo 0", ms: 1 };
    journal.step(gap, done(0));
    journal.step(gap, undo); // the failed report never reached the journal
    journal.finish(gap, { planId: "gap", ok: false, steps: [done(0), failed, undo], rolledBack: true }, null);
    expect(journal.get(gap)!.steps.map((s) => [s.seq, s.index, s.status])).toEqual([
      [1, 0, "done"],
      [2, 1, "failed"],
      [3, 0, "rolled-back"],
    ]);
    expect(() => journal.step(id, done(2))).toThrow(`journal entry ${id} is applied: cannot record a step`);
    expect(() => journal.finish(id, { planId: "p", ok: true, steps: [], rolledBack: null }, null)).toThrow(/is applied/);
    expect(() => journal.step(9999, done(0))).toThrow("journal entry 9999 does not exist");
  });

  it("checks the meta: a named actor and a known source", () => {
    const { journal } = setup();
    expect(() => journal.begin(plan("p"), { ...meta, actor: " " })).toThrow(/actor/);
    expect(() => journal.begin(plan("p"), { ...meta, source: "ssh" as never })).toThrow(/source must be one of cli, web, reconcile/);
    expect(journal.list()).toEqual([]);
  });

  it("lists newest first with step counts, pages by id and filters by time", () => {
    const { journal, tick } = setup();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = journal.begin(plan(`p${i}`), { ...meta, source: i % 2 ? "cli" : "web" });
      for (let s = 0; s <= i % 3; s++) journal.step(id, done(s));
      // One plan at a time: each but the last finishes before the next begins.
      if (i < 4) journal.finish(id, { planId: `p${i}`, ok: true, steps: Array.from({ length: (i % 3) + 1 }, (_, s) => done(s)), rolledBack: null }, null);
      ids.push(id);
      tick(1000);
    }
    const all = journal.list();
    expect(all.map((e) => e.id)).toEqual([...ids].reverse());
    expect(all.map((e) => e.counts.total)).toEqual([2, 1, 3, 2, 1]);
    expect(all[0]).not.toHaveProperty("plan");
    expect(all[0]).toMatchObject({ planId: "p4", source: "web", status: "running", startedAt: new Date(T0 + 4000).toISOString() });

    const page1 = journal.list({ limit: 2 });
    const page2 = journal.list({ limit: 2, before: page1.at(-1)!.id });
    const page3 = journal.list({ limit: 2, before: page2.at(-1)!.id });
    expect([...page1, ...page2, ...page3].map((e) => e.planId)).toEqual(["p4", "p3", "p2", "p1", "p0"]);

    expect(journal.list({ since: T0 + 3000 }).map((e) => e.planId)).toEqual(["p4", "p3"]);
    expect(journal.list({ since: new Date(T0 + 3000).toISOString() }).map((e) => e.planId)).toEqual(["p4", "p3"]);
    expect(journal.list({ since: new Date(T0 + 3000) }).map((e) => e.planId)).toEqual(["p4", "p3"]);
    expect(() => journal.list({ since: "yesterday" })).toThrow(/not a time/);
    expect(journal.get(424242)).toBeNull();
  });

  it("gives change markers for a time range, oldest first, leaving refused plans out", () => {
    const { journal, tick } = setup();
    const ok = journal.begin(plan("ok", "Create 3 VFs on 0000:3b:00.1"), meta);
    journal.finish(ok, { planId: "ok", ok: true, steps: [], rolledBack: null }, null);
    tick(60_000);
    const bad = journal.begin(plan("bad", "Bind 0000:3b:02.1 to vfio-pci"), meta);
    journal.finish(bad, { planId: "bad", ok: false, steps: [], rolledBack: true }, null);
    tick(60_000);
    journal.refuse({ id: "evil", title: "rm -rf" }, meta, ["steps.0.step.kind: invalid"]);
    tick(60_000);
    const running = journal.begin(plan("run", "Restore 0000:3b:02.1"), meta);

    expect(journal.markers({ from: T0, to: T0 + 180_000 })).toEqual([
      { id: ok, at: new Date(T0).toISOString(), atMs: T0, title: "Create 3 VFs on 0000:3b:00.1", ok: true, status: "applied" },
      { id: bad, at: new Date(T0 + 60_000).toISOString(), atMs: T0 + 60_000, title: "Bind 0000:3b:02.1 to vfio-pci", ok: false, status: "failed-rolled-back" },
      { id: running, at: new Date(T0 + 180_000).toISOString(), atMs: T0 + 180_000, title: "Restore 0000:3b:02.1", ok: false, status: "running" },
    ]);
    expect(journal.markers({ from: new Date(T0 + 1), to: new Date(T0 + 179_999) }).map((m) => m.id)).toEqual([bad]);
    expect(journal.markers({ from: T0 + 200_000, to: T0 + 300_000 })).toEqual([]);
  });

  it("records a refused plan with the validator's issues, nothing else, and caps untrusted JSON", () => {
    const { journal } = setup();
    const id = journal.refuse({ id: "x1", title: "hand-made", steps: [{ step: { kind: "shell", cmd: "reboot" } }] }, meta, ["steps.0.step.kind: bad"]);
    expect(journal.get(id)).toMatchObject({
      planId: "x1",
      title: "hand-made",
      status: "refused",
      actor: "alice",
      origin: "192.0.2.7",
      before: null,
      after: null,
      steps: [],
      plan: { steps: [{ step: { kind: "shell", cmd: "reboot" } }] },
      problem: { message: expect.stringContaining("refused"), issues: ["steps.0.step.kind: bad"] },
    });
    expect(journal.get(id)!.finishedAt).toBe(journal.get(id)!.startedAt);

    const huge = journal.refuse({ junk: "x".repeat(200_000) }, meta, ["plan: too big"]);
    expect(journal.get(huge)).toMatchObject({ planId: null, title: "(refused plan)", plan: { truncated: true, length: 200_011 } });
    const notObject = journal.refuse("just a string", meta, ["plan: expected object"]);
    expect(journal.get(notObject)).toMatchObject({ planId: null, plan: "just a string" });
  });

  it("after a crash (begin and a step, no finish) lists the entry as interrupted and marks it at startup", () => {
    const { db, journal: crashed } = setup({ owner: { pid: 4_000_000, bootAt: 0 } });
    const gone = crashed.begin(plan("crash"), meta);
    crashed.step(gone, done(0));

    // startup of the next process: the entry is still running, its process is gone
    const journal = new Journal(db, { isAlive: (pid) => pid !== 4_000_000, owner: { pid: 1234, bootAt: 0 } });
    expect(journal.get(gone)).toMatchObject({ status: "running", counts: { total: 1 } });
    expect(journal.interrupted().map((e) => [e.id, e.status, e.pid, e.counts.done])).toEqual([[gone, "running", 4_000_000, 1]]);

    expect(journal.markInterrupted()).toEqual([gone]);
    expect(journal.get(gone)).toMatchObject({
      status: "interrupted",
      problem: { message: expect.stringContaining("pid 4000000") },
      steps: [{ seq: 1, status: "done" }],
    });
    expect(journal.get(gone)!.finishedAt).not.toBeNull();
    expect(journal.interrupted()).toEqual([]);
    expect(journal.markInterrupted([gone])).toEqual([]); // only running entries change
  });

  it("runs one plan at a time across processes, and never takes a live process's plan for interrupted", () => {
    const { db, journal } = setup();
    // The CLI (pid 777, alive) is applying a plan: the server may neither start another nor call it interrupted.
    const cli = new Journal(db, { owner: { pid: 777, bootAt: journal.owner.bootAt }, isAlive: () => true });
    const theirs = cli.begin(plan("cli"), { ...meta, source: "cli" });
    const server = new Journal(db, { isAlive: (pid) => pid === 777 });
    expect(() => server.begin(plan("mine"), meta)).toThrow(JournalBusy);
    expect(() => server.begin(plan("mine"), meta)).toThrow(/pid 777\) is applying/);
    expect(server.interrupted()).toEqual([]);
    expect(server.markInterrupted()).toEqual([]);
    expect(server.get(theirs)!.status).toBe("running");
    // Once that process is gone its entry is interrupted, and the host is free again.
    const afterCrash = new Journal(db, { isAlive: () => false });
    expect(afterCrash.interrupted().map((e) => e.id)).toEqual([theirs]);
    afterCrash.markInterrupted();
    expect(afterCrash.begin(plan("next"), meta)).toBeGreaterThan(theirs);
  });

  it("an entry from an earlier boot is interrupted whatever its pid is doing now", () => {
    const { db, journal } = setup();
    const old = new Journal(db, { owner: { pid: process.pid, bootAt: journal.owner.bootAt - 3_600_000 } }).begin(plan("old"), meta);
    expect(journal.interrupted().map((e) => e.id)).toEqual([old]);
  });

  it("a plan finished after being marked interrupted by mistake takes its real status", () => {
    const { db, journal } = setup();
    const id = journal.begin(plan("p"), meta);
    new Journal(db, { owner: { pid: 1, bootAt: journal.owner.bootAt }, isAlive: () => true }).markInterrupted([id]);
    expect(journal.get(id)!.status).toBe("interrupted");
    journal.finish(id, { planId: "p", ok: true, steps: [done(0)], rolledBack: null }, null);
    expect(journal.get(id)).toMatchObject({ status: "applied", problem: null, counts: { total: 1 } });
  });

  it("keeps everything across closing and reopening the database", () => {
    const { dir, db, journal } = setup();
    const id = journal.begin(plan("keep"), meta);
    journal.step(id, done(0));
    journal.finish(id, { planId: "keep", ok: true, steps: [done(0)], rolledBack: null }, { vfs: 3 });
    const before = journal.get(id);
    db.close();

    const reopened = openHostDatabase(dir);
    try {
      expect(new Journal(reopened).get(id)).toEqual(before);
      expect(new Journal(reopened).list().map((e) => e.id)).toEqual([id]);
    } finally {
      reopened.close();
    }
  });

  it("a process killed mid-plan leaves a running entry that the next process finds interrupted", () => {
    // A real crash: a child process opens the journal, records one step and is SIGKILLed before finish.
    const dir = join(work, `crash${n++}`);
    const entry = join(work, `crash-child-${n}.ts`);
    writeFileSync(
      entry,
      `import { openHostDatabase } from ${JSON.stringify(join(__dirname, "database.ts"))};
       import { Journal } from ${JSON.stringify(join(__dirname, "journal.ts"))};
       const journal = new Journal(openHostDatabase(process.argv[2]));
       const id = journal.begin(${JSON.stringify(plan("killed"))}, { actor: "root", source: "cli", before: null });
       journal.step(id, { index: 0, status: "done", command: "echo 3 > sriov_numvfs", ms: 12 });
       process.stdout.write(String(id));
       process.kill(process.pid, "SIGKILL");`,
    );
    const bundle = join(work, `crash-child-${n}.cjs`);
    buildSync({ entryPoints: [entry], outfile: bundle, bundle: true, platform: "node", format: "cjs", external: ["better-sqlite3"], logLevel: "silent" });
    const child = spawnSync(process.execPath, [bundle, dir], {
      env: { ...process.env, NODE_PATH: join(__dirname, "..", "..", "node_modules") },
      encoding: "utf8",
    });
    expect(child.signal, child.stderr).toBe("SIGKILL");
    const id = Number(child.stdout);

    const db: Db = openHostDatabase(dir);
    try {
      const journal = new Journal(db);
      expect(journal.interrupted()).toMatchObject([{ id, planId: "killed", status: "running", pid: child.pid, counts: { total: 1, done: 1 } }]);
      expect(journal.markInterrupted()).toEqual([id]);
      expect(journal.get(id)).toMatchObject({ status: "interrupted", steps: [{ command: "echo 3 > sriov_numvfs" }] });
    } finally {
      db.close();
    }
  });
});
