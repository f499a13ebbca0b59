/**
 * Plans applied to the simulated kernel of a demo host: the kernel's answers (EBUSY, ERANGE, fewer VFs than asked,
 * drivers_probe that binds nothing) come back decoded, and a failure leaves the host as it was.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SimulatedKernelOptions } from "@/server/simulator/simulated-kernel";
import { readVfInfo } from "@/server/host/ip-link";
import { planBindVfio, planRestore, planVfCount, planVfSettings } from "@/server/plans/planner";
import { planOf, simulatedHost } from "@/server/plans/testing";
import { PlanBusy } from "./executor";

const work = mkdtempSync(join(tmpdir(), "passdeck-exec-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const host = (scenario = "server", options?: SimulatedKernelOptions) => simulatedHost(work, scenario, options);

describe("PlanExecutor on the simulated kernel", () => {
  it("creates VFs, verifying the count and the virtfn/physfn links", async () => {
    const h = host();
    const result = await h.executor.apply(planOf(planVfCount(h.inventory(), "0000:3b:00.1", 3)));
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => s.status)).toEqual(["done", "done"]);
    const pf = h.device("0000:3b:00.1")!;
    expect(pf.sriov).toMatchObject({ numVfs: 3 });
    for (const vf of pf.sriov!.vfs) expect(h.device(vf)).toMatchObject({ physfn: "0000:3b:00.1", driver: "iavf" });
    expect(h.kernel.writes().map((w) => `${w.path}=${w.value}`)).toEqual(["bus/pci/devices/0000:3b:00.1/sriov_numvfs=3"]);
  });

  it("changes a non-zero count through 0", async () => {
    const h = host();
    const result = await h.executor.apply(planOf(planVfCount(h.inventory(), "0000:3b:00.0", 2)));
    expect(result.ok).toBe(true);
    expect(h.kernel.writes().map((w) => w.value)).toEqual(["0", "2"]);
    expect(h.device("0000:3b:00.0")!.sriov!.numVfs).toBe(2);
  });

  it("binds a VF to vfio-pci and restores it to iavf, each verified by the driver link", async () => {
    const h = host();
    const vf = "0000:3b:02.1";
    expect((await h.executor.apply(planOf(planBindVfio(h.inventory(), vf)))).ok).toBe(true);
    expect(h.device(vf)).toMatchObject({ driver: "vfio-pci", driverOverride: "vfio-pci" });
    expect(h.kernel.vfioGroups()).toContain(h.device(vf)!.iommuGroup);
    expect((await h.executor.apply(planOf(planRestore(h.inventory(), vf)))).ok).toBe(true);
    expect(h.device(vf)).toMatchObject({ driver: "iavf", driverOverride: null });
    expect(h.kernel.vfioGroups()).not.toContain(h.device(vf)!.iommuGroup);
  });

  it("reports a driver that enabled fewer VFs than asked, and rolls the count back", async () => {
    const h = host("server", { pfQuirks: { "0000:3b:00.1": { maxVfs: 2 } } });
    const result = await h.executor.apply(planOf(planVfCount(h.inventory(), "0000:3b:00.1", 3)));
    expect(result.ok).toBe(false);
    expect(result.steps[0]).toMatchObject({ status: "failed", error: { code: "vf-shortfall" } });
    expect(result.steps[0]!.error!.cause).toContain("3");
    expect(result.rolledBack).toBe(true);
    expect(h.device("0000:3b:00.1")!.sriov!.numVfs).toBe(0);
  });

  it("decodes ENOMEM for missing MMIO space into the BIOS fix and pci=realloc, and restores the old VFs", async () => {
    const h = host("server", { pfQuirks: { "0000:3b:00.0": { noVfMmio: true } } });
    const before = h.device("0000:3b:00.0")!.sriov!.vfs;
    const result = await h.executor.apply(planOf(planVfCount(h.inventory(), "0000:3b:00.0", 6)));
    expect(result.ok).toBe(false);
    const failed = result.steps.find((s) => s.status === "failed")!;
    expect(failed.error).toMatchObject({ code: "mmio-resources", errno: "ENOMEM" });
    expect(failed.error!.fix).toContain("pci=realloc");
    // 4 → 0 was done; its inverse (back to 4) also needs MMIO, which this PF lacks: the report says so.
    expect(result.steps.map((s) => s.status)).toEqual(["done", "done", "failed", "rollback-failed"]);
    expect(result.rolledBack).toBe(false);
    expect(before).toHaveLength(4);
  });

  it("decodes EBUSY when VFs appeared after the plan was made, and leaves them alone", async () => {
    const h = host();
    const plan = planOf(planVfCount(h.inventory(), "0000:3b:00.1", 3));
    h.kernel.write("bus/pci/devices/0000:3b:00.1/sriov_numvfs", "2"); // someone else, meanwhile
    const result = await h.executor.apply(plan);
    expect(result.steps[0]).toMatchObject({ status: "failed", error: { code: "vfs-already-enabled", errno: "EBUSY" } });
    expect(result.steps[0]!.error!.kernelLines.join(" ")).toContain("VFs already enabled");
    expect(result.rolledBack).toBe(true);
    expect(h.device("0000:3b:00.1")!.sriov!.numVfs).toBe(2);
  });

  it("decodes ERANGE from a hand-made plan above sriov_totalvfs", async () => {
    const h = host();
    const result = await h.executor.apply({
      id: "hand-made",
      title: "too many",
      createdAt: new Date().toISOString(),
      steps: [{ step: { kind: "write-attribute", device: "0000:3b:00.1", attribute: "sriov_numvfs", value: "65" }, summary: "", inverse: null }],
    });
    expect(result.steps[0]!.error).toMatchObject({ code: "vf-count-above-total", errno: "ERANGE" });
    expect(result.steps[0]!.error!.cause).toContain("64");
  });

  it("catches drivers_probe that succeeds without binding (vfio-pci refuses a PF with VFs)", async () => {
    const h = host();
    const result = await h.executor.apply({
      id: "pf-to-vfio",
      title: "bind a PF with VFs",
      createdAt: new Date().toISOString(),
      steps: [
        {
          step: { kind: "write-attribute", device: "0000:3b:00.0", attribute: "driver_override", value: "vfio-pci" },
          summary: "",
          inverse: { kind: "write-attribute", device: "0000:3b:00.0", attribute: "driver_override", value: "" },
        },
        {
          step: { kind: "unbind-driver", device: "0000:3b:00.1", driver: "i40e" },
          summary: "",
          inverse: { kind: "probe-driver", device: "0000:3b:00.1", expectDriver: "i40e", explicit: true },
        },
        { step: { kind: "probe-driver", device: "0000:3b:00.1", expectDriver: "vfio-pci" }, summary: "", inverse: null },
      ],
    });
    // 3b:00.1 has no override: drivers_probe gives it back to i40e, not vfio-pci. The check reads the link.
    expect(result.steps[2]).toMatchObject({ status: "failed" });
    expect(result.rolledBack).toBe(true);
    expect(h.device("0000:3b:00.0")!.driverOverride).toBeNull();
    expect(h.device("0000:3b:00.1")!.driver).toBe("i40e");
  });

  it("runs one plan at a time", async () => {
    const h = host();
    const slow = h.executor.apply({
      id: "slow",
      title: "wait",
      createdAt: new Date().toISOString(),
      steps: [{ step: { kind: "wait-for", condition: { kind: "vf-count", pf: "0000:3b:00.1", count: 5 }, timeoutMs: 200 }, summary: "", inverse: null }],
    });
    await expect(h.executor.apply(planOf(planVfCount(h.inventory(), "0000:3b:00.1", 1)))).rejects.toBeInstanceOf(PlanBusy);
    const timedOut = await slow;
    expect(timedOut.steps[0]!.error).toMatchObject({ code: "write-timed-out" });
  });

  it("sets a MAC it cannot undo last, so a setting the driver refuses leaves nothing behind", async () => {
    const h = host();
    await h.executor.apply(planOf(planVfCount(h.inventory(), "0000:18:00.1", 2)));
    const before = (await readVfInfo(h.ip, "eno2")).find((v) => v.vf === 1)!;
    expect(before.mac).toBe("00:00:00:00:00:00");
    const plan = planOf(planVfSettings(h.inventory(), "0000:18:00.1", 1, { mac: "02:00:00:00:00:21", state: "disable" }, before));
    // a zero MAC cannot be set again, so the undo has the link state only
    expect(plan.steps[0]!.inverse).toMatchObject({ settings: { state: "auto" } });
    expect(plan.steps[0]!.inverse).not.toHaveProperty("settings.mac");
    const result = await h.executor.apply(plan);
    expect(result.steps.map((s) => [s.status, s.error?.code])).toEqual([["failed", "vf-setting-unsupported"]]);
    expect(result.rolledBack).toBe(true);
    expect((await readVfInfo(h.ip, "eno2")).find((v) => v.vf === 1)!.mac).toBe("00:00:00:00:00:00");
  });
});
