/** The plans API over a demo host with a simulated kernel: preview → apply → the tree, the journal and the stream. */
import { mkdtempSync, readlinkSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "@/server/plans/plan-service";
import { createCaller } from "./root";
import { errorOf, writableContext } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-plans-api-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const wizard = {
  kind: "sriov" as const,
  pf: "18:00.1",
  count: 3,
  autoprobe: true,
  vfs: [
    { index: 0, settings: { mac: "02:00:00:00:00:10", vlan: 100, trust: true } },
    { index: 1, vfio: true },
  ],
};

describe("plans API", () => {
  it("previews without writing, applies the same plan, streams every step and journals it", async () => {
    const { ctx, host, journal, auth } = writableContext(work);
    const api = createCaller(ctx);
    expect(await api.plans.access()).toEqual({ canApply: true, mode: "demo", reason: null });

    const preview = await api.plans.preview(wizard);
    expect(host.kernel.writes()).toEqual([]);
    if (preview.outcome.kind !== "plan") throw new Error(JSON.stringify(preview.outcome));
    expect(preview.commands[0]).toBe("echo 3 > bus/pci/devices/0000:18:00.1/sriov_numvfs");
    const planId = preview.outcome.plan.id;

    const events: ProgressEvent[] = [];
    const watching = (async () => {
      for await (const e of await api.plans.progress({ planId })) events.push(e);
    })();
    const applied = await api.plans.execute({ planId });
    await watching;

    expect(applied.result.ok).toBe(true);
    expect(events.filter((e) => e.kind === "step").map((e) => e.kind === "step" && e.report.status)).toEqual(preview.commands.map(() => "done"));
    expect(events.at(-1)).toMatchObject({ kind: "finished", entryId: applied.entryId });
    const sys = host.kernel.sysRoot;
    expect(readFileSync(join(sys, "bus/pci/devices/0000:18:00.1/sriov_numvfs"), "utf8").trim()).toBe("3");
    expect(basename(readlinkSync(join(sys, "bus/pci/devices/0000:19:10.5/driver")))).toBe("vfio-pci");
    // Remembered for reconcile at boot, and the host matches it now.
    const drift = await api.desired.drift();
    expect(drift.entries.map((e) => e.text)).toEqual([
      "0000:18:00.1 (8086:1521): 3 VFs, autoprobe on",
      "VF 0 of 0000:18:00.1 (8086:1521): MAC 02:00:00:00:00:10, VLAN 100, trust on",
      "0000:19:10.5 (8086:1520, VF 1 of 0000:18:00.1): on vfio-pci",
    ]);
    expect(drift.entries.every((e) => e.updatedBy === "test-admin (127.0.0.1)")).toBe(true);
    expect(drift.report?.inSync).toBe(true);
    const entry = journal.get(applied.entryId)!;
    expect([entry.status, entry.source, entry.actor, entry.origin]).toEqual(["applied", "web", "test-admin (127.0.0.1)", "127.0.0.1"]);
    expect(auth.audit.list()[0]).toMatchObject({
      action: "plan-applied",
      actor: "test-admin (127.0.0.1)",
      source: "127.0.0.1",
      detail: `journal #${applied.entryId}: ${entry.title}`,
    });

    // A watcher that comes late gets the whole history.
    const late: ProgressEvent[] = [];
    for await (const e of await api.plans.progress({ planId })) late.push(e);
    expect(late).toEqual(events);

    // The plan was used: applying it again is refused.
    const again = await errorOf(api.plans.execute({ planId }));
    expect(again.code).toBe("NOT_FOUND");
    expect(again.message).toMatch(/review it again/);
  });

  it("refuses to apply when the host changed after the review, and writes nothing", async () => {
    const { ctx, host } = writableContext(work);
    const api = createCaller(ctx);
    const preview = await api.plans.preview({ ...wizard, vfs: [] });
    if (preview.outcome.kind !== "plan") throw new Error("no plan");
    host.kernel.write("bus/pci/devices/0000:18:00.1/sriov_numvfs", "2"); // someone else, meanwhile
    const before = host.kernel.writes().length;
    const err = await errorOf(api.plans.execute({ planId: preview.outcome.plan.id }));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toMatch(/the host changed since this plan was reviewed/);
    expect(host.kernel.writes().length).toBe(before);
  });

  it("needs confirm for warnings and force for host-critical devices, saying which", async () => {
    const { ctx } = writableContext(work);
    const api = createCaller(ctx);
    const critical = await api.plans.preview({ kind: "sriov", pf: "0000:18:00.0", count: 2, autoprobe: true, vfs: [] });
    expect(critical.outcome.kind === "refused" && critical.outcome.refusals.map((r) => [r.code, r.override])).toEqual([["host-critical", "force"]]);
    const forced = await api.plans.preview({ kind: "sriov", pf: "0000:18:00.0", count: 2, autoprobe: true, vfs: [], force: true });
    expect(forced.outcome.kind).toBe("plan");
    expect(forced.warnings.map((w) => w.code)).toEqual(["host-critical"]);
  });

  it("rejects hostile input with the field and the reason, before any planning", async () => {
    const { ctx, host } = writableContext(work);
    const api = createCaller(ctx);
    const cases: [unknown, RegExp][] = [
      [{ ...wizard, pf: "../../../etc/passwd" }, /not a PCI address/],
      [{ ...wizard, pf: "0000:18:00.1; rm -rf /" }, /not a PCI address/],
      [{ ...wizard, count: -1 }, /count/],
      [{ ...wizard, count: 1e9 }, /count/],
      [{ ...wizard, vfs: [{ index: 0, settings: { vlan: 4095 } }] }, /vlan/],
      [{ ...wizard, vfs: [{ index: 0, settings: { mac: "01:00:5e:00:00:01" } }] }, /unicast/],
      [{ ...wizard, vfs: [{ index: 0, settings: { mac: "$(reboot)" } }] }, /MAC address/],
      [{ kind: "restore", address: "0000:19:10.1", hostDriver: "igbvf && reboot" }, /kernel driver name/],
    ];
    for (const [input, message] of cases) {
      const err = await errorOf(api.plans.preview(input as never));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toMatch(message);
    }
    expect((await errorOf(api.plans.execute({ planId: "../x" }))).code).toBe("BAD_REQUEST");
    expect(host.kernel.writes()).toEqual([]);
  });

  it("says why a server cannot apply", async () => {
    const { ctx } = writableContext(work);
    const api = createCaller({ ...ctx, writeAccess: () => ({ ok: false, reason: "not a mounted sysfs" }) });
    expect(await api.plans.access()).toEqual({ canApply: false, mode: null, reason: "not a mounted sysfs" });
  });

  it("gives a device back to the driver the journal saw it released from", async () => {
    const { ctx, host } = writableContext(work);
    const api = createCaller(ctx);
    const bind = await api.plans.preview({ kind: "device", address: "0000:3b:00.1" });
    if (bind.outcome.kind !== "plan") throw new Error(JSON.stringify(bind.outcome));
    expect((await api.plans.execute({ planId: bind.outcome.plan.id })).result.ok).toBe(true);
    const restore = await api.plans.preview({ kind: "restore", address: "0000:3b:00.1" });
    expect(restore.commands.at(-1)).toBe("echo 0000:3b:00.1 > bus/pci/drivers_probe   # expect i40e");
    if (restore.outcome.kind !== "plan") throw new Error(JSON.stringify(restore.outcome));
    expect((await api.plans.execute({ planId: restore.outcome.plan.id })).result.ok).toBe(true);
    expect(basename(readlinkSync(join(host.kernel.sysRoot, "bus/pci/devices/0000:3b:00.1/driver")))).toBe("i40e");
    // …and the boot state no longer keeps it on vfio-pci.
    expect((await api.desired.drift()).entries.map((e) => e.text)).toEqual([]);
  });
});
