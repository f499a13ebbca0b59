/**
 * Reconcile end to end on the simulated server host: desired state recorded from real applies, a "reboot" (the same
 * scenario booted afresh: VFs, overrides and VF settings gone), reconcile, and the kernel's tree read back.
 */
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { applyJournaled } from "@/server/executor/journaled-apply";
import { readVfInfo } from "@/server/host/ip-link";
import { planBindVfio, planVfCount, planVfSettings, type PlanOutcome } from "@/server/plans/planner";
import { planOf } from "@/server/plans/testing";
import type { DesiredEntry, DesiredState } from "./desired-state";
import { reconcile, type ReconcileDeps } from "./reconcile";
import { DesiredStore } from "./store";
import { bootHost, type TestHost } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-reconcile-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const db = openHostDatabase(join(work, "data"));
const journal = new Journal(db);
const PF = "0000:3b:00.1"; // X710 port 1 (ens1f1): boots with no VFs
const VF1 = "0000:3b:0a.1";

const attr = (h: TestHost, device: string, name: string) => readFileSync(join(h.kernel.sysRoot, "bus/pci/devices", device, name), "utf8").trim();
const driverOf = (h: TestHost, device: string) => {
  try {
    return basename(readlinkSync(join(h.kernel.sysRoot, "bus/pci/devices", device, "driver")));
  } catch {
    return null;
  }
};
const deps = (h: TestHost, desired: DesiredState): ReconcileDeps => ({
  desired,
  inventory: h.inventory,
  ip: h.ip,
  executor: h.executor,
  journal,
  actor: "test-boot",
});

/** The user's session before the reboot: 3 VFs, MAC+VLAN on VF 0, VF 1 on vfio-pci, each remembered as the CLI does. */
async function desiredFromSession(store: DesiredStore, pf = PF, autoprobe?: boolean): Promise<DesiredState> {
  const h = bootHost(work);
  const netdev = h.device(pf)!.netdevs[0]!.name;
  const apply = async (outcome: PlanOutcome) => {
    const plan = planOf(outcome);
    const { result } = await applyJournaled(h.executor, journal, plan, { actor: "alice", source: "cli" }, () => null);
    expect(result.ok, JSON.stringify(result.steps)).toBe(true);
    store.record(plan, h.inventory(), "alice");
  };
  await apply(planVfCount(h.inventory(), pf, 3, autoprobe === undefined ? {} : { autoprobe }));
  const vf0 = (await readVfInfo(h.ip, netdev)).find((v) => v.vf === 0) ?? null;
  await apply(planVfSettings(h.inventory(), pf, 0, { mac: "02:11:22:33:44:55", vlan: 100 }, vf0));
  await apply(planBindVfio(h.inventory(), h.device(pf)!.sriov!.vfs[1]!));
  return store.get();
}

describe("reconcile", () => {
  it("after a reboot puts back the VF count, VF 0's MAC and VLAN and VF 1 on vfio-pci; a second run applies nothing", async () => {
    const store = new DesiredStore(db);
    const desired = await desiredFromSession(store);
    expect(desired.entries.map((e) => e.kind)).toEqual(["vf-count", "vf-settings", "binding"]);

    const h = bootHost(work); // the reboot
    expect(attr(h, PF, "sriov_numvfs")).toBe("0");
    const journalBefore = journal.list({ limit: 500 }).length;
    const report = await reconcile(deps(h, desired));

    expect(report.outcome).toBe("reconciled");
    expect(report.exitCode).toBe(0);
    expect(report.refused).toEqual([]);
    // the count, VF 0 (not created yet) and VF 1's binding; autoprobe was left on, as the kernel boots it
    expect(report.before.counts).toEqual({ ok: 1, drift: 3, "device-missing": 0, "id-mismatch": 0 });
    expect(report.actions.map((a) => [a.stage, a.status, a.title])).toEqual([
      ["vf-count", "applied", `Set ${PF} to 3 VFs`],
      ["vf-settings", "applied", `Set VF 0 of ${PF}: mac 02:11:22:33:44:55, vlan 100`],
      ["binding", "applied", `Bind ${VF1} to vfio-pci`],
    ]);
    expect(report.after?.inSync).toBe(true);

    // the kernel's own answers
    expect(attr(h, PF, "sriov_numvfs")).toBe("3");
    expect(driverOf(h, VF1)).toBe("vfio-pci");
    expect(attr(h, VF1, "driver_override")).toBe("vfio-pci");
    expect(driverOf(h, "0000:3b:0a.0")).toBe("iavf");
    const vfs = await readVfInfo(h.ip, "ens1f1");
    expect(vfs.find((v) => v.vf === 0)).toMatchObject({ mac: "02:11:22:33:44:55", vlan: 100, qos: 0 });
    expect(vfs.find((v) => v.vf === 1)).toMatchObject({ mac: "00:00:00:00:00:00", vlan: 0 });

    // journaled as reconcile, one entry per plan
    const entries = journal.list({ limit: 3 });
    expect(journal.list({ limit: 500 }).length).toBe(journalBefore + 3);
    expect(entries.map((e) => [e.source, e.actor, e.status])).toEqual(Array(3).fill(["reconcile", "test-boot", "applied"]));
    expect(report.actions.map((a) => a.journalEntry)).toEqual(entries.map((e) => e.id).reverse());

    const writes = h.kernel.writes().length;
    const again = await reconcile(deps(h, desired));
    expect(again).toMatchObject({ outcome: "in-sync", exitCode: 0, actions: [], refused: [] });
    expect(again.before.inSync).toBe(true);
    expect(h.kernel.writes().length).toBe(writes);
    expect(journal.list({ limit: 500 }).length).toBe(journalBefore + 3);
  });

  it("a PF that boots with other VFs: autoprobe off, 0 first, then the count; the VFs come up driverless", async () => {
    const store = new DesiredStore(openHostDatabase(join(work, "data-pf0")));
    const desired = await desiredFromSession(store, "0000:3b:00.0", false);
    const h = bootHost(work);
    expect(attr(h, "0000:3b:00.0", "sriov_numvfs")).toBe("4");
    const report = await reconcile(deps(h, desired));
    expect(report.exitCode, JSON.stringify(report.actions.map((a) => a.error))).toBe(0);
    expect(
      h.kernel
        .writes()
        .filter((w) => w.path.endsWith("sriov_numvfs") || w.path.endsWith("sriov_drivers_autoprobe"))
        .map((w) => [basename(w.path), w.value]),
    ).toEqual([
      ["sriov_drivers_autoprobe", "0"],
      ["sriov_numvfs", "0"],
      ["sriov_numvfs", "3"],
    ]);
    expect(attr(h, "0000:3b:00.0", "sriov_numvfs")).toBe("3");
    expect(driverOf(h, "0000:3b:02.0")).toBeNull();
    expect(driverOf(h, "0000:3b:02.1")).toBe("vfio-pci");
    expect(driverOf(h, "0000:3b:02.2")).toBeNull();
    expect((await readVfInfo(h.ip, "ens1f0")).find((v) => v.vf === 0)).toMatchObject({ mac: "02:11:22:33:44:55", vlan: 100 });
    expect((await reconcile(deps(h, desired))).actions).toEqual([]);
  });

  it("--dry-run plans the VF count, says the VF plans wait for it, and writes nothing", async () => {
    const store = new DesiredStore(openHostDatabase(join(work, "data-dry")));
    const desired = await desiredFromSession(store);
    const h = bootHost(work);
    const before = journal.list({ limit: 500 }).length;
    const report = await reconcile(deps(h, desired), { dryRun: true });
    expect(report).toMatchObject({ dryRun: true, outcome: "would-change", exitCode: 0, after: null, refused: [] });
    expect(report.actions.map((a) => [a.stage, a.status])).toEqual([
      ["vf-count", "planned"],
      ["vf-settings", "waits-for-vf-count"],
      ["binding", "waits-for-vf-count"],
    ]);
    expect(report.actions[0]!.plan!.steps.map((s) => s.step.kind)).toEqual(["write-attribute", "wait-for"]);
    expect(h.kernel.writes()).toEqual([]);
    expect(journal.list({ limit: 500 }).length).toBe(before);
  });

  it("refuses, and never touches, a different card at the address, with the entries that depend on it (exit 2)", async () => {
    const store = new DesiredStore(openHostDatabase(join(work, "data-swap")));
    const desired = await desiredFromSession(store);
    // the same slot now holds a card with another device ID (an X710 swapped for an XXV710)
    const swapped: DesiredState = {
      entries: desired.entries.map((e): DesiredEntry => {
        if (e.kind === "binding") return { ...e, vfOf: e.vfOf && { ...e.vfOf, deviceId: "158b" } };
        return { ...e, deviceId: "158b" };
      }),
    };
    const h = bootHost(work);
    const report = await reconcile(deps(h, swapped));
    expect(report.exitCode).toBe(2);
    expect(report.outcome).toBe("refused");
    expect(report.actions).toEqual([]);
    expect(report.refused.map((r) => [r.stage, r.code])).toEqual([
      ["vf-count", "id-mismatch"],
      ["vf-settings", "id-mismatch"],
      ["binding", "id-mismatch"],
    ]);
    expect(report.refused[0]!.reason).toContain("a different card now sits at 0000:3b:00.1");
    expect(h.kernel.writes()).toEqual([]);
  });

  it("refuses a missing device, and passes a planner refusal on without forcing it (host-critical), exit 2", async () => {
    const h = bootHost(work);
    const report = await reconcile(
      deps(h, {
        entries: [
          { kind: "binding", address: "0000:af:00.0", vendorId: "10de", deviceId: "2204", driver: "vfio-pci", vfOf: null },
          // eno1 carries the default route through vmbr0: the user once used --force; reconcile never does
          { kind: "vf-count", address: "0000:18:00.0", vendorId: "8086", deviceId: "1521", vfCount: 2, autoprobe: true },
          { kind: "vf-settings", address: "0000:18:00.0", vendorId: "8086", deviceId: "1521", vf: 0, settings: { trust: true } },
        ],
      }),
    );
    expect(report.exitCode).toBe(2);
    expect(report.refused.map((r) => [r.address, r.code])).toEqual([
      ["0000:18:00.0", "host-critical"],
      ["0000:18:00.0", "pf-not-reconciled"],
      ["0000:af:00.0", "device-missing"],
    ]);
    expect(report.refused[0]!.reason).toContain("carries the default route");
    expect(h.kernel.writes()).toEqual([]);
    expect(report.after?.inSync).toBe(false);
  });

  it("a failed VF count is rolled back, its VFs' entries are skipped, exit 1", async () => {
    const store = new DesiredStore(openHostDatabase(join(work, "data-fail")));
    const desired = await desiredFromSession(store);
    const h = bootHost(work, "server", { pfQuirks: { [PF]: { maxVfs: 2 } } });
    const report = await reconcile(deps(h, desired));
    expect(report.exitCode).toBe(1);
    expect(report.outcome).toBe("failed");
    expect(report.actions.map((a) => [a.stage, a.status])).toEqual([["vf-count", "failed"]]);
    expect(report.actions[0]!.result!.rolledBack).toBe(true);
    expect(report.actions[0]!.error).toMatch(/fix:/);
    expect(report.refused.map((r) => r.code)).toEqual(["pf-not-reconciled", "pf-not-reconciled"]);
    expect(attr(h, PF, "sriov_numvfs")).toBe("0");
    expect(journal.get(report.actions[0]!.journalEntry!)!.status).toBe("failed-rolled-back");
  });

  it("stops at the first plan when another process is applying one (journal busy): exit 1, nothing written", async () => {
    const store = new DesiredStore(openHostDatabase(join(work, "data-busy")));
    const desired = await desiredFromSession(store);
    const h = bootHost(work);
    const busyDb = openHostDatabase(join(work, "data-busy-journal"));
    const other = new Journal(busyDb, { owner: { pid: 4_000_000, bootAt: new Journal(busyDb).owner.bootAt } });
    other.begin(planOf(planVfCount(h.inventory(), "0000:3b:00.0", 2)), { actor: "bob", source: "web", before: null });
    const report = await reconcile({ ...deps(h, desired), journal: new Journal(busyDb, { isAlive: () => true }) });
    expect(report.exitCode).toBe(1);
    expect(report.actions.map((a) => [a.stage, a.status])).toEqual([["vf-count", "failed"]]);
    expect(report.actions[0]!.error).toContain("bob (web, pid 4000000) is applying");
    expect(report.refused.map((r) => [r.stage, r.code])).toEqual([
      ["vf-settings", "not-attempted"],
      ["binding", "not-attempted"],
    ]);
    expect(h.kernel.writes()).toEqual([]);
  });
});
