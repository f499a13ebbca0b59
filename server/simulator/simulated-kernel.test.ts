/** The simulated kernel against the kernel's answers: after every write a fresh scan must read what Linux would show. */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scanInventory } from "@/server/inventory/scan";
import type { Inventory, PciDevice } from "@/server/host/types";
import { getScenario } from "./catalog";
import { kstrtobool, kstrtoul, SimulatedKernel, type SimulatedKernelOptions } from "./simulated-kernel";
import type { ScenarioSpec } from "./spec";

const work = fs.mkdtempSync(join(tmpdir(), "passdeck-simkernel-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
let runs = 0;

function boot(spec: ScenarioSpec | string = "server", options: SimulatedKernelOptions = {}): SimulatedKernel {
  return SimulatedKernel.create(typeof spec === "string" ? getScenario(spec) : spec, join(work, `run-${runs++}`), options);
}
const scan = (k: SimulatedKernel): Inventory => scanInventory({ sysRoot: k.sysRoot, procRoot: k.procRoot });
const dev = (inv: Inventory, address: string): PciDevice => {
  const d = inv.devices.find((x) => x.address === address);
  if (!d) throw new Error(`${address} missing from the inventory`);
  return d;
};
const has = (inv: Inventory, address: string) => inv.devices.some((d) => d.address === address);
/** the errno code a write fails with, or "ok" */
const outcome = (k: SimulatedKernel, path: string, value: string): string => {
  try {
    k.write(path, value);
    return "ok";
  } catch (err) {
    return (err as { code: string }).code;
  }
};
const sys = (k: SimulatedKernel, rel: string) => join(k.sysRoot, rel);
const read = (k: SimulatedKernel, rel: string) => fs.readFileSync(sys(k, rel), "utf8");
const exists = (k: SimulatedKernel, rel: string) => fs.existsSync(sys(k, rel));

const PF1 = "0000:3b:00.1"; // X710 port 1 (i40e): 64 VFs possible at offset 79, stride 1, none enabled
const PF1_VFS = ["0000:3b:0a.0", "0000:3b:0a.1", "0000:3b:0a.2"]; // 0x3b01 + 79 + i
const NUMVFS = `bus/pci/devices/${PF1}/sriov_numvfs`;

describe("sriov_numvfs", () => {
  it("creates VFs at offset/stride, each with physfn, its own new IOMMU group, iavf and a netdev", () => {
    const k = boot();
    const before = scan(k);
    const bootGroups = new Set(before.groups.map((g) => g.id));
    k.write(NUMVFS, "3\n");

    const inv = scan(k);
    const pf = dev(inv, PF1);
    expect(pf.sriov).toMatchObject({ totalVfs: 64, numVfs: 3, vfs: PF1_VFS, driversAutoprobe: true });
    const groups = PF1_VFS.map((a) => dev(inv, a).iommuGroup!);
    expect(new Set(groups).size).toBe(3);
    for (const [i, address] of PF1_VFS.entries()) {
      const vf = dev(inv, address);
      expect(vf).toMatchObject({ physfn: PF1, vfIndex: i, driver: "iavf", deviceId: "154c", vendorId: "8086", parentChain: ["0000:3a:00.0"] });
      expect(bootGroups.has(vf.iommuGroup!)).toBe(false);
      expect(inv.groups.find((g) => g.id === vf.iommuGroup)!.devices).toEqual([address]);
      expect(fs.readlinkSync(sys(k, `bus/pci/devices/${PF1}/virtfn${i}`))).toBe(`../${address}`);
      expect(fs.readlinkSync(sys(k, `bus/pci/devices/${address}/physfn`))).toBe(`../${PF1}`);
      expect(fs.readlinkSync(sys(k, `bus/pci/drivers/iavf/${address}`))).toMatch(new RegExp(`/${address}$`));
    }
    expect(PF1_VFS.map((a) => dev(inv, a).netdevs.map((n) => [n.name, n.operstate]))).toEqual([
      [["enp59s10", "down"]],
      [["enp59s10f1", "down"]],
      [["enp59s10f2", "down"]],
    ]);
    expect(read(k, "class/net/enp59s10f2/ifindex")).not.toBe(read(k, "class/net/enp59s10f1/ifindex"));
    expect(read(k, `bus/pci/devices/${PF1_VFS[0]}/uevent`)).toMatch(/^DRIVER=iavf\n/);
    // the boot-time functions keep their groups
    for (const d of before.devices) expect(dev(inv, d.address).iommuGroup).toBe(d.iommuGroup);
  });

  it("answers EBUSY for 3 → 2, ERANGE above sriov_totalvfs, EINVAL for junk, and a no-op for the same count", () => {
    const k = boot();
    k.write(NUMVFS, "3");
    expect(outcome(k, NUMVFS, "2")).toBe("EBUSY");
    expect(k.dmesg()).toContain(`i40e ${PF1}: 3 VFs already enabled. Disable before enabling 2 VFs`);
    expect(outcome(k, NUMVFS, "65")).toBe("ERANGE");
    for (const junk of ["three", "-1", " 3", "3\n\n", "65536", ""]) expect([junk, outcome(k, NUMVFS, junk)]).toEqual([junk, junk === "" ? "ok" : "EINVAL"]);
    expect(outcome(k, NUMVFS, "3\n")).toBe("ok");
    expect(dev(scan(k), PF1).sriov!.vfs).toEqual(PF1_VFS);
  });

  it("removes every VF with 0: directories, links, groups, drivers' links and netdevs", () => {
    const k = boot();
    const bootGroups = fs.readdirSync(sys(k, "kernel/iommu_groups")).sort();
    k.write(NUMVFS, "3");
    const vfGroups = PF1_VFS.map((a) =>
      fs
        .readlinkSync(sys(k, `bus/pci/devices/${a}/iommu_group`))
        .split("/")
        .pop()!,
    );
    k.write(NUMVFS, "0");

    const inv = scan(k);
    expect(dev(inv, PF1).sriov).toMatchObject({ numVfs: 0, vfs: [] });
    for (const a of PF1_VFS) {
      expect(has(inv, a)).toBe(false);
      expect(exists(k, `bus/pci/drivers/iavf/${a}`)).toBe(false);
      expect(exists(k, `devices/virtual/iommu/dmar0/devices/${a}`)).toBe(false);
    }
    for (const g of vfGroups) expect(exists(k, `kernel/iommu_groups/${g}`)).toBe(false);
    expect(fs.readdirSync(sys(k, "kernel/iommu_groups")).sort()).toEqual(bootGroups);
    expect(fs.readdirSync(sys(k, `bus/pci/devices/${PF1}`)).filter((e) => e.startsWith("virtfn"))).toEqual([]);
    expect(fs.readdirSync(sys(k, "class/net")).filter((n) => n.startsWith("enp59s10"))).toEqual([]);
    // freed group ids are handed out again, lowest first (the kernel's IDA)
    k.write(NUMVFS, "1");
    expect(
      fs
        .readlinkSync(sys(k, `bus/pci/devices/${PF1_VFS[0]}/iommu_group`))
        .split("/")
        .pop(),
    ).toBe(vfGroups[0]);
  });

  it("leaves VFs driverless when sriov_drivers_autoprobe is 0", () => {
    const k = boot();
    k.write(`bus/pci/devices/${PF1}/sriov_drivers_autoprobe`, "0\n");
    expect(read(k, `bus/pci/devices/${PF1}/sriov_drivers_autoprobe`)).toBe("0\n");
    k.write(NUMVFS, "2");
    const inv = scan(k);
    expect(dev(inv, PF1).sriov!.driversAutoprobe).toBe(false);
    for (const a of PF1_VFS.slice(0, 2)) expect(dev(inv, a)).toMatchObject({ driver: null, netdevs: [], physfn: PF1 });
    // an explicit probe without an override is refused by pci_device_can_probe() too, as the rig saw
    k.write("bus/pci/drivers_probe", PF1_VFS[0]!);
    expect(outcome(k, "bus/pci/drivers/iavf/bind", PF1_VFS[0]!)).toBe("ENODEV");
    expect(dev(scan(k), PF1_VFS[0]!).driver).toBeNull();
    expect(outcome(k, `bus/pci/devices/${PF1}/sriov_drivers_autoprobe`, "maybe")).toBe("EINVAL");
  });

  it("spills the I350's VFs onto the next bus, loads igbvf for them and removes the virtual bus with the last VF", () => {
    const k = boot();
    expect(exists(k, "bus/pci/drivers/igbvf")).toBe(false);
    k.write("bus/pci/devices/0000:18:00.0/sriov_numvfs", "2");
    const inv = scan(k);
    // 0x1800 + 0x180 + 4i: bus 0x19, device 16, functions 0 and 4
    expect(dev(inv, "0000:18:00.0").sriov!.vfs).toEqual(["0000:19:10.0", "0000:19:10.4"]);
    expect(dev(inv, "0000:19:10.4")).toMatchObject({ driver: "igbvf", physfn: "0000:18:00.0", vfIndex: 1 });
    expect(exists(k, "class/pci_bus/0000:19")).toBe(true);
    expect(read(k, "module/igbvf/initstate")).toBe("live\n");
    expect(read(k, "../proc/modules")).toMatch(/^igbvf \d+ 0 - Live/m);
    k.write("bus/pci/devices/0000:18:00.0/sriov_numvfs", "0");
    expect(exists(k, "class/pci_bus/0000:19")).toBe(false);
    expect(exists(k, "devices/pci0000:17/0000:17:00.0/pci_bus/0000:19")).toBe(false);
  });

  it("refuses without a PF driver (ENOENT), and models drivers that enable fewer VFs or lack MMIO space", () => {
    const k = boot("server", { pfQuirks: { [PF1]: { maxVfs: 2 }, "0000:3b:00.0": { noVfMmio: true } }, driversWithoutSriov: ["nvme"] });
    k.write(NUMVFS, "5");
    expect(dev(scan(k), PF1).sriov).toMatchObject({ numVfs: 2, vfs: PF1_VFS.slice(0, 2) });
    expect(k.dmesg()).toContain(`i40e ${PF1}: 5 VFs requested; only 2 enabled`);
    expect(outcome(k, "bus/pci/devices/0000:3b:00.0/sriov_numvfs", "0")).toBe("ok"); // PF0 has 4 VFs at boot
    expect(outcome(k, "bus/pci/devices/0000:3b:00.0/sriov_numvfs", "1")).toBe("ENOMEM");
    expect(outcome(k, "bus/pci/devices/0000:5e:00.0/sriov_numvfs", "1")).toBe("ENOENT");
    k.write("bus/pci/devices/0000:18:00.1/driver/unbind", "0000:18:00.1");
    expect(outcome(k, "bus/pci/devices/0000:18:00.1/sriov_numvfs", "1")).toBe("ENOENT");
    expect(outcome(k, "bus/pci/devices/0000:18:00.1/sriov_numvfs", "0")).toBe("ok"); // same count: no driver needed
  });

  it("reaches the same attribute through the device's real path and through its netdev", () => {
    const k = boot();
    k.write(`devices/pci0000:3a/0000:3a:00.0/${PF1}/sriov_numvfs`, "1");
    expect(outcome(k, "class/net/ens1f1/device/sriov_numvfs", "0")).toBe("ok");
    expect(dev(scan(k), PF1).sriov!.numVfs).toBe(0);
    expect(k.writes().map((w) => w.target)).toEqual([
      `devices/pci0000:3a/0000:3a:00.0/${PF1}/sriov_numvfs`,
      `devices/pci0000:3a/0000:3a:00.0/${PF1}/sriov_numvfs`,
    ]);
  });
});

describe("driver binding", () => {
  // the server's I210 sits on vfio-pci from boot (VM 101's QEMU has it open): its group file always exists
  const I210 = (k: SimulatedKernel) => dev(scan(k), "0000:86:00.0").iommuGroup!;

  it("moves a VF to vfio-pci: driver_override, unbind, drivers_probe; /dev/vfio gets its group", () => {
    const k = boot();
    k.write(NUMVFS, "3");
    const vf = PF1_VFS[1]!;
    const group = dev(scan(k), vf).iommuGroup!;
    expect(k.vfioGroups()).toEqual([I210(k)]);

    k.write(`bus/pci/devices/${vf}/driver_override`, "vfio-pci\n");
    expect(dev(scan(k), vf)).toMatchObject({ driver: "iavf", driverOverride: "vfio-pci" }); // the override does not unbind
    k.write(`bus/pci/devices/${vf}/driver/unbind`, vf);
    let inv = scan(k);
    expect(dev(inv, vf)).toMatchObject({ driver: null, netdevs: [] });
    expect(exists(k, "class/net/enp59s10f1")).toBe(false);
    k.write("bus/pci/drivers_probe", `${vf}\n`);

    inv = scan(k);
    expect(dev(inv, vf)).toMatchObject({ driver: "vfio-pci", netdevs: [], iommuGroup: group });
    expect(fs.readlinkSync(sys(k, `bus/pci/devices/${vf}/driver`))).toBe("../../../../bus/pci/drivers/vfio-pci");
    expect(exists(k, `bus/pci/drivers/vfio-pci/${vf}`)).toBe(true);
    expect(read(k, `bus/pci/devices/${vf}/enable`)).toBe("0\n");
    expect(k.vfioGroups()).toEqual([I210(k), group].sort((a, b) => a - b));

    // and back: clear the override ("\n"), unbind, probe: iavf again with a fresh netdev
    k.write(`bus/pci/devices/${vf}/driver_override`, "\n");
    expect(read(k, `bus/pci/devices/${vf}/driver_override`)).toBe("(null)\n");
    k.write("bus/pci/drivers/vfio-pci/unbind", vf);
    expect(k.vfioGroups()).toEqual([I210(k)]);
    k.write("bus/pci/drivers_probe", vf);
    expect(dev(scan(k), vf)).toMatchObject({ driver: "iavf", netdevs: [expect.objectContaining({ name: "enp59s10f1", operstate: "down" })] });
  });

  it("succeeds at drivers_probe with an override naming an unloaded driver and leaves the device unbound", () => {
    const k = boot();
    const a = "0000:5e:00.0";
    k.write(`bus/pci/devices/${a}/driver_override`, "pci-stub");
    k.write(`bus/pci/devices/${a}/driver/unbind`, a);
    expect(outcome(k, "bus/pci/drivers_probe", a)).toBe("ok");
    expect(dev(scan(k), a)).toMatchObject({ driver: null, driverOverride: "pci-stub", blockDevices: [] });
    expect(outcome(k, "bus/pci/drivers/pci-stub/bind", a)).toBe("ENOENT");
    expect(outcome(k, "bus/pci/drivers_probe", "0000:5e:00.7")).toBe("ENODEV");
  });

  it("refuses vfio-pci for a PF with VFs: bind → EBUSY, drivers_probe → success but unbound", () => {
    const k = boot();
    const pf0 = "0000:3b:00.0"; // 4 VFs at boot
    k.write(`bus/pci/devices/${pf0}/driver_override`, "vfio-pci");
    // the NVMe's driver leaves SR-IOV enabled on unbind (as the rig saw), so it is the PF that keeps its VFs
    const nvme = "0000:5e:00.0";
    k.write(`bus/pci/devices/${nvme}/sriov_numvfs`, "2");
    k.write(`bus/pci/devices/${nvme}/driver_override`, "vfio-pci");
    k.write("bus/pci/drivers/nvme/unbind", nvme);
    expect(dev(scan(k), nvme).sriov!.numVfs).toBe(2);
    expect(k.dmesg()).toContain(`nvme ${nvme}: driver left SR-IOV enabled after remove`);
    expect(outcome(k, "bus/pci/drivers/vfio-pci/bind", nvme)).toBe("EBUSY");
    expect(k.dmesg()).toContain(`vfio-pci ${nvme}: Cannot bind to PF with SR-IOV enabled`);
    expect(outcome(k, "bus/pci/drivers_probe", nvme)).toBe("ok");
    expect(dev(scan(k), nvme).driver).toBeNull();
    expect(k.vfioGroups()).toEqual([I210(k)]);
    // with the PF unbound, its VF count cannot change any more
    expect(outcome(k, `bus/pci/devices/${nvme}/sriov_numvfs`, "0")).toBe("ENOENT");
  });

  it("destroys a NIC PF's VFs when its driver unbinds, then binds the PF to vfio-pci", () => {
    const k = boot();
    const pf0 = "0000:3b:00.0";
    const vfs = dev(scan(k), pf0).sriov!.vfs;
    expect(vfs).toHaveLength(4);
    k.write(`bus/pci/devices/${pf0}/driver_override`, "vfio-pci");
    k.write(`bus/pci/devices/${pf0}/driver/unbind`, pf0);
    k.write("bus/pci/drivers/vfio-pci/bind", pf0);
    const inv = scan(k);
    expect(dev(inv, pf0)).toMatchObject({ driver: "vfio-pci", netdevs: [] });
    expect(dev(inv, pf0).sriov).toMatchObject({ numVfs: 0, vfs: [] });
    for (const a of vfs) expect(has(inv, a)).toBe(false);
    expect(k.vfioGroups()).toEqual([dev(inv, pf0).iommuGroup!, I210(k)].sort((a, b) => a - b));
  });

  it("removes a NIC's netdev with its routes and addresses on unbind; a new bind brings it back down and bare", () => {
    const k = boot();
    expect(dev(scan(k), "0000:18:00.0").netdevs[0]).toMatchObject({ name: "eno1", uppers: ["vmbr0"] });
    k.write("bus/pci/drivers/igb/unbind", "0000:18:00.0");
    let inv = scan(k);
    expect(dev(inv, "0000:18:00.0")).toMatchObject({ driver: null, netdevs: [] });
    expect(exists(k, "class/net/eno1")).toBe(false);
    expect(fs.readdirSync(sys(k, "class/net/vmbr0/brif"))).toEqual([]);
    expect(fs.readdirSync(sys(k, "class/net/vmbr0")).filter((e) => e.startsWith("lower_"))).toEqual([]);
    expect(read(k, "../proc/net/if_inet6")).not.toMatch(/ eno1\n/);

    k.write("bus/pci/drivers/igb/bind", "0000:18:00.0\n");
    inv = scan(k);
    expect(dev(inv, "0000:18:00.0").netdevs).toEqual([{ name: "eno1", mac: "ac:1f:6b:2d:4e:10", operstate: "down", addresses: [], uppers: [] }]);
    expect(Number(read(k, "class/net/eno1/ifindex"))).toBeGreaterThan(Number(read(k, "class/net/vmbr0/ifindex")));
  });

  it("drops the routes and addresses of a NIC that carried the default route itself", () => {
    const k = boot("desktop");
    const before = scan(k);
    const nic = before.devices.find((d) => d.netdevs.some((n) => n.name === before.facts.defaultRoute.ipv4))!;
    expect(nic.netdevs[0]!.addresses.map((a) => a.address)).toContain("192.168.1.10");
    k.write(`bus/pci/devices/${nic.address}/driver/unbind`, nic.address);
    const after = scan(k);
    expect(after.facts.defaultRoute.ipv4).toBeNull();
    expect(dev(after, nic.address).netdevs).toEqual([]);
    for (const file of ["route", "fib_trie", "if_inet6", "ipv6_route"]) expect(read(k, `../proc/net/${file}`)).not.toMatch(/enp3s0|192\.168\.1\.10/);
  });

  it("takes an NVMe's disks away on unbind and brings them back with the driver", () => {
    const k = boot();
    const a = "0000:5e:00.0";
    k.write(`bus/pci/devices/${a}/driver/unbind`, a);
    expect(exists(k, "class/block/nvme1n1")).toBe(false);
    expect(exists(k, "dev/block/259:0")).toBe(false);
    expect(dev(scan(k), a).blockDevices).toEqual([]);
    k.write("bus/pci/drivers_probe", a);
    expect(dev(scan(k), a)).toMatchObject({ driver: "nvme", blockDevices: [{ name: "nvme1n1", mounts: [] }] });
  });

  it("answers bind and unbind errors as bind_store/unbind_store do", () => {
    const k = boot();
    expect(outcome(k, "bus/pci/drivers/igb/bind", "0000:18:00.0")).toBe("EBUSY"); // already bound (to igb)
    expect(outcome(k, "bus/pci/drivers/igb/bind", "0000:3b:00.0")).toBe("ENODEV"); // not in igb's table
    expect(outcome(k, "bus/pci/drivers/igb/bind", "0000:99:00.0")).toBe("ENODEV"); // no such device
    expect(outcome(k, "bus/pci/drivers/igb/unbind", "0000:3b:00.0")).toBe("ENODEV"); // bound, but to i40e
    k.write("bus/pci/drivers/nvme/unbind", "0000:5e:00.0");
    // vfio-pci without an override or a dynamic ID does not match
    expect(outcome(k, "bus/pci/drivers/vfio-pci/bind", "0000:5e:00.0")).toBe("ENODEV");
    expect(outcome(k, "bus/pci/devices/0000:5e:00.0/driver/unbind", "0000:5e:00.0")).toBe("ENOENT"); // no driver link
    expect(outcome(k, "bus/pci/drivers/nosuch/bind", "0000:5e:00.0")).toBe("ENOENT");
  });

  it("stores driver_override as driver_set_override does", () => {
    const k = boot();
    const a = "0000:5e:00.0";
    const path = `bus/pci/devices/${a}/driver_override`;
    k.write(path, "vfio-pci\nignored");
    expect(read(k, path)).toBe("vfio-pci\n");
    k.write(path, ""); // a zero-length write never reaches store()
    expect(read(k, path)).toBe("vfio-pci\n");
    k.write(path, "\0");
    expect(read(k, path)).toBe("(null)\n");
    expect(outcome(k, path, "x".repeat(4095))).toBe("EINVAL");
    expect(outcome(k, path, "x".repeat(4094))).toBe("ok");
  });

  it("adds and removes dynamic IDs: new_id binds every unbound device it now matches", () => {
    const k = boot();
    k.write(`bus/pci/devices/${PF1}/sriov_drivers_autoprobe`, "0");
    k.write(NUMVFS, "2");
    k.write(`bus/pci/devices/${PF1}/sriov_drivers_autoprobe`, "1");
    expect(outcome(k, "bus/pci/drivers/vfio-pci/new_id", "8086 154c")).toBe("ok");
    const inv = scan(k);
    expect(PF1_VFS.slice(0, 2).map((a) => dev(inv, a).driver)).toEqual(["vfio-pci", "vfio-pci"]);
    expect(dev(inv, "0000:3b:02.0").driver).toBe("iavf"); // PF0's boot VFs stay where they are
    expect(outcome(k, "bus/pci/drivers/vfio-pci/new_id", "8086 154c")).toBe("EEXIST");
    expect(outcome(k, "bus/pci/drivers/vfio-pci/remove_id", "8086 154c")).toBe("ok");
    expect(outcome(k, "bus/pci/drivers/vfio-pci/remove_id", "8086 154c")).toBe("ENODEV");
    expect(outcome(k, "bus/pci/drivers/vfio-pci/new_id", "8086")).toBe("EINVAL");
  });
});

describe("everything else", () => {
  it("refuses read-only attributes (EACCES), missing files (ENOENT), directories and unmodelled attributes", () => {
    const k = boot();
    expect(outcome(k, `bus/pci/devices/${PF1}/vendor`, "0x10de")).toBe("EACCES");
    expect(read(k, `bus/pci/devices/${PF1}/vendor`)).toBe("0x8086\n");
    expect(outcome(k, `bus/pci/devices/${PF1}/sriov_totalvfs`, "128")).toBe("EACCES");
    expect(outcome(k, `bus/pci/devices/${PF1}/nosuch`, "1")).toBe("ENOENT");
    expect(outcome(k, "bus/pci/devices/0000:19:00.0/sriov_numvfs", "1")).toBe("ENOENT");
    expect(outcome(k, "bus/pci/devices/0000:3b:02.0/sriov_numvfs", "1")).toBe("ENOENT"); // a VF has no SR-IOV files
    expect(outcome(k, `bus/pci/devices/${PF1}`, "1")).toBe("EISDIR");
    expect(outcome(k, "../proc/cmdline", "quiet")).toBe("ENOENT");
    expect(outcome(k, "../../../../etc/passwd", "x")).toBe("ENOENT");
    expect(outcome(k, "bus/pci/rescan", "1")).toBe("EOPNOTSUPP");
    expect(outcome(k, `bus/pci/devices/${PF1}/reset`, "1")).toBe("ok");
    expect(outcome(k, `bus/pci/devices/${PF1}/reset`, "2")).toBe("EINVAL");
  });

  it("logs every write with the attribute it reached and its outcome", () => {
    const k = boot();
    outcome(k, NUMVFS, "1");
    outcome(k, NUMVFS, "2");
    outcome(k, `bus/pci/devices/${PF1}/vendor`, "1");
    outcome(k, "nosuch", "1");
    expect(k.writes()).toEqual([
      { path: NUMVFS, value: "1", target: `devices/pci0000:3a/0000:3a:00.0/${PF1}/sriov_numvfs`, error: null },
      { path: NUMVFS, value: "2", target: `devices/pci0000:3a/0000:3a:00.0/${PF1}/sriov_numvfs`, error: "EBUSY" },
      { path: `bus/pci/devices/${PF1}/vendor`, value: "1", target: `devices/pci0000:3a/0000:3a:00.0/${PF1}/vendor`, error: "EACCES" },
      { path: "nosuch", value: "1", target: null, error: "ENOENT" },
    ]);
  });

  it("binds nothing to vfio-pci without an IOMMU, and loads vfio-pci on demand", () => {
    const spec = getScenario("iommu-off");
    const k = boot(spec);
    const nic = spec.pci.find((f) => f.netdevs?.length)!;
    if (!spec.host.vfioLoaded) {
      expect(exists(k, "bus/pci/drivers/vfio-pci")).toBe(false);
      k.write(`bus/pci/devices/${nic.address}/driver_override`, "vfio-pci");
      k.loadDriver("vfio-pci");
      expect(exists(k, "bus/pci/drivers/vfio-pci/bind")).toBe(true);
      expect(scan(k).facts.vfio).toEqual({ pciDriverLoaded: true, modules: expect.arrayContaining(["vfio", "vfio_pci", "vfio_iommu_type1"]) });
    } else k.write(`bus/pci/devices/${nic.address}/driver_override`, "vfio-pci");
    k.write(`bus/pci/devices/${nic.address}/driver/unbind`, nic.address);
    expect(outcome(k, "bus/pci/drivers/vfio-pci/bind", nic.address)).toBe("EINVAL");
    expect(dev(scan(k), nic.address).driver).toBeNull();
  });

  it("parses numbers and booleans as kstrtoul(…, 0) and kstrtobool do", () => {
    expect(["3", "+3", "3\n", "0x10", "010", "0"].map(kstrtoul)).toEqual([3n, 3n, 3n, 16n, 8n, 0n]);
    expect(["", "08", "0x", " 1", "1 ", "-1", "18446744073709551616"].map(kstrtoul)).toEqual([null, null, null, null, null, null, null]);
    expect(["1", "y", "on", "0", "N", "off", "2", "", "o"].map(kstrtobool)).toEqual([true, true, true, false, false, false, null, null, null]);
  });
});
