/** The VMs page and the reviews' words for libvirt's state: which definition holds a device, how, and the XML diff. Pure. */
import type { BadgeTone } from "@/components/ui/badge";
import type { VmDevice, VmRow } from "@/server/libvirt/vm-devices";
import type { PoolRow } from "@/server/plans/pools";
import type { XmlChange } from "@/server/plans/vm";
import { plural } from "@/components/data/format";
import type { LibvirtClaim } from "@/lib/holds";

/**
 * Which of the VM's definitions hold the device, said where they differ: a device only in the running VM was
 * hot-plugged and is gone when it stops; one only in the persistent config arrives at the next start.
 */
export function heldIn(where: VmDevice["in"], active: boolean): string {
  const live = where.includes("live");
  const config = where.includes("config");
  if (live && config) return "running VM and persistent config";
  if (live) return "only in the running VM (hot-plugged): gone when it stops";
  if (config && active) return "only in the persistent config: from the next start";
  if (config) return "persistent config: at the next start";
  return "no definition";
}

export function howHeld(d: Pick<VmDevice, "as" | "managed">): string {
  const how = d.as === "interface" ? "network VF interface" : "PCI hostdev";
  return `${how}, ${d.managed ? "managed (libvirt moves it to vfio-pci and back)" : "unmanaged (it must be on vfio-pci before the VM starts)"}`;
}

export const STATE_TONE: Record<string, BadgeTone> = { running: "green", paused: "amber", crashed: "red", "shut off": "neutral", pmsuspended: "amber" };

/** "512 MiB", "4 GiB", "1.5 GiB" */
export function memoryText(kib: number | null): string {
  if (kib === null) return "memory unknown";
  const mib = kib / 1024;
  if (mib < 1024) return `${Math.round(mib)} MiB`;
  const gib = mib / 1024;
  return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
}

export function sizeText(vm: Pick<VmRow, "vcpus" | "memoryKiB">): string {
  return `${vm.vcpus === null ? "? vCPUs" : `${vm.vcpus} vCPU${vm.vcpus === 1 ? "" : "s"}`} · ${memoryText(vm.memoryKiB)}`;
}

export const targetText = (target: XmlChange["target"]) => (target === "config" ? "persistent config" : "running VM");

/** When a definition's change reaches the guest. */
export function whenText(change: Pick<XmlChange, "op" | "target">): string {
  if (change.target === "config") return change.op === "add" ? "the VM gets it from its next start" : "the VM no longer gets it from its next start";
  return change.op === "add" ? "the running guest gets it now (hot-plug)" : "the running guest must release it now (PCIe hot-unplug)";
}

/** A VF pool's VFs in a line: how many libvirt found and how many running VMs have, or why none are listed. */
export function poolVfsText(pool: Pick<PoolRow, "active" | "vfs" | "handedOut">): string {
  if (!pool.active) return "none listed: libvirt lists the PF's VFs when the pool starts";
  if (pool.vfs.length === 0) return "libvirt found no VFs on the PF";
  return `${plural(pool.vfs.length, "VF")}, ${pool.handedOut.length} in running VMs`;
}

/** A VF pool plan's change is a libvirt network's definition (its caption reads "network <name>"), not a VM's device. */
export const isNetworkXml = (change: Pick<XmlChange, "xml">) => change.xml.startsWith("<network");

/** When a VF pool's definition takes effect. */
export function poolWhenText(op: XmlChange["op"]): string {
  return op === "add"
    ? "libvirt keeps the pool and starts it at boot (autostart); a VM takes a VF of it with <interface type='network'>"
    : "libvirt forgets the pool: no VM can take a VF of it any more";
}

/** The device XML as a diff block: "+ " before each line a VM gains, "- " before each it loses. */
export function diffLines(change: Pick<XmlChange, "op" | "xml">): string[] {
  const sign = change.op === "add" ? "+ " : "- ";
  return change.xml.split("\n").map((line) => `${sign}${line}`);
}

export const onOff = (b: boolean | null) => (b === null ? "?" : b ? "on" : "off");

/** The VMs libvirt says have a device, for comparing with the kernel's holders (lib/holds compareHold). */
export function claimsFor(rows: Pick<VmRow, "name" | "uuid" | "active" | "devices">[], address: string): LibvirtClaim[] {
  return rows.flatMap((vm) =>
    vm.devices.filter((x) => x.address === address).map((x) => ({ vm: vm.name, uuid: vm.uuid, active: vm.active, live: x.in.includes("live") })),
  );
}

/** "since 13:02:11, 7 Dec" from an ISO time; null when the start time is unknown. */
export function sinceText(iso: string | null): string | null {
  if (!iso) return null;
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? null : `since ${t.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
