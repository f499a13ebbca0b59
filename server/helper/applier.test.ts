/**
 * The dead-man switch on the demo host's simulated kernel: a plan that takes the management NIC (eno1, in bridge
 * vmbr0) must be confirmed, or it is undone by itself; reconcile only remembers it once it is kept.
 */
import { mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { errorOf, writableContext } from "@/server/api/testing";
import { networkingReasons } from "./deadman";

const work = mkdtempSync(join(tmpdir(), "passdeck-deadman-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MGMT = "0000:18:00.0";

/** A manual clock for the switch: the test fires the window's end. */
function manualTimers() {
  const due: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    schedule: (fn: () => void, ms: number) => {
      const t = { fn, ms, cancelled: false };
      due.push(t);
      return () => void (t.cancelled = true);
    },
    fire: async () => {
      for (const t of due.splice(0)) if (!t.cancelled) t.fn();
      // the undo is async: let it run to the end
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    },
    waiting: () => due.filter((t) => !t.cancelled).map((t) => t.ms),
  };
}

async function applyMgmtToVfio(timers: ReturnType<typeof manualTimers>) {
  const { ctx, host, journal, desired, auth } = writableContext(mkdtempSync(join(work, "h-")), "server", null, {
    confirmWindowMs: 30_000,
    schedule: timers.schedule,
  });
  const api = createCaller(ctx);
  const preview = await api.plans.preview({ kind: "device", address: MGMT, confirm: true, force: true });
  if (preview.outcome.kind !== "plan") throw new Error(JSON.stringify(preview.outcome));
  const applied = await api.plans.execute({ planId: preview.outcome.plan.id });
  const driver = () => {
    try {
      return basename(readlinkSync(join(host.kernel.sysRoot, "bus/pci/devices", MGMT, "driver")));
    } catch {
      return null;
    }
  };
  return { api, applied, driver, journal, desired, auth, planId: preview.outcome.plan.id };
}

describe("the dead-man switch", () => {
  it("names the steps that touch a NIC carrying traffic, and nothing for a NIC that carries none", () => {
    const { ctx } = writableContext(mkdtempSync(join(work, "r-")));
    const inv = ctx.inventory.get({ fresh: true }).data;
    const unbind = (device: string) => ({ steps: [{ step: { kind: "unbind-driver" as const, device, driver: "igb" }, summary: "", inverse: null }] });
    expect(networkingReasons(unbind(MGMT), inv)).toEqual([`unbinds the driver of ${MGMT}, which carries eno1 in vmbr0`]);
    expect(networkingReasons(unbind("0000:18:00.1"), inv)).toEqual([]);
  });

  it("undoes an unconfirmed plan when the window closes, journals and audits it, and reconcile never remembers it", async () => {
    const timers = manualTimers();
    const { applied, driver, journal, desired, auth, api, planId } = await applyMgmtToVfio(timers);
    expect(applied.result.ok).toBe(true);
    expect(applied.confirmation).toMatchObject({
      planId,
      windowMs: 30_000,
      reasons: [
        `unbinds the driver of ${MGMT}, which carries eno1 in vmbr0`,
        `overrides the driver of ${MGMT}, which carries eno1 in vmbr0`,
        `binds a driver to ${MGMT}, which carries eno1 in vmbr0`,
      ],
    });
    expect(driver()).toBe("vfio-pci");
    expect((await api.plans.pendingConfirmations()).pending.map((p) => p.planId)).toEqual([planId]);
    expect(timers.waiting()).toEqual([30_000]);

    await timers.fire();
    expect(driver()).toBe("igb");
    expect((await api.plans.pendingConfirmations()).pending).toEqual([]);
    const [undo] = journal.list({ limit: 1 });
    expect(undo).toMatchObject({ source: "dead-man", actor: "dead-man switch", status: "applied" });
    expect(undo!.title).toBe(`Undo #${applied.entryId} (not confirmed within 30 s of applying)`);
    expect(
      auth.audit
        .list()
        .map((e) => e.action)
        .slice(0, 2),
    ).toEqual(["plan-rolled-back", "plan-applied"]);
    expect(desired.get().entries.filter((e) => e.address === MGMT)).toEqual([]);
    // too late to keep
    const late = await errorOf(api.plans.confirm({ planId }));
    expect([late.code, late.message]).toEqual([
      "NOT_FOUND",
      expect.stringMatching(/is not waiting for a confirmation: it was confirmed already, or undone when its window closed/),
    ]);
  });

  it("keeps a confirmed plan: no undo when the window would have closed, and reconcile remembers it", async () => {
    const timers = manualTimers();
    const { driver, desired, auth, api, planId } = await applyMgmtToVfio(timers);
    expect(await api.plans.confirm({ planId })).toMatchObject({ ok: true, planId });
    await timers.fire();
    expect(driver()).toBe("vfio-pci");
    expect(auth.audit.list()[0]).toMatchObject({ action: "plan-confirmed", actor: "test-admin (127.0.0.1)" });
    expect(desired.get().entries.some((e) => e.address === MGMT)).toBe(true);
  });

  it("Undo now reverts at once", async () => {
    const timers = manualTimers();
    const { driver, api, planId } = await applyMgmtToVfio(timers);
    const undone = await api.plans.revert({ planId });
    expect(undone).toMatchObject({ ok: true, result: { ok: true } });
    expect(driver()).toBe("igb");
  });
});
