/** Hostile plans never reach the writer: the executor re-validates every step against the allow-list. */
import { describe, expect, it } from "vitest";
import { KernelFs } from "@/server/host/fs";
import type { SysfsWriter } from "@/server/host/writer";
import { PlanRejected, validatePlan } from "./allow-list";
import type { Plan, PlanStep } from "./plan";
import { PlanExecutor } from "./executor";

const writes: string[] = [];
const recordingWriter: SysfsWriter = { write: (rel, value) => void writes.push(`${rel} <- ${value}`) };
const executor = new PlanExecutor({ sys: new KernelFs("/nonexistent-sysfs"), writer: recordingWriter });

const plan = (step: unknown, inverse: unknown = null) => ({
  id: "p-1",
  title: "hostile",
  createdAt: "2026-11-24T00:00:00Z",
  steps: [{ step, summary: "x", inverse }],
});

describe("the executor's allow-list", () => {
  it.each([
    ["path traversal in the address", { kind: "write-attribute", device: "../../../../etc/passwd", attribute: "sriov_numvfs", value: "1" }],
    ["traversal after a valid address", { kind: "write-attribute", device: "0000:3b:00.0/../../x", attribute: "driver_override", value: "" }],
    ["an attribute outside the list", { kind: "write-attribute", device: "0000:3b:00.0", attribute: "remove", value: "1" }],
    ["new_id (catches every device with the ID)", { kind: "write-attribute", device: "0000:3b:00.0", attribute: "new_id", value: "8086 154c" }],
    ["a negative count", { kind: "write-attribute", device: "0000:3b:00.0", attribute: "sriov_numvfs", value: "-1" }],
    ["a huge count", { kind: "write-attribute", device: "0000:3b:00.0", attribute: "sriov_numvfs", value: "99999999" }],
    ["shell metacharacters in a value", { kind: "write-attribute", device: "0000:3b:00.0", attribute: "driver_override", value: "vfio-pci; reboot" }],
    ["a NUL byte", { kind: "write-attribute", device: "0000:3b:00.0\u0000", attribute: "sriov_numvfs", value: "1" }],
    ["autoprobe not 0/1", { kind: "write-attribute", device: "0000:3b:00.0", attribute: "sriov_drivers_autoprobe", value: "2" }],
    ["a driver name with a path", { kind: "probe-driver", device: "0000:3b:02.0", expectDriver: "../../../kernel/x", explicit: true }],
    ["an unknown step kind", { kind: "exec", argv: ["rm", "-rf", "/"] }],
    ["a wait without bound", { kind: "wait-for", condition: { kind: "vf-count", pf: "0000:3b:00.0", count: 1 }, timeoutMs: 1e12 }],
  ])("refuses %s and writes nothing", async (_what, step) => {
    writes.length = 0;
    await expect(executor.apply(plan(step))).rejects.toBeInstanceOf(PlanRejected);
    expect(writes).toEqual([]);
  });

  it("refuses a hostile inverse even when the step itself is fine", async () => {
    writes.length = 0;
    const ok = { kind: "write-attribute", device: "0000:3b:00.0", attribute: "sriov_numvfs", value: "2" };
    const bad = { kind: "write-attribute", device: "0000:3b:00.0", attribute: "reset", value: "1" };
    const err = await executor.apply(plan(ok, bad)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanRejected);
    expect((err as PlanRejected).issues.join(" ")).toContain("steps.0.inverse.attribute");
    expect(writes).toEqual([]);
  });

  it("names the offending field and the expected form", async () => {
    const err = await executor.apply(plan({ kind: "unbind-driver", device: "65:00.0", driver: "igb" })).catch((e: unknown) => e);
    expect((err as PlanRejected).message).toBe("plan refused: steps.0.step.device: must be a canonical PCI address such as 0000:3b:00.0");
  });
});

describe("the Plan types are the allow-list's schemas", () => {
  const domain = { uuid: "00000000-0000-4000-8000-000000000001", name: "web" };
  const pool = { name: "x710", pf: "0000:3b:00.0", netdev: "ens1f0" };
  const steps: PlanStep[] = [
    { kind: "write-attribute", device: "0000:3b:00.0", attribute: "sriov_numvfs", value: "4" },
    { kind: "unbind-driver", device: "0000:3b:02.0", driver: "iavf" },
    { kind: "probe-driver", device: "0000:3b:02.0", expectDriver: "vfio-pci", explicit: true },
    { kind: "set-vf", pf: "0000:3b:00.0", netdev: "ens1f0", vf: 1, settings: { mac: "02:00:00:00:00:01", vlan: 100, qos: 2, trust: true } },
    { kind: "wait-for", condition: { kind: "vf-address", pf: "0000:3b:00.0", vf: 1, address: "0000:3b:02.1" }, timeoutMs: 5000 },
    {
      kind: "attach-device",
      domain,
      device: {
        type: "hostdev",
        address: "0000:65:00.0",
        managed: true,
        rom: { file: "/usr/share/vgabios/gpu.rom" },
        guestAddress: { bus: 1, slot: 0, fn: 0 },
      },
      target: "config",
    },
    { kind: "attach-device", domain, device: { type: "interface", address: "0000:3b:02.0", mac: "52:54:00:12:34:56", vlan: 7 }, target: "live" },
    { kind: "detach-device", domain, device: { type: "pool", network: "x710", mac: "52:54:00:12:34:57" }, target: "config" },
    { kind: "define-pool", pool },
    { kind: "stop-pool", pool },
  ];

  it("takes a plan of every kind of step through JSON and back unchanged", () => {
    const plan: Plan = {
      id: "p-2",
      title: "all kinds",
      createdAt: "2026-11-24T00:00:00Z",
      steps: steps.map((step) => ({ step, summary: step.kind, inverse: null })),
    };
    expect(validatePlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it("refuses a pool interface given a host address (the detach by MAC has none)", () => {
    const step = { kind: "detach-device", domain, device: { type: "pool", network: "x710", mac: "52:54:00:12:34:57", address: "" }, target: "config" };
    expect(() => validatePlan(plan(step))).toThrow(PlanRejected);
  });
});
