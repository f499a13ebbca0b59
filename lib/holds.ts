/**
 * A device's holders in words, shared by the refusals, the CLI and the pages (pure: the client imports it). The
 * kernel's view (server/host/holders.ts reads it): a process with the device's VFIO file open holds it; one whose
 * QEMU command line only names it (its open files could not be read) is "named on the command line of" it, not
 * said to hold it.
 */
import type { DeviceHold, DeviceHolder } from "@/server/host/holders";

type Named = Pick<DeviceHolder, "pid" | "command" | "guest" | "manager">;

const MANAGER: Record<string, string> = { libvirt: "libvirt", proxmox: "Proxmox VE", lxc: "LXC", docker: "a container" };

/** "qemu pid 1234 (VM 101 router, Proxmox VE)": how a refusal and the map name a holder. */
export function describeHolder(h: Named): string {
  const vm = h.guest ? [h.guest.vmid !== null ? String(h.guest.vmid) : null, h.guest.name].filter(Boolean).join(" ") : "";
  const by = h.manager ? MANAGER[h.manager] : null;
  const about = [vm ? `VM ${vm}` : null, by].filter(Boolean).join(", ");
  return `${h.command ?? "process"} pid ${h.pid}${about ? ` (${about})` : ""}`;
}

function list(holders: Named[]): string {
  const named = holders.map(describeHolder);
  return `${named.slice(0, 3).join(", ")}${named.length > 3 ? ` and ${named.length - 3} more` : ""}`;
}

/**
 * "held by qemu-system-x86 pid 812 (VM handmade)": a hold in words, for refusals, the map and the CLI. A holder
 * whose open file was not seen, only its command line, is "named on the command line of …", unless the kernel
 * shows the device open (vfio-pci's enable count): then the process naming it is its holder.
 */
export function describeHold(h: Pick<DeviceHold, "kernel" | "holders">): string {
  const netns = h.holders.filter((x) => x.evidence === "netns");
  if (netns.length > 0) return `held in the network namespace of ${list(netns)}: its interface was moved there`;
  const open = h.holders.filter((x) => x.evidence === "open");
  const declared = h.holders.filter((x) => x.evidence === "declared");
  // the kernel shows it open and a command line names it, though its descriptors were not readable from here
  if (open.length === 0 && declared.length > 0 && h.kernel === "vfio-open")
    return `held by ${list(declared)} (open, the kernel shows; its command line names the device)`;
  if (open.length > 0 || declared.length > 0) {
    const parts = [open.length ? `held by ${list(open)}` : null, declared.length ? `named on the command line of ${list(declared)}` : null];
    return parts.filter(Boolean).join(" and ");
  }
  if (h.kernel === "vfio-open")
    return "open through vfio-pci by a process Passdeck cannot name from here (the kernel shows it enabled; `sudo passdeck holders` names it)";
  // naming the namespace's process takes ptrace access to it (root with every capability): the web tier and the
  // helper, whose capabilities are narrowed, have none, so the sign is shown and who can name it is said
  return "held in another network namespace: its interface was moved into a container's (or an `ip netns`) namespace (`sudo passdeck holders` names a process in it)";
}

/** One holder in words, as describeHold says it: "held by …" or "named on the command line of …". */
export function describeHolderEvidence(h: Named & Pick<DeviceHolder, "evidence">): string {
  const how = { open: "held by", declared: "named on the command line of", netns: "in the network namespace of" }[h.evidence];
  return `${how} ${describeHolder(h)}`;
}

/** A device is held when the kernel shows a sign or a process is named. */
export function isHeld(h: Pick<DeviceHold, "kernel" | "holders"> | null | undefined): h is DeviceHold {
  return !!h && (h.kernel !== null || h.holders.length > 0);
}

/** What the guest claims to be, for a table cell: "VM 101 router", "VM web", or null. */
export function guestText(h: Pick<DeviceHolder, "guest">): string | null {
  if (!h.guest) return null;
  const vm = [h.guest.vmid !== null ? String(h.guest.vmid) : null, h.guest.name].filter(Boolean).join(" ");
  return vm ? `VM ${vm}` : h.guest.uuid ? `VM ${h.guest.uuid}` : null;
}

/** Who started a holder, in words. */
export function managerText(m: DeviceHolder["manager"]): string {
  return m ? MANAGER[m]! : "no known manager (a hand-started process)";
}

/** What libvirt says about one device: a VM whose definitions name it (the VMs page's rows, reduced). */
export interface LibvirtClaim {
  vm: string;
  uuid: string;
  /** the VM is running */
  active: boolean;
  /** the running VM's definition has it (not only the persistent config) */
  live: boolean;
}

/**
 * libvirt's record against the kernel's, for one device:
 * - "agree": nothing to say (held by the VM libvirt names, or by no one and no running VM claims it);
 * - "outside-libvirt": the kernel shows it held and no libvirt VM names it (a Proxmox VE or hand-started QEMU, a
 *   container);
 * - "not-held": a running VM has it in its live definition, yet the kernel shows nothing holding it;
 * - "other-holder": libvirt names it in VMs, but the kernel's holder is none of them (or none of them runs).
 */
export type HoldComparison =
  | { kind: "agree" }
  | { kind: "outside-libvirt"; hold: DeviceHold }
  | { kind: "not-held"; claims: LibvirtClaim[] }
  | { kind: "other-holder"; hold: DeviceHold; claims: LibvirtClaim[]; strangers: DeviceHolder[] };

/** A holder is the libvirt VM when the QEMU's command line names that VM (libvirt passes -name guest=… and -uuid). */
export function holderIsVm(h: Pick<DeviceHolder, "guest">, claim: Pick<LibvirtClaim, "vm" | "uuid">): boolean {
  if (!h.guest) return false;
  if (h.guest.uuid !== null) return h.guest.uuid.toLowerCase() === claim.uuid.toLowerCase();
  return h.guest.name === claim.vm;
}

export function compareHold(hold: DeviceHold | null, claims: LibvirtClaim[]): HoldComparison {
  const running = claims.filter((c) => c.active && c.live);
  if (!isHeld(hold)) return running.length > 0 ? { kind: "not-held", claims: running } : { kind: "agree" };
  if (claims.length === 0) return { kind: "outside-libvirt", hold };
  // the kernel's sign alone names no one: it agrees with a running VM, and with a VM that is off it cannot be told
  if (hold.holders.length === 0) return running.length > 0 ? { kind: "agree" } : { kind: "other-holder", hold, claims, strangers: [] };
  const strangers = hold.holders.filter((h) => !running.some((c) => holderIsVm(h, c)));
  return strangers.length === 0 ? { kind: "agree" } : { kind: "other-holder", hold, claims, strangers };
}

/** "VM web (running)", "VMs web (shut off) and db (running, config only)": the VMs libvirt says have a device. */
export function claimsText(claims: LibvirtClaim[]): string {
  const one = (c: LibvirtClaim) => `${c.vm} (${c.active ? (c.live ? "running" : "running, in its persistent config only") : "not running"})`;
  return `${claims.length === 1 ? "VM" : "VMs"} ${claims.map(one).join(", ")}`;
}

/** The disagreement in one sentence; null when libvirt and the kernel agree. */
export function comparisonText(address: string, c: HoldComparison): string | null {
  switch (c.kind) {
    case "agree":
      return null;
    case "outside-libvirt":
      return `No libvirt VM names ${address}, but the kernel shows it ${describeHold(c.hold)}.`;
    case "not-held":
      return `libvirt says ${claimsText(c.claims)} has ${address}, but the kernel shows no process holding it (vfio-pci has not enabled it).`;
    case "other-holder":
      return c.strangers.length > 0
        ? `libvirt says ${claimsText(c.claims)} has ${address}, but the kernel shows it ${describeHold({ kernel: c.hold.kernel, holders: c.strangers })}, which is not that VM.`
        : `libvirt says ${claimsText(c.claims)} has ${address}, none of them running with it, yet the kernel shows it ${describeHold(c.hold)}.`;
  }
}
