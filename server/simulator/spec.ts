/**
 * Declarative description of a Linux hypervisor host: its PCI topology, drivers, SR-IOV state, network and storage,
 * and the kernel facts that decide passthrough (IOMMU, interrupt remapping, command line, vfio).
 *
 * A spec says *what* the host is; write-tree.ts lays it out as the kernel would in sysfs/procfs, and groups.ts
 * derives the IOMMU groups from the topology with the kernel's rules. Nothing here is sysfs-shaped, so a simulated
 * kernel can later change a spec (enable VFs, rebind a driver) and write the tree again.
 *
 * Numbers that the kernel prints in hex (IDs, class) are numbers here; addresses are canonical strings
 * ("0000:3b:00.0") because that is how every other layer names a function.
 */
import { formatPciAddress, parsePciAddress, type PciAddressParts } from "@/lib/pci-address";

export interface ScenarioSpec {
  /** the name used on the command line and in PASSDECK_DEMO: "desktop", "server", … */
  name: string;
  /** shown in the dashboard's demo banner, e.g. "Consumer Intel desktop" */
  title: string;
  /** one line for the banner: what is interesting about this host */
  description: string;
  host: HostSpec;
  /** every boot-time PCI function; VFs are not listed, they follow from each PF's `sriov` (as the kernel creates them) */
  pci: PciFunctionSpec[];
  network: NetworkSpec;
  storage: StorageSpec;
  /** processes running at boot that hold devices (a Proxmox VE or hand-started QEMU with a device on vfio-pci) */
  processes?: ProcessSpec[];
}

/**
 * A process running when the host is scanned: procfs shows it (comm, cmdline, status, stat, cgroup) with the VFIO
 * files of the devices it `opens` (/dev/vfio/vfio and each device's /dev/vfio/<group>), and vfio-pci has enabled
 * those devices (`enable` reads 1), as while a VM runs with them.
 */
export interface ProcessSpec {
  pid: number;
  comm: string;
  argv: string[];
  uid: number;
  /** cgroup v2 path: "/qemu.slice/101.scope" (Proxmox VE), "/machine.slice/machine-qemu\\x2d1\\x2dweb.scope" (libvirt) */
  cgroup: string;
  /** start time in clock ticks after boot; default 4242 */
  startTicks?: number;
  /** devices it has open through vfio-pci (each must be bound to vfio-pci at boot) */
  opens: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Host-level facts

export interface HostSpec {
  hostname: string;
  /** uname -r, /proc/sys/kernel/osrelease; also decides version-dependent formats (MSI chip names since 6.2) */
  kernelRelease: string;
  /** the /proc/version line; derived from the release when absent */
  kernelVersion?: string;
  /** /proc/cmdline, one line */
  cmdline: string;
  cpu: CpuSpec;
  iommu: IommuSpec;
  /**
   * What driver_override reads when unset. Older kernels print the NULL pointer as "(null)", newer ones an
   * empty line: readers must accept both, so scenarios use both.
   */
  driverOverrideUnset: "(null)" | "";
  /** vfio, vfio_pci, vfio_pci_core and vfio_iommu_type1 are loaded: bus/pci/drivers/vfio-pci exists */
  vfioLoaded: boolean;
}

export interface CpuSpec {
  vendor: "GenuineIntel" | "AuthenticAMD";
  /** the "model name" line */
  model: string;
  family: number;
  /** the numeric "model" line */
  modelNumber: number;
  stepping: number;
  mhz: number;
  cacheKb: number;
  /** the "flags" line: vmx (Intel VT-x) or svm (AMD-V) is what passthrough needs */
  flags: readonly string[];
}

export interface IommuSpec {
  vendor: "intel" | "amd" | "none";
  /** the firmware exposes the IOMMU: ACPI DMAR (Intel) or IVRS (AMD) table present (VT-d / AMD-Vi on in the BIOS) */
  acpiTable: boolean;
  /** the kernel turned the IOMMU on (intel_iommu=on, or AMD's default): groups and class/iommu units exist */
  enabled: boolean;
  /** interrupt remapping on: the irq chips read IR-PCI-MSI / IR-IO-APIC in /proc/interrupts */
  interruptRemapping: boolean;
  /** AMD: the IOMMU's own PCI function (class 0x080600), which holds iommu/ivhd0 in sysfs */
  amdIommuFunction?: string;
  /** kernel/iommu_groups/N/type; derived from the command line when absent (iommu=pt → identity, else DMA-FQ) */
  defaultDomain?: "DMA-FQ" | "DMA" | "identity";
}

// ---------------------------------------------------------------------------------------------------------------
// PCI functions

/** PCIe port types that matter for grouping; the kernel reads them from the PCIe capability, sysfs does not show them. */
export type PortKind = "root-port" | "upstream-port" | "downstream-port" | "pcie-to-pci";

/** Link speed in GT/s, as the PCIe generations define them (2.5 = Gen1 … 64 = Gen6). */
export type LinkSpeed = 2.5 | 5 | 8 | 16 | 32 | 64;

export interface LinkSpec {
  speed: LinkSpeed;
  width: number;
  maxSpeed: LinkSpeed;
  maxWidth: number;
}

export interface PciFunctionSpec {
  /** canonical address, "0000:02:00.0" */
  address: string;
  /**
   * The bridge or port whose secondary bus this function sits on (the kernel's bus->self). Absent for functions
   * on a root bus, which is then named by the address's own domain and bus (pci0000:3a for 0000:3a:00.0).
   */
  parent?: string;
  vendor: number;
  device: number;
  subsystemVendor: number;
  subsystemDevice: number;
  /** 24-bit class code, e.g. 0x020000 (Ethernet), 0x060400 (PCI bridge) */
  class: number;
  revision: number;
  /** bound driver (the name under bus/pci/drivers); absent when unbound */
  driver?: string;
  /** driver_override when set (e.g. "vfio-pci"); unset reads as HostSpec.driverOverrideUnset */
  driverOverride?: string;
  /** NUMA node; absent means none (-1), as on single-socket hosts */
  numaNode?: number;
  /**
   * The PCIe link. "integrated" is a Root Complex Integrated Endpoint: a PCIe capability without a link, whose
   * link files read "Unknown"/0. Absent means conventional PCI (no PCIe capability: many chipset functions,
   * everything behind a PCIe-to-PCI bridge), which has no link files and can never be isolated by ACS.
   */
  link?: LinkSpec | "integrated";
  /** set for bridges (class 0x0604xx): which kind of port, since grouping depends on it */
  bridge?: PortKind;
  /** a bridge's secondary bus; derived from its children when absent (required for an empty port) */
  secondaryBus?: number;
  /**
   * ACS (Access Control Services) enabled. On a root or downstream port it isolates everything below the port;
   * on a function of a multifunction device it isolates the functions from each other. Default false, as on
   * consumer chipsets.
   */
  acs?: boolean;
  /** what reset_method lists ("flr", "pm", "bus", …); empty or absent means no `reset` file at all */
  resetMethods?: readonly string[];
  /** false for functions the IOMMU does not translate (AMD's root complex and IOMMU function): no group */
  behindIommu?: boolean;
  sriov?: SriovSpec;
  netdevs?: NetdevSpec[];
  /** disks on this controller: NVMe namespaces for driver nvme, SATA disks for driver ahci */
  disks?: DiskSpec[];
  /** AHCI: how many SATA ports the controller exposes (ata1…ataN, each with a SCSI host); default 6 */
  sataPorts?: number;
}

export interface SriovSpec {
  /** sriov_totalvfs; 0 is what a device reports when SR-IOV is off in the BIOS but the capability is there */
  totalVfs: number;
  /** sriov_numvfs: how many VFs are enabled now */
  numVfs: number;
  /** First VF Offset and VF Stride: VF i has routing ID = PF routing ID + offset + i × stride */
  offset: number;
  stride: number;
  /** VF device ID (sriov_vf_device); VFs share the PF's vendor, class, revision and subsystem IDs */
  vfDevice: number;
  /** the driver bound to each enabled VF (iavf, ixgbevf, vfio-pci, …); absent leaves them unbound */
  vfDriver?: string;
  /** sriov_drivers_autoprobe; default true */
  autoprobe?: boolean;
  /** enabled VFs have network interfaces, named the way systemd's path policy names them (enp59s2f1) */
  vfNetdevs?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Network

export interface NetdevSpec {
  name: string;
  mac: string;
  operstate: "up" | "down";
  /** IPv4 addresses with prefix, "192.168.1.10/24"; each gives a connected route and a LOCAL entry in fib_trie */
  ipv4?: string[];
  /** global IPv6 addresses with prefix, "2001:db8::10/64"; up interfaces that are not enslaved also get a link-local */
  ipv6?: string[];
  /**
   * IPv6 addresses the kernel made from a router advertisement (SLAAC), "fec0::5054:ff:fed5:7a10/64": listed in
   * if_inet6 without IFA_F_PERMANENT (flags 00), their prefix route RA-learned
   */
  ipv6Autoconf?: string[];
  mtu?: number;
}

export interface VirtualNetdevSpec extends NetdevSpec {
  kind: "bridge" | "bond" | "vlan";
  /** the interfaces below it: bridge ports, bond slaves, or the one device a VLAN sits on */
  lowers: string[];
  vlanId?: number;
}

export interface RouteSpec {
  iface: string;
  /** the next hop, "192.168.1.1" or "fe80::1" */
  gateway: string;
  /** route metric; NetworkManager uses 100 and up, ifupdown 0 */
  metric?: number;
}

export interface NetworkSpec {
  /** bridges, bonds and VLANs (devices/virtual/net); `lo` always exists and is not listed */
  virtual: VirtualNetdevSpec[];
  defaultV4?: RouteSpec;
  /** the configured IPv6 default route */
  defaultV6?: RouteSpec;
  /** IPv6 default routes learned from router advertisements (RTF_ADDRCONF; metric 1024 unless given) */
  raDefaultsV6?: RouteSpec[];
}

// ---------------------------------------------------------------------------------------------------------------
// Storage

export interface DiskSpec {
  /** nvme0n1, sda */
  name: string;
  /** major:minor, "259:0" (NVMe is blkext 259), "8:0" (sd) */
  dev: string;
  sizeBytes?: number;
  model?: string;
  /** SATA: the controller port the disk is on (0-based); defaults to the disk's index */
  port?: number;
  partitions?: PartitionSpec[];
}

export interface PartitionSpec {
  number: number;
  /** major:minor; defaults to the disk's minor + number, as the kernel numbers sd and NVMe partitions here */
  dev?: string;
  sizeBytes?: number;
}

/** Device-mapper (LVM, dm-crypt) and md (software RAID) devices stacked on disks or partitions. */
export interface HolderSpec {
  /** dm-0, md0 */
  name: string;
  kind: "dm" | "md";
  dev: string;
  /** the dm name (dm/name, the /dev/mapper name), e.g. "pve-root" */
  dmName?: string;
  /** md: "raid1", … */
  mdLevel?: string;
  /** the block devices below it (partition or disk names) */
  slaves: string[];
  sizeBytes?: number;
}

export interface MountSpec {
  /** as /proc/mounts shows it: /dev/nvme0n1p2, /dev/mapper/pve-root */
  source: string;
  mountpoint: string;
  fstype: string;
  options?: string;
  /** the root of the mount within its filesystem (a btrfs subvolume, "/@"); default "/" */
  root?: string;
  /**
   * major:minor in mountinfo; defaults to the source's block device, except btrfs, which the kernel gives an
   * anonymous device (0:N), so such mounts can only be mapped through their source.
   */
  dev?: string;
}

export interface SwapSpec {
  /** as /proc/swaps shows it: LVM swap reads /dev/dm-1, a swap file its path */
  source: string;
  kind: "partition" | "file";
  sizeKb: number;
  usedKb?: number;
  priority?: number;
}

export interface StorageSpec {
  holders: HolderSpec[];
  mounts: MountSpec[];
  swaps: SwapSpec[];
}

// ---------------------------------------------------------------------------------------------------------------
// The resolved topology: the spec with VFs expanded, parents checked and every function's place known.

export type FunctionKind = "endpoint" | "conventional" | PortKind;

export interface PciFunction {
  address: string;
  parts: PciAddressParts;
  /** the spec (for a VF, one synthesized from its PF) */
  spec: PciFunctionSpec;
  kind: FunctionKind;
  /** bus->self: the bridge above; for a VF, its PF's bridge (a VF on a spilled bus has no bridge of its own) */
  parent: string | null;
  /** "pci0000:00" */
  rootBus: string;
  /** more than one function in the slot (the header's multifunction bit); never for VFs */
  multifunction: boolean;
  secondaryBus: number | null;
  physfn: string | null;
  vfIndex: number | null;
  /** PCI Express (has link files); false for conventional PCI */
  pcie: boolean;
}

export interface PciTopology {
  /** boot-time functions in kernel scan order, then VFs in the order they were created */
  functions: PciFunction[];
  byAddress: ReadonlyMap<string, PciFunction>;
  /** root buses in scan order, "pci0000:00" */
  rootBuses: string[];
}

/** Routing ID (requester ID) of a function: bus << 8 | device << 3 | function. */
export function routingId(p: PciAddressParts): number {
  return (p.bus << 8) | (p.device << 3) | p.fn;
}

/** VF i's address from its PF's offset and stride; VFs past devfn 0xff land on the following bus numbers. */
export function vfAddress(pfAddress: string, sriov: Pick<SriovSpec, "offset" | "stride">, index: number): string {
  const pf = parts(pfAddress);
  const rid = routingId(pf) + sriov.offset + index * sriov.stride;
  if (rid > 0xffff) throw new Error(`VF ${index} of ${pfAddress} would be past bus ff (routing ID 0x${rid.toString(16)})`);
  return formatPciAddress({ domain: pf.domain, bus: rid >> 8, device: (rid >> 3) & 0x1f, fn: rid & 0x7 });
}

/** The spec the kernel effectively creates for VF `index` of a PF: same vendor, class, revision, link and node. */
export function vfFunctionSpec(pf: PciFunctionSpec, index: number): PciFunctionSpec {
  const sriov = pf.sriov;
  if (!sriov) throw new Error(`${pf.address} is not an SR-IOV PF`);
  const address = vfAddress(pf.address, sriov, index);
  const vf: PciFunctionSpec = {
    address,
    vendor: pf.vendor,
    device: sriov.vfDevice,
    subsystemVendor: pf.subsystemVendor,
    subsystemDevice: pf.subsystemDevice,
    class: pf.class,
    revision: pf.revision,
    resetMethods: ["flr"],
  };
  if (pf.parent !== undefined) vf.parent = pf.parent;
  if (sriov.vfDriver !== undefined) vf.driver = sriov.vfDriver;
  if (pf.numaNode !== undefined) vf.numaNode = pf.numaNode;
  if (pf.link !== undefined) vf.link = pf.link;
  if (sriov.vfNetdevs && sriov.vfDriver && sriov.vfDriver !== "vfio-pci") {
    vf.netdevs = [{ name: predictableIfName(address), mac: vfMac(address), operstate: "down" }];
  }
  return vf;
}

/**
 * VF `index` of a resolved PF as the kernel adds it (pci_iov_add_virtfn): a sibling of the PF under the PF's
 * bridge, on the PF's bus or a following one, never multifunction.
 */
export function vfFunction(pf: PciFunction, index: number): PciFunction {
  const spec = vfFunctionSpec(pf.spec, index);
  const pcie = spec.link !== undefined;
  return {
    address: spec.address,
    parts: parts(spec.address),
    spec,
    kind: pcie ? "endpoint" : "conventional",
    parent: pf.parent,
    // a VF spilled onto the next bus number still hangs off its PF's root bus
    rootBus: pf.rootBus,
    multifunction: false,
    secondaryBus: null,
    physfn: pf.address,
    vfIndex: index,
    pcie,
  };
}

/** systemd's path-based interface name for a function: enp<bus>s<slot>[f<function>] (f0 omitted). */
export function predictableIfName(address: string): string {
  const p = parts(address);
  const domain = p.domain ? `P${p.domain}` : "";
  return `en${domain}p${p.bus}s${p.device}${p.fn ? `f${p.fn}` : ""}`;
}

/** A stable, locally administered MAC for a VF, as iavf/ixgbevf generate a random one when the PF sets none. */
function vfMac(address: string): string {
  const p = parts(address);
  const bytes = [0x02, 0x5d, p.domain & 0xff, p.bus, p.device, p.fn];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function parts(address: string): PciAddressParts {
  const parsed = parsePciAddress(address);
  if (!parsed.ok || parsed.address !== address) throw new Error(`scenario: "${address}" is not a canonical PCI address`);
  return parsed.parts;
}

export function isBridgeClass(cls: number): boolean {
  return cls >> 8 === 0x0604 || cls >> 8 === 0x0609;
}

function rootBusName(p: PciAddressParts): string {
  return `pci${p.domain.toString(16).padStart(4, "0")}:${p.bus.toString(16).padStart(2, "0")}`;
}

/**
 * Checks a spec's topology and expands it: kinds, parents, multifunction bits, secondary buses, enabled VFs.
 * Throws on anything the kernel could not have produced (a child on the wrong bus, colliding VF ranges),
 * so a mistake in a scenario fails loudly instead of producing a tree no real host has.
 */
export function resolveTopology(spec: Pick<ScenarioSpec, "name" | "pci">): PciTopology {
  const fail = (msg: string): never => {
    throw new Error(`scenario ${spec.name}: ${msg}`);
  };
  const boot = new Map<string, PciFunctionSpec>();
  for (const f of spec.pci) {
    parts(f.address);
    if (boot.has(f.address)) fail(`${f.address} is listed twice`);
    boot.set(f.address, f);
  }

  const children = new Map<string, PciFunctionSpec[]>();
  for (const f of spec.pci) {
    if (f.parent === undefined) continue;
    const parent = boot.get(f.parent) ?? fail(`${f.address}: parent ${f.parent} does not exist`);
    if (!parent.bridge) fail(`${f.address}: parent ${f.parent} is not a bridge (set its \`bridge\`)`);
    if (parts(f.parent).domain !== parts(f.address).domain) fail(`${f.address}: parent ${f.parent} is in another domain`);
    children.set(f.parent, [...(children.get(f.parent) ?? []), f]);
  }

  const secondary = new Map<string, number>();
  for (const f of spec.pci) {
    if (Boolean(f.bridge) !== isBridgeClass(f.class)) fail(`${f.address}: \`bridge\` must be set exactly for class 0x0604xx/0x0609xx`);
    if (!f.bridge) continue;
    const kids = children.get(f.address) ?? [];
    const buses = new Set(kids.map((k) => parts(k.address).bus));
    if (buses.size > 1) fail(`${f.address}: children on several buses (${[...buses].join(", ")})`);
    const bus = f.secondaryBus ?? [...buses][0] ?? fail(`${f.address}: an empty bridge needs \`secondaryBus\``);
    if (buses.size === 1 && !buses.has(bus)) fail(`${f.address}: secondaryBus ${bus} but children on bus ${[...buses][0]}`);
    if (bus <= parts(f.address).bus) fail(`${f.address}: secondary bus ${bus} is not below the bridge's own bus`);
    secondary.set(f.address, bus);
  }

  const slotCount = new Map<string, number>();
  for (const a of boot.keys()) slotCount.set(a.slice(0, -2), (slotCount.get(a.slice(0, -2)) ?? 0) + 1);

  const conventionalParent = (f: PciFunctionSpec) => {
    const p = f.parent ? boot.get(f.parent) : undefined;
    return p !== undefined && (p.bridge === "pcie-to-pci" || (p.bridge !== undefined && p.link === undefined));
  };

  const topOf = (f: PciFunctionSpec): PciFunctionSpec => (f.parent ? topOf(boot.get(f.parent)!) : f);
  const make = (f: PciFunctionSpec): PciFunction => {
    const p = parts(f.address);
    const pcie = f.link !== undefined;
    if (pcie && conventionalParent(f)) fail(`${f.address} is behind a PCIe-to-PCI bridge: it is conventional PCI and has no link`);
    return {
      address: f.address,
      parts: p,
      spec: f,
      kind: f.bridge ?? (pcie ? "endpoint" : "conventional"),
      parent: f.parent ?? null,
      rootBus: rootBusName(parts(topOf(f).address)),
      multifunction: (slotCount.get(f.address.slice(0, -2)) ?? 0) > 1,
      secondaryBus: secondary.get(f.address) ?? null,
      physfn: null,
      vfIndex: null,
      pcie,
    };
  };

  // Kernel scan order: every function on a bus by devfn, then each bridge's secondary bus in turn (depth first).
  const ordered: PciFunction[] = [];
  const visit = (onBus: PciFunctionSpec[]) => {
    const sorted = [...onBus].sort((a, b) => (a.address < b.address ? -1 : 1));
    for (const f of sorted) ordered.push(make(f));
    for (const f of sorted) if (f.bridge) visit(children.get(f.address) ?? []);
  };
  const rootBuses = new Map<string, PciFunctionSpec[]>();
  for (const f of spec.pci) {
    if (f.parent !== undefined) continue;
    const name = rootBusName(parts(f.address));
    rootBuses.set(name, [...(rootBuses.get(name) ?? []), f]);
  }
  const rootNames = [...rootBuses.keys()].sort();
  for (const name of rootNames) visit(rootBuses.get(name)!);

  // Every VF a PF could ever create must fit without colliding with another function or another PF's VFs, and a
  // VF that spills past its PF's bus needs a bus number no bridge or root bus uses (the port's range reserves it).
  const claimed = new Map<string, string>([...boot.keys()].map((a) => [a, a]));
  const busKey = (domain: number, bus: number) => `${domain}:${bus}`;
  const usedBuses = new Set<string>();
  for (const f of ordered) {
    if (f.parent === null) usedBuses.add(busKey(f.parts.domain, f.parts.bus));
    if (f.secondaryBus !== null) usedBuses.add(busKey(f.parts.domain, f.secondaryBus));
  }
  for (const f of ordered) {
    const sriov = f.spec.sriov;
    if (!sriov) continue;
    if (sriov.numVfs > sriov.totalVfs) fail(`${f.address}: numVfs ${sriov.numVfs} > totalVfs ${sriov.totalVfs}`);
    if (sriov.totalVfs > 0 && sriov.stride < 1) fail(`${f.address}: VF stride must be at least 1`);
    for (let i = 0; i < sriov.totalVfs; i++) {
      const vf = vfAddress(f.address, sriov, i);
      const owner = claimed.get(vf);
      if (owner) fail(`VF ${i} of ${f.address} (${vf}) collides with ${owner === vf ? "a boot-time function" : `a VF of ${owner}`}`);
      claimed.set(vf, f.address);
      const vfBus = parts(vf).bus;
      if (vfBus !== f.parts.bus && usedBuses.has(busKey(f.parts.domain, vfBus)))
        fail(`VF ${i} of ${f.address} (${vf}) spills onto bus ${vfBus.toString(16)}, which another bridge already uses`);
    }
  }

  const functions = [...ordered];
  for (const pf of ordered) {
    const sriov = pf.spec.sriov;
    if (!sriov) continue;
    for (let i = 0; i < sriov.numVfs; i++) functions.push(vfFunction(pf, i));
  }
  return { functions, byAddress: new Map(functions.map((f) => [f.address, f])), rootBuses: rootNames };
}
