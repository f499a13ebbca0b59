/** IOMMU groups, the IOMMU unit (dmar0 / ivhd0) and the firmware's ACPI tables (DMAR / IVRS). */
import type { Host } from "./host-model";
import type { Tree } from "./tree";

/** A function's place in its IOMMU group: the group's directory (made with its first member) and both links. */
export function writeGroupMember(t: Tree, h: Host, address: string, group: number): void {
  const dir = `kernel/iommu_groups/${group}`;
  if (!t.has(dir)) {
    const pt = /(^|\s)(iommu=pt|iommu\.passthrough=1)(\s|$)/.test(h.spec.host.cmdline);
    t.attr(`${dir}/type`, h.spec.host.iommu.defaultDomain ?? (pt ? "identity" : "DMA-FQ"));
  }
  t.link(`${dir}/devices/${address}`, h.devPath.get(address)!);
  if (h.iommuUnit) t.link(`${h.iommuUnit.dir}/devices/${address}`, h.devPath.get(address)!);
}

/** The IOMMU unit's own attributes (the groups are written with their members). */
export function writeIommu(t: Tree, h: Host): void {
  if (!h.allocator || !h.iommuUnit) return;
  const unit = h.iommuUnit;
  if (unit.name.startsWith("dmar")) {
    t.attr(`${unit.dir}/intel-iommu/version`, "1:0");
    t.attr(`${unit.dir}/intel-iommu/cap`, "d2008c40660462");
    t.attr(`${unit.dir}/intel-iommu/ecap`, "f050da");
    t.attr(`${unit.dir}/intel-iommu/address`, "fed90000");
  } else {
    t.attr(`${unit.dir}/amd-iommu/cap`, "0x00203040");
    t.attr(`${unit.dir}/amd-iommu/features`, "25bf732fa2295afe:53d");
  }
  t.link(`class/iommu/${unit.name}`, unit.dir);
}

/** An ACPI table: the 36-byte header (signature, length, checksum, OEM IDs) and a few bytes of body. */
function acpiTable(signature: string, body: number[]): Uint8Array {
  const buf = Buffer.alloc(36 + body.length);
  buf.write(signature, 0, "latin1");
  buf.writeUInt32LE(buf.length, 4);
  buf.writeUInt8(1, 8);
  buf.write("ALASKA", 10, "latin1");
  buf.write("A M I   ", 16, "latin1");
  buf.writeUInt32LE(1, 24);
  buf.write("INTL", 28, "latin1");
  buf.writeUInt32LE(0x20200717, 32);
  Buffer.from(body).copy(buf, 36);
  let sum = 0;
  for (const b of buf) sum = (sum + b) & 0xff;
  buf.writeUInt8((0x100 - sum) & 0xff, 9);
  return buf;
}

export function writeFirmware(t: Tree, h: Host): void {
  for (const sig of ["APIC", "DSDT", "FACP", "MCFG"]) t.file(`firmware/acpi/tables/${sig}`, acpiTable(sig, [0, 0, 0, 0]));
  const { vendor, acpiTable: present, interruptRemapping } = h.spec.host.iommu;
  // DMAR: host address width, flags (bit 0: interrupt remapping supported); IVRS: IVinfo
  if (present && vendor === "intel") t.file("firmware/acpi/tables/DMAR", acpiTable("DMAR", [38, interruptRemapping ? 1 : 0, ...Array<number>(10).fill(0)]));
  if (present && vendor === "amd") t.file("firmware/acpi/tables/IVRS", acpiTable("IVRS", [0x43, 0x30, 0x20, 0, ...Array<number>(8).fill(0)]));
}
