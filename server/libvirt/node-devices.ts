/**
 * libvirt's node devices (its own view of the host's PCI functions), cross-checked with Passdeck's inventory: when
 * libvirt believes in another IOMMU group, VF list or PF than sysfs shows, passthrough through libvirt will surprise.
 */
import type { Inventory } from "@/server/host/types";
import { decodeVirshError, LibvirtError } from "./errors";
import { parseNodeDeviceXml, type PciNodeDevice } from "./node-device-xml";
import type { VirshRunner } from "./virsh";

/** "0000:01:10.2" → "pci_0000_01_10_2", libvirt's node device name */
export const nodeDeviceName = (address: string) => `pci_${address.replace(/[:.]/g, "_")}`;

export interface NodeDeviceDisagreement {
  address: string;
  field: "missing" | "iommuGroup" | "virtFunctions" | "physFunction";
  libvirt: string;
  inventory: string;
  /** what it means and what to do */
  hint: string;
}

const HINTS: Record<NodeDeviceDisagreement["field"], string> = {
  missing:
    "libvirt's node device list follows udev events and has not seen this device (created after libvirtd started, or no udev): udevadm trigger --subsystem-match=pci --action=add, or restart libvirtd. Attaching it to a VM works regardless.",
  iommuGroup:
    "libvirt read the IOMMU group at another time (the kernel regroups devices only at boot or hotplug): restart libvirtd; if it persists, report it.",
  virtFunctions: "The VF count changed since libvirt last looked: restart libvirtd (or trigger udev) so hostdev networks and virt-manager see the current VFs.",
  physFunction: "libvirt and sysfs disagree on this VF's PF: restart libvirtd; if it persists, report it.",
};

export class NodeDevices {
  constructor(private readonly virsh: VirshRunner) {}

  /** The named devices as libvirt describes them (null where libvirt has no such node device). */
  async pci(addresses: string[]): Promise<Map<string, PciNodeDevice | null>> {
    const out = new Map<string, PciNodeDevice | null>();
    const queue = [...addresses];
    // A few at a time: each is one virsh process.
    await Promise.all(
      Array.from({ length: Math.min(6, queue.length) }, async () => {
        for (let a = queue.shift(); a !== undefined; a = queue.shift()) {
          const r = await this.virsh.run(["nodedev-dumpxml", "--device", nodeDeviceName(a)]);
          if (r.code === 0) {
            try {
              out.set(a, parseNodeDeviceXml(r.stdout));
            } catch {
              out.set(a, null);
            }
          } else if (/not found|no node device/i.test(r.stderr)) out.set(a, null);
          else throw new LibvirtError(decodeVirshError({ operation: `read node device ${a}`, uri: this.virsh.uri, stderr: r.stderr, code: r.code }));
        }
      }),
    );
    return out;
  }
}

const list = (xs: string[]) => (xs.length ? [...xs].sort().join(", ") : "none");

/** Where libvirt's node devices and the inventory disagree on what passthrough depends on. Pure. */
export function compareNodeDevices(inv: Inventory, nodes: Map<string, PciNodeDevice | null>): NodeDeviceDisagreement[] {
  const out: NodeDeviceDisagreement[] = [];
  // Sorted: the reads finish in any order.
  for (const [address, node] of [...nodes].sort(([a], [b]) => a.localeCompare(b))) {
    const d = inv.devices.find((x) => x.address === address);
    if (!d) continue;
    if (!node) {
      out.push({ address, field: "missing", libvirt: "no node device", inventory: "present", hint: HINTS.missing });
      continue;
    }
    if (node.iommuGroup !== d.iommuGroup)
      out.push({ address, field: "iommuGroup", libvirt: String(node.iommuGroup ?? "none"), inventory: String(d.iommuGroup ?? "none"), hint: HINTS.iommuGroup });
    if (d.sriov) {
      const lv = node.virtFunctions?.addresses ?? [];
      if (list(lv) !== list(d.sriov.vfs))
        out.push({ address, field: "virtFunctions", libvirt: list(lv), inventory: list(d.sriov.vfs), hint: HINTS.virtFunctions });
    }
    if ((node.physFunction ?? null) !== (d.physfn ?? null))
      out.push({ address, field: "physFunction", libvirt: node.physFunction ?? "none", inventory: d.physfn ?? "none", hint: HINTS.physFunction });
  }
  return out;
}
