/**
 * applyJournaled with a real PlanExecutor on a real SimulatedKernel and a real SQLite journal: what the journal
 * holds after a plan that works, one the driver half-refuses (rolled back), one the allow-list refuses, one that
 * finds the executor busy, and one whose journal writes fail midway.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PlanRejected } from "@/server/executor/allow-list";
import { PlanBusy, type PlanExecutor } from "@/server/executor/executor";
import type { StepReport } from "@/server/executor/plan";
import { type SimulatedKernelOptions } from "@/server/simulator/simulated-kernel";
import { planVfCount } from "@/server/plans/planner";
import { planOf, simulatedHost } from "@/server/plans/testing";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { applyJournaled } from "./journaled-apply";

const work = mkdtempSync(join(tmpdir(), "passdeck-japply-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

const PF = "0000:3b:00.1";
const meta = { actor: "alice", source: "web" as const, origin: "192.0.2.7" };

function host(options?: SimulatedKernelOptions) {
  const { kernel, executor, inventory } = simulatedHost(work, "server", options);
  const db = openHostDatabase(join(work, `data-${n++}`));
  const journal = new Journal(db);
  /** the state snapshot a caller would journal: the PF's VF count and VFs */
  const snapshot = () => {
    const pf = inventory().devices.find((d) => d.address === PF)!;
    return { pf: PF, numVfs: pf.sriov!.numVfs, vfs: pf.sriov!.vfs };
  };
  return { kernel, executor, inventory, db, journal, snapshot };
}

describe("applyJournaled", () => {
  it("journals a successful plan as applied, with its 2 steps and the states before and after", async () => {
    const h = host();
    const plan = planOf(planVfCount(h.inventory(), PF, 3));
    const seen: StepReport[] = [];
    const { entryId, result, ...rest } = await applyJournaled(h.executor, h.journal, plan, meta, h.snapshot, (r) => {
      // the journal has the step before the caller hears of it
      expect(h.journal.get(h.journal.list({ limit: 1 })[0]!.id)!.steps.at(-1)).toMatchObject({ index: r.index, status: r.status });
      seen.push(r);
    });
    expect(result.ok).toBe(true);
    expect(rest).toEqual({});
    expect(seen.map((s) => s.status)).toEqual(["done", "done"]);

    const entry = h.journal.get(entryId)!;
    expect(entry).toMatchObject({
      planId: plan.id,
      title: plan.title,
      actor: "alice",
      source: "web",
      origin: "192.0.2.7",
      status: "applied",
      plan,
      before: { pf: PF, numVfs: 0, vfs: [] },
      after: { pf: PF, numVfs: 3 },
      counts: { total: 2, done: 2 },
      problem: null,
    });
    expect((entry.after as { vfs: string[] }).vfs).toHaveLength(3);
    expect(entry.steps.map((s) => ({ seq: s.seq, index: s.index, status: s.status, command: s.command }))).toEqual(
      result.steps.map((s, i) => ({ seq: i + 1, index: s.index, status: s.status, command: s.command })),
    );
    expect(entry.steps[0]!.command).toBe(`echo 3 > bus/pci/devices/${PF}/sriov_numvfs`);
    expect(h.journal.markers({ from: entry.startedAt, to: entry.finishedAt! })).toEqual([
      { id: entryId, at: entry.startedAt, atMs: Date.parse(entry.startedAt), title: plan.title, ok: true, status: "applied" },
    ]);
  });

  it("journals a driver that enabled fewer VFs as failed-rolled-back, with the decoded error and the rollback", async () => {
    const h = host({ pfQuirks: { [PF]: { maxVfs: 2 } } });
    const plan = planOf(planVfCount(h.inventory(), PF, 3));
    const { entryId, result } = await applyJournaled(h.executor, h.journal, plan, meta, h.snapshot);
    expect(result).toMatchObject({ ok: false, rolledBack: true });

    const entry = h.journal.get(entryId)!;
    expect(entry).toMatchObject({
      status: "failed-rolled-back",
      before: { numVfs: 0 },
      after: { numVfs: 0, vfs: [] },
      counts: { total: 2, failed: 1, "rolled-back": 1, done: 0 },
    });
    expect(entry.steps).toMatchObject([
      { seq: 1, index: 0, status: "failed", command: `echo 3 > bus/pci/devices/${PF}/sriov_numvfs`, error: { code: "vf-shortfall" } },
      { seq: 2, index: 0, status: "rolled-back", command: `echo 0 > bus/pci/devices/${PF}/sriov_numvfs` },
    ]);
    expect(entry.steps[0]!.error).toEqual(result.steps[0]!.error);
    expect(entry.steps[0]!.error!.cause).toContain("3");
    expect(h.journal.markers({ from: 0, to: Date.now() + 1000 })).toMatchObject([{ id: entryId, ok: false, status: "failed-rolled-back" }]);
  });

  it("records a plan the allow-list refuses as a refused entry, takes no snapshot and writes nothing", async () => {
    const h = host();
    const crafted = {
      id: "crafted-1",
      title: "Totally harmless",
      createdAt: "now",
      steps: [{ step: { kind: "write-attribute", device: PF, attribute: "remove", value: "1" }, summary: "", inverse: null }],
    };
    let snapshots = 0;
    const err = await applyJournaled(h.executor, h.journal, crafted, { ...meta, actor: "mallory" }, () => snapshots++).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanRejected);
    expect(snapshots).toBe(0);
    expect(h.kernel.writes()).toEqual([]);

    const [summary] = h.journal.list();
    expect(summary).toMatchObject({ planId: "crafted-1", title: "Totally harmless", actor: "mallory", status: "refused", counts: { total: 0 } });
    expect(h.journal.get(summary!.id)).toMatchObject({
      plan: crafted,
      before: null,
      after: null,
      steps: [],
      problem: { issues: (err as PlanRejected).issues },
    });
    expect(h.journal.markers({ from: 0, to: Date.now() + 1000 })).toEqual([]);
  });

  it("journals nothing for a plan turned away because another is running", async () => {
    const h = host();
    const first = applyJournaled(h.executor, h.journal, planOf(planVfCount(h.inventory(), PF, 3)), meta, h.snapshot);
    const second = await applyJournaled(h.executor, h.journal, planOf(planVfCount(h.inventory(), "0000:3b:00.0", 2)), meta, h.snapshot).catch(
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(PlanBusy);
    const { entryId } = await first;
    expect(h.journal.list().map((e) => [e.id, e.status])).toEqual([[entryId, "applied"]]);
  });

  it("keeps applying when a journal write fails midway, reports it, and finish fills in the missed step", async () => {
    const h = host();
    class FlakyJournal extends Journal {
      override step(entryId: number, report: StepReport): void {
        if (report.index === 0) throw new Error("SQLITE_FULL: database or disk is full");
        super.step(entryId, report);
      }
    }
    const journal = new FlakyJournal(h.db);
    const out = await applyJournaled(h.executor, journal, planOf(planVfCount(h.inventory(), PF, 3)), meta, h.snapshot);
    expect(out.result.ok).toBe(true);
    expect(out.journalError).toBe("journaling step 0 (done): SQLITE_FULL: database or disk is full");
    // only step 1 reached the journal; finish put step 0 back in its place
    const entry = journal.get(out.entryId)!;
    expect(entry).toMatchObject({ status: "applied", counts: { total: 2, done: 2 } });
    expect(entry.steps.map((s) => [s.seq, s.index, s.command])).toEqual(out.result.steps.map((s, i) => [i + 1, s.index, s.command]));
  });

  it("keeps a throwing onStep from breaking the plan (a closed stream must not leave the host half-changed)", async () => {
    const h = host();
    const out = await applyJournaled(h.executor, h.journal, planOf(planVfCount(h.inventory(), PF, 3)), meta, h.snapshot, () => {
      throw new Error("stream closed");
    });
    expect(out).toMatchObject({ result: { ok: true }, onStepError: "stream closed" });
    expect(h.journal.get(out.entryId)).toMatchObject({ status: "applied", counts: { total: 2, done: 2 }, after: { numVfs: 3 } });
  });

  it("notes an after snapshot that failed, and closes the entry as interrupted when the executor throws", async () => {
    const h = host();
    const plan = planOf(planVfCount(h.inventory(), PF, 3));
    let calls = 0;
    const out = await applyJournaled(h.executor, h.journal, plan, meta, () => {
      if (calls++ > 0) throw new Error("scan failed");
      return h.snapshot();
    });
    expect(h.journal.get(out.entryId)).toMatchObject({
      status: "applied",
      after: null,
      problem: { message: "the state after could not be read: scan failed" },
    });

    const broken = { busyWith: null, apply: () => Promise.reject(new Error("executor bug")) } as unknown as PlanExecutor;
    await expect(applyJournaled(broken, h.journal, plan, meta, h.snapshot)).rejects.toThrow("executor bug");
    expect(h.journal.list({ limit: 1 })[0]).toMatchObject({
      status: "interrupted",
      problem: { message: "the executor stopped with an error: executor bug" },
      finishedAt: expect.any(String),
    });
  });
});
