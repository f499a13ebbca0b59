/** The host model: the spec with every sysfs path, interface index, block device, driver and module resolved once. */
import { allocateIommuGroups, type IommuGroupAllocator, topologyGroupNodes } from "./groups";
import { type DiskSpec, type NetdevSpec, type PciTopology, resolveTopology, type ScenarioSpec } from "./spec";
import { parentOf } from "./tree";

export interface NetNode {
  name: string;
  /** sysfs directory of the interface */
  dir: string;
  spec: NetdevSpec;
  ifindex: number;
  kind: "loopback" | "physical" | "bridge" | "bond" | "vlan";
  /** the PCI function whose driver created it */
  owner: string | null;
  lowers: string[];
  uppers: string[];
  /** the bridge or bond it is enslaved to */
  master: string | null;
}

export interface BlockNode {
  name: string;
  dir: string;
  dev: string;
  sizeBytes: number;
  isPartition: boolean;
  /** the PCI controller the disk is on; null for dm/md devices */
  owner: string | null;
}

export interface Host {
  spec: ScenarioSpec;
  topology: PciTopology;
  /** the IOMMU groups, kept as the IOMMU core keeps them; null when the kernel's IOMMU is off */
  allocator: IommuGroupAllocator | null;
  devPath: Map<string, string>;
  /** sysfs dir of the IOMMU unit (dmar0 / ivhd0) when the IOMMU is on */
  iommuUnit: { name: string; dir: string } | null;
  net: NetNode[];
  netByName: Map<string, NetNode>;
  /** the kernel hands out interface indexes upwards and does not reuse them */
  nextIfindex: number;
  blocks: Map<string, BlockNode>;
  /** NVMe controller name per PCI function (nvme0) */
  nvmeCtrl: Map<string, string>;
  /** AHCI: the first ATA port / SCSI host number of each controller (they are numbered across controllers) */
  ataBase: Map<string, number>;
  /** driver → module (null when built in) */
  drivers: Map<string, string | null>;
  modules: ModuleInfo[];
  anonDevs: Map<string, string>;
}

export interface ModuleInfo {
  name: string;
  usedBy: string[];
  drivers: string[];
}

export function buildHost(spec: ScenarioSpec): Host {
  const fail = (msg: string): never => {
    throw new Error(`scenario ${spec.name}: ${msg}`);
  };
  const topology = resolveTopology(spec);
  const { iommu } = spec.host;
  if (iommu.enabled && (!iommu.acpiTable || iommu.vendor === "none")) fail("the kernel IOMMU needs a vendor and the firmware's ACPI table");
  const allocator = iommu.enabled ? allocateIommuGroups(topologyGroupNodes(topology)) : null;

  const devPath = new Map<string, string>();
  for (const f of topology.functions) {
    const dir = f.physfn
      ? `${parentOf(devPath.get(f.physfn)!)}/${f.address}` // VFs are siblings of their PF
      : f.parent
        ? `${devPath.get(f.parent)!}/${f.address}`
        : `devices/${f.rootBus}/${f.address}`;
    devPath.set(f.address, dir);
  }

  let iommuUnit: Host["iommuUnit"] = null;
  if (iommu.enabled && iommu.vendor === "intel") iommuUnit = { name: "dmar0", dir: "devices/virtual/iommu/dmar0" };
  if (iommu.enabled && iommu.vendor === "amd") {
    const fn = iommu.amdIommuFunction ?? fail("an AMD IOMMU needs amdIommuFunction (its PCI function, class 0x080600)");
    const dir = devPath.get(fn) ?? fail(`amdIommuFunction ${fn} is not a PCI function of the scenario`);
    iommuUnit = { name: "ivhd0", dir: `${dir}/iommu/ivhd0` };
  }

  // Interfaces: lo is 1, then the PCI NICs as their drivers probe, then VF interfaces, then the virtual ones.
  const net: NetNode[] = [];
  const add = (n: Omit<NetNode, "ifindex" | "uppers" | "master" | "lowers" | "owner"> & { lowers?: string[]; owner?: string }) => {
    if (net.some((x) => x.name === n.name)) fail(`interface ${n.name} is defined twice`);
    net.push({ ...n, owner: n.owner ?? null, lowers: [...(n.lowers ?? [])], ifindex: net.length + 1, uppers: [], master: null });
  };
  add({ name: "lo", dir: "devices/virtual/net/lo", kind: "loopback", spec: { name: "lo", mac: "00:00:00:00:00:00", operstate: "up", mtu: 65536 } });
  for (const f of topology.functions)
    for (const nd of f.spec.netdevs ?? [])
      add({ name: nd.name, dir: `${devPath.get(f.address)!}/net/${nd.name}`, kind: "physical", spec: nd, owner: f.address });
  for (const v of spec.network.virtual) add({ name: v.name, dir: `devices/virtual/net/${v.name}`, kind: v.kind, spec: v, lowers: v.lowers });
  const netByName = new Map(net.map((n) => [n.name, n]));
  for (const v of spec.network.virtual) {
    for (const lower of v.lowers) {
      const l = netByName.get(lower) ?? fail(`${v.name}: lower interface ${lower} does not exist`);
      l.uppers.push(v.name);
      if (v.kind !== "vlan") l.master = v.name;
    }
  }
  for (const r of [spec.network.defaultV4, spec.network.defaultV6, ...(spec.network.raDefaultsV6 ?? [])])
    if (r && !netByName.has(r.iface)) fail(`default route on ${r.iface}, which does not exist`);

  // Block devices: NVMe namespaces under their controller, SATA disks under their ATA port, then dm/md.
  const blocks = new Map<string, BlockNode>();
  const nvmeCtrl = new Map<string, string>();
  const ataBase = new Map<string, number>();
  const addBlock = (b: BlockNode) => {
    if (blocks.has(b.name)) fail(`block device ${b.name} is defined twice`);
    blocks.set(b.name, b);
  };
  const addDisk = (d: DiskSpec, dir: string, owner: string) => {
    addBlock({ name: d.name, dir, dev: d.dev, sizeBytes: d.sizeBytes ?? 512_110_190_592, isPartition: false, owner });
    const [major, minor] = d.dev.split(":").map(Number) as [number, number];
    for (const p of d.partitions ?? []) {
      const name = `${d.name}${/\d$/.test(d.name) ? "p" : ""}${p.number}`;
      addBlock({
        name,
        dir: `${dir}/${name}`,
        dev: p.dev ?? `${major}:${minor + p.number}`,
        sizeBytes: p.sizeBytes ?? 1_073_741_824,
        isPartition: true,
        owner,
      });
    }
  };
  let ataPort = 0;
  for (const f of topology.functions) {
    const dir = devPath.get(f.address)!;
    const disks = f.spec.disks ?? [];
    if (f.spec.driver === "nvme" && disks.length > 0) {
      const ctrls = new Set(disks.map((d) => d.name.replace(/n\d+$/, "")));
      if (ctrls.size !== 1) fail(`${f.address}: NVMe namespaces of one controller must share its name (nvme0n1, nvme0n2)`);
      const ctrl = [...ctrls][0]!;
      nvmeCtrl.set(f.address, ctrl);
      for (const d of disks) addDisk(d, `${dir}/nvme/${ctrl}/${d.name}`, f.address);
    } else if (f.spec.driver === "ahci") {
      ataBase.set(f.address, ataPort);
      disks.forEach((d, i) => {
        const port = d.port ?? i;
        const host = ataPort + port;
        addDisk(d, `${dir}/ata${host + 1}/host${host}/target${host}:0:0/${host}:0:0:0/block/${d.name}`, f.address);
      });
      ataPort += f.spec.sataPorts ?? 6;
    } else if (disks.length > 0) fail(`${f.address}: disks need the nvme or ahci driver`);
  }
  for (const h of spec.storage.holders) {
    for (const s of h.slaves) if (!blocks.has(s)) fail(`${h.name}: slave ${s} does not exist`);
    addBlock({ name: h.name, dir: `devices/virtual/block/${h.name}`, dev: h.dev, sizeBytes: h.sizeBytes ?? 107_374_182_400, isPartition: false, owner: null });
  }

  // Drivers and modules in use.
  const drivers = new Map<string, string | null>([["pcieport", null]]);
  for (const f of topology.functions) if (f.spec.driver) drivers.set(f.spec.driver, moduleOf(f.spec.driver));
  if (drivers.has("vfio-pci") && !spec.host.vfioLoaded) fail("a function is bound to vfio-pci but vfio is not loaded");
  if (spec.host.vfioLoaded) drivers.set("vfio-pci", "vfio_pci");
  const modules = moduleList(spec, drivers);

  // btrfs superblocks get an anonymous device number (0:N), one per filesystem, after the pseudo filesystems' ones.
  const anonDevs = new Map<string, string>();
  let nextAnon = 27;
  const taken = new Set(spec.storage.mounts.map((m) => m.dev));
  for (const m of spec.storage.mounts) {
    if (m.dev || m.fstype !== "btrfs" || anonDevs.has(m.source)) continue;
    while (taken.has(`0:${nextAnon}`)) nextAnon++;
    anonDevs.set(m.source, `0:${nextAnon++}`);
  }

  return { spec, topology, allocator, devPath, iommuUnit, net, netByName, nextIfindex: net.length + 1, blocks, nvmeCtrl, ataBase, drivers, modules, anonDevs };
}

/** Modules whose name is not the driver's (and the built-in drivers, null). */
const DRIVER_MODULE: Record<string, string | null> = {
  pcieport: null,
  xhci_hcd: "xhci_pci",
  i801_smbus: "i2c_i801",
  piix4_smbus: "i2c_piix4",
  "intel-spi": "spi_intel_pci",
};

export function moduleOf(driver: string): string | null {
  return driver in DRIVER_MODULE ? DRIVER_MODULE[driver]! : driver.replace(/-/g, "_");
}

export function moduleList(spec: ScenarioSpec, drivers: Map<string, string | null>): ModuleInfo[] {
  const mods = new Map<string, ModuleInfo>();
  const mod = (name: string) => {
    let m = mods.get(name);
    if (!m) mods.set(name, (m = { name, usedBy: [], drivers: [] }));
    return m;
  };
  const uses = (user: string, used: string) => mod(used).usedBy.push(user);
  // A hypervisor has KVM loaded for its CPU vendor.
  const kvmVendor = spec.host.cpu.vendor === "AuthenticAMD" ? "kvm_amd" : "kvm_intel";
  mod(kvmVendor);
  uses(kvmVendor, "kvm");
  if (spec.host.vfioLoaded) {
    for (const name of ["vfio_pci", "vfio_pci_core", "vfio_iommu_type1", "vfio", "irqbypass"]) mod(name);
    uses("vfio_pci", "vfio_pci_core");
    uses("vfio_pci_core", "vfio");
    uses("vfio_iommu_type1", "vfio");
    uses("vfio_pci", "vfio");
    uses("vfio_pci_core", "irqbypass");
    uses("kvm", "irqbypass");
  }
  for (const [driver, module] of drivers) {
    if (!module) continue;
    mod(module).drivers.push(driver);
    if (module === "nvme") uses("nvme", "nvme_core");
  }
  return [...mods.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function groupOf(h: Host, address: string): number | null {
  return h.allocator?.groupOf(address) ?? null;
}

/** printf's %0Nx and %0NX */
export const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
export const HEX = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");
