import { isPciAddress } from "@/lib/pci-address";
import type { KernelFs } from "./fs";
import { resolveLink } from "./fs";
import type { PciIds } from "./pci-ids";
import type { LinkState, PciDevice, SriovInfo } from "./types";

const DEVICES = "bus/pci/devices";

/** A device as read from its sysfs directory, before cross-device facts (bridge kind, VF index, netdevs) are added. */
export type RawPciDevice = Omit<PciDevice, "bridge" | "vfIndex" | "netdevs" | "blockDevices" | "hostCritical"> & {
  hasSecondaryBus: boolean;
};

export function listPciAddresses(sys: KernelFs): string[] {
  return sys.list(DEVICES).filter(isPciAddress);
}

export function readPciDevice(sys: KernelFs, address: string, ids: PciIds): RawPciDevice {
  const linkRel = `${DEVICES}/${address}`;
  const sysfsPath = resolveLink(linkRel, sys.readLink(linkRel));
  const dir = sysfsPath;
  const entries = new Set(sys.list(dir));

  const vendorId = hex(sys.read(`${dir}/vendor`), 4);
  const deviceId = hex(sys.read(`${dir}/device`), 4);
  const classId = hex(sys.read(`${dir}/class`), 6);
  const subsystemVendorId = entries.has("subsystem_vendor") ? hex(sys.read(`${dir}/subsystem_vendor`), 4) : null;
  const subsystemDeviceId = entries.has("subsystem_device") ? hex(sys.read(`${dir}/subsystem_device`), 4) : null;
  const revision = entries.has("revision") ? hex(sys.read(`${dir}/revision`), 2) : null;

  const segments = sysfsPath.split("/");
  const rootBus = segments.find((s) => s.startsWith("pci")) ?? "pci";
  const parentChain = segments.filter(isPciAddress).slice(0, -1);

  return {
    address,
    sysfsPath,
    vendorId,
    deviceId,
    subsystemVendorId,
    subsystemDeviceId,
    classId,
    revision,
    vendorName: ids.vendor(vendorId),
    deviceName: ids.device(vendorId, deviceId),
    subsystemName:
      subsystemVendorId && subsystemDeviceId
        ? ids.subsystem(vendorId, deviceId, subsystemVendorId, subsystemDeviceId)
        : null,
    className: ids.className(classId),
    driver: entries.has("driver") ? baseName(sys.readLink(`${dir}/driver`)) : null,
    driverOverride: entries.has("driver_override") ? overrideValue(sys.read(`${dir}/driver_override`)) : null,
    iommuGroup: entries.has("iommu_group") ? Number(baseName(sys.readLink(`${dir}/iommu_group`))) : null,
    numaNode: entries.has("numa_node") ? numaValue(sys.read(`${dir}/numa_node`)) : null,
    link: entries.has("current_link_speed") ? readLinkState(sys, dir) : null,
    parentChain,
    rootBus,
    reset: {
      available: entries.has("reset"),
      methods: entries.has("reset_method") ? splitWords(sys.readOptional(`${dir}/reset_method`)) : null,
    },
    sriov: entries.has("sriov_totalvfs") ? readSriov(sys, dir, entries) : null,
    physfn: entries.has("physfn") ? baseName(sys.readLink(`${dir}/physfn`)) : null,
    hasSecondaryBus: entries.has("pci_bus"),
  };
}

function readSriov(sys: KernelFs, dir: string, entries: Set<string>): SriovInfo {
  const optionalInt = (name: string) => (entries.has(name) ? intValue(sys.readOptional(`${dir}/${name}`)) : null);
  const vfLinks = [...entries]
    .filter((e) => /^virtfn\d+$/.test(e))
    .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  const autoprobe = entries.has("sriov_drivers_autoprobe") ? sys.readOptional(`${dir}/sriov_drivers_autoprobe`) : null;
  const vfDevice = entries.has("sriov_vf_device") ? sys.readOptional(`${dir}/sriov_vf_device`) : null;
  return {
    totalVfs: intValue(sys.read(`${dir}/sriov_totalvfs`)) ?? 0,
    numVfs: intValue(sys.read(`${dir}/sriov_numvfs`)) ?? 0,
    offset: optionalInt("sriov_offset"),
    stride: optionalInt("sriov_stride"),
    vfDeviceId: vfDevice ? hex(vfDevice, 4) : null,
    driversAutoprobe: autoprobe === null ? null : autoprobe.trim() === "1",
    vfs: vfLinks.map((name) => baseName(sys.readLink(`${dir}/${name}`))),
  };
}

function readLinkState(sys: KernelFs, dir: string): LinkState {
  const currentSpeed = cleanSpeed(sys.readOptional(`${dir}/current_link_speed`));
  const maxSpeed = cleanSpeed(sys.readOptional(`${dir}/max_link_speed`));
  const currentWidth = intValue(sys.readOptional(`${dir}/current_link_width`));
  const maxWidth = intValue(sys.readOptional(`${dir}/max_link_width`));
  const cur = gts(currentSpeed);
  const max = gts(maxSpeed);
  const downgraded =
    (cur !== null && max !== null && cur < max) ||
    (currentWidth !== null && maxWidth !== null && currentWidth > 0 && currentWidth < maxWidth);
  return { currentSpeed, currentWidth, maxSpeed, maxWidth, downgraded };
}

/** "0x10de" → "10de"; keeps exactly `width` lowercase digits as the CLI contract promises. */
function hex(raw: string, width: number): string {
  const digits = raw.trim().toLowerCase().replace(/^0x/, "");
  return digits.padStart(width, "0").slice(-width);
}

function baseName(linkTarget: string): string {
  return linkTarget.slice(linkTarget.lastIndexOf("/") + 1);
}

function overrideValue(raw: string): string | null {
  const v = raw.trim();
  return v === "" || v === "(null)" ? null : v;
}

function numaValue(raw: string): number | null {
  const n = Number.parseInt(raw, 10);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function intValue(raw: string | null): number | null {
  if (raw === null) return null;
  const n = Number.parseInt(raw.trim(), 10);
  return Number.isFinite(n) ? n : null;
}

function splitWords(raw: string | null): string[] | null {
  return raw === null ? null : raw.split(/\s+/).filter(Boolean);
}

function cleanSpeed(raw: string | null): string | null {
  if (raw === null) return null;
  const v = raw.trim();
  return v === "" || v.startsWith("Unknown") ? null : v;
}

function gts(speed: string | null): number | null {
  if (!speed) return null;
  const n = Number.parseFloat(speed);
  return Number.isFinite(n) ? n : null;
}

/** Which PCI device a class/net or class/block entry belongs to: the deepest PCI address on its resolved path. */
export function owningPciAddress(resolvedPath: string): string | null {
  const segments = resolvedPath.split("/");
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    if (isPciAddress(s)) return s;
  }
  return null;
}

export { baseName };
