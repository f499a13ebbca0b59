/** A PCI function's sysfs directory, its bus, its driver's binding and the driver/module directories. */
import { groupOf, hex, HEX, type Host, type ModuleInfo } from "./host-model";
import type { LinkSpeed, PciFunction } from "./spec";
import { writeDisks } from "./sysfs-block";
import { writeGroupMember } from "./sysfs-iommu";
import { writeNetdev } from "./sysfs-net";
import { parentOf, type Tree } from "./tree";

/** A function's directory with everything but its driver's doing, and its place in its IOMMU group. */
export function writeDevice(t: Tree, h: Host, f: PciFunction): void {
  writeFunction(t, h, f);
  const group = groupOf(h, f.address);
  if (group !== null) writeGroupMember(t, h, f.address, group);
}

export function writeModule(t: Tree, m: ModuleInfo, drivers: readonly string[]): void {
  t.attr(`module/${m.name}/refcnt`, m.usedBy.length);
  t.attr(`module/${m.name}/initstate`, "live");
  for (const d of drivers) t.link(`module/${m.name}/drivers/pci:${d}`, `bus/pci/drivers/${d}`);
}

export function linkSpeed(s: LinkSpeed): string {
  return `${s % 1 === 0 ? s.toFixed(1) : String(s)} GT/s PCIe`;
}

function writeFunction(t: Tree, h: Host, f: PciFunction): void {
  const s = f.spec;
  const dir = h.devPath.get(f.address)!;
  const a = (name: string, value: string | number) => t.attr(`${dir}/${name}`, value);

  a("vendor", `0x${hex(s.vendor, 4)}`);
  a("device", `0x${hex(s.device, 4)}`);
  a("subsystem_vendor", `0x${hex(s.subsystemVendor, 4)}`);
  a("subsystem_device", `0x${hex(s.subsystemDevice, 4)}`);
  a("class", `0x${hex(s.class, 6)}`);
  a("revision", `0x${hex(s.revision, 2)}`);
  a("numa_node", s.numaNode ?? -1);
  a("driver_override", s.driverOverride ?? h.spec.host.driverOverrideUnset);
  writeDriverAttrs(t, h, f);
  a("modalias", modalias(s));
  t.file(`${dir}/config`, configSpace(f));

  if (s.link === "integrated") {
    // an RC integrated endpoint has a PCIe capability but no link registers
    a("current_link_speed", "Unknown");
    a("current_link_width", 0);
    a("max_link_speed", "Unknown");
    a("max_link_width", 0);
  } else if (s.link) {
    a("current_link_speed", linkSpeed(s.link.speed));
    a("current_link_width", s.link.width);
    a("max_link_speed", linkSpeed(s.link.maxSpeed));
    a("max_link_width", s.link.maxWidth);
  }
  if (s.resetMethods && s.resetMethods.length > 0) {
    t.file(`${dir}/reset`, "");
    a("reset_method", s.resetMethods.join(" "));
  }

  t.link(`${dir}/subsystem`, "bus/pci");
  t.link(`bus/pci/devices/${f.address}`, dir);
  const group = groupOf(h, f.address);
  if (group !== null) {
    t.link(`${dir}/iommu_group`, `kernel/iommu_groups/${group}`);
    if (h.iommuUnit) t.link(`${dir}/iommu`, h.iommuUnit.dir);
  }

  if (f.physfn) {
    const pf = h.topology.byAddress.get(f.physfn)!;
    const pfDir = h.devPath.get(f.physfn)!;
    t.link(`${dir}/physfn`, pfDir);
    t.link(`${pfDir}/virtfn${f.vfIndex}`, dir);
    // VFs past the PF's bus sit on a virtual bus that hangs off the PF's parent bridge (made with its first VF)
    const parentDir = parentOf(dir);
    const bus = `${hex(f.parts.domain, 4)}:${hex(f.parts.bus, 2)}`;
    if (f.parts.bus !== pf.parts.bus && !t.has(`${parentDir}/pci_bus/${bus}`)) writePciBus(t, parentDir, bus, parentDir);
  }
  if (s.sriov) {
    const v = s.sriov;
    a("sriov_totalvfs", v.totalVfs);
    a("sriov_numvfs", v.numVfs);
    a("sriov_offset", v.offset);
    a("sriov_stride", v.stride);
    a("sriov_vf_device", hex(v.vfDevice, 4));
    a("sriov_drivers_autoprobe", v.autoprobe === false ? 0 : 1);
  }
  if (f.secondaryBus !== null) writePciBus(t, dir, `${hex(f.parts.domain, 4)}:${hex(f.secondaryBus, 2)}`, dir);
}

/** pci_uevent(): PCI_CLASS is %04X, so no leading zeros beyond four digits; the IDs upper-case. */
function modalias(s: PciFunction["spec"]): string {
  return (
    `pci:v${HEX(s.vendor, 8)}d${HEX(s.device, 8)}sv${HEX(s.subsystemVendor, 8)}sd${HEX(s.subsystemDevice, 8)}` +
    `bc${HEX(s.class >> 16, 2)}sc${HEX((s.class >> 8) & 0xff, 2)}i${HEX(s.class & 0xff, 2)}`
  );
}

/** The attributes that follow the bound driver: `enable` and the uevent's DRIVER= line. */
export function writeDriverAttrs(t: Tree, h: Host, f: PciFunction): void {
  const s = f.spec;
  const dir = h.devPath.get(f.address)!;
  // enable counts pci_enable_device() calls: drivers enable at probe, vfio-pci only when a VM opens the device
  t.attr(`${dir}/enable`, s.driver && s.driver !== "vfio-pci" ? 1 : 0);
  const uevent = [
    ...(s.driver ? [`DRIVER=${s.driver}`] : []),
    `PCI_CLASS=${HEX(s.class, 4)}`,
    `PCI_ID=${HEX(s.vendor, 4)}:${HEX(s.device, 4)}`,
    `PCI_SUBSYS_ID=${HEX(s.subsystemVendor, 4)}:${HEX(s.subsystemDevice, 4)}`,
    `PCI_SLOT_NAME=${f.address}`,
    `MODALIAS=${modalias(s)}`,
  ];
  t.file(`${dir}/uevent`, `${uevent.join("\n")}\n`);
}

/** What a bound driver adds: the driver links both ways, then the class devices it creates (netdevs, disks). */
export function writeBinding(t: Tree, h: Host, f: PciFunction): void {
  const s = f.spec;
  if (!s.driver) return;
  const dir = h.devPath.get(f.address)!;
  t.link(`${dir}/driver`, `bus/pci/drivers/${s.driver}`);
  t.link(`bus/pci/drivers/${s.driver}/${f.address}`, dir);
  for (const n of h.net) if (n.owner === f.address) writeNetdev(t, h, n);
  const ctrl = s.driver === "nvme" ? h.nvmeCtrl.get(f.address) : undefined;
  if (ctrl) {
    const c = `${dir}/nvme/${ctrl}`;
    t.attr(`${c}/model`, (s.disks?.[0]?.model ?? "NVMe SSD").padEnd(40));
    t.attr(`${c}/serial`, `S${hex(f.parts.bus * 256 + f.parts.device, 6).toUpperCase()}NX0R`.padEnd(20));
    t.attr(`${c}/firmware_rev`, "2B2QEXM7");
    t.attr(`${c}/state`, "live");
    t.link(`${c}/device`, dir);
    t.link(`class/nvme/${ctrl}`, c);
  }
  const first = s.driver === "ahci" ? h.ataBase.get(f.address) : undefined;
  if (first !== undefined) {
    for (let p = 0; p < (s.sataPorts ?? 6); p++) t.dir(`${dir}/ata${first + p + 1}/host${first + p}/scsi_host/host${first + p}`);
  }
  if (ctrl || first !== undefined) writeDisks(t, h, f);
}

/** A pci_bus class device: devices/…/pci_bus/0000:03 with the bus's `device` link to the bridge (or host bridge). */
export function writePciBus(t: Tree, ownerDir: string, busName: string, deviceDir: string): void {
  const dir = `${ownerDir}/pci_bus/${busName}`;
  t.attr(`${dir}/cpuaffinity`, "3");
  t.attr(`${dir}/cpulistaffinity`, "0-1");
  t.file(`${dir}/rescan`, "");
  t.link(`${dir}/device`, deviceDir);
  t.link(`${dir}/subsystem`, "class/pci_bus");
  t.link(`class/pci_bus/${busName}`, dir);
}

/** The first 64 bytes of config space as the device would answer them; the rest reads as zeros. */
function configSpace(f: PciFunction): Uint8Array {
  const s = f.spec;
  const buf = Buffer.alloc(f.pcie ? 4096 : 256);
  buf.writeUInt16LE(s.vendor, 0);
  buf.writeUInt16LE(s.device, 2);
  buf.writeUInt8(s.revision, 8);
  buf.writeUInt8(s.class & 0xff, 9);
  buf.writeUInt8((s.class >> 8) & 0xff, 10);
  buf.writeUInt8(s.class >> 16, 11);
  buf.writeUInt8((f.multifunction ? 0x80 : 0) | (s.bridge ? 1 : 0), 14);
  if (s.bridge) {
    buf.writeUInt8(f.parts.bus, 0x18);
    buf.writeUInt8(f.secondaryBus ?? 0, 0x19);
  } else {
    buf.writeUInt16LE(s.subsystemVendor, 0x2c);
    buf.writeUInt16LE(s.subsystemDevice, 0x2e);
  }
  return buf;
}

export function writeDriver(t: Tree, driver: string, module: string | null): void {
  const dir = `bus/pci/drivers/${driver}`;
  for (const file of ["bind", "unbind", "new_id", "remove_id"]) t.file(`${dir}/${file}`, "");
  if (module) t.link(`${dir}/module`, `module/${module}`);
}
