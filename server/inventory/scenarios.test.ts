/** The inventory over every demo scenario: real group memberships, drivers, verdicts and host-critical reasons. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeScenarioByName } from "@/server/simulator/catalog";
import { describeHold } from "@/server/host/holders";
import type { Inventory, PciDevice } from "@/server/host/types";
import { isReady } from "./readiness";
import { scanInventory } from "./scan";

const work = mkdtempSync(join(tmpdir(), "passdeck-inv-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function scan(name: string): Inventory {
  return scanInventory({ ...writeScenarioByName(name, join(work, name)), demo: name });
}
const dev = (inv: Inventory, address: string): PciDevice => {
  const d = inv.devices.find((x) => x.address === address);
  if (!d) throw new Error(`${address} missing from the inventory`);
  return d;
};
const groupOf = (inv: Inventory, address: string) => inv.groups.find((g) => g.devices.includes(address))!;
const check = (inv: Inventory, id: string) => inv.readiness.find((c) => c.id === id)!;

describe("desktop: consumer board with a GPU and a non-ACS chipset", () => {
  const inv = scan("desktop");

  it("puts the GPU and its HDMI audio in one shared group, because they are one multifunction device", () => {
    const g = groupOf(inv, "0000:01:00.0");
    expect(g.devices).toEqual(["0000:01:00.0", "0000:01:00.1"]);
    expect(g.verdict).toBe("shared");
    expect(g.reasons.join(" ")).toMatch(/multifunction/);
    expect(dev(inv, "0000:01:00.0")).toMatchObject({ driver: "nouveau", vendorId: "10de", deviceId: "2484", classId: "030000" });
    expect(dev(inv, "0000:01:00.1").driver).toBe("snd_hda_intel");
  });

  it("merges the PCH root ports and everything below them, and calls the group host-critical for the NIC", () => {
    const g = groupOf(inv, "0000:03:00.0");
    expect(g.devices).toEqual(["0000:00:1c.0", "0000:00:1c.4", "0000:03:00.0", "0000:04:00.0"]);
    expect(g.bridges).toEqual(["0000:00:1c.0", "0000:00:1c.4"]);
    expect(g.endpoints).toEqual(["0000:03:00.0", "0000:04:00.0"]);
    expect(g.verdict).toBe("host-critical");
    expect(g.reasons.join(" ")).toMatch(/multifunction/);
  });

  it("marks the default-route NIC and the root disk host-critical with the reason in words", () => {
    const nic = dev(inv, "0000:03:00.0");
    expect(nic.netdevs.map((n) => n.name)).toEqual(["enp3s0"]);
    expect(nic.hostCritical).toContain("enp3s0 carries the default route (IPv4 and IPv6)");
    expect(nic.hostCritical.join(" ")).toContain("192.168.1.10/24");
    const nvme = dev(inv, "0000:02:00.0");
    expect(nvme.blockDevices.map((b) => b.name)).toEqual(["nvme0n1"]);
    expect(nvme.hostCritical).toEqual(expect.arrayContaining(["nvme0n1 (nvme0n1p2) holds / (ext4)", "nvme0n1 (nvme0n1p1) holds /boot/efi (vfat)"]));
    expect(dev(inv, "0000:00:06.0").hostCritical).toEqual(["upstream of host-critical 0000:02:00.0"]);
    expect(dev(inv, "0000:00:06.0").bridge).toBe("root-port");
    expect(groupOf(inv, "0000:02:00.0").verdict).toBe("host-critical");
  });

  it("groups the chipset's multifunction device and leaves the GPU's root port apart", () => {
    expect(groupOf(inv, "0000:00:1f.0").devices).toEqual(["0000:00:1f.0", "0000:00:1f.3", "0000:00:1f.4", "0000:00:1f.5"]);
    expect(groupOf(inv, "0000:00:01.0").devices).toEqual(["0000:00:01.0"]);
    expect(dev(inv, "0000:01:00.0").parentChain).toEqual(["0000:00:01.0"]);
  });

  it("is ready for passthrough, with vfio-pci not yet loaded as a warning", () => {
    expect(inv.facts.iommu).toMatchObject({ enabled: true, vendor: "intel", acpiTable: "DMAR", interruptRemapping: "enabled" });
    expect(check(inv, "kernel-iommu").status).toBe("pass");
    expect(check(inv, "vfio").status).toBe("warn");
    expect(isReady(inv.readiness)).toBe(true);
  });
});

describe("server: SR-IOV NICs and NVMe, a Proxmox-style bridge, LVM root", () => {
  const inv = scan("server");

  it("reads the PF's SR-IOV state and its VFs, each VF in its own group", () => {
    const pf = dev(inv, "0000:3b:00.0");
    expect(pf.sriov).toMatchObject({ totalVfs: 64, numVfs: 4, offset: 16, stride: 1, vfDeviceId: "154c", driversAutoprobe: true });
    expect(pf.sriov!.vfs).toEqual(["0000:3b:02.0", "0000:3b:02.1", "0000:3b:02.2", "0000:3b:02.3"]);
    pf.sriov!.vfs.forEach((vf, i) => {
      expect(dev(inv, vf)).toMatchObject({ physfn: "0000:3b:00.0", vfIndex: i, driver: "iavf", deviceId: "154c", sriov: null });
      const g = groupOf(inv, vf);
      expect(g.devices).toEqual([vf]);
      expect(g.verdict).toBe("isolated");
    });
    expect(dev(inv, "0000:3b:00.1").sriov).toMatchObject({ totalVfs: 64, numVfs: 0, vfs: [] });
    expect(dev(inv, "0000:5e:00.0").sriov).toMatchObject({ totalVfs: 32, numVfs: 0 });
  });

  it("explains the BMC's group by the PCIe-to-PCI bridge", () => {
    expect(dev(inv, "0000:02:00.0").bridge).toBe("pci-bridge");
    expect(dev(inv, "0000:03:00.0").link).toBeNull();
    const g = groupOf(inv, "0000:03:00.0");
    expect(g.devices).toContain("0000:02:00.0");
    expect(g.reasons.join(" ")).toMatch(/PCIe-to-PCI bridge/);
  });

  it("traces the default route through vmbr0 to the I350 port, and / through LVM to the AHCI controller", () => {
    const mgmt = dev(inv, "0000:18:00.0");
    expect(mgmt.netdevs[0]).toMatchObject({ name: "eno1", uppers: ["vmbr0"] });
    expect(mgmt.hostCritical.join(" | ")).toContain("eno1 (via vmbr0) carries the default");
    expect(mgmt.hostCritical.join(" | ")).toContain("10.0.0.5/24");
    expect(dev(inv, "0000:18:00.1").hostCritical).toEqual([]);
    const ahci = dev(inv, "0000:00:17.0");
    expect(ahci.hostCritical).toEqual(expect.arrayContaining(["sda (dm-0) holds / (ext4)", "sda (dm-1) is in use as swap"]));
    expect(groupOf(inv, "0000:3b:00.0").verdict).toBe("isolated");
  });

  it("names the Proxmox VE QEMU that holds the I210 on vfio-pci, from its open group file and command line", () => {
    const nic = dev(inv, "0000:86:00.0");
    expect(nic.driver).toBe("vfio-pci");
    expect(nic.hold).toEqual({
      kernel: "vfio-open",
      holders: [
        {
          pid: 2817,
          command: "kvm",
          guest: { name: "router", uuid: null, vmid: 101 },
          manager: "proxmox",
          startedAt: null,
          evidence: "open",
        },
      ],
    });
    expect(describeHold(nic.hold!)).toBe("held by kvm pid 2817 (VM 101 router, Proxmox VE)");
    expect(groupOf(inv, "0000:86:00.0").devices).toEqual(["0000:86:00.0"]);
    // nothing else is held: every other device sits on its host driver (or merely on vfio-pci)
    expect(inv.devices.filter((d) => d.hold !== null).map((d) => d.address)).toEqual(["0000:86:00.0"]);
  });

  it("sees vfio-pci loaded and the NUMA nodes", () => {
    expect(check(inv, "vfio").status).toBe("pass");
    expect(dev(inv, "0000:3b:00.0").numaNode).not.toBeNull();
    expect(inv.facts.kernelParams).toMatchObject({ intel_iommu: "on", iommu: "pt" });
  });
});

describe("iommu-off: VT-d in firmware, IOMMU off in the kernel", () => {
  const inv = scan("iommu-off");

  it("has no groups and says exactly what to change", () => {
    expect(inv.facts.iommu.enabled).toBe(false);
    expect(inv.groups).toEqual([]);
    expect(inv.devices.every((d) => d.iommuGroup === null)).toBe(true);
    expect(check(inv, "firmware-iommu").status).toBe("pass");
    expect(check(inv, "kernel-iommu")).toMatchObject({ status: "fail" });
    expect(check(inv, "kernel-iommu").fix).toContain("intel_iommu=on");
    expect(check(inv, "interrupt-remapping").status).toBe("warn");
    expect(isReady(inv.readiness)).toBe(false);
  });

  it("flags a PF with sriov_totalvfs 0 as SR-IOV disabled in the BIOS", () => {
    const zero = inv.devices.filter((d) => d.sriov?.totalVfs === 0);
    expect(zero.length).toBeGreaterThan(0);
    expect(check(inv, "sriov").status).toBe("warn");
    expect(check(inv, "sriov").fix).toContain("SR-IOV");
  });
});

describe("amd: AMD-Vi host", () => {
  const inv = scan("amd");

  it("detects AMD-Vi, groups the Radeon with its audio, and maps a btrfs root through its source device", () => {
    expect(inv.facts.iommu).toMatchObject({ enabled: true, vendor: "amd", acpiTable: "IVRS" });
    expect(inv.facts.cpu.virtualization).toBe("svm");
    expect(groupOf(inv, "0000:0b:00.0").devices).toEqual(["0000:0b:00.0", "0000:0b:00.1"]);
    expect(dev(inv, "0000:05:00.0").hostCritical.join(" ")).toContain("default");
    const rootDisk = inv.devices.find((d) => d.blockDevices.some((b) => b.mounts.some((m) => m.mountpoint === "/")));
    expect(rootDisk?.hostCritical.join(" ")).toContain("holds / (btrfs)");
    expect(isReady(inv.readiness)).toBe(true);
  });

  it("the X520 on a second LAN with only a SLAAC address and an RA-learned default: host notices, not host-critical", () => {
    const x520 = dev(inv, "0000:07:00.0");
    expect(x520.netdevs[0]!.addresses.filter((a) => a.scope === "global")).toEqual([
      { family: "inet6", address: "2001:db8:60:0:92e2:baff:fe4a:5b6c", prefixLength: 64, scope: "global", origin: "autoconf" },
    ]);
    expect(inv.facts.defaultRoute).toEqual({ ipv4: "enp5s0", ipv6: "enp5s0", ipv6Ra: ["enp7s0"] });
    expect(x520.hostCritical).toEqual([]);
    expect(x520.hostNotices).toEqual([
      "enp7s0 has autoconfigured (SLAAC) address 2001:db8:60:0:92e2:baff:fe4a:5b6c/64 — no sockets use it",
      "enp7s0 has an IPv6 default route learned from a router advertisement, used by no socket",
    ]);
    // the configured address of the X550 stays host-critical
    expect(dev(inv, "0000:05:00.0").hostCritical).toContain("enp5s0 has address 192.168.50.2/24, 2001:db8:50::2/64");
  });
});

describe("bench-1000", () => {
  // Writing 1,000 device directories takes ~1 s on a quiet machine and much longer on a loaded 2-core one.
  it("has 1,000 functions and four PFs with 128 VFs each", { timeout: 180_000 }, () => {
    const inv = scan("bench-1000");
    expect(inv.devices).toHaveLength(1000);
    const pfs = inv.devices.filter((d) => d.sriov);
    expect(pfs.map((p) => p.sriov!.numVfs)).toEqual([128, 128, 128, 128]);
    expect(new Set(inv.devices.map((d) => d.address)).size).toBe(1000);
    const vfGroups = pfs.flatMap((p) => p.sriov!.vfs).map((vf) => dev(inv, vf).iommuGroup);
    expect(new Set(vfGroups).size).toBe(512);
  });
});
