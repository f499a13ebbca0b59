/**
 * Passdeck inside a real Linux guest (the kernel rig): a Debian 6.1 kernel on an emulated q35 with an Intel IOMMU,
 * SR-IOV igb and NVMe, a PCIe-to-PCI bridge, a multifunction endpoint, a root port without ACS and a PCIe switch
 * (topology.mjs). The production server and the CLI run in the guest against its real /sys and /proc; these tests
 * compare what they say with what the guest kernel says.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { guestExec, guestWrite } from "./rig.mjs";
import { devices as topologyDevices, expectedGroups, FORWARD_MAC, resolveAddress } from "./topology.mjs";
import { guestInventory, rig, sysfsPciAddresses, sysfsTruth, trpcQuery, waitFor, type GuestDevice, type GuestInventory, type SysfsDevice } from "./guest";

let inv: GuestInventory;
let truth: SysfsDevice[];

function dev(address: string, from: GuestInventory = inv): GuestDevice {
  const d = from.devices.find((x) => x.address === address);
  if (!d) throw new Error(`${address} is not in Passdeck's inventory`);
  return d;
}

function addr(id: string, from: GuestInventory = inv): string {
  return resolveAddress(from.devices, id);
}

function groupOf(address: string, from: GuestInventory = inv) {
  const g = from.groups.find((x) => x.devices.includes(address));
  if (!g) throw new Error(`${address} is in no group of Passdeck's inventory`);
  return g;
}

beforeAll(async () => {
  rig();
  // Each run starts from the booted state: no VFs on the igb PF (a reused rig may have some from an earlier run).
  const pre = await guestInventory();
  const igb = resolveAddress(pre.devices, "igb");
  if (dev(igb, pre).sriov?.numVfs) {
    const r = await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0");
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
  }
  [inv, truth] = await Promise.all([guestInventory(), sysfsTruth()]);
});

describe("the inventory served from inside the guest is the guest kernel's own truth", () => {
  it("has the IOMMU on and the same groups, with the same members, as /sys/kernel/iommu_groups", () => {
    expect(inv.iommu.enabled).toBe(true);
    expect(inv.iommu.vendor).toBe("intel");
    const kernelGroups = new Map<number, string[]>();
    for (const t of truth) kernelGroups.set(t.group, [...(kernelGroups.get(t.group) ?? []), t.address]);
    expect(kernelGroups.size).toBeGreaterThan(10);
    expect(inv.iommu.groupCount).toBe(kernelGroups.size);
    expect(inv.groups.map((g) => g.id).sort((a, b) => a - b)).toEqual([...kernelGroups.keys()].sort((a, b) => a - b));
    for (const g of inv.groups) {
      expect(g.devices, `group ${g.id}`).toEqual([...(kernelGroups.get(g.id) ?? [])].sort());
    }
  });

  it("lists every PCI function with the kernel's IDs, group, driver and SR-IOV links", async () => {
    expect(inv.devices.map((d) => d.address).sort()).toEqual(await sysfsPciAddresses());
    for (const t of truth) {
      const d = dev(t.address);
      expect(
        {
          address: d.address,
          group: d.iommuGroup,
          vendor: d.vendorId,
          device: d.deviceId,
          class: d.classId,
          driver: d.driver,
          physfn: d.physfn,
          totalVfs: d.sriov?.totalVfs ?? null,
          numVfs: d.sriov?.numVfs ?? null,
          vfs: d.sriov?.vfs ?? [],
        },
        t.address,
      ).toEqual({
        address: t.address,
        group: t.group,
        vendor: t.vendor,
        device: t.device,
        class: t.class,
        driver: t.driver,
        physfn: t.physfn,
        totalVfs: t.totalVfs,
        numVfs: t.numVfs,
        vfs: t.vfs,
      });
    }
  });

  it("serves the same groups and verdicts through the tRPC API on the forwarded port", async () => {
    const served = await trpcQuery<{ iommuEnabled: boolean; groups: GuestInventory["groups"] }>("groups.list");
    expect(served.iommuEnabled).toBe(true);
    expect(served.groups.map((g) => ({ id: g.id, devices: g.devices, verdict: g.verdict, reasons: g.reasons }))).toEqual(
      inv.groups.map((g) => ({ id: g.id, devices: g.devices, verdict: g.verdict, reasons: g.reasons })),
    );
  });

  it("finds every topology device where the topology put it, with the expected IDs and drivers", () => {
    for (const t of topologyDevices.filter((x) => x.kind !== "nvme-subsys")) {
      const d = dev(addr(t.id));
      if (t.expect?.vendorId) expect(d.vendorId, t.id).toBe(t.expect.vendorId);
      if (t.expect?.deviceId) expect(d.deviceId, t.id).toBe(t.expect.deviceId);
      if (t.expect?.driver) expect(d.driver, t.id).toBe(t.expect.driver);
    }
  });
});

describe("the groups the kernel forms for each real reason, with Passdeck's verdicts and reasons", () => {
  it.each(expectedGroups.map((g) => [g.name, g] as const))("%s", (_name, expected) => {
    const members = expected.members.map((id) => addr(id)).sort();
    const g = groupOf(members[0]!);
    expect(g.devices).toEqual(members);
    expect(g.verdict).toBe(expected.verdict);
    if (expected.reason) expect(g.reasons.join("\n")).toMatch(expected.reason);
    else expect(g.reasons).toEqual([]);
  });
});

describe("SR-IOV physical functions", () => {
  it("reports the igb PF with sriov_totalvfs 7 and the NVMe PF with 4", () => {
    for (const t of topologyDevices.filter((x) => x.expect?.totalVfs !== undefined)) {
      const d = dev(addr(t.id));
      expect(d.sriov, t.id).not.toBeNull();
      expect(d.sriov!.totalVfs, t.id).toBe(t.expect!.totalVfs);
      expect(d.sriov!.numVfs, t.id).toBe(0);
    }
    expect(dev(addr("igb")).sriov!.totalVfs).toBe(7);
    expect(dev(addr("nvme_sriov")).sriov!.totalVfs).toBe(4);
  });
});

describe("the forwarded virtio NIC", () => {
  it("is host-critical because it carries the default route", () => {
    const fwd = dev(addr("fwd"));
    expect(fwd.netdevs.length).toBe(1);
    expect(truth.find((t) => t.address === fwd.address)?.driver).toBe("virtio-pci");
    const reasons = fwd.hostCritical.join("\n");
    expect(reasons).toMatch(/default (IPv4 |IPv6 )?route/);
    expect(reasons).toContain("10.0.2.15/24");
    expect(groupOf(fwd.address).verdict).toBe("host-critical");
  });

  it("is the interface with the rig's MAC (names are not stable)", async () => {
    const fwd = dev(addr("fwd"));
    const name = fwd.netdevs[0]!;
    const r = await guestExec(["cat", `/sys/class/net/${name}/address`]);
    expect(r.stdout.trim()).toBe(FORWARD_MAC);
  });
});

describe("enabling VFs in the guest kernel", () => {
  it("echo 3 > sriov_numvfs on the igb PF gives 3 igbvf VFs in their own groups, in the CLI and the API", async () => {
    const pf = addr("igb");
    const numvfs = `/sys/bus/pci/devices/${pf}/sriov_numvfs`;
    const echo = await guestExec(["sh", "-c", `echo 3 > ${numvfs}`]);
    expect(echo.code, echo.stderr).toBe(0);

    // No udev: the rig's mdev rule loads igbvf for the new VFs, as udev would. Wait until all three are bound.
    const after = await waitFor("3 igb VFs bound to igbvf", sysfsTruth, (t) => t.filter((x) => x.physfn === pf && x.driver === "igbvf").length === 3, 120_000);
    const kernelVfs = after.find((t) => t.address === pf)!.vfs;
    expect(kernelVfs).toHaveLength(3);

    // The CLI in the guest.
    const cli = await guestInventory();
    const pfDev = dev(pf, cli);
    expect(pfDev.sriov!.numVfs).toBe(3);
    expect(pfDev.sriov!.vfs).toEqual(kernelVfs);
    const pfGroup = groupOf(pf, cli);
    const vfGroups = new Set<number>();
    kernelVfs.forEach((vfAddress, i) => {
      const vf = dev(vfAddress, cli);
      expect(vf.physfn, vfAddress).toBe(pf);
      expect(vf.vfIndex, vfAddress).toBe(i);
      expect(vf.driver, vfAddress).toBe("igbvf");
      expect(vf.deviceId, vfAddress).toBe(pfDev.sriov!.vfDeviceId);
      const g = groupOf(vfAddress, cli);
      expect(g.devices, vfAddress).toEqual([vfAddress]);
      expect(g.id).not.toBe(pfGroup.id);
      expect(g.id).toBe(after.find((t) => t.address === vfAddress)!.group);
      vfGroups.add(g.id);
    });
    expect(vfGroups.size).toBe(3);

    // The production server through the forward (its inventory cache lives 2 s: poll).
    const served = await waitFor(
      "groups.list with the 3 VFs",
      () => trpcQuery<{ groups: GuestInventory["groups"] }>("groups.list"),
      (r) => kernelVfs.every((vf) => r.groups.some((g) => g.devices.length === 1 && g.devices[0] === vf)),
      60_000,
    );
    expect(
      served.groups
        .filter((g) => kernelVfs.includes(g.devices[0]!))
        .map((g) => g.id)
        .sort(),
    ).toEqual([...vfGroups].sort());
    const { devices } = await trpcQuery<{ devices: GuestDevice[] }>("devices.list");
    expect(devices.find((d) => d.address === pf)!.sriov!.vfs).toEqual(kernelVfs);
    for (const [i, vfAddress] of kernelVfs.entries()) {
      const vf = devices.find((d) => d.address === vfAddress)!;
      expect({ physfn: vf.physfn, vfIndex: vf.vfIndex, driver: vf.driver }).toEqual({ physfn: pf, vfIndex: i, driver: "igbvf" });
    }
  });

  it("refuses a different non-zero numvfs with EBUSY, as the kernel does", async () => {
    const pf = addr("igb");
    const r = await guestWrite(`/sys/bus/pci/devices/${pf}/sriov_numvfs`, "2");
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe("EBUSY");
  });
});
