import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planBindVfio, planRestore, planVfCount } from "@/server/plans/planner";
import { planOf, simulatedHost } from "@/server/plans/testing";
import { attachSteps } from "@/server/plans/vm";
import { buildInUseMap, guestConflicts } from "./in-use";
import { hostdevXml, testDomain, vfInterfaceXml } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-inuse-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const inv = simulatedHost(work, "server").inventory();
const PF = "0000:3b:00.0";
const VF1 = "0000:3b:02.1";

describe("the in-use map", () => {
  it("names every domain holding an address, with which definitions and how", () => {
    const running = testDomain("web", { running: true, devices: [vfInterfaceXml(VF1, "52:54:00:aa:bb:01", 42)] });
    const stopped = testDomain("db", { devices: [hostdevXml("0000:5e:00.0", false)] });
    const hotplugged = testDomain("lab", { running: true, devices: [], live: [hostdevXml("0000:3b:02.2")] });
    const map = buildInUseMap([running, stopped, hotplugged]);
    expect(map[VF1]).toEqual([
      {
        domain: { uuid: running.uuid, name: "web" },
        active: true,
        in: ["live", "config"],
        as: "interface",
        managed: true,
        mac: "52:54:00:aa:bb:01",
        vlan: [42],
      },
    ]);
    expect(map["0000:5e:00.0"]).toEqual([
      { domain: { uuid: stopped.uuid, name: "db" }, active: false, in: ["config"], as: "hostdev", managed: false, mac: null, vlan: [] },
    ]);
    expect(map["0000:3b:02.2"]![0]!.in).toEqual(["live"]);
    expect(Object.keys(map).sort()).toEqual(["0000:3b:02.1", "0000:3b:02.2", "0000:5e:00.0"]);
  });
});

describe("plans against the in-use map", () => {
  const web = testDomain("web", { running: true, devices: [vfInterfaceXml(VF1, "52:54:00:aa:bb:01")] });
  const parked = testDomain("parked", { devices: [hostdevXml("0000:3b:02.3")] });
  const inUse = buildInUseMap([web, parked]);

  it("refuses a VF count change while a running VM holds one of the PF's VFs, whatever the overrides", () => {
    const plan = planOf(planVfCount(inv, PF, 2, { confirm: true, force: true }));
    const problems = guestConflicts(plan, inv, inUse);
    expect(problems.map((p) => [p.code, p.override])).toEqual([
      ["vf-in-use-by-vm", null],
      ["vf-in-vm-config", "confirm"],
    ]);
    expect(problems[0]!.reason).toContain("VF 1 (0000:3b:02.1) of 0000:3b:00.0 is in use by the running VM web");
    expect(problems[1]!.reason).toContain("parked is configured with VF 3 (0000:3b:02.3), which this plan removes");
  });

  it("refuses taking a running VM's device off vfio-pci, not a stopped VM's", () => {
    const onVfio = testDomain("x", { running: true, devices: [hostdevXml("0000:5e:00.0")] });
    const bind = planOf(planBindVfio(inv, "0000:5e:00.0", { confirm: true, force: true }));
    expect(guestConflicts(bind, inv, buildInUseMap([onVfio]))).toEqual([]);
    // A restore plan starts with the unbind from vfio-pci.
    const restorePlan = {
      ...bind,
      steps: [{ step: { kind: "unbind-driver" as const, device: "0000:5e:00.0", driver: "vfio-pci" }, summary: "", inverse: null }],
    };
    expect(guestConflicts(restorePlan, inv, buildInUseMap([onVfio])).map((p) => p.code)).toEqual(["device-in-use-by-vm"]);
    expect(guestConflicts(restorePlan, inv, buildInUseMap([testDomain("off", { devices: [hostdevXml("0000:5e:00.0")] })]))).toEqual([]);
    expect(planRestore(inv, "0000:5e:00.0", { hostDriver: "nvme" }).kind).toBe("nothing-to-do");
  });

  it("refuses giving a device another VM has, and one device to two VMs in one plan", () => {
    const other = testDomain("other");
    const third = testDomain("third");
    const a = attachSteps(other, { type: "hostdev", address: "0000:3b:02.3", managed: true }, ["config"]);
    const plan = { id: "p", title: "t", createdAt: "", steps: a.steps };
    expect(guestConflicts(plan, inv, inUse).map((p) => p.code)).toEqual(["device-in-other-vm"]);
    expect(guestConflicts(plan, inv, inUse)[0]!.reason).toContain("0000:3b:02.3 is already given to the VM parked (in its config)");
    const twice = {
      ...plan,
      steps: [
        ...attachSteps(other, { type: "hostdev", address: "0000:3b:02.0", managed: true }, ["config"]).steps,
        ...attachSteps(third, { type: "hostdev", address: "0000:3b:02.0", managed: true }, ["config"]).steps,
      ],
    };
    expect(guestConflicts(twice, inv, {}).map((p) => p.code)).toEqual(["device-to-two-vms"]);
  });
});

describe("withGuestChecks", () => {
  it("names the running VM first even when the host already refuses the VF count outright (the kernel shows its QEMU holding the VF)", async () => {
    const { withGuestChecks } = await import("@/server/plans/plan-service");
    const host = simulatedHost(work, "server");
    const bind = planBindVfio(host.inventory(), VF1, { confirm: true, force: true });
    expect((await host.executor.apply(planOf(bind))).ok).toBe(true);
    host.kernel.openVfio(VF1, {
      pid: 3100,
      comm: "qemu-system-x86",
      argv: ["/usr/bin/qemu-system-x86_64", "-name", "guest=web,debug-threads=on"],
      cgroup: "/machine.slice/machine-qemu\\x2d1\\x2dweb.scope/libvirt/emulator",
    });
    const inv2 = host.inventory();
    expect(inv2.devices.find((d) => d.address === VF1)?.hold?.holders.map((h) => [h.pid, h.guest?.name, h.manager])).toEqual([[3100, "web", "libvirt"]]);
    const refusedByHost = planVfCount(inv2, PF, 2, { confirm: true, force: true });
    expect(refusedByHost.kind).toBe("refused");
    const web = testDomain("web", { running: true, devices: [vfInterfaceXml(VF1, "52:54:00:aa:bb:01")] });
    const view = { ok: true as const, uri: "qemu:///system", domains: [web], inUse: buildInUseMap([web]) };
    const out = withGuestChecks(refusedByHost, inv2, view, {}, null, [{ pf: PF, count: 2 }]);
    expect(out.kind === "refused" && out.refusals.map((r) => r.code)).toEqual([
      "vf-in-use-by-vm",
      ...(refusedByHost.kind === "refused" ? refusedByHost.refusals.map((r) => r.code) : []),
    ]);
  });
});
