/**
 * libvirt's saved VM definitions, read from its configuration directory when libvirtd is not answering (socket
 * activation not started yet, or only the client installed): the only record left of which stopped VM names which
 * device. Whether a device is in use right now is the kernel's to say (server/host/holders.ts); these records
 * only say which VMs would miss a device afterwards. libvirt writes them 0600 root, so a process that is not root
 * sees their names but not what is in them, and says so.
 */
import * as fs from "node:fs";
import { join } from "node:path";
import type { Plan } from "@/server/executor/plan";
import type { Inventory } from "@/server/host/types";
import type { Refusal } from "@/server/plans/planner";
import { parseDomainXml } from "./domain-xml";

/** Where the system instance keeps its persistent domain XML (libvirt's qemu driver, SYSCONFDIR/libvirt/qemu). */
export const LIBVIRT_QEMU_CONFIG_DIR = "/etc/libvirt/qemu";

export interface OfflineRecords {
  dir: string;
  /** the definitions this process could read, with the host PCI functions each names */
  domains: { name: string; file: string; addresses: string[] }[];
  /** the definitions it could not read or parse, by file name */
  unreadable: string[];
}

/** The saved definitions in `dir`; none when the directory does not exist (libvirt never defined a VM here). */
export function readOfflineRecords(dir: string): OfflineRecords {
  const out: OfflineRecords = { dir, domains: [], unreadable: [] };
  let files: string[];
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".xml"))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    return { ...out, unreadable: [`${dir} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`] };
  }
  for (const file of files) {
    try {
      const def = parseDomainXml(fs.readFileSync(join(dir, file), "utf8"));
      out.domains.push({ name: def.name, file: join(dir, file), addresses: [...def.hostdevs, ...def.hostdevInterfaces].map((h) => h.address) });
    } catch {
      out.unreadable.push(file);
    }
  }
  return out;
}

/** The PCI functions a plan takes a driver from, gives a driver, removes (a VF count change) or gives to a VM. */
export function touchedDevices(plan: Pick<Plan, "steps">, inv: Inventory): string[] {
  const out = new Set<string>();
  for (const { step } of plan.steps) {
    if (step.kind === "unbind-driver" || step.kind === "probe-driver") out.add(step.device);
    else if (step.kind === "write-attribute" && step.attribute === "driver_override") out.add(step.device);
    else if (step.kind === "write-attribute" && step.attribute === "sriov_numvfs")
      for (const vf of inv.devices.find((d) => d.address === step.device)?.sriov?.vfs ?? []) out.add(vf);
    else if (step.kind === "attach-device" && step.device.type !== "pool") out.add(step.device.address);
  }
  return [...out];
}

/**
 * What to ask when libvirt does not answer: only where a saved definition names a device this plan changes (the
 * VM may not start as saved afterwards), or where definitions exist that this process cannot read. Nothing when
 * no record names the devices: the kernel already said whether anything holds them.
 */
export function offlineConflicts(plan: Pick<Plan, "steps">, inv: Inventory, records: OfflineRecords | null, why: string): Refusal[] {
  const touched = touchedDevices(plan, inv);
  if (!records || touched.length === 0) return [];
  const out: Refusal[] = [];
  for (const d of records.domains) {
    const named = d.addresses.filter((a) => touched.includes(a));
    if (named.length > 0)
      out.push({
        code: "vm-config-names-device",
        reason: `${why}, and its saved definition of the VM ${d.name} (${d.file}) names ${named.join(", ")}, which this plan changes: no process holds ${named.length > 1 ? "them" : "it"} now, but ${d.name} may not start as saved afterwards`,
        override: "confirm",
      });
  }
  if (records.unreadable.length > 0)
    out.push({
      code: "vm-configs-unreadable",
      reason: `${why}, and this process cannot read its saved VM definitions ${records.unreadable.join(", ")} in ${records.dir}: nobody can tell whether they name ${touched.join(", ")} (run this as root, or start libvirtd)`,
      override: "confirm",
    });
  return out;
}
