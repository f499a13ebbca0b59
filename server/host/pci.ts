import { isPciAddress } from "@/lib/pci-address";
import type { KernelFs } from "./fs";
import { resolveLink } from "./fs";
import type { PciIds } from "./pci-ids";
import type { LinkState, PciDevice, SriovInfo } from "./types";

const DEVICES = "bus/pci/devices";

/** A device as read from its sysfs directory, before cross-device facts (bridge kind, VF index, netdevs) are added. */
export type RawPciDevice = Omit<PciDevice, "bridge" | "vfIndex" | "netdevs" | "blockDevices" | "hostCritical" | "hostNotices" | "hold">;

export function listPciAddresses(sys: KernelFs): string[] {
  return sys.list(DEVICES).filter(isPciAddress);
}

/**
 * What does not change while a device exists: IDs, class, names, position in the tree, NUMA node, maximum link,
 * which optional attributes it has. Cached per device directory identity (a removed and re-created device, a new
 * VF at an old address, gets a new kernfs inode), so a warm scan re-reads only what can change.
 */
interface StableFacts {
  identity: string;
  base: Omit<RawPciDevice, "driver" | "driverOverride" | "link" | "reset" | "sriov">;
  entries: Set<string>;
  maxSpeed: string | null;
  maxWidth: number | null;
  totalVfs: number | null;
  vfDeviceId: string | null;
  /** a lean read's driver, from the same uevent (DRIVER=, the name the driver link is named after); undefined: none */
  ueventDriver?: string | null;
}

export class PciReadCache {
  readonly byAddress = new Map<string, StableFacts>();
}

export interface PciReadOptions {
  /** keeps what cannot change per device between scans (ignored by a lean read) */
  cache?: PciReadCache | undefined;
  /** gets the names in the device's directory when this call listed it (not a cached listing: net/ comes and goes
   * with the driver), for the scan's holders check */
  listed?: Map<string, ReadonlySet<string>>;
  /**
   * Only what `passdeck inventory --json` prints (server/cli/format.ts inventoryJson): the revision, the subsystem's
   * name, link speeds and widths, reset methods and SR-IOV offset, stride and autoprobe are not read and stay null
   * (a link is still there or not: the bridge kinds depend on it). On 1,000 functions, ~5,000 files fewer. The
   * driver comes from the uevent read for the IDs (DRIVER=), not from one more readlink.
   */
  lean?: boolean;
}

/** A link whose speeds and widths a lean read left unread. */
const UNREAD_LINK: Readonly<LinkState> = { currentSpeed: null, currentWidth: null, maxSpeed: null, maxWidth: null, downgraded: false };

export function readPciDevice(sys: KernelFs, address: string, ids: PciIds, { cache, listed, lean = false }: PciReadOptions = {}): RawPciDevice {
  if (lean) cache = undefined; // the cache keeps full reads only
  const linkRel = `${DEVICES}/${address}`;
  const identity = cache ? sys.identity(linkRel) : null;
  let stable = cache?.byAddress.get(address);
  if (!stable || identity === null || stable.identity !== identity) {
    stable = readStableFacts(sys, address, ids, identity ?? "", lean);
    if (cache && identity !== null) cache.byAddress.set(address, stable);
    listed?.set(address, stable.entries);
  }
  const { base, entries } = stable;
  const dir = base.sysfsPath;
  const driverLink = lean && stable.ueventDriver !== undefined ? null : sys.readLinkOptional(`${dir}/driver`);
  return {
    ...base,
    driver: lean && stable.ueventDriver !== undefined ? stable.ueventDriver : driverLink === null ? null : baseName(driverLink),
    driverOverride: entries.has("driver_override") ? overrideValue(sys.read(`${dir}/driver_override`)) : null,
    link: entries.has("current_link_speed") ? (lean ? { ...UNREAD_LINK } : readLinkState(sys, dir, stable.maxSpeed, stable.maxWidth)) : null,
    reset: {
      available: entries.has("reset"),
      // reset_method is writable (root may reorder or restrict it): read it every time.
      methods: entries.has("reset_method") && !lean ? splitWords(sys.readOptional(`${dir}/reset_method`)) : null,
    },
    sriov: stable.totalVfs !== null ? readSriov(sys, dir, entries, stable.totalVfs, stable.vfDeviceId, lean) : null,
  };
}

function readStableFacts(sys: KernelFs, address: string, ids: PciIds, identity: string, lean: boolean): StableFacts {
  const linkRel = `${DEVICES}/${address}`;
  const sysfsPath = resolveLink(linkRel, sys.readLink(linkRel));
  const dir = sysfsPath;
  const entries = sys.names(dir);

  // The uevent holds in one read what vendor, device, class and subsystem_* hold in five (pci_uevent() prints the
  // same fields of the device): a 1,000-function scan makes 12,000 fewer system calls. A capture reads the five
  // files, so that every version reads it; a tree without a usable uevent (an older capture) falls back to them.
  const ev = !sys.recording && entries.has("uevent") ? ueventIds(sys.readOptional(`${dir}/uevent`)) : null;
  const vendorId = hex(ev?.vendor ?? sys.read(`${dir}/vendor`), 4);
  const deviceId = hex(ev?.device ?? sys.read(`${dir}/device`), 4);
  const classId = hex(ev?.cls ?? sys.read(`${dir}/class`), 6);
  const subsystemVendorId = entries.has("subsystem_vendor") ? hex(ev?.subVendor ?? sys.read(`${dir}/subsystem_vendor`), 4) : null;
  const subsystemDeviceId = entries.has("subsystem_device") ? hex(ev?.subDevice ?? sys.read(`${dir}/subsystem_device`), 4) : null;
  const revision = entries.has("revision") && !lean ? hex(sys.read(`${dir}/revision`), 2) : null;

  const segments = sysfsPath.split("/");
  const rootBus = segments.find((s) => s.startsWith("pci")) ?? "pci";
  const parentChain = segments.filter(isPciAddress).slice(0, -1);
  const vfDevice = entries.has("sriov_vf_device") ? sys.readOptional(`${dir}/sriov_vf_device`) : null;

  return {
    identity,
    entries,
    maxSpeed: entries.has("max_link_speed") && !lean ? cleanSpeed(sys.readOptional(`${dir}/max_link_speed`)) : null,
    maxWidth: entries.has("max_link_width") && !lean ? intValue(sys.readOptional(`${dir}/max_link_width`)) : null,
    totalVfs: entries.has("sriov_totalvfs") ? (intValue(sys.read(`${dir}/sriov_totalvfs`)) ?? 0) : null,
    vfDeviceId: vfDevice ? hex(vfDevice, 4) : null,
    // a lean read is not cached, so the driver read with the IDs is this scan's
    ...(lean && ev ? { ueventDriver: ev.driver } : {}),
    base: {
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
      subsystemName: subsystemVendorId && subsystemDeviceId && !lean ? ids.subsystem(vendorId, deviceId, subsystemVendorId, subsystemDeviceId) : null,
      className: ids.className(classId),
      // The group is assigned when the device is added and kept for its lifetime.
      iommuGroup: entries.has("iommu_group") ? Number(baseName(sys.readLink(`${dir}/iommu_group`))) : null,
      numaNode: entries.has("numa_node") ? numaValue(sys.read(`${dir}/numa_node`)) : null,
      parentChain,
      rootBus,
      physfn: entries.has("physfn") ? baseName(sys.readLink(`${dir}/physfn`)) : null,
    },
  };
}

function readSriov(sys: KernelFs, dir: string, entries: Set<string>, totalVfs: number, vfDeviceId: string | null, lean: boolean): SriovInfo {
  const optionalInt = (name: string) => (entries.has(name) && !lean ? intValue(sys.readOptional(`${dir}/${name}`)) : null);
  const numVfs = intValue(sys.read(`${dir}/sriov_numvfs`)) ?? 0;
  const autoprobe = entries.has("sriov_drivers_autoprobe") && !lean ? sys.readOptional(`${dir}/sriov_drivers_autoprobe`) : null;
  // virtfn0..N-1 exist exactly while N VFs are enabled; a link that vanished mid-scan ends the list.
  const vfs: string[] = [];
  for (let i = 0; i < numVfs; i++) {
    const target = sys.readLinkOptional(`${dir}/virtfn${i}`);
    if (target === null) break;
    vfs.push(baseName(target));
  }
  return {
    totalVfs,
    numVfs,
    // offset and stride depend on NumVFs (ARI), so they are read with it.
    offset: optionalInt("sriov_offset"),
    stride: optionalInt("sriov_stride"),
    vfDeviceId,
    driversAutoprobe: autoprobe === null ? null : autoprobe.trim() === "1",
    vfs,
  };
}

function readLinkState(sys: KernelFs, dir: string, maxSpeed: string | null, maxWidth: number | null): LinkState {
  const currentSpeed = cleanSpeed(sys.readOptional(`${dir}/current_link_speed`));
  const currentWidth = intValue(sys.readOptional(`${dir}/current_link_width`));
  const cur = gts(currentSpeed);
  const max = gts(maxSpeed);
  const downgraded = (cur !== null && max !== null && cur < max) || (currentWidth !== null && maxWidth !== null && currentWidth > 0 && currentWidth < maxWidth);
  return { currentSpeed, currentWidth, maxSpeed, maxWidth, downgraded };
}

interface UeventIds {
  /** DRIVER=: the bound driver's name, null when none is bound */
  driver: string | null;
  vendor: string;
  device: string;
  cls: string;
  subVendor: string | null;
  subDevice: string | null;
}

/**
 * PCI_ID=VVVV:DDDD, PCI_CLASS=CCCCCC and PCI_SUBSYS_ID=SSSS:DDDD of a PCI device's uevent (hex, upper-case, the
 * class without its leading zeros); null when the IDs or the class are missing, so the caller reads the attributes.
 */
export function ueventIds(text: string | null): UeventIds | null {
  if (text === null) return null;
  let id: string | null = null;
  let cls: string | null = null;
  let subsys: string | null = null;
  let driver: string | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("DRIVER=")) driver = line.slice(7) || null;
    else if (line.startsWith("PCI_ID=")) id = line.slice(7);
    else if (line.startsWith("PCI_CLASS=")) cls = line.slice(10);
    else if (line.startsWith("PCI_SUBSYS_ID=")) subsys = line.slice(14);
  }
  const ids = id === null ? null : pair(id);
  if (ids === null || cls === null || !HEX_DIGITS.test(cls)) return null;
  const sub = subsys === null ? null : pair(subsys);
  return { driver, vendor: ids[0], device: ids[1], cls, subVendor: sub?.[0] ?? null, subDevice: sub?.[1] ?? null };
}

const HEX_DIGITS = /^[0-9A-Fa-f]{1,8}$/;

/** "8086:1572" → ["8086", "1572"]; null for anything else */
function pair(value: string): [string, string] | null {
  const colon = value.indexOf(":");
  if (colon < 0) return null;
  const a = value.slice(0, colon);
  const b = value.slice(colon + 1);
  return HEX_DIGITS.test(a) && HEX_DIGITS.test(b) ? [a, b] : null;
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
