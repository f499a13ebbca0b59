/**
 * The demo host's kernel: a scenario tree that answers sysfs writes the way Linux does (drivers/pci/iov.c,
 * pci-driver.c, pci-sysfs.c, drivers/base/bus.c, dd.c, driver.c), then changes the tree so that the next scan
 * reads what it would read on a real host. The dashboard's demo mode applies real plans to it, and the kernel rig's
 * differential test holds it against a real 6.1 kernel, so it models few attributes and those exactly:
 * sriov_numvfs, sriov_drivers_autoprobe, driver_override, reset, bus/pci/drivers_probe and every loaded driver's
 * bind, unbind, new_id and remove_id.
 *
 * `SimulatedKernel.create(spec, dir)` writes the scenario's tree into `dir` itself (as writeScenarioTree does) and
 * owns it from then on: the simulator keeps the host model the tree was written from, so it cannot take over a tree
 * written earlier. Scan `sysRoot`/`procRoot` as any host.
 *
 * What lives outside sysfs is kept on the object: `vfioGroups()` is /dev/vfio (devtmpfs), `dmesg()` the kernel
 * log lines the modelled paths print, `writes()` every write with its outcome.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { errnoError, type SysfsWriter } from "@/server/host/writer";
import type { PciFunction, ScenarioSpec } from "./spec";
import { openScenarioTree, type LiveScenarioTree, type SimulatedProcess } from "./write-tree";

export interface SimulatedKernelOptions {
  /** behaviour of single PFs' drivers, by PF address */
  pfQuirks?: Record<string, PfQuirks>;
  /**
   * PF drivers without sriov_configure (as i915 without the SR-IOV patches): writing sriov_numvfs gives ENOENT.
   * Every other driver bound to a PF at boot supports it; vfio-pci does not (its enable_sriov parameter is off).
   */
  driversWithoutSriov?: readonly string[];
}

export interface PfQuirks {
  /** the driver enables at most this many VFs: the write succeeds and sriov_numvfs reads back the smaller number */
  maxVfs?: number;
  /** the VF BARs got no MMIO space at boot: enabling any VF fails with ENOMEM ("not enough MMIO resources for SR-IOV") */
  noVfMmio?: boolean;
}

export interface WriteRecord {
  /** the path as passed to write(), relative to the sysfs root */
  path: string;
  value: string;
  /** the attribute it reached with symlinks resolved ("bus/pci/drivers/iavf/unbind"); null when it reached none */
  target: string | null;
  /** the errno code the write failed with; null when it succeeded */
  error: string | null;
}

const PAGE_SIZE = 4096;
/** drivers that take any device they are pointed at (driver_override, new_id) and create no class devices */
const GENERIC_DRIVERS = new Set(["vfio-pci", "pci-stub"]);
/** attributes the kernel lets root write that this simulator does not model: the write fails with EOPNOTSUPP */
const UNMODELLED_WRITABLE = new Set([
  "reset_method",
  "enable",
  "numa_node",
  "remove",
  "rescan",
  "drivers_autoprobe",
  "resource_alignment",
  "config",
  "rom",
  "sriov_vf_msix_count",
  "d3cold_allowed",
  "broken_parity_status",
  "msi_bus",
  "mtu",
  "ifalias",
  "tx_queue_len",
  "carrier",
  "flags",
]);

/** A driver's ID tables ("8086:154c"): the static one compiled in, the dynamic one new_id and vfio-pci.ids= fill. */
interface DriverIds {
  ids: Set<string>;
  dynIds: Set<string>;
}

export class SimulatedKernel implements SysfsWriter {
  /** Writes the scenario's tree into `dir` (replacing it) and returns the kernel that owns it. */
  static create(spec: ScenarioSpec, dir: string, options: SimulatedKernelOptions = {}): SimulatedKernel {
    return new SimulatedKernel(openScenarioTree(spec, dir), options);
  }

  private readonly log: WriteRecord[] = [];
  private readonly kmsg: string[] = [];
  private readonly tables = new Map<string, DriverIds>();
  private readonly sriovDrivers = new Set<string>();
  private readonly realRoot: string;
  /** vfio-pci devices a simulated process has open, and by whom */
  private readonly openBy = new Map<string, number>();

  private constructor(
    private readonly tree: LiveScenarioTree,
    private readonly options: SimulatedKernelOptions,
  ) {
    this.realRoot = fs.realpathSync(tree.roots.sysRoot);
    // What the boot tree shows bound is what the drivers' tables match: a device on a generic driver without an
    // override got there through its dynamic table (vfio-pci.ids=); VF drivers match the VF ID even before any VF.
    const learn = (driver: string, id: string, overridden: boolean) => {
      if (!GENERIC_DRIVERS.has(driver)) this.table(driver).ids.add(id);
      else if (!overridden) this.table(driver).dynIds.add(id);
    };
    for (const f of tree.topology.functions) {
      const s = f.spec;
      if (s.driver) learn(s.driver, idOf(s.vendor, s.device), s.driverOverride !== undefined);
      if (s.sriov?.vfDriver) learn(s.sriov.vfDriver, idOf(s.vendor, s.sriov.vfDevice), false);
      if (s.sriov && s.driver && !GENERIC_DRIVERS.has(s.driver)) this.sriovDrivers.add(s.driver);
    }
    for (const d of options.driversWithoutSriov ?? []) this.sriovDrivers.delete(d);
    // processes running at boot (the tree wrote them) hold their devices as openVfio's do
    for (const p of tree.spec.processes ?? []) for (const address of p.opens) this.openBy.set(address, p.pid);
  }

  get sysRoot(): string {
    return this.tree.roots.sysRoot;
  }

  get procRoot(): string {
    return this.tree.roots.procRoot;
  }

  /** Every write so far, in order, with what it reached and how it ended. */
  writes(): readonly WriteRecord[] {
    return this.log;
  }

  /** Kernel log lines of the modelled paths ("i40e 0000:3b:00.1: 3 VFs already enabled. Disable before enabling 2 VFs"). */
  dmesg(): readonly string[] {
    return this.kmsg;
  }

  /**
   * /dev/vfio/<N>: the IOMMU groups with a member bound to vfio-pci, ascending. vfio creates the group's character
   * device when the first member binds and removes it when the last one unbinds; /dev/vfio/vfio (the container)
   * exists whenever vfio is loaded and is not listed.
   */
  vfioGroups(): number[] {
    const groups = new Set<number>();
    for (const f of this.tree.topology.functions) {
      const g = f.spec.driver === "vfio-pci" ? this.tree.groupOf(f.address) : null;
      if (g !== null) groups.add(g);
    }
    return [...groups].sort((a, b) => a - b);
  }

  /**
   * A userspace driver (a QEMU with -device vfio-pci,host=…) opens a device on vfio-pci through its group file:
   * /proc/<pid>/fd shows /dev/vfio/<group> (and the container), and vfio-pci enables the device (enable reads 1;
   * 0 while it only sits on vfio-pci), as the rig's kernel showed.
   */
  openVfio(address: string, p: Omit<SimulatedProcess, "fds" | "uid" | "cgroup" | "startTicks"> & Partial<SimulatedProcess>): void {
    const f = this.tree.topology.byAddress.get(address);
    if (f?.spec.driver !== "vfio-pci") throw new Error(`${address} is not on vfio-pci: a QEMU cannot open it ("vfio ${address}: no iommu_group found")`);
    const group = this.tree.groupOf(address);
    this.tree.startProcess({ uid: 0, cgroup: "/user.slice", startTicks: 4242, ...p, fds: [...(p.fds ?? []), "/dev/vfio/vfio", `/dev/vfio/${group}`] });
    this.openBy.set(address, p.pid);
    this.tree.setAttr(address, "enable", 1);
  }

  /** A container takes a device's interface into its network namespace (`ip link set <if> netns <ns>`). */
  moveNetdevsOut(address: string): void {
    this.tree.moveNetdevsOut(address);
  }

  /** The process exits: its devices are released (enable back to 0) and /proc/<pid> goes. */
  endProcess(pid: number): void {
    for (const [address, by] of this.openBy)
      if (by === pid) {
        this.openBy.delete(address);
        this.tree.setAttr(address, "enable", 0);
      }
    this.tree.endProcess(pid);
  }

  /**
   * vfio-pci's remove waits for the user to close the device (vfio_unregister_group_dev asks it through the request
   * callback and waits, without end, for the release): the write does not return. A test must not hang, so the
   * simulator fails it loudly instead; Passdeck must never get here (the executor checks the holders first).
   */
  private refuseIfOpen(f: PciFunction): void {
    const pid = this.openBy.get(f.address);
    if (pid !== undefined)
      throw errnoError("EDEADLK", `${f.address} is open by pid ${pid}: the real kernel would block this write until pid ${pid} lets the device go`);
  }

  /**
   * modprobe of a PCI driver ("vfio-pci", "igbvf"): its bus/pci/drivers directory and module appear, and the
   * driver's registration probes every unbound device it matches (driver_attach), as loading vfio-pci binds the
   * devices whose driver_override names it.
   */
  loadDriver(driver: string): void {
    if (this.tree.drivers().includes(driver)) return;
    this.tree.loadDriver(driver);
    for (const f of this.tree.topology.functions) if (!f.spec.driver && this.matches(driver, f)) this.probe(driver, f);
  }

  write(rel: string, value: string): void {
    const record: WriteRecord = { path: rel, value, target: null, error: null };
    this.log.push(record);
    try {
      record.target = this.resolve(rel);
      this.store(record.target, value);
    } catch (err) {
      record.error = (err as { code?: string }).code ?? "EIO";
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reaching the attribute: open(2) without O_CREAT, as KernelSysfsWriter does

  private resolve(rel: string): string {
    const abs = nodePath.join(this.realRoot, rel);
    if (!abs.startsWith(`${this.realRoot}/`)) throw errnoError("ENOENT", `${rel} is outside the simulated sysfs`);
    let real: string;
    try {
      real = fs.realpathSync(abs);
    } catch (err) {
      throw errnoError((err as { code?: string }).code ?? "ENOENT", `open ${rel}`);
    }
    if (!real.startsWith(`${this.realRoot}/`)) throw errnoError("ENOENT", `${rel} leads outside the simulated sysfs`);
    if (fs.statSync(real).isDirectory()) throw errnoError("EISDIR", `${rel} is a directory`);
    return real.slice(this.realRoot.length + 1);
  }

  /** kernfs: a file without a store() cannot be opened for writing (EACCES); a zero-length write never reaches store(). */
  private store(target: string, value: string): void {
    const name = nodePath.posix.basename(target);
    const dir = nodePath.posix.dirname(target);
    const driverFile = /^bus\/pci\/drivers\/([^/]+)\/(bind|unbind|new_id|remove_id)$/.exec(target);
    const fn = this.tree.functionAt(dir);
    const modelled =
      target === "bus/pci/drivers_probe" ||
      driverFile !== null ||
      (fn !== undefined && ["driver_override", "sriov_numvfs", "sriov_drivers_autoprobe", "reset"].includes(name));
    if (!modelled && UNMODELLED_WRITABLE.has(name)) throw errnoError("EOPNOTSUPP", `the simulated kernel does not model writes to ${target}`);
    if (!modelled) throw errnoError("EACCES", `${target} is read-only`);

    // kernfs hands store() at most a page, NUL-terminated; C string handling stops at the first NUL
    const bytes = Buffer.from(value, "utf8");
    if (bytes.length === 0) return;
    const count = Math.min(bytes.length, PAGE_SIZE);
    const buf = bytes.subarray(0, count).toString("latin1").split("\0")[0]!;

    if (target === "bus/pci/drivers_probe") return this.driversProbe(buf);
    if (driverFile) {
      const driver = driverFile[1]!;
      const op = driverFile[2]!;
      if (op === "bind") return this.bindStore(driver, buf);
      if (op === "unbind") return this.unbindStore(driver, buf);
      if (op === "new_id") return this.newId(driver, buf);
      return this.removeId(driver, buf);
    }
    const f = fn!;
    if (name === "driver_override") return this.driverOverride(f, buf, count);
    if (name === "sriov_numvfs") return this.sriovNumvfs(f, buf);
    if (name === "sriov_drivers_autoprobe") return this.sriovAutoprobe(f, buf);
    // reset_store(): only "1" resets; the reset itself changes nothing a scan sees
    if (kstrtoul(buf) !== 1n) throw errnoError("EINVAL", `${target}: write 1 to reset`);
  }

  // -------------------------------------------------------------------------------------------------------------
  // SR-IOV (drivers/pci/iov.c)

  private sriovNumvfs(pf: PciFunction, buf: string): void {
    const v = pf.spec.sriov!;
    const parsed = kstrtoul(buf);
    if (parsed === null || parsed > 0xffffn) throw errnoError("EINVAL", `sriov_numvfs: "${buf.trim()}" is not a number of VFs`);
    const n = Number(parsed);
    if (n > v.totalVfs) throw errnoError("ERANGE", `sriov_numvfs: ${n} is more than sriov_totalvfs (${v.totalVfs})`);
    if (n === v.numVfs) return;
    const driver = pf.spec.driver;
    if (!driver) this.fail(pf, "ENOENT", "no driver bound to device; cannot configure SR-IOV");
    if (!this.sriovDrivers.has(driver)) this.fail(pf, "ENOENT", "driver does not support SR-IOV configuration via sysfs");
    if (n === 0) return this.disableSriov(pf);
    if (v.numVfs > 0) this.fail(pf, "EBUSY", `${v.numVfs} VFs already enabled. Disable before enabling ${n} VFs`);
    const quirks = this.options.pfQuirks?.[pf.address] ?? {};
    if (quirks.noVfMmio) this.fail(pf, "ENOMEM", "not enough MMIO resources for SR-IOV");
    const enabled = Math.min(n, quirks.maxVfs ?? n);
    this.enableSriov(pf, enabled);
    if (enabled !== n) this.printk(pf, `${n} VFs requested; only ${enabled} enabled`);
  }

  /** sriov_enable(): each VF is added (pci_iov_add_virtfn), udev loads its driver, and autoprobe decides the binding. */
  private enableSriov(pf: PciFunction, n: number): void {
    const v = pf.spec.sriov!;
    for (let i = 0; i < n; i++) {
      const vf = this.tree.addVf(pf.address, i);
      const id = idOf(vf.spec.vendor, vf.spec.device);
      // udev loads the modules whose aliases match the new device; their registration probes it
      for (const [driver, t] of this.tables) if (t.ids.has(id)) this.loadDriver(driver);
      this.attach(vf);
    }
    v.numVfs = n;
    this.tree.setAttr(pf.address, "sriov_numvfs", n);
  }

  /** sriov_disable(): every VF goes, unbound from its driver first; their IOMMU groups go with them. */
  private disableSriov(pf: PciFunction): void {
    const vfs = this.tree.topology.functions.filter((f) => f.physfn === pf.address).sort((a, b) => b.vfIndex! - a.vfIndex!);
    for (const vf of vfs) this.refuseIfOpen(vf);
    for (const vf of vfs) this.tree.removeFunction(vf.address);
    pf.spec.sriov!.numVfs = 0;
    this.tree.setAttr(pf.address, "sriov_numvfs", 0);
  }

  private sriovAutoprobe(pf: PciFunction, buf: string): void {
    const on = kstrtobool(buf);
    if (on === null) throw errnoError("EINVAL", `sriov_drivers_autoprobe: "${buf.trim()}" is not a boolean`);
    pf.spec.sriov!.autoprobe = on;
    this.tree.setAttr(pf.address, "sriov_drivers_autoprobe", on ? 1 : 0);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Binding (drivers/pci/pci-driver.c, drivers/base/bus.c and dd.c)

  /** driver_set_override(): up to PAGE_SIZE - 2 bytes, cut at the first newline; an empty value or "\n" clears it. */
  private driverOverride(f: PciFunction, buf: string, count: number): void {
    if (count >= PAGE_SIZE - 1) throw errnoError("EINVAL", "driver_override: longer than a page");
    const value = buf.split("\n")[0]!;
    if (value) f.spec.driverOverride = value;
    else delete f.spec.driverOverride;
    this.tree.setAttr(f.address, "driver_override", value || this.tree.spec.host.driverOverrideUnset);
  }

  /** drivers_probe_store(): an unknown device is ENODEV; otherwise success, whether or not anything bound. */
  private driversProbe(buf: string): void {
    const f = this.device(buf);
    if (!f) throw errnoError("ENODEV", `drivers_probe: no PCI device "${buf.trim()}"`);
    this.attach(f);
  }

  /** bind_store(): the device must exist and match the driver, be unbound (EBUSY), and the probe must succeed. */
  private bindStore(driver: string, buf: string): void {
    const f = this.device(buf);
    if (!f || !this.matches(driver, f)) throw errnoError("ENODEV", `${driver}/bind: "${buf.trim()}" is not a device ${driver} matches`);
    if (f.spec.driver) throw errnoError("EBUSY", `${f.address} is bound to ${f.spec.driver}`);
    const err = this.probe(driver, f);
    if (err) throw errnoError(err, `${driver} failed to probe ${f.address}`);
  }

  /** unbind_store(): only a device bound to this very driver (else ENODEV). */
  private unbindStore(driver: string, buf: string): void {
    const f = this.device(buf);
    if (f?.spec.driver !== driver) throw errnoError("ENODEV", `${driver}/unbind: "${buf.trim()}" is not bound to ${driver}`);
    this.release(f);
  }

  /** new_id_store(): "vendor device [subvendor subdevice class class_mask driver_data]" in hex; binds what now matches. */
  private newId(driver: string, buf: string): void {
    const fields = scanHex(buf, 7);
    if (fields.length < 2) throw errnoError("EINVAL", "new_id: vendor and device expected");
    const id = idOf(fields[0]!, fields[1]!);
    const t = this.table(driver);
    if (fields.length !== 7 && (t.ids.has(id) || t.dynIds.has(id))) throw errnoError("EEXIST", `${driver} already matches ${id}`);
    t.dynIds.add(id);
    for (const f of this.tree.topology.functions) if (!f.spec.driver && this.matches(driver, f)) this.probe(driver, f);
  }

  private removeId(driver: string, buf: string): void {
    const fields = scanHex(buf, 6);
    if (fields.length < 2) throw errnoError("EINVAL", "remove_id: vendor and device expected");
    if (!this.table(driver).dynIds.delete(idOf(fields[0]!, fields[1]!)))
      throw errnoError("ENODEV", `${driver} has no dynamic ID ${idOf(fields[0]!, fields[1]!)}`);
  }

  /** device_attach(): each loaded driver in turn that matches gets to probe, until one succeeds. */
  private attach(f: PciFunction): void {
    if (f.spec.driver) return;
    for (const driver of this.tree.drivers()) if (this.matches(driver, f) && this.probe(driver, f) === null) return;
  }

  /** pci_match_device(): an override admits only the driver it names, and that one whatever its tables say. */
  private matches(driver: string, f: PciFunction): boolean {
    const override = f.spec.driverOverride;
    if (override !== undefined && override !== driver) return false;
    const t = this.tables.get(driver);
    const id = idOf(f.spec.vendor, f.spec.device);
    return t?.dynIds.has(id) === true || t?.ids.has(id) === true || override !== undefined;
  }

  /** pci_device_probe() and the driver's probe: binds and returns null, or returns the errno the probe failed with. */
  private probe(driver: string, f: PciFunction): string | null {
    const pf = f.physfn ? this.tree.topology.byAddress.get(f.physfn) : undefined;
    // pci_device_can_probe(): a VF of a PF with sriov_drivers_autoprobe off binds only through driver_override
    if (pf?.spec.sriov!.autoprobe === false && f.spec.driverOverride === undefined) return "ENODEV";
    if (driver === "vfio-pci") {
      if (f.spec.bridge) return "EINVAL"; // vfio_pci_probe(): only normal (type 0) headers
      if (f.spec.sriov && f.spec.sriov.numVfs > 0) {
        this.printk(f, "Cannot bind to PF with SR-IOV enabled", driver);
        return "EBUSY";
      }
      if (this.tree.groupOf(f.address) === null) return "EINVAL"; // no IOMMU group: vfio has nothing to attach
    } else if (!GENERIC_DRIVERS.has(driver)) {
      // a driver forced onto a device its tables do not list (driver_override) cannot drive it
      const t = this.tables.get(driver);
      const id = idOf(f.spec.vendor, f.spec.device);
      if (!t?.ids.has(id) && !t?.dynIds.has(id)) return "ENODEV";
    }
    this.tree.bind(f.address, driver, !GENERIC_DRIVERS.has(driver));
    return null;
  }

  /**
   * device_release_driver(): the driver's remove runs. NIC PF drivers (i40e, igb, ixgbe, ice…) disable SR-IOV there,
   * destroying the VFs; others (nvme, as the rig saw) leave the VFs enabled and the PCI core only warns.
   */
  private release(f: PciFunction): void {
    this.refuseIfOpen(f);
    const driver = f.spec.driver!;
    if (f.spec.sriov && f.spec.sriov.numVfs > 0) {
      if (!GENERIC_DRIVERS.has(driver) && f.spec.class >> 16 === 0x02) this.disableSriov(f);
      else this.printk(f, "driver left SR-IOV enabled after remove");
    }
    this.tree.unbind(f.address);
  }

  // -------------------------------------------------------------------------------------------------------------

  /** bus_find_device_by_name(): sysfs_streq() against the device names, so one trailing newline is ignored. */
  private device(buf: string): PciFunction | undefined {
    return this.tree.topology.byAddress.get(buf.endsWith("\n") ? buf.slice(0, -1) : buf);
  }

  private table(driver: string): DriverIds {
    let t = this.tables.get(driver);
    if (!t) this.tables.set(driver, (t = { ids: new Set(), dynIds: new Set() }));
    return t;
  }

  /** dev_printk: the bound driver's name (or the bus's) and the device name. */
  private printk(f: PciFunction, message: string, driver = f.spec.driver ?? "pci"): void {
    this.kmsg.push(`${driver} ${f.address}: ${message}`);
  }

  private fail(f: PciFunction, code: string, message: string): never {
    this.printk(f, message);
    throw errnoError(code, `${f.address}: ${message}`);
  }
}

function idOf(vendor: number, device: number): string {
  return `${vendor.toString(16).padStart(4, "0")}:${device.toString(16).padStart(4, "0")}`;
}

/** kstrtoul(s, 0): optional "+", 0x → hex, leading 0 → octal, one trailing newline; anything else → null. */
export function kstrtoul(s: string): bigint | null {
  let rest = s.startsWith("+") ? s.slice(1) : s;
  let radix = 10;
  if (rest.startsWith("0")) {
    radix = /^0[xX][0-9a-fA-F]/.test(rest) ? 16 : 8;
    if (radix === 16) rest = rest.slice(2);
  }
  const digits = rest.match(radix === 16 ? /^[0-9a-fA-F]+/ : radix === 8 ? /^[0-7]+/ : /^[0-9]+/)?.[0];
  if (!digits) return null;
  const after = rest.slice(digits.length);
  if (after !== "" && after !== "\n") return null;
  const value = BigInt(radix === 16 ? `0x${digits}` : radix === 8 ? `0o${digits}` : digits);
  return value > 0xffff_ffff_ffff_ffffn ? null : value;
}

/** kstrtobool(): the first character decides (YyTt1 / NnFf0), or "on"/"off"; anything else → null. */
export function kstrtobool(s: string): boolean | null {
  if (/^[yYtT1]/.test(s) || /^[oO][nN]/.test(s)) return true;
  if (/^[nNfF0]/.test(s) || /^[oO][fF]/.test(s)) return false;
  return null;
}

/** sscanf(buf, "%x %x …"): hex fields (optional 0x) up to the first that does not parse. */
function scanHex(buf: string, max: number): number[] {
  const out: number[] = [];
  for (const token of buf.trim().split(/\s+/).slice(0, max)) {
    const m = /^(?:0[xX])?([0-9a-fA-F]+)/.exec(token);
    if (!m) break;
    out.push(Number.parseInt(m[1]!, 16));
    if (m[0].length < token.length) break;
  }
  return out;
}
