/** The wizard's plans applied to the simulated kernel: the tree after the apply, and after a failure's rollback. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeStep } from "@/server/executor/plan";
import { readVfInfo } from "@/server/host/ip-link";
import { vfAddressOf } from "@/lib/pci-address";
import { planOf, simulatedHost } from "./testing";
import { planDevicePassthrough, planSriovWizard } from "./wizard";

const work = mkdtempSync(join(tmpdir(), "passdeck-wizard-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("vfAddressOf", () => {
  it("adds offset and stride to the PF's routing ID, carrying into the bus", () => {
    // I350 port 1: offset 0x180, stride 4 → VFs on bus 0x19 (the kernel's 19:10.1, 19:10.5, 19:11.1 …)
    expect([0, 1, 2].map((i) => vfAddressOf("0000:18:00.1", 0x180, 4, i))).toEqual(["0000:19:10.1", "0000:19:10.5", "0000:19:11.1"]);
    expect(vfAddressOf("0000:3b:00.0", 0x10, 1, 3)).toBe("0000:3b:02.3");
    expect(vfAddressOf("0000:ff:1f.7", 1, 1, 0)).toBeNull();
  });
});

describe("planSriovWizard on the simulated kernel", () => {
  it("creates 3 VFs, sets MAC+VLAN+trust on VF 0, binds VF 1 to vfio-pci, in one verified plan", async () => {
    const host = simulatedHost(work, "server");
    const inv = host.inventory();
    const preview = planSriovWizard(
      inv,
      {
        pf: "0000:18:00.1",
        count: 3,
        autoprobe: true,
        vfs: [
          { index: 0, settings: { mac: "02:00:00:00:00:10", vlan: 100, trust: true } },
          { index: 1, vfio: true },
        ],
      },
      [],
    );
    expect(preview.vfs.map((v) => [v.index, v.address, v.predicted])).toEqual([
      [0, "0000:19:10.1", true],
      [1, "0000:19:10.5", true],
    ]);
    expect(preview.guestDriver).toBe("igbvf");
    const plan = planOf(preview.outcome);
    expect(plan.steps.map((s) => describeStep(s.step))).toEqual([
      "echo 3 > bus/pci/devices/0000:18:00.1/sriov_numvfs",
      "# wait up to 120 s until 0000:18:00.1 has 3 VFs (virtfn links with physfn)",
      "ip link set dev eno2 vf 0 mac 02:00:00:00:00:10 vlan 100 trust on",
      "# check that bus/pci/devices/0000:18:00.1/virtfn1 is 0000:19:10.5 (wait up to 10 s)",
      "echo 0000:19:10.5 > bus/pci/devices/0000:19:10.5/driver/unbind   # from igbvf",
      "echo vfio-pci > bus/pci/devices/0000:19:10.5/driver_override",
      "echo 0000:19:10.5 > bus/pci/drivers_probe   # expect vfio-pci",
    ]);

    const result = await host.executor.apply(plan);
    expect(result.ok).toBe(true);
    const after = host.inventory();
    const pf = after.devices.find((d) => d.address === "0000:18:00.1")!;
    expect(pf.sriov?.numVfs).toBe(3);
    expect(pf.sriov?.vfs).toEqual(["0000:19:10.1", "0000:19:10.5", "0000:19:11.1"]);
    expect(after.devices.find((d) => d.address === "0000:19:10.5")?.driver).toBe("vfio-pci");
    expect(after.devices.find((d) => d.address === "0000:19:10.1")?.driver).toBe("igbvf");
    const vf0 = (await readVfInfo(host.ip, "eno2")).find((v) => v.vf === 0)!;
    expect([vf0.mac, vf0.vlan, vf0.trust]).toEqual(["02:00:00:00:00:10", 100, true]);
    expect(host.kernel.vfioGroups()).toContain(after.devices.find((d) => d.address === "0000:19:10.5")!.iommuGroup);
  });

  it("with autoprobe off the VFs come up driverless and the vfio VF needs no unbind", async () => {
    const host = simulatedHost(work, "server");
    const plan = planOf(planSriovWizard(host.inventory(), { pf: "0000:18:00.1", count: 2, autoprobe: false, vfs: [{ index: 0, vfio: true }] }, []).outcome);
    expect(plan.steps.map((s) => describeStep(s.step))).not.toContain("echo 0000:19:10.1 > bus/pci/devices/0000:19:10.1/driver/unbind   # from igbvf");
    expect((await host.executor.apply(plan)).ok).toBe(true);
    const inv = host.inventory();
    expect(inv.devices.find((d) => d.address === "0000:19:10.1")?.driver).toBe("vfio-pci");
    expect(inv.devices.find((d) => d.address === "0000:19:10.5")?.driver).toBeNull();
  });

  it("rolls the whole wizard plan back when a setting is refused: no VFs left, autoprobe as before", async () => {
    const host = simulatedHost(work, "server");
    const plan = planOf(
      planSriovWizard(
        host.inventory(),
        {
          pf: "0000:18:00.1",
          count: 2,
          autoprobe: false,
          vfs: [
            { index: 0, vfio: true },
            { index: 1, settings: { mac: "02:00:00:00:00:11", state: "disable" } },
          ],
        },
        [],
      ).outcome,
    );
    const result = await host.executor.apply(plan);
    expect(result.ok).toBe(false);
    const failed = result.steps.find((s) => s.status === "failed")!;
    expect(failed.error?.code).toBe("vf-setting-unsupported");
    expect(failed.error?.cause).toMatch(/igb.*state|state.*igb/);
    expect(result.rolledBack).toBe(true);
    const pf = host.inventory().devices.find((d) => d.address === "0000:18:00.1")!;
    expect([pf.sriov?.numVfs, pf.sriov?.driversAutoprobe]).toEqual([0, true]);
  });

  it("refuses a VF index past the count and duplicates, and keeps existing VFs' addresses when the count stays", () => {
    const host = simulatedHost(work, "server");
    const inv = host.inventory();
    const bad = planSriovWizard(inv, { pf: "0000:18:00.1", count: 2, autoprobe: true, vfs: [{ index: 2, vfio: true }] }, []);
    expect(bad.outcome.kind === "refused" && bad.outcome.refusals.map((r) => r.code)).toEqual(["no-such-vf"]);
    const same = planSriovWizard(inv, { pf: "0000:3b:00.0", count: 4, autoprobe: true, vfs: [{ index: 3, vfio: true }] }, [], { confirm: true });
    expect(same.vfs[0]).toMatchObject({ address: "0000:3b:02.3", predicted: false });
    expect(planOf(same.outcome).steps.map((s) => describeStep(s.step))[0]).toBe("echo 0000:3b:02.3 > bus/pci/devices/0000:3b:02.3/driver/unbind   # from iavf");
    expect(same.hostLoses).toEqual(["enp59s2f3 (VF 3) leaves the host for vfio-pci"]);
  });

  it("refuses a count change while a QEMU holds a VF, naming it, with no override; once it exits the count changes", async () => {
    const host = simulatedHost(work, "server");
    await host.executor.apply(
      planOf(planSriovWizard(host.inventory(), { pf: "0000:18:00.1", count: 2, autoprobe: false, vfs: [{ index: 0, vfio: true }] }, []).outcome),
    );
    host.kernel.openVfio("0000:19:10.1", {
      pid: 812,
      comm: "qemu-system-x86",
      argv: ["qemu-system-x86_64", "-name", "guest=handmade", "-device", "vfio-pci,host=0000:19:10.1"],
    });
    const again = planSriovWizard(host.inventory(), { pf: "0000:18:00.1", count: 3, autoprobe: false, vfs: [] }, [], { confirm: true, force: true });
    expect(again.outcome.kind === "refused" && again.outcome.refusals.map((r) => [r.code, r.override])).toEqual([["vfs-in-use", null]]);
    if (again.outcome.kind === "refused") expect(again.outcome.refusals[0]?.reason).toContain("0000:19:10.1 is held by qemu-system-x86 pid 812 (VM handmade)");
    host.kernel.endProcess(812);
    // on vfio-pci still, opened by nobody: the kernel removes it at once, so nothing stands in the way
    expect(host.device("0000:19:10.1")).toMatchObject({ driver: "vfio-pci", hold: null });
    const free = planSriovWizard(host.inventory(), { pf: "0000:18:00.1", count: 3, autoprobe: false, vfs: [] }, []);
    expect((await host.executor.apply(planOf(free.outcome))).ok).toBe(true);
    expect(host.device("0000:18:00.1")?.sriov?.numVfs).toBe(3);
  });
});

describe("planDevicePassthrough", () => {
  it("takes every endpoint of a multifunction GPU's group along and says what the host loses", async () => {
    const host = simulatedHost(work, "desktop");
    host.kernel.loadDriver("vfio-pci"); // the desktop boots without it: modprobe vfio-pci
    const inv = host.inventory();
    const gpu = inv.devices.find(
      (d) =>
        d.classId.startsWith("03") &&
        inv.groups.find((g) => g.id === d.iommuGroup)!.endpoints.length === 2 &&
        d.hostCritical.length === 0 &&
        d.driver !== "vfio-pci",
    )!;
    const group = inv.groups.find((g) => g.id === gpu.iommuGroup)!;
    const preview = planDevicePassthrough(inv, gpu.address);
    expect(preview.endpoints).toEqual(group.endpoints);
    expect(preview.hostLoses.some((l) => l.startsWith(`display ${gpu.address}`))).toBe(true);
    // Claiming it from early boot: by the group's IDs, with vfio-pci loaded before each host driver.
    const members = group.endpoints.map((a) => inv.devices.find((d) => d.address === a)!);
    expect(preview.bootBinding).toEqual({
      ids: members.map((m) => `${m.vendorId}:${m.deviceId}`),
      hostDrivers: [...new Set(members.map((m) => m.driver!))],
      display: true,
      sameIdElsewhere: [],
    });
    const plan = planOf(preview.outcome);
    expect((await host.executor.apply(plan)).ok).toBe(true);
    const after = host.inventory();
    expect(group.endpoints.map((a) => after.devices.find((d) => d.address === a)?.driver)).toEqual(group.endpoints.map(() => "vfio-pci"));
    expect(group.bridges.map((a) => after.devices.find((d) => d.address === a)?.driver)).toEqual(
      group.bridges.map((a) => inv.devices.find((d) => d.address === a)?.driver),
    );
  });
});
