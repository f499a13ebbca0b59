/** Plans and refusals over the demo scenarios: the exact steps, their order and inverses, and each safety rule. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeStep } from "@/server/executor/plan";
import { writeScenarioByName } from "@/server/simulator/catalog";
import type { Inventory } from "@/server/host/types";
import { scanInventory } from "@/server/inventory/scan";
import { planBindVfio, planRestore, planVfCount, type PlanOutcome } from "./planner";

const work = mkdtempSync(join(tmpdir(), "passdeck-plan-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const scan = (name: string): Inventory => scanInventory(writeScenarioByName(name, join(work, name)));
const server = scan("server");
const desktop = scan("desktop");

const commands = (o: PlanOutcome) => {
  if (o.kind !== "plan") throw new Error(`expected a plan, got ${JSON.stringify(o)}`);
  return o.plan.steps.map((s) => describeStep(s.step));
};
const refusalCodes = (o: PlanOutcome) => (o.kind === "refused" ? o.refusals.map((r) => r.code) : []);

describe("planVfCount", () => {
  it("creates VFs on a PF with none: write N, wait", () => {
    expect(commands(planVfCount(server, "0000:3b:00.1", 3))).toEqual([
      "echo 3 > bus/pci/devices/0000:3b:00.1/sriov_numvfs",
      "# wait up to 120 s until 0000:3b:00.1 has 3 VFs (virtfn links with physfn)",
    ]);
  });

  it("goes through 0 when changing a non-zero count, each write with its inverse", () => {
    const o = planVfCount(server, "0000:3b:00.0", 2);
    expect(commands(o)).toEqual([
      "echo 0 > bus/pci/devices/0000:3b:00.0/sriov_numvfs",
      "# wait up to 120 s until 0000:3b:00.0 has 0 VFs (virtfn links with physfn)",
      "echo 2 > bus/pci/devices/0000:3b:00.0/sriov_numvfs",
      "# wait up to 120 s until 0000:3b:00.0 has 2 VFs (virtfn links with physfn)",
    ]);
    if (o.kind !== "plan") throw new Error("no plan");
    expect(o.plan.steps.map((s) => (s.inverse ? describeStep(s.inverse) : null))).toEqual([
      "echo 4 > bus/pci/devices/0000:3b:00.0/sriov_numvfs",
      null,
      "echo 0 > bus/pci/devices/0000:3b:00.0/sriov_numvfs",
      null,
    ]);
  });

  it("turns autoprobe off first when asked for driverless VFs, and restores it as the inverse", () => {
    const o = planVfCount(server, "0000:3b:00.1", 2, { autoprobe: false });
    expect(commands(o)[0]).toBe("echo 0 > bus/pci/devices/0000:3b:00.1/sriov_drivers_autoprobe");
    if (o.kind !== "plan") throw new Error("no plan");
    expect(describeStep(o.plan.steps[0]!.inverse!)).toBe("echo 1 > bus/pci/devices/0000:3b:00.1/sriov_drivers_autoprobe");
  });

  it("refuses more VFs than totalvfs, a non-PF, and a device that does not exist", () => {
    expect(refusalCodes(planVfCount(server, "0000:3b:00.1", 65))).toEqual(["above-total", "many-vfs"]);
    // "above-total" cannot be overridden, whatever the user confirms
    expect(refusalCodes(planVfCount(server, "0000:3b:00.1", 65, { confirm: true, force: true }))).toEqual(["above-total"]);
    expect(refusalCodes(planVfCount(server, "0000:02:00.0", 2))).toEqual(["not-sriov"]);
    expect(refusalCodes(planVfCount(server, "0000:99:00.0", 2))).toEqual(["no-such-device"]);
    expect(refusalCodes(planVfCount(server, "0000:3b:00.1", -1))).toEqual(["bad-count"]);
  });

  it("warns above a sensible count and needs a confirmation, never capping silently", () => {
    expect(refusalCodes(planVfCount(server, "0000:3b:00.1", 48))).toEqual(["many-vfs"]);
    const confirmed = planVfCount(server, "0000:3b:00.1", 48, { confirm: true });
    expect(commands(confirmed)[0]).toBe("echo 48 > bus/pci/devices/0000:3b:00.1/sriov_numvfs");
  });

  it("says there is nothing to do for the current count", () => {
    expect(planVfCount(server, "0000:3b:00.0", 4)).toEqual({ kind: "nothing-to-do", reason: "0000:3b:00.0 already has 4 VFs" });
  });

  it("refuses a host-critical PF unless forced (the SR-IOV I350 port carrying vmbr0)", () => {
    const pf = server.devices.find((d) => d.address === "0000:18:00.0")!;
    expect(pf.sriov).not.toBeNull();
    expect(refusalCodes(planVfCount(server, "0000:18:00.0", 2))).toEqual(["host-critical"]);
    expect(planVfCount(server, "0000:18:00.0", 2, { force: true }).kind).toBe("plan");
  });
});

describe("planBindVfio and planRestore", () => {
  it("binds a VF: unbind, override, probe; inverses clear the override before the old driver returns", () => {
    const o = planBindVfio(server, "0000:3b:02.1");
    expect(commands(o)).toEqual([
      "echo 0000:3b:02.1 > bus/pci/devices/0000:3b:02.1/driver/unbind   # from iavf",
      "echo vfio-pci > bus/pci/devices/0000:3b:02.1/driver_override",
      "echo 0000:3b:02.1 > bus/pci/drivers_probe   # expect vfio-pci",
    ]);
    if (o.kind !== "plan") throw new Error("no plan");
    expect(o.plan.steps.map((s) => describeStep(s.inverse!))).toEqual([
      "echo 0000:3b:02.1 > bus/pci/drivers/iavf/bind",
      "echo '' > bus/pci/devices/0000:3b:02.1/driver_override",
      "echo 0000:3b:02.1 > bus/pci/devices/0000:3b:02.1/driver/unbind   # from vfio-pci",
    ]);
  });

  it("never binds a PF with VFs, a bridge, or a host-critical device without force", () => {
    expect(refusalCodes(planBindVfio(server, "0000:3b:00.0"))).toContain("pf-with-vfs");
    expect(refusalCodes(planBindVfio(server, "0000:02:00.0"))).toContain("bridge");
    expect(refusalCodes(planBindVfio(server, "0000:18:00.0"))).toEqual(["host-critical"]);
  });

  it("refuses when vfio-pci is not loaded or the IOMMU is off", () => {
    expect(refusalCodes(planBindVfio(desktop, "0000:01:00.0"))).toContain("vfio-not-loaded");
    const off = scan("iommu-off");
    expect(refusalCodes(planBindVfio(off, "0000:01:00.0"))).toEqual(expect.arrayContaining(["vfio-not-loaded", "no-group"]));
  });

  it("asks for confirmation when the group has other endpoints not on vfio-pci (a GPU's HDMI audio)", () => {
    const withVfio = structuredClone(desktop);
    withVfio.facts.vfio.pciDriverLoaded = true;
    const o = planBindVfio(withVfio, "0000:01:00.1");
    expect(o).toMatchObject({ kind: "refused", refusals: [{ code: "shared-group", override: "confirm" }] });
    expect(o.kind === "refused" && o.refusals[0]!.reason).toContain("0000:01:00.0");
    expect(planBindVfio(withVfio, "0000:01:00.1", { confirm: true }).kind).toBe("plan");
  });

  it("restores a VF to the PF's VF driver: unbind vfio-pci, clear the override, probe", () => {
    const inv = structuredClone(server);
    const vf = inv.devices.find((d) => d.address === "0000:3b:02.2")!;
    vf.driver = "vfio-pci";
    vf.driverOverride = "vfio-pci";
    expect(commands(planRestore(inv, "0000:3b:02.2"))).toEqual([
      "echo 0000:3b:02.2 > bus/pci/devices/0000:3b:02.2/driver/unbind   # from vfio-pci",
      "echo '' > bus/pci/devices/0000:3b:02.2/driver_override",
      "echo 0000:3b:02.2 > bus/pci/drivers_probe   # expect iavf",
    ]);
    expect(refusalCodes(planRestore(server, "0000:00:17.0"))).toEqual(["unknown-host-driver"]);
  });
});

describe("a PF with only an autoconfigured address (amd: the X520 on a LAN that sends router advertisements)", () => {
  const amd = scan("amd");
  const X520 = "0000:07:00.0";

  it("VF count: a warning to acknowledge (confirm), never a typed override", () => {
    const plain = planVfCount(amd, X520, 2);
    expect(plain.kind).toBe("refused");
    const refusals = plain.kind === "refused" ? plain.refusals : [];
    expect(refusals).toEqual([
      {
        code: "autoconf-address",
        reason:
          "0000:07:00.0: enp7s0 has autoconfigured (SLAAC) address 2001:db8:60:0:92e2:baff:fe4a:5b6c/64 — no sockets use it; enp7s0 has an IPv6 default route learned from a router advertisement, used by no socket: the address will be re-made when the link comes back; acknowledge to go on",
        override: "confirm",
      },
    ]);
    const confirmed = planVfCount(amd, X520, 2, { confirm: true });
    expect(commands(confirmed)[0]).toBe("echo 2 > bus/pci/devices/0000:07:00.0/sriov_numvfs");
    expect(confirmed.kind === "plan" ? confirmed.warnings.map((w) => w.code) : []).toEqual(["autoconf-address"]);
  });

  it("binding it to vfio-pci carries the same warning; a host-critical PF still needs --force", () => {
    expect(refusalCodes(planBindVfio(amd, X520, { confirm: true }))).not.toContain("autoconf-address");
    expect(refusalCodes(planBindVfio(amd, X520))).toContain("autoconf-address");
    expect(refusalCodes(planVfCount(amd, "0000:05:00.0", 2, { confirm: true }))).toEqual(["host-critical"]);
  });
});
