/**
 * Writes a scenario as the kernel lays out sysfs and procfs: nested device directories, attribute files with a
 * trailing newline in the kernel's printf formats, and relative symlinks computed the way kernfs computes them.
 * Everything that knows a sysfs/procfs path for generated hosts lives here, including how a written tree changes
 * when VFs come and go and drivers bind and unbind (LiveScenarioTree, driven by the simulated kernel). The procfs
 * tables are printed by server/host/formats/, the modules server/host/ parses the real host's with.
 *
 * Synchronous node:fs on purpose: ~30k small files for the 1,000-function host are written in well under the
 * time promise overhead alone would take.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { formatCmdline } from "@/server/host/formats/cmdline";
import { formatCpuinfo, type CpuinfoBlock } from "@/server/host/formats/cpuinfo";
import { formatFibTrie, type FibTrieEntry } from "@/server/host/formats/fib-trie";
import { formatIfInet6, IFA_F_PERMANENT } from "@/server/host/formats/if-inet6";
import { formatInterrupts, type InterruptLine } from "@/server/host/formats/interrupts";
import {
  formatIpv6Route,
  RTF_ADDRCONF,
  RTF_DEFAULT,
  RTF_EXPIRES,
  RTF_GATEWAY,
  RTF_LOCAL,
  RTF_NONEXTHOP,
  RTF_UP,
  type Ipv6Route,
} from "@/server/host/formats/ipv6-route";
import { formatMountinfo } from "@/server/host/formats/mountinfo";
import { formatMounts } from "@/server/host/formats/mounts";
import { formatNetRoute, leHex, type NetRoute } from "@/server/host/formats/net-route";
import { formatArgv, formatCgroup, formatComm, formatPidStat, formatPidStatus } from "@/server/host/formats/pid";
import { formatSwaps } from "@/server/host/formats/swaps";
import { allocateIommuGroups, groupNode, topologyGroupNodes, type IommuGroupAllocator } from "./groups";
import {
  resolveTopology,
  routingId,
  vfFunction,
  type DiskSpec,
  type HolderSpec,
  type LinkSpeed,
  type NetdevSpec,
  type PciFunction,
  type PciTopology,
  type ProcessSpec,
  type ScenarioSpec,
} from "./spec";

export interface ScenarioRoots {
  sysRoot: string;
  procRoot: string;
}

/** Replaces `dir` with `<dir>/sys` and `<dir>/proc` for the scenario; returns both roots (absolute). */
export function writeScenarioTree(spec: ScenarioSpec, dir: string): ScenarioRoots {
  return openScenarioTree(spec, dir).roots;
}

/** Writes the scenario as writeScenarioTree does and keeps it open for a running kernel's changes. */
export function openScenarioTree(spec: ScenarioSpec, dir: string): LiveScenarioTree {
  const host = buildHost(spec);
  const root = nodePath.resolve(dir);
  fs.rmSync(root, { recursive: true, force: true });
  const sys = new Tree(nodePath.join(root, "sys"));
  const proc = new Tree(nodePath.join(root, "proc"));
  const journals = writeSysfs(sys, host);
  writeProcfs(proc, host);
  const live = new LiveScenarioTree(host, sys, proc, journals);
  for (const p of spec.processes ?? []) live.startHolder(p);
  return live;
}

/**
 * A written scenario tree kept open for what a running kernel changes (the simulated kernel decides, this lays it
 * out): VFs appear and go, drivers bind and unbind, attributes change. Every change goes through the writers that
 * wrote the tree, and what a function or a binding created is journaled, so removing it takes exactly that away
 * (the kernel removes a device's kobject with everything below it, and the links other subsystems made to it).
 *
 * The spec objects are the live state: `spec.driver` is the bound driver, `spec.netdevs` the interfaces the
 * device's own driver creates, `sriov.numVfs` the enabled VFs.
 */
export interface SimulatedProcess {
  pid: number;
  comm: string;
  argv: string[];
  uid: number;
  /** cgroup v2 path ("/qemu.slice/101.scope") */
  cgroup: string;
  /** start time in clock ticks after boot (/proc/<pid>/stat field 22) */
  startTicks: number;
  /** what its descriptors point at */
  fds: string[];
}

export class LiveScenarioTree {
  readonly roots: ScenarioRoots;

  constructor(
    private readonly h: Host,
    private readonly sys: Tree,
    private readonly proc: Tree,
    /** what each VF ("dev:<address>") and each binding ("bind:<address>") created */
    private readonly journals: Map<string, JournalEntry[]>,
  ) {
    this.roots = { sysRoot: sys.root, procRoot: proc.root };
  }

  get spec(): ScenarioSpec {
    return this.h.spec;
  }

  get topology(): PciTopology {
    return this.h.topology;
  }

  /** The function whose sysfs directory (relative to the sysfs root) this is, if any. */
  functionAt(dir: string): PciFunction | undefined {
    const address = dir.slice(dir.lastIndexOf("/") + 1);
    return this.h.devPath.get(address) === dir ? this.h.topology.byAddress.get(address) : undefined;
  }

  groupOf(address: string): number | null {
    return groupOf(this.h, address);
  }

  /** Loaded PCI drivers (bus/pci/drivers/*), in load order. */
  drivers(): string[] {
    return [...this.h.drivers.keys()];
  }

  /** modprobe: the driver's bus/pci/drivers directory, its module (vfio-pci: the vfio stack) in sysfs and /proc/modules. */
  loadDriver(driver: string): void {
    const h = this.h;
    if (h.drivers.has(driver)) return;
    if (driver === "vfio-pci") h.spec.host.vfioLoaded = true;
    const module = moduleOf(driver);
    h.drivers.set(driver, module);
    h.modules = moduleList(h.spec, h.drivers);
    writeDriver(this.sys, driver, module);
    for (const m of h.modules) writeModule(this.sys, m, this.sys.has(`module/${m.name}/drivers`) ? m.drivers.filter((d) => d === driver) : m.drivers);
    this.refreshProcfs();
  }

  /** VF `index` of a PF appears (pci_iov_add_virtfn): its directory, links and IOMMU group; no driver yet. */
  addVf(pfAddress: string, index: number): PciFunction {
    const h = this.h;
    const vf = vfFunction(h.topology.byAddress.get(pfAddress)!, index);
    delete vf.spec.driver;
    const functions = [...h.topology.functions, vf];
    h.topology = { ...h.topology, functions, byAddress: new Map(functions.map((f) => [f.address, f])) };
    h.devPath.set(vf.address, `${parentOf(h.devPath.get(pfAddress)!)}/${vf.address}`);
    h.allocator?.addNode(groupNode(vf));
    h.allocator?.probe(vf.address);
    this.journals.set(
      `dev:${vf.address}`,
      this.sys.record(() => writeDevice(this.sys, h, vf)),
    );
    return vf;
  }

  /** A function goes away (pci_stop_and_remove_bus_device): its driver first, then everything it created. */
  removeFunction(address: string): void {
    const h = this.h;
    if (h.topology.byAddress.get(address)?.spec.driver) this.unbind(address);
    this.sys.undo(this.journals.get(`dev:${address}`) ?? []);
    this.journals.delete(`dev:${address}`);
    h.allocator?.release(address);
    const functions = h.topology.functions.filter((f) => f.address !== address);
    h.topology = { ...h.topology, functions, byAddress: new Map(functions.map((f) => [f.address, f])) };
    h.devPath.delete(address);
    this.refreshProcfs();
  }

  /**
   * A driver's probe succeeded. `ownDriver` (not vfio-pci/pci-stub): it creates the device's class devices, its
   * network interfaces fresh (new ifindex, down, no addresses) and its disks.
   */
  bind(address: string, driver: string, ownDriver: boolean): void {
    const h = this.h;
    const f = h.topology.byAddress.get(address)!;
    f.spec.driver = driver;
    if (ownDriver && f.spec.netdevs) {
      f.spec.netdevs = f.spec.netdevs.map((n) => ({ name: n.name, mac: n.mac, operstate: "down" }));
      for (const spec of f.spec.netdevs) {
        const dir = `${h.devPath.get(address)!}/net/${spec.name}`;
        const n: NetNode = { name: spec.name, dir, spec, ifindex: h.nextIfindex++, kind: "physical", owner: address, lowers: [], uppers: [], master: null };
        h.net.push(n);
        h.netByName.set(n.name, n);
      }
    }
    writeDriverAttrs(this.sys, h, f);
    this.journals.set(
      `bind:${address}`,
      this.sys.record(() => writeBinding(this.sys, h, f)),
    );
    this.refreshProcfs();
  }

  /** The driver's remove ran: its links, the interfaces and disks it created are gone. */
  unbind(address: string): void {
    const h = this.h;
    const f = h.topology.byAddress.get(address)!;
    this.sys.undo(this.journals.get(`bind:${address}`) ?? []);
    this.journals.delete(`bind:${address}`);
    for (const n of h.net.filter((x) => x.owner === address)) {
      h.netByName.delete(n.name);
      for (const upper of n.uppers) {
        const u = h.netByName.get(upper);
        if (u) u.lowers = u.lowers.filter((l) => l !== n.name);
      }
    }
    h.net = h.net.filter((x) => x.owner !== address);
    delete f.spec.driver;
    writeDriverAttrs(this.sys, h, f);
    this.refreshProcfs();
  }

  /** One attribute of a function, with the trailing newline of the kernel's show(). */
  setAttr(address: string, name: string, value: string | number): void {
    this.sys.attr(`${this.h.devPath.get(address)!}/${name}`, value);
  }

  /**
   * A process appears in procfs (/proc/<pid>: comm, cmdline, status, stat, cgroup) with these files open: its fd
   * links point at absolute paths, as the kernel shows them ("/dev/vfio/18").
   */
  startProcess(p: SimulatedProcess): void {
    const dir = `${this.proc.root}/${p.pid}`;
    fs.mkdirSync(`${dir}/fd`, { recursive: true });
    fs.writeFileSync(`${dir}/comm`, formatComm(p.comm));
    fs.writeFileSync(`${dir}/cmdline`, formatArgv(p.argv));
    fs.writeFileSync(
      `${dir}/status`,
      formatPidStatus([
        ["Name", p.comm],
        ["Uid", Array<number>(4).fill(p.uid).join("\t")],
      ]),
    );
    // fields 4 to 21 zero, 22 the start time, two more zeros
    const rest = [...Array<string>(18).fill("0"), String(p.startTicks), "0", "0"];
    fs.writeFileSync(`${dir}/stat`, formatPidStat({ pid: p.pid, comm: p.comm, state: "S", rest }));
    fs.writeFileSync(`${dir}/cgroup`, formatCgroup([{ hierarchy: 0, controllers: "", path: p.cgroup }]));
    p.fds.forEach((target, i) => fs.symlinkSync(target, `${dir}/fd/${i + 3}`));
  }

  /**
   * A process with devices open through vfio-pci (a running VM's QEMU): its /proc/<pid> with the container and each
   * device's group file open, and each device enabled (vfio-pci enables a device only while a user has it open).
   */
  startHolder(p: ProcessSpec): void {
    const groups: number[] = [];
    for (const address of p.opens) {
      const f = this.h.topology.byAddress.get(address);
      if (f?.spec.driver !== "vfio-pci") throw new Error(`scenario ${this.h.spec.name}: pid ${p.pid} opens ${address}, which is not on vfio-pci`);
      const group = this.groupOf(address);
      if (group === null) throw new Error(`scenario ${this.h.spec.name}: pid ${p.pid} opens ${address}, which has no IOMMU group`);
      if (!groups.includes(group)) groups.push(group);
    }
    this.startProcess({
      pid: p.pid,
      comm: p.comm,
      argv: p.argv,
      uid: p.uid,
      cgroup: p.cgroup,
      startTicks: p.startTicks ?? 4242,
      fds: ["/dev/vfio/vfio", ...groups.map((g) => `/dev/vfio/${g}`)],
    });
    for (const address of p.opens) this.setAttr(address, "enable", 1);
  }

  /**
   * `ip link set <dev> netns <ns>`: the device's interfaces leave this namespace. sysfs shows a device's interfaces
   * only in the reader's namespace, so its net/ directory stays, empty (as the rig's kernel showed), and
   * class/net and procfs lose them.
   */
  moveNetdevsOut(address: string): void {
    const h = this.h;
    for (const n of h.net.filter((x) => x.owner === address)) {
      fs.rmSync(`${this.sys.root}/${n.dir}`, { recursive: true, force: true });
      fs.rmSync(`${this.sys.root}/class/net/${n.name}`, { force: true });
      h.netByName.delete(n.name);
    }
    h.net = h.net.filter((x) => x.owner !== address);
    this.refreshProcfs();
  }

  /** The process exited: /proc/<pid> is gone. */
  endProcess(pid: number): void {
    fs.rmSync(`${this.proc.root}/${pid}`, { recursive: true, force: true });
  }

  /** procfs files that follow from interfaces, drivers and modules. */
  private refreshProcfs(): void {
    writeProcNet(this.proc, this.h);
    this.proc.file("interrupts", interrupts(this.h));
    this.proc.file("modules", procModules(this.h));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing files and links

/**
 * Target of a sysfs symlink as kernfs writes it (kernfs_get_target_path): "../" up from the link's directory until
 * reaching an ancestor of the target's parent, then down to the target. So a link to an ancestor is not "../..":
 * net/eth0/device reads ../../../0000:03:00.0, and a sibling link reads ../0000:3b:02.0.
 */
export function kernfsLinkTarget(linkRel: string, targetRel: string): string {
  const up = nodePath.posix.relative(nodePath.posix.dirname(linkRel), nodePath.posix.dirname(targetRel));
  return up ? `${up}/${nodePath.posix.basename(targetRel)}` : nodePath.posix.basename(targetRel);
}

interface JournalEntry {
  rel: string;
  dir: boolean;
}

class Tree {
  readonly root: string;
  private readonly dirs = new Set<string>([""]);
  /** while recording: what was created, in order */
  private journal: JournalEntry[] | null = null;

  constructor(root: string) {
    this.root = root;
    fs.mkdirSync(root, { recursive: true });
  }

  /** Runs `write` and returns the directories, files and links it created (not the files it only rewrote). */
  record(write: () => void): JournalEntry[] {
    const journal: JournalEntry[] = [];
    this.journal = journal;
    try {
      write();
    } finally {
      this.journal = null;
    }
    return journal;
  }

  /** Removes what a recording created, newest first; a directory something else has put entries in stays. */
  undo(journal: readonly JournalEntry[]): void {
    for (const e of [...journal].reverse()) {
      const abs = `${this.root}/${e.rel}`;
      if (!e.dir) {
        fs.rmSync(abs, { force: true });
        continue;
      }
      try {
        fs.rmdirSync(abs);
        this.dirs.delete(e.rel);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOTEMPTY" && code !== "ENOENT") throw err;
        if (code === "ENOENT") this.dirs.delete(e.rel);
      }
    }
  }

  has(rel: string): boolean {
    return this.dirs.has(rel);
  }

  dir(rel: string): void {
    if (this.dirs.has(rel)) return;
    fs.mkdirSync(`${this.root}/${rel}`, { recursive: true });
    const created: string[] = [];
    for (let d = rel; d && !this.dirs.has(d); d = parentOf(d)) created.push(d);
    for (const d of created.reverse()) {
      this.dirs.add(d);
      this.journal?.push({ rel: d, dir: true });
    }
  }

  /** A file with exactly this content (procfs tables, binary ACPI tables, config space). */
  file(rel: string, content: string | Uint8Array): void {
    this.dir(parentOf(rel));
    const abs = `${this.root}/${rel}`;
    if (this.journal && !fs.existsSync(abs)) this.journal.push({ rel, dir: false });
    fs.writeFileSync(abs, content);
  }

  /** A sysfs attribute: one value and the newline the kernel's show() functions end with. */
  attr(rel: string, value: string | number): void {
    this.file(rel, `${value}\n`);
  }

  /** A relative symlink, as the kernel makes them; both paths relative to this tree's root. */
  link(rel: string, targetRel: string): void {
    this.dir(parentOf(rel));
    fs.symlinkSync(kernfsLinkTarget(rel, targetRel), `${this.root}/${rel}`);
    this.journal?.push({ rel, dir: false });
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

// ---------------------------------------------------------------------------------------------------------------
// The host model: the spec with every path, interface index and block device resolved once.

interface NetNode {
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

interface BlockNode {
  name: string;
  dir: string;
  dev: string;
  sizeBytes: number;
  isPartition: boolean;
  /** the PCI controller the disk is on; null for dm/md devices */
  owner: string | null;
}

interface Host {
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

interface ModuleInfo {
  name: string;
  usedBy: string[];
  drivers: string[];
}

function buildHost(spec: ScenarioSpec): Host {
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

function moduleOf(driver: string): string | null {
  return driver in DRIVER_MODULE ? DRIVER_MODULE[driver]! : driver.replace(/-/g, "_");
}

function moduleList(spec: ScenarioSpec, drivers: Map<string, string | null>): ModuleInfo[] {
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

// ---------------------------------------------------------------------------------------------------------------
// sysfs

/** Writes sysfs; returns the journals of what each VF and each binding created, for a live tree to take away. */
function writeSysfs(t: Tree, h: Host): Map<string, JournalEntry[]> {
  const journals = new Map<string, JournalEntry[]>();
  for (const d of [
    "bus/pci/devices",
    "class/net",
    "class/block",
    "class/iommu",
    "class/pci_bus",
    "kernel/iommu_groups",
    "dev/block",
    "module",
    "firmware/acpi/tables",
  ])
    t.dir(d);
  t.file("bus/pci/drivers_probe", "");
  t.attr("bus/pci/drivers_autoprobe", 1);
  t.file("bus/pci/rescan", "");
  t.file("bus/pci/resource_alignment", "\n");

  for (const rootBus of h.topology.rootBuses) writePciBus(t, `devices/${rootBus}`, rootBus.slice(3), `devices/${rootBus}`);
  for (const f of h.topology.functions) {
    if (f.physfn)
      journals.set(
        `dev:${f.address}`,
        t.record(() => writeDevice(t, h, f)),
      );
    else writeDevice(t, h, f);
  }
  for (const [driver, module] of h.drivers) writeDriver(t, driver, module);
  // the virtual interfaces and block devices first: a binding's journal must not own their directories
  writeNet(t, h);
  writeBlock(t, h);
  for (const f of h.topology.functions)
    if (f.spec.driver)
      journals.set(
        `bind:${f.address}`,
        t.record(() => writeBinding(t, h, f)),
      );
  writeIommu(t, h);
  writeFirmware(t, h);
  for (const m of h.modules) writeModule(t, m, m.drivers);
  return journals;
}

/** A function's directory with everything but its driver's doing, and its place in its IOMMU group. */
function writeDevice(t: Tree, h: Host, f: PciFunction): void {
  writeFunction(t, h, f);
  const group = groupOf(h, f.address);
  if (group !== null) writeGroupMember(t, h, f.address, group);
}

function writeModule(t: Tree, m: ModuleInfo, drivers: readonly string[]): void {
  t.attr(`module/${m.name}/refcnt`, m.usedBy.length);
  t.attr(`module/${m.name}/initstate`, "live");
  for (const d of drivers) t.link(`module/${m.name}/drivers/pci:${d}`, `bus/pci/drivers/${d}`);
}

function groupOf(h: Host, address: string): number | null {
  return h.allocator?.groupOf(address) ?? null;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
const HEX = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");

function linkSpeed(s: LinkSpeed): string {
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
function writeDriverAttrs(t: Tree, h: Host, f: PciFunction): void {
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
function writeBinding(t: Tree, h: Host, f: PciFunction): void {
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
function writePciBus(t: Tree, ownerDir: string, busName: string, deviceDir: string): void {
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

function writeDriver(t: Tree, driver: string, module: string | null): void {
  const dir = `bus/pci/drivers/${driver}`;
  for (const file of ["bind", "unbind", "new_id", "remove_id"]) t.file(`${dir}/${file}`, "");
  if (module) t.link(`${dir}/module`, `module/${module}`);
}

/** A function's place in its IOMMU group: the group's directory (made with its first member) and both links. */
function writeGroupMember(t: Tree, h: Host, address: string, group: number): void {
  const dir = `kernel/iommu_groups/${group}`;
  if (!t.has(dir)) {
    const pt = /(^|\s)(iommu=pt|iommu\.passthrough=1)(\s|$)/.test(h.spec.host.cmdline);
    t.attr(`${dir}/type`, h.spec.host.iommu.defaultDomain ?? (pt ? "identity" : "DMA-FQ"));
  }
  t.link(`${dir}/devices/${address}`, h.devPath.get(address)!);
  if (h.iommuUnit) t.link(`${h.iommuUnit.dir}/devices/${address}`, h.devPath.get(address)!);
}

/** The IOMMU unit's own attributes (the groups are written with their members). */
function writeIommu(t: Tree, h: Host): void {
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

function writeFirmware(t: Tree, h: Host): void {
  for (const sig of ["APIC", "DSDT", "FACP", "MCFG"]) t.file(`firmware/acpi/tables/${sig}`, acpiTable(sig, [0, 0, 0, 0]));
  const { vendor, acpiTable: present, interruptRemapping } = h.spec.host.iommu;
  // DMAR: host address width, flags (bit 0: interrupt remapping supported); IVRS: IVinfo
  if (present && vendor === "intel") t.file("firmware/acpi/tables/DMAR", acpiTable("DMAR", [38, interruptRemapping ? 1 : 0, ...Array<number>(10).fill(0)]));
  if (present && vendor === "amd") t.file("firmware/acpi/tables/IVRS", acpiTable("IVRS", [0x43, 0x30, 0x20, 0, ...Array<number>(8).fill(0)]));
}

// Network ---------------------------------------------------------------------------------------------------------

function writeNetdev(t: Tree, h: Host, n: NetNode): void {
  const a = (name: string, value: string | number) => t.attr(`${n.dir}/${name}`, value);
  a("address", n.spec.mac);
  a("operstate", n.kind === "loopback" ? "unknown" : n.spec.operstate);
  a("ifindex", n.ifindex);
  a("iflink", n.ifindex);
  a("type", n.kind === "loopback" ? 772 : 1);
  a("mtu", n.spec.mtu ?? 1500);
  a("carrier", n.spec.operstate === "up" ? 1 : 0);
  t.link(`class/net/${n.name}`, n.dir);
  if (n.kind === "physical") t.link(`${n.dir}/device`, parentOf(parentOf(n.dir)));
  // the adjacency links both ways are made as the lower device is linked in (so they go with it)
  for (const upper of n.uppers) {
    const u = h.netByName.get(upper)!;
    t.link(`${n.dir}/upper_${upper}`, u.dir);
    t.link(`${u.dir}/lower_${n.name}`, n.dir);
  }
  if (n.master) {
    const master = h.netByName.get(n.master)!;
    t.link(`${n.dir}/master`, master.dir);
    if (master.kind === "bridge") {
      t.link(`${n.dir}/brport/bridge`, master.dir);
      t.attr(`${n.dir}/brport/state`, 3);
      t.link(`${master.dir}/brif/${n.name}`, `${n.dir}/brport`);
    } else {
      t.attr(`${n.dir}/bonding_slave/state`, "active");
    }
  }
  if (n.kind === "bridge") {
    t.attr(`${n.dir}/bridge/stp_state`, 0);
    t.attr(`${n.dir}/bridge/bridge_id`, `8000.${n.spec.mac.replace(/:/g, "")}`);
    t.dir(`${n.dir}/brif`);
  }
  if (n.kind === "bond") {
    t.attr(`${n.dir}/bonding/slaves`, n.lowers.join(" "));
    t.attr(`${n.dir}/bonding/mode`, "active-backup 1");
  }
}

function writeNet(t: Tree, h: Host): void {
  for (const n of h.net) if (n.kind !== "physical") writeNetdev(t, h, n);
}

// Block -----------------------------------------------------------------------------------------------------------

/** A block device with its class and dev links, and the holder/slave links to whatever is stacked on it. */
function writeBlockDevice(t: Tree, h: Host, b: BlockNode): void {
  const a = (name: string, value: string | number) => t.attr(`${b.dir}/${name}`, value);
  a("dev", b.dev);
  a("size", Math.floor(b.sizeBytes / 512));
  a("ro", 0);
  t.dir(`${b.dir}/holders`);
  if (b.isPartition) {
    a("partition", /(\d+)$/.exec(b.name)![1]!);
    a("start", 2048);
  } else {
    a("removable", 0);
    t.dir(`${b.dir}/slaves`);
  }
  for (const holder of h.spec.storage.holders.filter((hs: HolderSpec) => hs.slaves.includes(b.name))) {
    const holderDir = h.blocks.get(holder.name)!.dir;
    t.link(`${b.dir}/holders/${holder.name}`, holderDir);
    t.link(`${holderDir}/slaves/${b.name}`, b.dir);
  }
  t.link(`class/block/${b.name}`, b.dir);
  t.link(`dev/block/${b.dev}`, b.dir);
}

/** The disks (and their partitions) of an NVMe or AHCI controller, as its driver's probe adds them. */
function writeDisks(t: Tree, h: Host, f: PciFunction): void {
  for (const b of h.blocks.values()) if (b.owner === f.address) writeBlockDevice(t, h, b);
  const dir = h.devPath.get(f.address)!;
  for (const d of f.spec.disks ?? []) {
    const disk = h.blocks.get(d.name)!;
    if (h.nvmeCtrl.has(f.address)) t.link(`${disk.dir}/device`, `${dir}/nvme/${h.nvmeCtrl.get(f.address)}`);
    else {
      const scsiDev = parentOf(parentOf(disk.dir));
      t.attr(`${scsiDev}/vendor`, "ATA     ");
      t.attr(`${scsiDev}/model`, (d.model ?? "SATA SSD").padEnd(16).slice(0, 16));
      t.link(`${disk.dir}/device`, scsiDev);
    }
  }
}

/** The stacked (dm/md) block devices; the disks come with their controller's driver. */
function writeBlock(t: Tree, h: Host): void {
  for (const b of h.blocks.values()) if (b.owner === null) writeBlockDevice(t, h, b);
  for (const hs of h.spec.storage.holders) {
    const dir = h.blocks.get(hs.name)!.dir;
    if (hs.kind === "dm") {
      t.attr(`${dir}/dm/name`, hs.dmName ?? hs.name);
      t.attr(
        `${dir}/dm/uuid`,
        `LVM-${(hs.dmName ?? hs.name)
          .replace(/[^a-z0-9]/gi, "")
          .padEnd(32, "0")
          .slice(0, 32)}`,
      );
      t.attr(`${dir}/dm/suspended`, 0);
    } else {
      t.attr(`${dir}/md/level`, hs.mdLevel ?? "raid1");
      t.attr(`${dir}/md/raid_disks`, hs.slaves.length);
      t.attr(`${dir}/md/array_state`, "clean");
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// procfs

function writeProcfs(t: Tree, h: Host): void {
  const { host } = h.spec;
  t.file("cmdline", formatCmdline(host.cmdline));
  t.attr("version", host.kernelVersion ?? defaultKernelVersion(host.kernelRelease));
  t.attr("sys/kernel/hostname", host.hostname);
  t.attr("sys/kernel/osrelease", host.kernelRelease);
  t.file("cpuinfo", cpuinfo(h));
  // /proc/mounts and /proc/net are links into /proc/self, as on a real procfs
  const { mountinfo, mounts } = mountTables(h);
  t.file("self/mountinfo", mountinfo);
  t.file("self/mounts", mounts);
  t.link("mounts", "self/mounts");
  t.file("swaps", swaps(h));
  writeProcNet(t, h);
  t.link("net", "self/net");
  t.file("interrupts", interrupts(h));
  t.file("modules", procModules(h));
}

function writeProcNet(t: Tree, h: Host): void {
  t.file("self/net/route", ipv4Routes(h));
  t.file("self/net/fib_trie", fibTrie(h));
  t.file("self/net/ipv6_route", ipv6Routes(h));
  t.file("self/net/if_inet6", ifInet6(h));
}

function procModules(h: Host): string {
  return h.modules
    .map((m) => `${m.name} ${moduleSize(m.name)} ${m.usedBy.length} ${m.usedBy.length ? `${m.usedBy.join(",")},` : "-"} Live 0x0000000000000000\n`)
    .join("");
}

function defaultKernelVersion(release: string): string {
  const ubuntu = release.endsWith("-generic");
  return ubuntu
    ? `Linux version ${release} (buildd@lcy02-amd64-080) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #49-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov  4 02:06:24 UTC 2024`
    : `Linux version ${release} (build@proxmox) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 (2024-11-06T15:04Z)`;
}

function moduleSize(name: string): number {
  let hsh = 0;
  for (const c of name) hsh = (hsh * 31 + c.charCodeAt(0)) >>> 0;
  return ((hsh % 120) + 4) * 4096;
}

function cpuinfo(h: Host): string {
  const c = h.spec.host.cpu;
  const intel = c.vendor === "GenuineIntel";
  const blocks: CpuinfoBlock[] = [];
  for (let cpu = 0; cpu < 2; cpu++) {
    const lines: [string, string | number][] = [
      ["processor", cpu],
      ["vendor_id", c.vendor],
      ["cpu family", c.family],
      ["model", c.modelNumber],
      ["model name", c.model],
      ["stepping", c.stepping],
      ["microcode", intel ? "0x2c" : "0xa20120e"],
      ["cpu MHz", c.mhz.toFixed(3)],
      ["cache size", `${c.cacheKb} KB`],
      ["physical id", 0],
      ["siblings", 2],
      ["core id", cpu],
      ["cpu cores", 2],
      ["apicid", cpu * 2],
      ["initial apicid", cpu * 2],
      ["fpu", "yes"],
      ["fpu_exception", "yes"],
      ["cpuid level", intel ? 32 : 16],
      ["wp", "yes"],
      ["flags", c.flags.join(" ")],
      ...(intel && c.flags.includes("vmx")
        ? ([
            [
              "vmx flags",
              "vnmi preemption_timer posted_intr invvpid ept_x_only ept_ad ept_1gb flexpriority apicv tsc_offset vtpr mtf vapic ept vpid unrestricted_guest vapic_reg vid ple shadow_vmcs ept_mode_based_exec tsc_scaling",
            ],
          ] as [string, string][])
        : []),
      ["bugs", intel ? "spectre_v1 spectre_v2 spec_store_bypass swapgs eibrs_pbrsb rfds bhi" : "sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso"],
      ["bogomips", (c.mhz * 2).toFixed(2)],
      ...(intel ? [] : ([["TLB size", "2560 4K pages"]] as [string, string][])),
      ["clflush size", 64],
      ["cache_alignment", 64],
      ["address sizes", intel ? "46 bits physical, 48 bits virtual" : "48 bits physical, 48 bits virtual"],
      ["power management", ""],
    ];
    blocks.push(lines.map(([k, v]) => [k, String(v)]));
  }
  return formatCpuinfo(blocks);
}

// Mounts ----------------------------------------------------------------------------------------------------------

function mountTables(h: Host): { mountinfo: string; mounts: string } {
  interface Row {
    source: string;
    mountpoint: string;
    fstype: string;
    dev: string;
    root: string;
    opts: string;
    superOpts: string;
  }
  const rows: Row[] = [];
  const pseudo = (source: string, mountpoint: string, fstype: string, dev: string, opts: string, superOpts = "rw") =>
    rows.push({ source, mountpoint, fstype, dev, root: "/", opts, superOpts });
  const devOf = (source: string, fstype: string, explicit?: string): string => {
    if (explicit) return explicit;
    const anon = fstype === "btrfs" ? h.anonDevs.get(source) : undefined;
    if (anon) return anon;
    const name = source.startsWith("/dev/mapper/")
      ? h.spec.storage.holders.find((x) => x.dmName === source.slice("/dev/mapper/".length))?.name
      : source.startsWith("/dev/")
        ? source.slice(5)
        : undefined;
    const b = name ? h.blocks.get(name) : undefined;
    if (!b) throw new Error(`scenario ${h.spec.name}: mount source ${source} is not a block device of the scenario`);
    return b.dev;
  };
  const subvolIds = new Map<string, number>();
  const subvolId = (source: string, root: string) => {
    if (root === "/") return 5;
    const key = `${source} ${root}`;
    if (!subvolIds.has(key)) subvolIds.set(key, 256 + subvolIds.size);
    return subvolIds.get(key)!;
  };
  const superOptsOf = (fstype: string, source: string, root: string) =>
    fstype === "ext4"
      ? "rw,errors=remount-ro"
      : fstype === "vfat"
        ? "rw,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1,shortname=mixed,errors=remount-ro"
        : fstype === "btrfs"
          ? `rw,ssd,discard=async,space_cache=v2,subvolid=${subvolId(source, root)},subvol=${root}`
          : "rw";

  const specMounts = [...h.spec.storage.mounts].sort((a, b) => a.mountpoint.length - b.mountpoint.length);
  const rootMount = specMounts.find((m) => m.mountpoint === "/");
  pseudo("sysfs", "/sys", "sysfs", "0:21", "rw,nosuid,nodev,noexec,relatime");
  pseudo("proc", "/proc", "proc", "0:22", "rw,nosuid,nodev,noexec,relatime");
  pseudo("udev", "/dev", "devtmpfs", "0:5", "rw,nosuid,relatime", "rw,size=16318124k,nr_inodes=4079531,mode=755,inode64");
  pseudo("devpts", "/dev/pts", "devpts", "0:23", "rw,nosuid,noexec,relatime", "rw,gid=5,mode=620,ptmxmode=000");
  pseudo("tmpfs", "/run", "tmpfs", "0:24", "rw,nosuid,nodev,noexec,relatime", "rw,size=3272604k,mode=755,inode64");
  for (const m of specMounts) {
    const root = m.root ?? "/";
    rows.push({
      source: m.source,
      mountpoint: m.mountpoint,
      fstype: m.fstype,
      dev: devOf(m.source, m.fstype, m.dev),
      root,
      opts: m.options ?? "rw,relatime",
      superOpts: superOptsOf(m.fstype, m.source, root),
    });
    if (m === rootMount) {
      pseudo("securityfs", "/sys/kernel/security", "securityfs", "0:6", "rw,nosuid,nodev,noexec,relatime");
      pseudo("tmpfs", "/dev/shm", "tmpfs", "0:25", "rw,nosuid,nodev", "rw,inode64");
      pseudo("cgroup2", "/sys/fs/cgroup", "cgroup2", "0:26", "rw,nosuid,nodev,noexec,relatime", "rw,nsdelegate,memory_recursiveprot");
    }
  }

  // IDs in mount order; the parent is the mount the mountpoint lies on (the root's parent is the initial rootfs, 1).
  const ids = rows.map((_, i) => 22 + i);
  const parentId = (mp: string): number => {
    if (mp === "/") return 1;
    let best = -1;
    rows.forEach((r, i) => {
      const under = r.mountpoint === "/" || mp.startsWith(`${r.mountpoint}/`);
      if (under && r.mountpoint !== mp && (best < 0 || r.mountpoint.length > rows[best]!.mountpoint.length)) best = i;
    });
    return best < 0 ? 1 : ids[best]!;
  };
  const mountinfo = formatMountinfo(
    rows.map((r, i) => ({
      id: ids[i]!,
      parentId: parentId(r.mountpoint),
      majorMinor: r.dev,
      root: r.root,
      mountpoint: r.mountpoint,
      options: r.opts,
      optionalFields: [`shared:${i + 1}`],
      fstype: r.fstype,
      source: r.source,
      superOptions: r.superOpts,
    })),
  );
  // /proc/mounts lists the mount's options, then the superblock's other than rw/ro
  const mounts = formatMounts(
    rows.map((r) => ({
      source: r.source,
      mountpoint: r.mountpoint,
      fstype: r.fstype,
      options: [r.opts, ...r.superOpts.split(",").filter((o) => o !== "rw" && o !== "ro")].join(","),
      freq: 0,
      passno: 0,
    })),
  );
  return { mountinfo, mounts };
}

/** /proc/swaps as swap_show() prints it: the path padded to 40 columns, then tab-separated numbers. */
function swaps(h: Host): string {
  return formatSwaps(
    h.spec.storage.swaps.map((s) => ({
      filename: s.source,
      type: s.kind === "partition" ? "partition" : "file",
      sizeKb: s.sizeKb,
      usedKb: s.usedKb ?? 0,
      priority: s.priority ?? -2,
    })),
  );
}

// IPv4 ------------------------------------------------------------------------------------------------------------

interface V4Addr {
  iface: string;
  ip: number;
  prefix: number;
}

const ipv4 = (text: string): number => text.split(".").reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const dotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join(".");

function upIfaces(h: Host): NetNode[] {
  return h.net.filter((n) => n.kind !== "loopback" && n.spec.operstate === "up");
}

function v4Addresses(h: Host): V4Addr[] {
  return upIfaces(h).flatMap((n) =>
    (n.spec.ipv4 ?? []).map((cidr) => {
      const [ip, prefix] = cidr.split("/") as [string, string];
      return { iface: n.name, ip: ipv4(ip), prefix: Number(prefix) };
    }),
  );
}

function routeMetric(_h: Host, iface: string, route: ScenarioSpec["network"]["defaultV4"]): number {
  return route?.iface === iface ? (route.metric ?? 0) : 0;
}

/** /proc/net/route: the main table's unicast routes, by destination, the longer prefix first. */
function ipv4Routes(h: Host): string {
  const route = (iface: string, destination: number, gateway: number, flags: number, metric: number, mask: number): NetRoute => ({
    iface,
    destination,
    gateway,
    flags,
    refCnt: 0,
    use: 0,
    metric,
    mask,
    mtu: 0,
    window: 0,
    irtt: 0,
  });
  const rows: NetRoute[] = [];
  const def = h.spec.network.defaultV4;
  // RTF_UP | RTF_GATEWAY for the default, RTF_UP for a connected route
  if (def && h.netByName.get(def.iface)?.spec.operstate === "up") rows.push(route(def.iface, 0, ipv4(def.gateway), 0x3, def.metric ?? 0, 0));
  for (const a of v4Addresses(h)) {
    const net = (a.ip & maskOf(a.prefix)) >>> 0;
    rows.push(route(a.iface, net, 0, 0x1, routeMetric(h, a.iface, def), maskOf(a.prefix)));
  }
  rows.sort((x, y) => x.destination - y.destination || y.mask - x.mask);
  return formatNetRoute(rows);
}

/**
 * /proc/net/fib_trie. With no policy rules the kernel merges the local table into main, so "Main:" and "Local:"
 * print the same trie: internal nodes "+-- prefix/len bits full_children empty_children", leaves "|-- address"
 * each followed by its routes ("/32 host LOCAL"). Internal nodes here are binary (one bit each): the kernel may
 * widen them, which changes the "+--" lines but never the leaves.
 */
function fibTrie(h: Host): string {
  const leaves = new Map<number, { prefix: number; scope: string; type: string }[]>();
  const add = (key: number, prefix: number, scope: string, type: string) => {
    const list = leaves.get(key) ?? [];
    if (!list.some((e) => e.prefix === prefix && e.type === type)) list.push({ prefix, scope, type });
    leaves.set(key, list);
  };
  // the kernel drops the routes through an interface that goes away
  if (h.spec.network.defaultV4 && h.netByName.has(h.spec.network.defaultV4.iface)) add(0, 0, "universe", "UNICAST");
  add(ipv4("127.0.0.0"), 8, "host", "LOCAL");
  add(ipv4("127.0.0.1"), 32, "host", "LOCAL");
  add(ipv4("127.255.255.255"), 32, "link", "BROADCAST");
  for (const a of v4Addresses(h)) {
    const mask = maskOf(a.prefix);
    add((a.ip & mask) >>> 0, a.prefix, "link", "UNICAST");
    add(a.ip, 32, "host", "LOCAL");
    if (a.prefix < 31) add((a.ip | ~mask) >>> 0, 32, "link", "BROADCAST");
  }
  const keys = [...leaves.keys()].sort((a, b) => a - b);
  const entries: FibTrieEntry[] = [];
  const walk = (ks: number[], level: number) => {
    if (ks.length === 1) {
      const key = ks[0]!;
      const routes = [...leaves.get(key)!].sort((a, b) => b.prefix - a.prefix).map((e) => ({ prefixLength: e.prefix, scope: e.scope, type: e.type }));
      entries.push({ kind: "leaf", depth: level - 1, address: dotted(key), routes });
      return;
    }
    const bit = Math.clz32((ks[0]! ^ ks[ks.length - 1]!) >>> 0);
    const zero = ks.filter((k) => ((k >>> (31 - bit)) & 1) === 0);
    const one = ks.filter((k) => ((k >>> (31 - bit)) & 1) === 1);
    const splitBit = (c: number[]) => (c.length > 1 ? Math.clz32((c[0]! ^ c[c.length - 1]!) >>> 0) : -1);
    const full = [zero, one].filter((c) => splitBit(c) === bit + 1).length;
    entries.push({
      kind: "node",
      depth: level - 1,
      prefix: dotted((ks[0]! & maskOf(bit)) >>> 0),
      prefixLength: bit,
      bits: 1,
      fullChildren: full,
      emptyChildren: 0,
    });
    walk(zero, level + 1);
    walk(one, level + 1);
  };
  walk(keys, 1);
  return formatFibTrie([
    { name: "Main", entries },
    { name: "Local", entries },
  ]);
}

// IPv6 ------------------------------------------------------------------------------------------------------------

/** "2001:db8::10" → 32 lower-case hex digits. */
function ipv6Hex(text: string): string {
  const [head, tail] = text.includes("::") ? (text.split("::") as [string, string]) : [text, null];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups
    .map((g) => g.padStart(4, "0"))
    .join("")
    .toLowerCase();
}

function maskedV6(hex32: string, prefix: number): string {
  let bits = "";
  for (const c of hex32) bits += Number.parseInt(c, 16).toString(2).padStart(4, "0");
  bits = bits.slice(0, prefix).padEnd(128, "0");
  return (bits.match(/.{4}/g) ?? []).map((b) => Number.parseInt(b, 2).toString(16)).join("");
}

/** Modified EUI-64 link-local address from a MAC: fe80::(mac0^2)mac1:mac2ff:fe mac3:mac4mac5. */
function linkLocal(mac: string): string {
  const b = mac.split(":").map((x) => Number.parseInt(x, 16));
  const eui = [b[0]! ^ 2, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  return `fe80000000000000${eui.map((x) => hex(x, 2)).join("")}`;
}

interface V6Addr {
  iface: NetNode;
  hex: string;
  prefix: number;
  scope: number;
  /** IFA_F_* as if_inet6 prints them: 0x80 (permanent) for configured and link-local addresses, 0x00 for SLAAC */
  flags: number;
}

/** IPv6 addresses: ::1 on lo; a link-local on every up interface that is not a bridge/bond port; the spec's globals. */
function v6Addresses(h: Host): V6Addr[] {
  const lo = h.netByName.get("lo")!;
  const out: V6Addr[] = [{ iface: lo, hex: ipv6Hex("::1"), prefix: 128, scope: 0x10, flags: IFA_F_PERMANENT }];
  for (const n of upIfaces(h)) {
    if (n.master) continue;
    for (const [list, flags] of [
      [n.spec.ipv6, IFA_F_PERMANENT],
      [n.spec.ipv6Autoconf, 0],
    ] as const) {
      for (const cidr of list ?? []) {
        const [ip, prefix] = cidr.split("/") as [string, string];
        out.push({ iface: n, hex: ipv6Hex(ip), prefix: Number(prefix), scope: 0, flags });
      }
    }
    out.push({ iface: n, hex: linkLocal(n.spec.mac), prefix: 64, scope: 0x20, flags: IFA_F_PERMANENT });
  }
  return out;
}

/** /proc/net/if_inet6: the addresses in the order v6Addresses lists them. */
function ifInet6(h: Host): string {
  return formatIfInet6(
    v6Addresses(h).map((a) => ({ address: a.hex, ifindex: a.iface.ifindex, prefixLength: a.prefix, scope: a.scope, flags: a.flags, iface: a.iface.name })),
  );
}

/**
 * /proc/net/ipv6_route: "dst plen src plen nexthop metric refcnt use flags dev", main table then local table, each
 * table's root (::/0) last. A table without a default route shows the null entry there: ::/0 metric ffffffff on lo
 * with RTF_REJECT (0x0200), which is why every host has at least one such line.
 */
function ipv6Routes(h: Host): string {
  const Z = "0".repeat(32);
  const row = (dst: string, plen: number, via: string, metric: number, ref: number, flags: number, dev: string): Ipv6Route => ({
    destination: dst,
    destinationPrefix: plen,
    source: Z,
    sourcePrefix: 0,
    nextHop: via,
    metric,
    refCnt: ref,
    use: 0,
    flags,
    device: dev,
  });
  // RTF_NONEXTHOP | RTF_REJECT
  const nullEntry = row(Z, 0, Z, 0xffffffff, 1, 0x00200200, "lo");

  const main: { key: string; text: Ipv6Route }[] = [];
  const local: { key: string; text: Ipv6Route }[] = [];
  const def = h.spec.network.defaultV6;
  const addrs = v6Addresses(h);
  const ifaces = [...new Set(addrs.filter((a) => a.scope !== 0x10).map((a) => a.iface))];
  for (const a of addrs) {
    const dev = a.iface.name;
    if (a.scope !== 0x10) {
      const metric = def?.iface === dev && a.scope === 0 ? (def.metric ?? 256) : 256;
      const net = maskedV6(a.hex, a.prefix);
      // a SLAAC address's prefix route comes from the same router advertisement, with its lifetime
      const flags = a.flags & IFA_F_PERMANENT ? RTF_UP : (RTF_UP | RTF_ADDRCONF | RTF_EXPIRES) >>> 0;
      if (!main.some((r) => r.key === `${net}/${a.prefix}/${dev}`))
        main.push({ key: `${net}/${a.prefix}/${dev}`, text: row(net, a.prefix, Z, metric, 1, flags, dev) });
    }
    local.push({ key: `${a.hex}/128/${dev}`, text: row(a.hex, 128, Z, 0, a.scope === 0x10 ? 3 : 2, (RTF_LOCAL | RTF_NONEXTHOP | RTF_UP) >>> 0, dev) });
  }
  for (const n of ifaces) local.push({ key: `ff00/8/${n.name}`, text: row(`ff${"0".repeat(30)}`, 8, Z, 256, 1, RTF_UP, n.name) });
  const sorted = (rows: { key: string; text: Ipv6Route }[]) => [...rows].sort((a, b) => (a.key < b.key ? -1 : 1)).map((r) => r.text);
  // the tree walk prints a table's root (::/0) after everything below it, its routes by metric
  const up = (r: { iface: string }) => h.netByName.get(r.iface)?.spec.operstate === "up";
  const defaults = [
    ...(def && up(def) ? [{ metric: def.metric ?? 1024, text: row(Z, 0, ipv6Hex(def.gateway), def.metric ?? 1024, 1, RTF_UP | RTF_GATEWAY, def.iface) }] : []),
    // a router advertisement's default: RTF_UP|RTF_GATEWAY|RTF_DEFAULT|RTF_ADDRCONF|RTF_EXPIRES, printed 00450003
    ...(h.spec.network.raDefaultsV6 ?? []).filter(up).map((r) => ({
      metric: r.metric ?? 1024,
      text: row(Z, 0, ipv6Hex(r.gateway), r.metric ?? 1024, 1, (RTF_UP | RTF_GATEWAY | RTF_DEFAULT | RTF_ADDRCONF | RTF_EXPIRES) >>> 0, r.iface),
    })),
  ];
  const root = defaults.length > 0 ? defaults.sort((a, b) => a.metric - b.metric).map((d) => d.text) : [nullEntry];
  return formatIpv6Route([...sorted(main), ...root, ...sorted(local), nullEntry]);
}

// Interrupts ------------------------------------------------------------------------------------------------------

/** MSI-X users (NICs, NVMe) versus plain MSI; decides the chip name since per-device MSI domains (6.2). */
const MSIX_DRIVERS = new Set([
  "igb",
  "igc",
  "e1000e",
  "i40e",
  "iavf",
  "ice",
  "ixgbe",
  "ixgbevf",
  "mlx5_core",
  "bnxt_en",
  "nvme",
  "r8169",
  "xhci_hcd",
  "ioatdma",
]);

function interruptVectors(h: Host, f: PciFunction, sound: { card: number }): string[] {
  const s = f.spec;
  switch (s.driver) {
    case undefined:
    case "vfio-pci": // requests its vectors only when a VM opens the device
    case "ast":
    case "i801_smbus": // legacy INTx through the IO-APIC, listed with the IO-APIC pins
    case "piix4_smbus":
      return [];
    case "pcieport":
      return f.kind === "root-port" ? ["PCIe PME, aerdrv"] : [];
    case "nvme": {
      const ctrl = h.nvmeCtrl.get(f.address) ?? "nvme";
      return [`${ctrl}q0`, `${ctrl}q1`, `${ctrl}q2`];
    }
    case "ahci":
      return [`ahci[${f.address}]`];
    case "snd_hda_intel":
      return [`snd_hda_intel:card${sound.card++}`];
    case "nouveau":
      return ["nvkm"];
    default: {
      const up = (s.netdevs ?? []).filter((n) => n.operstate === "up");
      if (s.netdevs) return up.flatMap((n) => [n.name, `${n.name}-TxRx-0`, `${n.name}-TxRx-1`]);
      return [s.driver];
    }
  }
}

/** Kernel ≥ 6.2 names MSI chips per device ("IR-PCI-MSIX-0000:03:00.0", hwirq = vector index). */
function perDeviceMsiDomains(release: string): boolean {
  const [major, minor] = release.split(/[.-]/).map(Number) as [number, number];
  return major > 6 || (major === 6 && minor >= 2);
}

/**
 * /proc/interrupts as show_interrupts() prints it for two CPUs (irq numbers padded to 3 columns, as nr_irqs < 1000
 * there), with the IR- prefix when interrupts are remapped.
 */
function interrupts(h: Host): string {
  const ir = h.spec.host.iommu.interruptRemapping ? "IR-" : "";
  const perDevice = perDeviceMsiDomains(h.spec.host.kernelRelease);
  // made-up but stable counts, two CPUs
  const counts = (seed: number): number[] => [(seed * 7919) % 5000, (seed * 104729) % 9000];
  const lines: InterruptLine[] = [];
  const row = (irq: number, chip: string, hwirq: number, handler: string, actions: string) =>
    lines.push({ irq: String(irq), counts: counts(irq), source: { chip, hwirq, handler, actions }, description: "" });
  row(0, `${ir}IO-APIC`, 2, "edge", "timer");
  row(8, `${ir}IO-APIC`, 8, "edge", "rtc0");
  row(9, `${ir}IO-APIC`, 9, "fasteoi", "acpi");
  if (h.topology.functions.some((f) => f.spec.driver === "i801_smbus")) row(16, `${ir}IO-APIC`, 16, "fasteoi", "i801_smbus");
  let irq = 24;
  // VT-d's fault-reporting interrupt
  if (h.iommuUnit?.name === "dmar0") row(irq++, "DMAR-MSI", 0, "edge", "dmar0");
  const sound = { card: 0 };
  for (const f of h.topology.functions) {
    const msix = MSIX_DRIVERS.has(f.spec.driver ?? "");
    interruptVectors(h, f, sound).forEach((name, index) => {
      const chip = perDevice ? `${ir}PCI-MSI${msix ? "X" : ""}-${f.address}` : `${ir}PCI-MSI`;
      // before 6.2 the hwirq encodes the device: domain << 27 | requester ID << 11 | vector index
      const hwirq = perDevice ? index : f.parts.domain * 2 ** 27 + routingId(f.parts) * 2048 + index;
      row(irq++, chip, hwirq, "edge", name);
    });
  }
  const counter = (name: string, description: string) =>
    lines.push({ irq: name, counts: counts(name.charCodeAt(0) * 131 + name.charCodeAt(2)), source: null, description });
  for (const [name, desc] of [
    ["NMI", "Non-maskable interrupts"],
    ["LOC", "Local timer interrupts"],
    ["SPU", "Spurious interrupts"],
    ["PMI", "Performance monitoring interrupts"],
    ["IWI", "IRQ work interrupts"],
    ["RTR", "APIC ICR read retries"],
    ["RES", "Rescheduling interrupts"],
    ["CAL", "Function call interrupts"],
    ["TLB", "TLB shootdowns"],
    ["TRM", "Thermal event interrupts"],
    ["THR", "Threshold APIC interrupts"],
    ["DFR", "Deferred Error APIC interrupts"],
    ["MCE", "Machine check exceptions"],
    ["MCP", "Machine check polls"],
  ] as const)
    counter(name, desc);
  // ERR and MIS: one number in all, no description
  lines.push({ irq: "ERR", counts: [0], source: null, description: "" }, { irq: "MIS", counts: [0], source: null, description: "" });
  for (const [name, desc] of [
    ["PIN", "Posted-interrupt notification event"],
    ["NPI", "Nested posted-interrupt event"],
    ["PIW", "Posted-interrupt wakeup event"],
  ] as const)
    counter(name, desc);
  return formatInterrupts({ cpus: [0, 1], lines });
}

/** Exposed for tests and for a simulated kernel that rewrites single files. */
export const formats = { linkSpeed, leHex, ipv6Hex, linkLocal, perDeviceMsiDomains };
