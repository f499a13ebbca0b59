/** /proc/self/mountinfo, /proc/mounts and /proc/swaps. */
import { formatMountinfo } from "@/server/host/formats/mountinfo";
import { formatMounts } from "@/server/host/formats/mounts";
import { formatSwaps } from "@/server/host/formats/swaps";
import type { Host } from "./host-model";

export function mountTables(h: Host): { mountinfo: string; mounts: string } {
  interface Row {
    source: string;
    mountpoint: string;
    fstype: string;
    dev: string;
    root: string;
    opts: string;
    superOpts: string;
  }
  const rows: Row[] = [];
  const pseudo = (source: string, mountpoint: string, fstype: string, dev: string, opts: string, superOpts = "rw") =>
    rows.push({ source, mountpoint, fstype, dev, root: "/", opts, superOpts });
  const devOf = (source: string, fstype: string, explicit?: string): string => {
    if (explicit) return explicit;
    const anon = fstype === "btrfs" ? h.anonDevs.get(source) : undefined;
    if (anon) return anon;
    const name = source.startsWith("/dev/mapper/")
      ? h.spec.storage.holders.find((x) => x.dmName === source.slice("/dev/mapper/".length))?.name
      : source.startsWith("/dev/")
        ? source.slice(5)
        : undefined;
    const b = name ? h.blocks.get(name) : undefined;
    if (!b) throw new Error(`scenario ${h.spec.name}: mount source ${source} is not a block device of the scenario`);
    return b.dev;
  };
  const subvolIds = new Map<string, number>();
  const subvolId = (source: string, root: string) => {
    if (root === "/") return 5;
    const key = `${source} ${root}`;
    if (!subvolIds.has(key)) subvolIds.set(key, 256 + subvolIds.size);
    return subvolIds.get(key)!;
  };
  const superOptsOf = (fstype: string, source: string, root: string) =>
    fstype === "ext4"
      ? "rw,errors=remount-ro"
      : fstype === "vfat"
        ? "rw,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1,shortname=mixed,errors=remount-ro"
        : fstype === "btrfs"
          ? `rw,ssd,discard=async,space_cache=v2,subvolid=${subvolId(source, root)},subvol=${root}`
          : "rw";

  const specMounts = [...h.spec.storage.mounts].sort((a, b) => a.mountpoint.length - b.mountpoint.length);
  const rootMount = specMounts.find((m) => m.mountpoint === "/");
  pseudo("sysfs", "/sys", "sysfs", "0:21", "rw,nosuid,nodev,noexec,relatime");
  pseudo("proc", "/proc", "proc", "0:22", "rw,nosuid,nodev,noexec,relatime");
  pseudo("udev", "/dev", "devtmpfs", "0:5", "rw,nosuid,relatime", "rw,size=16318124k,nr_inodes=4079531,mode=755,inode64");
  pseudo("devpts", "/dev/pts", "devpts", "0:23", "rw,nosuid,noexec,relatime", "rw,gid=5,mode=620,ptmxmode=000");
  pseudo("tmpfs", "/run", "tmpfs", "0:24", "rw,nosuid,nodev,noexec,relatime", "rw,size=3272604k,mode=755,inode64");
  for (const m of specMounts) {
    const root = m.root ?? "/";
    rows.push({
      source: m.source,
      mountpoint: m.mountpoint,
      fstype: m.fstype,
      dev: devOf(m.source, m.fstype, m.dev),
      root,
      opts: m.options ?? "rw,relatime",
      superOpts: superOptsOf(m.fstype, m.source, root),
    });
    if (m === rootMount) {
      pseudo("securityfs", "/sys/kernel/security", "securityfs", "0:6", "rw,nosuid,nodev,noexec,relatime");
      pseudo("tmpfs", "/dev/shm", "tmpfs", "0:25", "rw,nosuid,nodev", "rw,inode64");
      pseudo("cgroup2", "/sys/fs/cgroup", "cgroup2", "0:26", "rw,nosuid,nodev,noexec,relatime", "rw,nsdelegate,memory_recursiveprot");
    }
  }

  // IDs in mount order; the parent is the mount the mountpoint lies on (the root's parent is the initial rootfs, 1).
  const ids = rows.map((_, i) => 22 + i);
  const parentId = (mp: string): number => {
    if (mp === "/") return 1;
    let best = -1;
    rows.forEach((r, i) => {
      const under = r.mountpoint === "/" || mp.startsWith(`${r.mountpoint}/`);
      if (under && r.mountpoint !== mp && (best < 0 || r.mountpoint.length > rows[best]!.mountpoint.length)) best = i;
    });
    return best < 0 ? 1 : ids[best]!;
  };
  const mountinfo = formatMountinfo(
    rows.map((r, i) => ({
      id: ids[i]!,
      parentId: parentId(r.mountpoint),
      majorMinor: r.dev,
      root: r.root,
      mountpoint: r.mountpoint,
      options: r.opts,
      optionalFields: [`shared:${i + 1}`],
      fstype: r.fstype,
      source: r.source,
      superOptions: r.superOpts,
    })),
  );
  // /proc/mounts lists the mount's options, then the superblock's other than rw/ro
  const mounts = formatMounts(
    rows.map((r) => ({
      source: r.source,
      mountpoint: r.mountpoint,
      fstype: r.fstype,
      options: [r.opts, ...r.superOpts.split(",").filter((o) => o !== "rw" && o !== "ro")].join(","),
      freq: 0,
      passno: 0,
    })),
  );
  return { mountinfo, mounts };
}

/** /proc/swaps as swap_show() prints it: the path padded to 40 columns, then tab-separated numbers. */
export function swaps(h: Host): string {
  return formatSwaps(
    h.spec.storage.swaps.map((s) => ({
      filename: s.source,
      type: s.kind === "partition" ? "partition" : "file",
      sizeKb: s.sizeKb,
      usedKb: s.usedKb ?? 0,
      priority: s.priority ?? -2,
    })),
  );
}
