import type { DeviceHold } from "./holders";
/**
 * The host as Passdeck sees it. Plain data (JSON-safe) so the same objects go to the CLI's --json,
 * the tRPC API and the pages. Every field names the sysfs/procfs file it comes from.
 */

export interface LinkState {
  /** current_link_speed, e.g. "8.0 GT/s PCIe" */
  currentSpeed: string | null;
  /** current_link_width */
  currentWidth: number | null;
  /** max_link_speed */
  maxSpeed: string | null;
  /** max_link_width */
  maxWidth: number | null;
  /** current below max in speed or width (GPUs and NICs also downclock at idle: this is a hint, not a fault) */
  downgraded: boolean;
}

export interface SriovInfo {
  /** sriov_totalvfs; 0 means the capability is there but firmware/BIOS gave it no VFs */
  totalVfs: number;
  /** sriov_numvfs */
  numVfs: number;
  /** sriov_offset / sriov_stride: where the VFs' routing IDs start and how far apart they are */
  offset: number | null;
  stride: number | null;
  /** sriov_vf_device, 4 hex digits */
  vfDeviceId: string | null;
  /** sriov_drivers_autoprobe */
  driversAutoprobe: boolean | null;
  /** virtfn0..N-1 resolved to addresses, in index order */
  vfs: string[];
}

export interface NetAddress {
  family: "inet" | "inet6";
  address: string;
  prefixLength: number | null;
  scope: "global" | "link" | "host";
  /**
   * Who made it. "static": configured by an admin or a network manager (IPv6 with IFA_F_PERMANENT in
   * /proc/net/if_inet6; every IPv4 address, as procfs cannot tell DHCP from static). "autoconf": IPv6 with a
   * lifetime, made by the kernel from a router advertisement (SLAAC) or added by a DHCPv6 client. "temporary":
   * an RFC 4941 privacy address (IFA_F_TEMPORARY).
   */
  origin: NetAddressOrigin;
}

export type NetAddressOrigin = "static" | "autoconf" | "temporary";

export interface NetDev {
  name: string;
  /** /sys/class/net/<name>/address */
  mac: string | null;
  /** /sys/class/net/<name>/operstate */
  operstate: string | null;
  /** from /proc/net/fib_trie + /proc/net/route (IPv4) and /proc/net/if_inet6 (IPv6) */
  addresses: NetAddress[];
  /** masters this interface is enslaved to, recursively (bridge, bond, vlan): upper_* links */
  uppers: string[];
}

export interface MountUse {
  /** the block device that is mounted (a partition, this disk, or a holder such as dm-0 / md0) */
  device: string;
  mountpoint: string;
  fstype: string;
}

export interface BlockDev {
  /** the disk name under /sys/class/block, e.g. nvme0n1 or sda */
  name: string;
  /** mounts on this disk, its partitions or anything holding them (LVM, md, dm-crypt); swap shows as [SWAP] */
  mounts: MountUse[];
}

export type BridgeKind = "root-port" | "upstream-port" | "downstream-port" | "pci-bridge";

export interface PciDevice {
  /** canonical address, the directory name under /sys/bus/pci/devices */
  address: string;
  /** path below the sysfs root the bus link resolves to, e.g. devices/pci0000:00/0000:00:1c.0/0000:02:00.0 */
  sysfsPath: string;
  vendorId: string;
  deviceId: string;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  /** class, 6 hex digits (base class, subclass, prog-if) */
  classId: string;
  revision: string | null;
  vendorName: string | null;
  deviceName: string | null;
  subsystemName: string | null;
  className: string | null;
  driver: string | null;
  /** driver_override; null when unset ("(null)" on older kernels, empty on newer) */
  driverOverride: string | null;
  iommuGroup: number | null;
  numaNode: number | null;
  link: LinkState | null;
  /** a PCI-to-PCI bridge or PCIe port: has a secondary bus and children */
  bridge: BridgeKind | null;
  /** addresses from the root port down to the direct parent (empty for devices on a root bus) */
  parentChain: string[];
  /** the root bus, e.g. pci0000:00 */
  rootBus: string;
  /** `reset` exists (any method: FLR, PM, bus, device-specific) and the `reset_method` list when the kernel has it */
  reset: { available: boolean; methods: string[] | null };
  sriov: SriovInfo | null;
  /** for a VF: its PF and its index (the virtfnN name on the PF pointing at it) */
  physfn: string | null;
  vfIndex: number | null;
  netdevs: NetDev[];
  blockDevices: BlockDev[];
  /** why the host itself depends on this device; empty when it does not */
  hostCritical: string[];
  /**
   * what the host has on this device that it does not depend on, but loses when the device changes: an
   * autoconfigured (SLAAC) or temporary address no socket uses, a router-advertised default route no socket
   * uses. A warning to acknowledge (confirm), never host-critical.
   */
  hostNotices: string[];
  /**
   * who holds it now, from the kernel (server/host/holders.ts): a process with its VFIO files open, a QEMU
   * command line naming it, vfio-pci's enable count, an interface in another network namespace; null when free
   */
  hold: DeviceHold | null;
}

export type GroupVerdictKind = "isolated" | "shared" | "host-critical" | "pf-with-vfs";

export interface IommuGroup {
  id: number;
  /** all members, sorted */
  devices: string[];
  /** members that would have to go to vfio-pci together (bridges and ports stay on their driver) */
  endpoints: string[];
  bridges: string[];
  verdict: GroupVerdictKind;
  /** the verdict in words */
  summary: string;
  /** why the members share the group, one sentence per cause */
  reasons: string[];
}

export type CheckStatus = "pass" | "warn" | "fail" | "info";

export interface ReadinessCheck {
  id: string;
  title: string;
  status: CheckStatus;
  /** what was read, with the file it came from */
  observed: string;
  /** the exact fix: BIOS item, kernel parameter, module; null when nothing is to be done */
  fix: string | null;
}

export interface HostFacts {
  hostname: string | null;
  kernelRelease: string | null;
  /** /proc/cmdline */
  cmdline: string;
  /** the parameters that matter for passthrough, as found on the command line (absent = not set) */
  kernelParams: Record<string, string | true>;
  cpu: { vendor: string | null; model: string | null; virtualization: "vmx" | "svm" | null };
  iommu: {
    /** /sys/class/iommu non-empty and /sys/kernel/iommu_groups populated */
    enabled: boolean;
    /** DMAR (Intel VT-d) or IVRS (AMD-Vi) ACPI table under firmware/acpi/tables */
    acpiTable: "DMAR" | "IVRS" | null;
    vendor: "intel" | "amd" | null;
    /** IOMMU units under /sys/class/iommu (dmar0, ivhd0, …) */
    units: string[];
    groupCount: number;
    /** from the interrupt chip names in /proc/interrupts (IR-PCI-MSI, IR-IO-APIC) */
    interruptRemapping: "enabled" | "disabled" | "unknown";
  };
  vfio: {
    /** /sys/bus/pci/drivers/vfio-pci exists */
    pciDriverLoaded: boolean;
    /** vfio modules present under /sys/module */
    modules: string[];
  };
  /**
   * interfaces carrying the default routes (/proc/net/route, /proc/net/ipv6_route): `ipv6` is the configured one
   * (not learned from a router advertisement), `ipv6Ra` the interfaces with an RA-learned default (RTF_ADDRCONF)
   */
  defaultRoute: { ipv4: string | null; ipv6: string | null; ipv6Ra: string[] };
}

export interface Inventory {
  scannedAt: string;
  /** "live" for the real host, otherwise what the roots point at (a scenario or a capture) */
  source: { sysRoot: string; procRoot: string; demo: string | null };
  facts: HostFacts;
  devices: PciDevice[];
  groups: IommuGroup[];
  readiness: ReadinessCheck[];
  /** problems met while scanning that did not stop it (an unreadable optional attribute, an unmapped mount) */
  warnings: string[];
}
