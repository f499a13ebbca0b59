import { slotOf } from "@/lib/pci-address";
import type { IommuGroup, PciDevice } from "@/server/host/types";

const PORT_NAMES: Record<string, string> = {
  "root-port": "root port",
  "downstream-port": "switch downstream port",
  "upstream-port": "switch upstream port",
  "pci-bridge": "PCIe-to-PCI bridge",
};

/** Groups with a passthrough verdict and the reasons their members share them, from the group links. */
export function buildGroups(devices: PciDevice[]): IommuGroup[] {
  const members = new Map<number, PciDevice[]>();
  for (const d of devices) {
    if (d.iommuGroup === null) continue;
    const list = members.get(d.iommuGroup);
    if (list) list.push(d);
    else members.set(d.iommuGroup, [d]);
  }
  return [...members.entries()].sort(([a], [b]) => a - b).map(([id, devs]) => judgeGroup(id, devs));
}

export function judgeGroup(id: number, devs: PciDevice[]): IommuGroup {
  const sorted = [...devs].sort((a, b) => (a.address < b.address ? -1 : 1));
  const endpoints = sorted.filter((d) => d.bridge === null);
  const bridges = sorted.filter((d) => d.bridge !== null);
  const reasons = sharingReasons(sorted);
  const base = {
    id,
    devices: sorted.map((d) => d.address),
    endpoints: endpoints.map((d) => d.address),
    bridges: bridges.map((d) => d.address),
    reasons,
  };

  const critical = endpoints.filter((d) => d.hostCritical.length > 0);
  if (critical.length > 0) {
    const what = critical.map((d) => `${d.address}: ${d.hostCritical[0]}`).join("; ");
    const others = endpoints.length > critical.length ? ", and it takes the rest of the group with it" : "";
    return {
      ...base,
      verdict: "host-critical",
      summary: `Contains a device the host depends on (${what}). Passing it through would cut the host off${others}.`,
    };
  }

  const inGroup = new Set(base.devices);
  const pfWithVfs = endpoints.find((d) => d.sriov?.vfs.some((vf) => inGroup.has(vf)));
  if (pfWithVfs) {
    return {
      ...base,
      verdict: "pf-with-vfs",
      summary: `The SR-IOV PF ${pfWithVfs.address} shares this group with its VFs: a VF cannot go to a VM without the PF, and binding the PF to vfio-pci would destroy every VF.`,
    };
  }

  if (endpoints.length > 1) {
    return {
      ...base,
      verdict: "shared",
      summary: `Shared: ${endpoints.length} endpoints (${endpoints.map((d) => d.address).join(", ")}) can only be passed through together, to the same VM.`,
    };
  }

  const stay =
    bridges.length > 0
      ? ` Its ${bridges.map((b) => PORT_NAMES[b.bridge!] ?? "bridge").join(", ")} (${bridges.map((b) => b.address).join(", ")}) stays on the host driver.`
      : "";
  return {
    ...base,
    verdict: "isolated",
    summary:
      endpoints.length === 0
        ? "Only PCIe ports/bridges: nothing to pass through here."
        : `Isolated: ${endpoints[0]!.address} can be passed through on its own.${stay}`,
  };
}

/** Why the kernel put these devices together, one sentence per cause (multifunction, a non-isolating port, conventional PCI). */
function sharingReasons(devs: PciDevice[]): string[] {
  if (devs.length < 2) return [];
  const reasons: string[] = [];
  const inGroup = new Set(devs.map((d) => d.address));
  const explained = new Set<string>();

  const bySlot = new Map<string, PciDevice[]>();
  for (const d of devs) bySlot.set(slotOf(d.address), [...(bySlot.get(slotOf(d.address)) ?? []), d]);
  for (const [slot, fns] of bySlot) {
    if (fns.length < 2) continue;
    const ports = fns.every((f) => f.bridge !== null);
    reasons.push(
      `${fns.map((f) => f.address).join(", ")} are functions of one multifunction ${ports ? "device whose ports" : "device"} (slot ${slot}) without ACS isolation between the functions, so the kernel groups them${ports ? " together with everything below them" : ""}.`,
    );
    fns.forEach((f) => explained.add(f.address));
  }

  for (const b of devs.filter((d) => d.bridge !== null)) {
    const below = devs.filter((d) => d.address !== b.address && d.parentChain.includes(b.address));
    if (below.length === 0) continue;
    const parentInGroup = b.parentChain.some((p) => inGroup.has(p));
    below.forEach((d) => explained.add(d.address));
    explained.add(b.address);
    if (parentInGroup) continue; // the topmost bridge explains the subtree
    const list = below.map((d) => d.address).join(", ");
    reasons.push(
      b.bridge === "pci-bridge"
        ? `${b.address} is a PCIe-to-PCI bridge: devices on the conventional PCI bus behind it (${list}) reach the IOMMU with the bridge's requester ID, so they can never be separated.`
        : `${b.address} (${PORT_NAMES[b.bridge!]}) does not isolate what is below it (${list}): it lacks ACS (Access Control Services), so devices below it could talk peer-to-peer past the IOMMU.`,
    );
  }

  const vfs = devs.filter((d) => d.physfn && inGroup.has(d.physfn));
  if (vfs.length > 0) {
    reasons.push(`VFs ${vfs.map((v) => v.address).join(", ")} share the group of their PF ${vfs[0]!.physfn}: the device (or its port) lacks ACS.`);
    vfs.forEach((v) => explained.add(v.address));
  }

  const rest = devs.filter((d) => !explained.has(d.address));
  if (rest.length > 0 && reasons.length === 0) {
    reasons.push(
      `The kernel grouped ${rest.map((d) => d.address).join(", ")} through a DMA alias or an ACS quirk that sysfs does not show; check \`lspci -vvv\` (ACSCap/ACSCtl) on their ports.`,
    );
  }
  return reasons;
}
