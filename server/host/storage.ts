import { parseMountinfo } from "./formats/mountinfo";
import { parseMounts } from "./formats/mounts";
import { parseSwaps } from "./formats/swaps";
import type { KernelFs } from "./fs";
import { resolveLink } from "./fs";
import { baseName, owningPciAddress } from "./pci";
import type { BlockDev, MountUse } from "./types";

export interface Mount {
  majorMinor: string;
  source: string;
  mountpoint: string;
  fstype: string;
}

/** /proc/self/mountinfo (it carries major:minor, which maps a mount to a block device without /dev) plus /proc/swaps. */
export function readMounts(proc: KernelFs): Mount[] {
  const mounts: Mount[] = [];
  const info = proc.readOptional("self/mountinfo");
  if (info !== null) {
    for (const m of parseMountinfo(info)) mounts.push({ majorMinor: m.majorMinor, mountpoint: m.mountpoint, fstype: m.fstype, source: m.source });
  } else {
    for (const m of parseMounts(proc.readOptional("mounts") ?? ""))
      mounts.push({ majorMinor: "0:0", source: m.source, mountpoint: m.mountpoint, fstype: m.fstype });
  }
  for (const s of parseSwaps(proc.readOptional("swaps") ?? "")) {
    if (s.type === "partition") mounts.push({ majorMinor: "0:0", source: s.filename, mountpoint: "[SWAP]", fstype: "swap" });
  }
  return mounts;
}

interface BlockNode {
  name: string;
  dir: string;
  isPartition: boolean;
  /** for a partition, its disk */
  disk: string | null;
  pciAddress: string | null;
  holders: string[];
}

export interface StorageView {
  /** disks (not partitions, not dm/md) grouped by the PCI device behind them */
  byPci: Map<string, BlockDev[]>;
  /** mounts of real filesystems that could not be traced to a block device (ZFS datasets, network filesystems) */
  unmapped: Mount[];
}

const VIRTUAL_FS = new Set([
  "proc",
  "sysfs",
  "tmpfs",
  "devtmpfs",
  "devpts",
  "cgroup",
  "cgroup2",
  "securityfs",
  "debugfs",
  "tracefs",
  "pstore",
  "bpf",
  "mqueue",
  "hugetlbfs",
  "configfs",
  "fusectl",
  "autofs",
  "efivarfs",
  "binfmt_misc",
  "overlay",
  "9p",
  "nsfs",
  "rpc_pipefs",
  "ramfs",
  "squashfs",
  "fuse.portal",
  "fuse.gvfsd-fuse",
  "nfsd",
]);

export function readStorage(sys: KernelFs, proc: KernelFs): StorageView {
  const nodes = new Map<string, BlockNode>();
  for (const name of sys.listOptional("class/block") ?? []) {
    const rel = `class/block/${name}`;
    const target = sys.readLinkOptional(rel);
    if (!target) continue;
    const dir = resolveLink(rel, target);
    const entries = sys.listOptional(dir) ?? [];
    const isPartition = entries.includes("partition");
    nodes.set(name, {
      name,
      dir,
      isPartition,
      disk: isPartition ? baseName(dir.slice(0, dir.lastIndexOf("/"))) : null,
      pciAddress: owningPciAddress(dir),
      holders: entries.includes("holders") ? (sys.listOptional(`${dir}/holders`) ?? []) : [],
    });
  }

  const mountsOn = new Map<string, MountUse[]>();
  const unmapped: Mount[] = [];
  let dmNames: Map<string, string> | null = null;
  for (const m of readMounts(proc)) {
    if (VIRTUAL_FS.has(m.fstype)) continue;
    let blockName: string | null = null;
    if (m.majorMinor !== "0:0" && !m.majorMinor.startsWith("0:")) {
      const target = sys.readLinkOptional(`dev/block/${m.majorMinor}`);
      if (target) blockName = baseName(target);
    }
    if (!blockName && m.source.startsWith("/dev/")) {
      const base = baseName(m.source);
      if (m.source.startsWith("/dev/mapper/")) {
        dmNames ??= readDmNames(sys, nodes);
        blockName = dmNames.get(base) ?? null;
      } else if (nodes.has(base)) blockName = base;
    }
    if (!blockName || !nodes.has(blockName)) {
      if (m.source.startsWith("/dev/") || m.fstype === "zfs" || m.fstype === "btrfs") unmapped.push(m);
      continue;
    }
    const list = mountsOn.get(blockName) ?? [];
    list.push({ device: blockName, mountpoint: m.mountpoint, fstype: m.fstype });
    mountsOn.set(blockName, list);
  }

  const usesOf = (name: string, seen = new Set<string>()): MountUse[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    const node = nodes.get(name);
    const own = mountsOn.get(name) ?? [];
    return node ? [...own, ...node.holders.flatMap((h) => usesOf(h, seen))] : own;
  };

  const byPci = new Map<string, BlockDev[]>();
  for (const node of nodes.values()) {
    if (node.isPartition || !node.pciAddress) continue;
    const parts = [...nodes.values()].filter((n) => n.disk === node.name);
    const mounts = [...usesOf(node.name), ...parts.flatMap((p) => usesOf(p.name))];
    const list = byPci.get(node.pciAddress) ?? [];
    list.push({ name: node.name, mounts });
    byPci.set(node.pciAddress, list);
  }
  return { byPci, unmapped };
}

function readDmNames(sys: KernelFs, nodes: Map<string, BlockNode>): Map<string, string> {
  const names = new Map<string, string>();
  for (const node of nodes.values()) {
    if (!node.name.startsWith("dm-")) continue;
    const dmName = sys.readOptional(`${node.dir}/dm/name`);
    if (dmName) names.set(dmName.trim(), node.name);
  }
  return names;
}
