/**
 * IOMMU groups computed from a PCI topology with the kernel's own rules: pci_device_group() in
 * drivers/iommu/iommu.c, with pci_acs_enabled() / pci_acs_path_enabled() from drivers/pci/pci.c.
 *
 * For each function, in the order the IOMMU driver probes them:
 *  1. DMA aliases: a function behind a PCIe-to-PCI (or conventional PCI) bridge issues DMA with the bridge's
 *     requester ID, so it takes the bridge's group and the walk goes on from the bridge.
 *  2. Walking up from the function's bus: while the bridge above (bus->self) is not ACS-isolated on the whole path
 *     to the root bus, the function takes that bridge's group (and the walk continues from the bridge).
 *  3. A function of a multifunction device without ACS takes the group of any sibling function without ACS.
 *  4. Otherwise it gets a new group: the lowest free id (the kernel allocates group ids from an IDA).
 *
 * Pure: nodes in, groups out. The allocator can also add and remove functions one at a time, as a kernel does
 * when VFs are created or destroyed.
 */
import type { PciFunction, PciTopology } from "./spec";

export type GroupNodeType =
  | "endpoint" // PCIe endpoint, RC-integrated endpoint or VF
  | "conventional" // a conventional PCI function: no PCIe capability
  | "root-port"
  | "downstream-port"
  | "upstream-port"
  | "pcie-to-pci"; // PCIe-to-PCI bridge: functions below it alias to it

export interface GroupNode {
  address: string;
  /** the bridge whose secondary bus the function sits on (bus->self); null on a root bus; a VF's is its PF's */
  parent: string | null;
  type: GroupNodeType;
  /** ACS enabled (ports: isolation below the port; multifunction functions: isolation between functions) */
  acs: boolean;
  multifunction: boolean;
  /** created after boot (an SR-IOV VF): probed after every boot-time function */
  vf?: boolean;
  /** false: the IOMMU does not translate this function (AMD's IOMMU function itself): it gets no group */
  behindIommu?: boolean;
}

export interface ComputedGroup {
  id: number;
  /** members in probe order */
  devices: string[];
}

export interface GroupTable {
  /** by id */
  groups: ComputedGroup[];
  groupOf: ReadonlyMap<string, number>;
}

/**
 * The kernel's probe order: every function on a bus by devfn, then each bridge's secondary bus (depth first), root
 * buses by number; VFs last, in the order given (they appear when sriov_numvfs is written).
 */
export function probeOrder(nodes: readonly GroupNode[]): GroupNode[] {
  const onBus = new Map<string, GroupNode[]>();
  const rootKey = (a: string) => `root:${a.slice(0, a.indexOf(":", 5))}`;
  for (const n of nodes) {
    if (n.vf) continue;
    const key = n.parent ?? rootKey(n.address);
    onBus.set(key, [...(onBus.get(key) ?? []), n]);
  }
  const out: GroupNode[] = [];
  const visit = (key: string) => {
    const sorted = (onBus.get(key) ?? []).sort((a, b) => (a.address < b.address ? -1 : 1));
    out.push(...sorted);
    for (const n of sorted) if (onBus.has(n.address)) visit(n.address);
  };
  for (const key of [...onBus.keys()].filter((k) => k.startsWith("root:")).sort()) visit(key);
  out.push(...nodes.filter((n) => n.vf));
  return out;
}

/** Groups for a whole topology, probed in kernel order. */
export function computeIommuGroups(nodes: readonly GroupNode[]): GroupTable {
  return allocateIommuGroups(nodes).table();
}

/** An allocator that has probed every node in kernel order, as at boot; it goes on as VFs come and go. */
export function allocateIommuGroups(nodes: readonly GroupNode[]): IommuGroupAllocator {
  const allocator = new IommuGroupAllocator(nodes);
  for (const n of probeOrder(nodes)) allocator.probe(n.address);
  return allocator;
}

/** The group nodes of a resolved scenario topology (VFs included). */
export function topologyGroupNodes(topology: PciTopology): GroupNode[] {
  return topology.functions.map(groupNode);
}

/** One function of a resolved topology as the grouping rules see it. */
export function groupNode(f: PciFunction): GroupNode {
  return {
    address: f.address,
    parent: f.parent,
    // a bridge without a PCIe capability is a conventional PCI-to-PCI bridge
    type: f.spec.bridge && !f.pcie ? "conventional" : f.kind,
    acs: f.spec.acs ?? false,
    multifunction: f.multifunction,
    vf: f.physfn !== null,
    behindIommu: f.spec.behindIommu ?? true,
  };
}

/** Incremental group assignment, as the IOMMU core does it when a device is added or removed. */
export class IommuGroupAllocator {
  private readonly nodes = new Map<string, GroupNode>();
  private readonly groupIds = new Map<string, number>();
  private readonly members = new Map<number, string[]>();

  constructor(nodes: readonly GroupNode[]) {
    for (const n of nodes) this.nodes.set(n.address, n);
  }

  /** Adds a node the allocator did not know (a VF being created); probe it afterwards. */
  addNode(node: GroupNode): void {
    this.nodes.set(node.address, node);
  }

  /** pci_device_group(): the group id the function joins or gets; null when it is not behind the IOMMU. */
  probe(address: string): number | null {
    const existing = this.groupIds.get(address);
    if (existing !== undefined) return existing;
    const dev = this.node(address);
    if (dev.behindIommu === false) return null;
    const id = this.findGroup(dev) ?? this.allocate();
    this.groupIds.set(address, id);
    this.members.set(id, [...(this.members.get(id) ?? []), address]);
    return id;
  }

  /** The function goes away (VF destroyed, hot-unplug): an emptied group's id becomes free again. */
  release(address: string): void {
    const id = this.groupIds.get(address);
    if (id === undefined) return;
    this.groupIds.delete(address);
    const rest = (this.members.get(id) ?? []).filter((a) => a !== address);
    if (rest.length > 0) this.members.set(id, rest);
    else this.members.delete(id);
  }

  /** The group a probed function is in; null when it has none (not probed, or not behind the IOMMU). */
  groupOf(address: string): number | null {
    return this.groupIds.get(address) ?? null;
  }

  table(): GroupTable {
    const groups = [...this.members.entries()].sort(([a], [b]) => a - b).map(([id, devices]) => ({ id, devices: [...devices] }));
    return { groups, groupOf: new Map(this.groupIds) };
  }

  private node(address: string): GroupNode {
    const n = this.nodes.get(address);
    if (!n) throw new Error(`IOMMU groups: unknown PCI function ${address}`);
    return n;
  }

  private parentOf(n: GroupNode): GroupNode | null {
    return n.parent === null ? null : this.node(n.parent);
  }

  private findGroup(dev: GroupNode): number | null {
    // 1. pci_for_each_dma_alias(): PCIe ports pass requester IDs through; a PCIe-to-PCI bridge (or a conventional
    // bridge) substitutes its own, so the topmost such bridge is the function's alias.
    let pdev = dev;
    for (let b = this.parentOf(dev); b; b = this.parentOf(b)) {
      if (!aliasesBelow(b)) continue;
      pdev = b;
      const g = this.groupIds.get(b.address);
      if (g !== undefined) return g;
    }
    // 2. Up from pdev's bus while the bridge above is not ACS-isolated all the way to the root bus.
    for (let b = this.parentOf(pdev); b; b = this.parentOf(b)) {
      if (this.acsPathEnabled(b)) break;
      pdev = b;
      const g = this.groupIds.get(b.address);
      if (g !== undefined) return g;
    }
    // 3. get_pci_function_alias_group(): sibling functions of a multifunction device without ACS.
    if (pdev.multifunction && !acsEnabled(pdev)) {
      const slot = pdev.address.slice(0, -2);
      for (const [address, g] of this.groupIds) {
        if (address === pdev.address || address.slice(0, -2) !== slot) continue;
        const sibling = this.node(address);
        if (!sibling.vf && !acsEnabled(sibling)) return g;
      }
    }
    return null;
  }

  /** pci_acs_path_enabled(start, NULL): ACS on the bridge and every bridge above it up to the root bus. */
  private acsPathEnabled(start: GroupNode): boolean {
    for (let n: GroupNode | null = start; n; n = this.parentOf(n)) if (!acsEnabled(n)) return false;
    return true;
  }

  private allocate(): number {
    let id = 0;
    while (this.members.has(id)) id++;
    return id;
  }
}

/** pci_acs_enabled() for the REQ_ACS_FLAGS (SV, RR, CR, UF), by PCIe type. */
export function acsEnabled(n: GroupNode): boolean {
  switch (n.type) {
    case "conventional": // a shared bus: anything on it can snoop DMA
    case "pcie-to-pci": // ACS is never applicable to these, the kernel stays conservative
      return false;
    case "root-port":
    case "downstream-port":
      return n.acs;
    case "endpoint":
    case "upstream-port":
      // only a function of a multifunction device can do peer-to-peer inside the device
      return n.multifunction ? n.acs : true;
  }
}

/** Asked only of a parent, i.e. a bridge: a conventional PCI-to-PCI bridge substitutes its ID like a PCIe-to-PCI one. */
function aliasesBelow(bridge: GroupNode): boolean {
  return bridge.type === "pcie-to-pci" || bridge.type === "conventional";
}
