import { KernelFs, type FsRecorder } from "@/server/host/fs";
import { HostError } from "@/server/host/errors";
import { readHostFacts } from "@/server/host/facts";
import { readHolds } from "@/server/host/holders";
import { readAddresses, readNetIfaces, readRoutes, readServedAddresses, readSocketUse } from "@/server/host/net";
import { listPciAddresses, type PciReadCache, readPciDevice, type RawPciDevice } from "@/server/host/pci";
import { loadPciIds } from "@/server/host/pci-ids";
import { readStorage } from "@/server/host/storage";
import type { Inventory } from "@/server/host/types";
import { assembleDevices } from "./assemble";
import { buildGroups } from "./groups";
import { readinessChecks } from "./readiness";

export interface HostRoots {
  sysRoot: string;
  procRoot: string;
  pciIdsPath?: string | null;
  demo?: string | null;
  recorder?: FsRecorder | null;
  /** keeps what cannot change per device between scans (a long-running server passes one) */
  cache?: PciReadCache | null;
  /** the dashboard's port: the interface a browser is connected through becomes host-critical */
  servingPort?: number | null;
  /**
   * Read only what `passdeck inventory --json` prints (PciReadOptions.lean): the devices' revision, subsystem name,
   * link speeds, reset methods and SR-IOV offset/stride/autoprobe stay null. Ignored while a capture records.
   */
  lean?: boolean;
}

/** One full, consistent read of the host: devices, groups with verdicts, host facts and the readiness list. */
export function scanInventory(roots: HostRoots): Inventory {
  const sys = new KernelFs(roots.sysRoot, roots.recorder ? prefixed(roots.recorder, "sys") : null);
  const proc = new KernelFs(roots.procRoot, roots.recorder ? prefixed(roots.recorder, "proc") : null);
  assertLooksLikeHost(sys, proc);
  const ids = loadPciIds(roots.pciIdsPath);
  const warnings: string[] = [];
  if (!ids.source) warnings.push("No pci.ids found (install the pciutils or hwdata package): devices are shown by ID only.");

  const raw: RawPciDevice[] = [];
  const listed = new Map<string, ReadonlySet<string>>();
  for (const address of listPciAddresses(sys)) {
    try {
      raw.push(
        roots.recorder
          ? readPciDevice(sys, address, ids, { listed })
          : readPciDevice(sys, address, ids, { cache: roots.cache ?? undefined, listed, lean: roots.lean ?? false }),
      );
    } catch (err) {
      // A device that vanished mid-scan (hot-unplug, VF teardown) must not hide the others.
      if (err instanceof HostError && err.kind === "not-found" && !sys.exists(`bus/pci/devices/${address}`)) continue;
      throw err;
    }
  }
  const routes = readRoutes(proc);
  const net = {
    ifaces: readNetIfaces(sys),
    addresses: readAddresses(proc, routes),
    servedOn: roots.servingPort ? readServedAddresses(proc, roots.servingPort) : [],
    sockets: readSocketUse(proc),
  };
  const storage = readStorage(sys, proc);
  for (const m of storage.unmapped) warnings.push(`${m.mountpoint} (${m.fstype} on ${m.source}) could not be traced to a PCI device through sysfs.`);
  const facts = readHostFacts(sys, proc, routes);
  const devices = assembleDevices(raw, net, storage, facts);
  const holds = readHolds(sys, proc.root, devices, listed);
  for (const d of devices) d.hold = holds[d.address] ?? null;
  const groups = buildGroups(devices);
  return {
    scannedAt: new Date().toISOString(),
    source: { sysRoot: sys.root, procRoot: proc.root, demo: roots.demo ?? null },
    facts,
    devices,
    groups,
    readiness: readinessChecks(facts, devices, groups),
    warnings,
  };
}

/** A root that is not sysfs/procfs (a typo, a half-unpacked capture) gets one clear message, not a stack of ENOENTs. */
function assertLooksLikeHost(sys: KernelFs, proc: KernelFs): void {
  if (!sys.exists("bus/pci/devices"))
    throw new HostError("not-a-host-tree", `${sys.path("bus/pci/devices")} is missing: ${sys.root} is not a sysfs tree (or the capture is incomplete)`, {
      path: sys.path("bus/pci/devices"),
      fix: "Point PASSDECK_SYS_ROOT at a mounted sysfs (default /sys) or at the sys/ directory of an unpacked `passdeck capture`.",
    });
  if (!proc.exists("cmdline"))
    throw new HostError("not-a-host-tree", `${proc.path("cmdline")} is missing: ${proc.root} is not a procfs tree (or the capture is incomplete)`, {
      path: proc.path("cmdline"),
      fix: "Point PASSDECK_PROC_ROOT at a mounted procfs (default /proc) or at the proc/ directory of an unpacked `passdeck capture`.",
    });
}

function prefixed(recorder: FsRecorder, prefix: string): FsRecorder {
  return {
    file: (rel, content) => recorder.file(`${prefix}/${rel}`, content),
    link: (rel, target) => recorder.link(`${prefix}/${rel}`, target),
    dir: (rel, entries, kindOf) => recorder.dir(`${prefix}/${rel}`, entries, kindOf),
    exists: (rel, kind) => recorder.exists(`${prefix}/${rel}`, kind),
  };
}
