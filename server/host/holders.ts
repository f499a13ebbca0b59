/**
 * Who holds a device, from the kernel itself (issue 15, first step): the processes that have VFIO files open,
 * read from /proc/<pid>/fd through the procfs root (so a capture carries it), and what each says about itself:
 * its QEMU command line (`-name guest=…`, `-uuid`, Proxmox VE's `-id <vmid>`, the `-device vfio-pci,host=…` it
 * declares) and its cgroup (libvirt's machine.slice, PVE's qemu.slice/<vmid>.scope, LXC). Whatever starts the VM —
 * libvirt, Proxmox VE, a hand-started QEMU, a container — the kernel's open files are the same truth.
 *
 * The files that mean "in use":
 * - /dev/vfio/<group>: the legacy VFIO group (the whole IOMMU group is then the process's);
 * - /dev/vfio/devices/vfioN: a device's iommufd character device (sysfs names its PCI address);
 * - /dev/vfio/vfio and /dev/iommu: a container or iommufd context, no device by themselves.
 *
 * Reading what another process's /proc/<pid>/fd links point at needs ptrace access: the same uid and at least the
 * target's capabilities, or CAP_SYS_PTRACE (seen on the rig's kernel: the web user sees none of root's, and the
 * helper's narrowed capability set does not see a QEMU root started). What cannot be read is counted (with the
 * uids), never guessed at; the command line, readable by everyone, still names the devices a QEMU was started with
 * (not those hot-plugged later).
 */
import * as fs from "node:fs";
import { join } from "node:path";
import {
  formatArgv,
  formatCgroup,
  formatComm,
  formatPidStatus,
  parseArgv,
  parseCgroup,
  parseComm,
  parsePidStat,
  parsePidStatus,
  STAT_STARTTIME,
  statField,
  statusNumber,
} from "./formats/pid";
import type { KernelFs } from "./fs";

// the wording is pure and shared with the pages
export { describeHold, describeHolder, isHeld } from "@/lib/holds";

export type HeldFile = { kind: "vfio-group"; group: number } | { kind: "vfio-device"; cdev: string } | { kind: "vfio-container" } | { kind: "iommufd" };

export interface GuestClaim {
  /** `-name guest=router` or `-name router` */
  name: string | null;
  uuid: string | null;
  /** Proxmox VE's `-id 101` */
  vmid: number | null;
}

export type Manager = "libvirt" | "proxmox" | "lxc" | "docker" | null;

export interface VfioProcess {
  pid: number;
  uid: number | null;
  /** /proc/<pid>/comm */
  command: string | null;
  /** when it started (ISO), from its start time in ticks after boot */
  startedAt: string | null;
  guest: GuestClaim | null;
  manager: Manager;
  cgroup: string | null;
  /** the VFIO files it has open; empty when they could not be read (see `filesReadable`) */
  files: HeldFile[];
  filesReadable: boolean;
  /** PCI addresses its command line gives to vfio-pci (hot-plugged devices are not in it) */
  declared: string[];
}

export interface HolderScan {
  processes: VfioProcess[];
  /** processes whose open files this process may not read, and their uids */
  unreadable: { count: number; uids: number[] };
}

/** USER_HZ on every architecture Passdeck runs on: the unit of /proc/<pid>/stat's start time. */
const TICKS_PER_S = 100;

/** What a /proc/<pid>/fd link target means for VFIO; null for anything else. */
export function classifyFdTarget(target: string): HeldFile | null {
  if (target === "/dev/vfio/vfio") return { kind: "vfio-container" };
  if (target === "/dev/iommu") return { kind: "iommufd" };
  const group = /^\/dev\/vfio\/(?:noiommu-)?(\d+)$/.exec(target);
  if (group) return { kind: "vfio-group", group: Number(group[1]) };
  const cdev = /^\/dev\/vfio\/devices\/(vfio\d+)$/.exec(target);
  if (cdev) return { kind: "vfio-device", cdev: cdev[1]! };
  return null;
}

/** "3b:02.1" or "0000:3b:02.1" → the canonical address; null for anything else. */
function pciAddress(text: string): string | null {
  const m = /^(?:([0-9a-fA-F]{4,5}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/.exec(text.trim());
  return m ? `${(m[1] ?? "0000").toLowerCase()}:${m[2]!.toLowerCase()}:${m[3]!.toLowerCase()}.${m[4]}` : null;
}

/** QEMU's `a=b,c=d` option syntax, where ",," is a literal comma. */
function qemuOptions(value: string): string[] {
  return value.split(/(?<!,),(?!,)/).map((p) => p.replace(/,,/g, ","));
}

/**
 * What a QEMU command line says: the guest's name, UUID and PVE vmid, and the PCI devices it gives vfio-pci
 * (`-device vfio-pci,host=…`, `sysfsdev=…/0000:…`, or libvirt's JSON form). Null for a process that is not QEMU.
 */
export function parseQemuCommandLine(argv: string[]): { guest: GuestClaim; declared: string[] } | null {
  if (!argv.some((a) => /(^|\/)qemu(-system-[a-z0-9_]+|-kvm)?$|(^|\/)kvm$/.test(a)) && !argv.includes("-device")) return null;
  const guest: GuestClaim = { name: null, uuid: null, vmid: null };
  const declared: string[] = [];
  for (let i = 0; i < argv.length - 1; i++) {
    const [flag, value] = [argv[i]!, argv[i + 1]!];
    if (flag === "-name") {
      const parts = qemuOptions(value);
      guest.name = parts.find((p) => p.startsWith("guest="))?.slice(6) ?? parts.find((p) => !p.includes("=")) ?? null;
    } else if (flag === "-uuid") guest.uuid = value;
    else if (flag === "-id" && /^\d+$/.test(value)) guest.vmid = Number(value);
    else if (flag === "-device") {
      let driver: string | undefined;
      let host: string | undefined;
      if (value.startsWith("{")) {
        try {
          const o = JSON.parse(value) as { driver?: unknown; host?: unknown; sysfsdev?: unknown };
          driver = typeof o.driver === "string" ? o.driver : undefined;
          host = typeof o.host === "string" ? o.host : typeof o.sysfsdev === "string" ? o.sysfsdev.split("/").pop() : undefined;
        } catch {
          continue;
        }
      } else {
        const parts = qemuOptions(value);
        driver = parts[0]?.startsWith("driver=") ? parts[0].slice(7) : parts[0];
        const h =
          parts.find((p) => p.startsWith("host="))?.slice(5) ??
          parts
            .find((p) => p.startsWith("sysfsdev="))
            ?.slice(9)
            .split("/")
            .pop();
        host = h;
      }
      const address = driver === "vfio-pci" && host ? pciAddress(host) : null;
      if (address && !declared.includes(address)) declared.push(address);
    }
  }
  return { guest, declared };
}

/** Who started a process, from /proc/<pid>/cgroup (cgroup v2's one line, or v1's name=systemd / unified lines). */
export function managerFromCgroup(text: string): { manager: Manager; path: string | null } {
  const entries = parseCgroup(text);
  const entry = entries.find((e) => e.hierarchy === 0 && e.controllers === "") ?? entries.find((e) => e.controllers.includes("name=systemd"));
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty path means none
  const path = entry?.path || null;
  if (!path) return { manager: null, path: null };
  // machine-qemu\x2d3\x2drouter.scope (systemd escapes '-' as \x2d), or libvirt's own /machine/qemu-3-router.libvirt-qemu
  if (/machine-qemu|\/machine\/qemu-|libvirt/.test(path)) return { manager: "libvirt", path };
  if (/\/qemu\.slice\/\d+\.scope/.test(path)) return { manager: "proxmox", path };
  if (/\/lxc(\.payload)?[./]|\/lxc\//.test(path)) return { manager: "lxc", path };
  if (/docker|containerd/.test(path)) return { manager: "docker", path };
  return { manager: null, path };
}

function readOr(path: string): string | null {
  try {
    return fs.readFileSync(path, "latin1");
  } catch {
    return null;
  }
}

/** Boot time (ms since the epoch) from /proc/stat's btime; null when it cannot be read. */
function bootTimeMs(procRoot: string): number | null {
  const m = /^btime (\d+)$/m.exec(readOr(join(procRoot, "stat")) ?? "");
  return m ? Number(m[1]) * 1000 : null;
}

/** When a process started (ISO), from /proc/<pid>/stat's start time in ticks after boot; null when unknown. */
function startedAt(dir: string, bootMs: number | null): string | null {
  const stat = readOr(join(dir, "stat"));
  const ticks = stat ? statField(parsePidStat(stat), STAT_STARTTIME) : NaN;
  return bootMs !== null && Number.isFinite(ticks) ? new Date(bootMs + (ticks / TICKS_PER_S) * 1000).toISOString() : null;
}

/** Every process with a VFIO file open, or one a QEMU command line gives a device to. */
export function scanHolders(procRoot: string): HolderScan {
  let pids: number[];
  try {
    pids = fs
      .readdirSync(procRoot)
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  } catch {
    return { processes: [], unreadable: { count: 0, uids: [] } };
  }
  const bootMs = bootTimeMs(procRoot);
  const processes: VfioProcess[] = [];
  const unreadableUids = new Set<number>();
  let unreadable = 0;
  for (const pid of pids) {
    const dir = join(procRoot, String(pid));
    const uid = statusNumber(parsePidStatus(readOr(join(dir, "status")) ?? ""), "Uid");
    const files: HeldFile[] = [];
    let filesReadable = true;
    try {
      for (const fd of fs.readdirSync(join(dir, "fd"))) {
        let target: string;
        try {
          target = fs.readlinkSync(join(dir, "fd", fd));
        } catch (err) {
          // The links themselves need ptrace access: a process with more capabilities than this one (a QEMU root
          // started, seen from the helper's narrowed set) lists its descriptors but will not say what they are.
          if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // closed meanwhile
          throw err;
        }
        const held = classifyFdTarget(target);
        if (held && !files.some((f) => JSON.stringify(f) === JSON.stringify(held))) files.push(held);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") continue; // exited
      filesReadable = false;
      unreadable++;
      if (uid !== null) unreadableUids.add(uid);
    }
    const argv = parseArgv(readOr(join(dir, "cmdline")) ?? "");
    const qemu = parseQemuCommandLine(argv);
    const declared = qemu?.declared ?? [];
    if (files.length === 0 && declared.length === 0) continue;
    const { manager, path } = managerFromCgroup(readOr(join(dir, "cgroup")) ?? "");
    processes.push({
      pid,
      uid,
      command: parseComm(readOr(join(dir, "comm")) ?? ""),
      startedAt: startedAt(dir, bootMs),
      guest: qemu?.guest ?? null,
      manager,
      cgroup: path,
      files,
      filesReadable,
      declared,
    });
  }
  return { processes, unreadable: { count: unreadable, uids: [...unreadableUids].sort((a, b) => a - b) } };
}

/** iommufd character devices ("vfio0") → the PCI address sysfs lists them under (bus/pci/devices/<a>/vfio-dev/). */
export function vfioCdevs(sysRoot: string): Record<string, string> {
  const out: Record<string, string> = {};
  const devices = join(sysRoot, "bus/pci/devices");
  let addresses: string[];
  try {
    addresses = fs.readdirSync(devices);
  } catch {
    return out;
  }
  for (const address of addresses) {
    try {
      for (const cdev of fs.readdirSync(join(devices, address, "vfio-dev"))) out[cdev] = address;
    } catch {
      // no vfio-dev: not on vfio-pci, or a kernel without VFIO_DEVICE_CDEV
    }
  }
  return out;
}

export interface DeviceHolder {
  pid: number;
  command: string | null;
  guest: GuestClaim | null;
  manager: Manager;
  startedAt: string | null;
  /**
   * "open": the kernel shows the device's file open; "declared": only the command line names it; "netns": the
   * device's interface is in this process's network namespace (the first process of that namespace)
   */
  evidence: "open" | "declared" | "netns";
}

/** PCI address → the processes holding it: a group file holds every device of the group. */
export function holdersByDevice(scan: HolderScan, groups: { id: number; devices: string[] }[], cdevs: Record<string, string>): Record<string, DeviceHolder[]> {
  const out: Record<string, DeviceHolder[]> = {};
  const add = (address: string, p: VfioProcess, evidence: DeviceHolder["evidence"]) => {
    const list = (out[address] ??= []);
    const known = list.find((h) => h.pid === p.pid);
    if (known) {
      if (evidence === "open") known.evidence = "open";
      return;
    }
    list.push({ pid: p.pid, command: p.command, guest: p.guest, manager: p.manager, startedAt: p.startedAt, evidence });
  };
  for (const p of scan.processes) {
    for (const f of p.files) {
      if (f.kind === "vfio-group") for (const d of groups.find((g) => g.id === f.group)?.devices ?? []) add(d, p, "open");
      if (f.kind === "vfio-device" && cdevs[f.cdev]) add(cdevs[f.cdev]!, p, "open");
    }
    for (const d of p.declared) add(d, p, "declared");
  }
  return out;
}

/**
 * What the kernel itself says about a device, without naming anyone:
 * - "vfio-open": bound to vfio-pci with a non-zero enable count. vfio-pci enables the device only when a user
 *   opens it (vfio_pci_core_enable) and disables it on the last close, so the count is 0 while the device merely
 *   sits on vfio-pci (seen on the rig's 6.1 kernel: 0 after binding, 1 once a QEMU with -S had started). The file
 *   is world-readable: the web user and the helper's narrowed capabilities see it where /proc/<pid>/fd is closed.
 * - "netns": bound to a network driver whose net/ directory is empty: sysfs shows a device's interfaces only in
 *   the reader's namespace, so its interface was moved into another one (a container's, `ip netns`).
 */
export type KernelHold = "vfio-open" | "netns";

export interface DeviceHold {
  kernel: KernelHold | null;
  /** the processes that hold it, named: its VFIO files open, or a QEMU command line giving it to vfio-pci */
  holders: DeviceHolder[];
}

export interface HoldInput {
  address: string;
  /** the device's own directory ("devices/pci0000:00/…/0000:86:00.0"): read there, a capture keeps what was read */
  sysfsPath?: string;
  driver: string | null;
  iommuGroup: number | null;
}

/**
 * The kernel's own sign of use for one device (see KernelHold); null when it shows none. `entries`: the device
 * directory's names when the scan has just listed it, so a device with no net/ directory is not looked into.
 */
export function kernelHold(sys: KernelFs, d: HoldInput, entries?: ReadonlySet<string>): KernelHold | null {
  const dir = d.sysfsPath ?? `bus/pci/devices/${d.address}`;
  if (d.driver === "vfio-pci") {
    const count = Number.parseInt(sys.readOptional(`${dir}/enable`) ?? "0", 10);
    return count > 0 ? "vfio-open" : null;
  }
  if (d.driver !== null && (entries === undefined || entries.has("net"))) {
    const net = sys.listOptional(`${dir}/net`);
    if (net !== null && net.length === 0) return "netns";
  }
  return null;
}

/**
 * Who holds which of these devices now: the kernel's signs, plus the processes named from procfs. procfs is walked
 * only when the kernel shows a vfio-pci device open, so a host where no VM runs with a device pays nothing. Only
 * held devices are in the result.
 */
export function readHolds(
  sys: KernelFs,
  procRoot: string,
  devices: HoldInput[],
  listed?: ReadonlyMap<string, ReadonlySet<string>>,
): Record<string, DeviceHold> {
  const out: Record<string, DeviceHold> = {};
  for (const d of devices) {
    const kernel = kernelHold(sys, d, listed?.get(d.address));
    if (kernel) out[d.address] = { kernel, holders: [] };
  }
  const moved = Object.entries(out)
    .filter(([, h]) => h.kernel === "netns")
    .map(([a]) => a);
  if (moved.length > 0) for (const [address, owner] of Object.entries(netnsOwners(procRoot, moved))) out[address]!.holders = [owner];
  // A process holding a device through VFIO has opened it, so vfio-pci enabled it: with no device open, procfs
  // (every process's descriptors: slow on a busy host) has nothing to add, and is not walked.
  if (!Object.values(out).some((h) => h.kernel === "vfio-open")) return out;
  const groups = new Map<number, string[]>();
  for (const d of devices) if (d.iommuGroup !== null) groups.set(d.iommuGroup, [...(groups.get(d.iommuGroup) ?? []), d.address]);
  const byDevice = holdersByDevice(
    scanHolders(procRoot),
    [...groups].map(([id, members]) => ({ id, devices: members })),
    vfioCdevs(sys.root),
  );
  // a command line may name devices that were not asked about (readHoldsFor's few): only these devices' holds
  const asked = new Set(devices.map((d) => d.address));
  for (const [address, holders] of Object.entries(byDevice)) if (asked.has(address)) (out[address] ??= { kernel: null, holders: [] }).holders = holders;
  return out;
}

/**
 * Whose network namespace the interfaces of these devices are in: for every namespace other than this process's,
 * its first process (the lowest pid: a container's init, an `ip netns exec` command), whose own view of sysfs
 * (/proc/<pid>/root/sys/class/net/<if>/device: a container mounts sysfs in its namespace, `ip netns exec` too) names
 * the PCI function behind each interface. Needs ptrace access to those processes (root); a namespace with no
 * process in it (`ip netns add` alone) has no owner to name.
 */
export function netnsOwners(procRoot: string, addresses: string[]): Record<string, DeviceHolder> {
  const out: Record<string, DeviceHolder> = {};
  const nsOf = (pid: string) => {
    try {
      return fs.readlinkSync(join(procRoot, pid, "ns/net"));
    } catch {
      return null;
    }
  };
  const own = nsOf("self");
  let pids: number[];
  try {
    pids = fs
      .readdirSync(procRoot)
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return out;
  }
  const firsts = new Map<string, number>();
  for (const pid of pids) {
    const ns = nsOf(String(pid));
    if (ns && ns !== own && !firsts.has(ns)) firsts.set(ns, pid);
  }
  const bootMs = bootTimeMs(procRoot);
  for (const pid of firsts.values()) {
    const net = join(procRoot, String(pid), "root/sys/class/net");
    let names: string[];
    try {
      names = fs.readdirSync(net);
    } catch {
      continue;
    }
    for (const name of names) {
      let target: string;
      try {
        target = fs.readlinkSync(join(net, name, "device"));
      } catch {
        continue;
      }
      const address = target.slice(target.lastIndexOf("/") + 1);
      if (!addresses.includes(address) || out[address]) continue;
      const dir = join(procRoot, String(pid));
      const { manager } = managerFromCgroup(readOr(join(dir, "cgroup")) ?? "");
      out[address] = {
        pid,
        command: parseComm(readOr(join(dir, "comm")) ?? ""),
        guest: null,
        manager,
        startedAt: startedAt(dir, bootMs),
        evidence: "netns",
      };
    }
  }
  return out;
}

/**
 * The same, for a few devices read fresh from sysfs (the executor, right before a write): each address and the
 * other members of its IOMMU group, since the legacy group file holds them all.
 */
export function readHoldsFor(sys: KernelFs, procRoot: string, addresses: string[]): Record<string, DeviceHold> {
  const wanted = new Set<string>();
  for (const a of addresses) {
    wanted.add(a);
    for (const m of sys.listOptional(`bus/pci/devices/${a}/iommu_group/devices`) ?? []) wanted.add(m);
  }
  const inputs: HoldInput[] = [];
  for (const address of wanted) {
    const dir = `bus/pci/devices/${address}`;
    if (!sys.exists(dir)) continue;
    const driver = sys.readLinkOptional(`${dir}/driver`);
    const group = sys.readLinkOptional(`${dir}/iommu_group`);
    inputs.push({
      address,
      driver: driver === null ? null : driver.slice(driver.lastIndexOf("/") + 1),
      iommuGroup: group === null ? null : Number(group.slice(group.lastIndexOf("/") + 1)),
    });
  }
  return readHolds(sys, procRoot, inputs);
}

/**
 * What a capture keeps of the processes that hold devices, so an unpacked capture shows the same holds: comm, the
 * uid, the start time, the cgroup, the VFIO descriptors only, and of the command line only what Passdeck reads
 * (-name, -uuid, -id and the vfio-pci -device options): a QEMU command line can carry secrets.
 */
export function recordHolders(
  recorder: { file(rel: string, content: string): void; link(rel: string, target: string): void },
  scan: HolderScan,
  procRoot: string,
): void {
  const btime = /^btime \d+$/m.exec(readOr(join(procRoot, "stat")) ?? "")?.[0];
  if (btime) recorder.file("proc/stat", `${btime}\n`);
  for (const p of scan.processes) {
    const dir = `proc/${p.pid}`;
    const argv = parseArgv(readOr(join(procRoot, String(p.pid), "cmdline")) ?? "");
    const kept: string[] = argv.slice(0, 1);
    for (let i = 1; i < argv.length - 1; i++) {
      const [flag, value] = [argv[i]!, argv[i + 1]!];
      if (flag === "-name" || flag === "-uuid" || (flag === "-id" && /^\d+$/.test(value)) || (flag === "-device" && value.includes("vfio-pci")))
        kept.push(flag, value);
    }
    recorder.file(`${dir}/cmdline`, formatArgv(kept));
    if (p.command) recorder.file(`${dir}/comm`, formatComm(p.command));
    if (p.uid !== null) recorder.file(`${dir}/status`, formatPidStatus([["Uid", Array<number>(4).fill(p.uid).join("\t")]]));
    const stat = readOr(join(procRoot, String(p.pid), "stat"));
    if (stat) recorder.file(`${dir}/stat`, stat);
    if (p.cgroup) recorder.file(`${dir}/cgroup`, formatCgroup([{ hierarchy: 0, controllers: "", path: p.cgroup }]));
    p.files.forEach((f, i) => {
      const target =
        f.kind === "vfio-group"
          ? `/dev/vfio/${f.group}`
          : f.kind === "vfio-device"
            ? `/dev/vfio/devices/${f.cdev}`
            : f.kind === "iommufd"
              ? "/dev/iommu"
              : "/dev/vfio/vfio";
      recorder.link(`${dir}/fd/${i + 3}`, target);
    });
  }
}
