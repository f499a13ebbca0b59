/** A written scenario tree kept open for a running (simulated) kernel: VFs come and go, drivers bind, processes start. */
import * as fs from "node:fs";
import { formatArgv, formatCgroup, formatComm, formatPidStat, formatPidStatus } from "@/server/host/formats/pid";
import { groupNode } from "./groups";
import { groupOf, type Host, moduleList, moduleOf, type NetNode } from "./host-model";
import { procModules } from "./procfs";
import { interrupts } from "./procfs-interrupts";
import { writeProcNet } from "./procfs-net";
import { type PciFunction, type PciTopology, type ProcessSpec, type ScenarioSpec, vfFunction } from "./spec";
import { writeBinding, writeDevice, writeDriver, writeDriverAttrs, writeModule } from "./sysfs-pci";
import { type JournalEntry, parentOf, type Tree } from "./tree";

export interface ScenarioRoots {
  sysRoot: string;
  procRoot: string;
}

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

/**
 * A written scenario tree kept open for what a running kernel changes (the simulated kernel decides, this lays it
 * out): VFs appear and go, drivers bind and unbind, attributes change. Every change goes through the writers that
 * wrote the tree, and what a function or a binding created is journaled, so removing it takes exactly that away
 * (the kernel removes a device's kobject with everything below it, and the links other subsystems made to it).
 *
 * The spec objects are the live state: `spec.driver` is the bound driver, `spec.netdevs` the interfaces the
 * device's own driver creates, `sriov.numVfs` the enabled VFs.
 */
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
