/** Block devices in sysfs: NVMe and SATA disks with their partitions, dm and md devices stacked on them. */
import type { BlockNode, Host } from "./host-model";
import type { HolderSpec, PciFunction } from "./spec";
import { parentOf, type Tree } from "./tree";

/** A block device with its class and dev links, and the holder/slave links to whatever is stacked on it. */
function writeBlockDevice(t: Tree, h: Host, b: BlockNode): void {
  const a = (name: string, value: string | number) => t.attr(`${b.dir}/${name}`, value);
  a("dev", b.dev);
  a("size", Math.floor(b.sizeBytes / 512));
  a("ro", 0);
  t.dir(`${b.dir}/holders`);
  if (b.isPartition) {
    a("partition", /(\d+)$/.exec(b.name)![1]!);
    a("start", 2048);
  } else {
    a("removable", 0);
    t.dir(`${b.dir}/slaves`);
  }
  for (const holder of h.spec.storage.holders.filter((hs: HolderSpec) => hs.slaves.includes(b.name))) {
    const holderDir = h.blocks.get(holder.name)!.dir;
    t.link(`${b.dir}/holders/${holder.name}`, holderDir);
    t.link(`${holderDir}/slaves/${b.name}`, b.dir);
  }
  t.link(`class/block/${b.name}`, b.dir);
  t.link(`dev/block/${b.dev}`, b.dir);
}

/** The disks (and their partitions) of an NVMe or AHCI controller, as its driver's probe adds them. */
export function writeDisks(t: Tree, h: Host, f: PciFunction): void {
  for (const b of h.blocks.values()) if (b.owner === f.address) writeBlockDevice(t, h, b);
  const dir = h.devPath.get(f.address)!;
  for (const d of f.spec.disks ?? []) {
    const disk = h.blocks.get(d.name)!;
    if (h.nvmeCtrl.has(f.address)) t.link(`${disk.dir}/device`, `${dir}/nvme/${h.nvmeCtrl.get(f.address)}`);
    else {
      const scsiDev = parentOf(parentOf(disk.dir));
      t.attr(`${scsiDev}/vendor`, "ATA     ");
      t.attr(`${scsiDev}/model`, (d.model ?? "SATA SSD").padEnd(16).slice(0, 16));
      t.link(`${disk.dir}/device`, scsiDev);
    }
  }
}

/** The stacked (dm/md) block devices; the disks come with their controller's driver. */
export function writeBlock(t: Tree, h: Host): void {
  for (const b of h.blocks.values()) if (b.owner === null) writeBlockDevice(t, h, b);
  for (const hs of h.spec.storage.holders) {
    const dir = h.blocks.get(hs.name)!.dir;
    if (hs.kind === "dm") {
      t.attr(`${dir}/dm/name`, hs.dmName ?? hs.name);
      t.attr(
        `${dir}/dm/uuid`,
        `LVM-${(hs.dmName ?? hs.name)
          .replace(/[^a-z0-9]/gi, "")
          .padEnd(32, "0")
          .slice(0, 32)}`,
      );
      t.attr(`${dir}/dm/suspended`, 0);
    } else {
      t.attr(`${dir}/md/level`, hs.mdLevel ?? "raid1");
      t.attr(`${dir}/md/raid_disks`, hs.slaves.length);
      t.attr(`${dir}/md/array_state`, "clean");
    }
  }
}
