/**
 * /proc/mounts (/proc/self/mounts), as fs/proc_namespace.c show_vfsmnt prints it, fstab's layout:
 * "source mountpoint fstype options freq passno", paths escaped as in mountinfo. Pure: parsed by
 * server/host/storage.ts (when mountinfo is missing), printed by the simulator.
 */
import { escapeMountPath, unescapeMountPath } from "./mountinfo";

export interface MountsEntry {
  /** paths unescaped */
  source: string;
  mountpoint: string;
  fstype: string;
  /** the mount's and the superblock's options in one list: "rw,relatime,errors=remount-ro" */
  options: string;
  freq: number;
  passno: number;
}

/** Every line with at least source, mountpoint and fstype. */
export function parseMounts(text: string): MountsEntry[] {
  const out: MountsEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 3) continue;
    out.push({
      source: unescapeMountPath(f[0]!),
      mountpoint: unescapeMountPath(f[1]!),
      fstype: f[2]!,
      options: f[3] ?? "",
      freq: Number(f[4] ?? 0),
      passno: Number(f[5] ?? 0),
    });
  }
  return out;
}

export function formatMounts(entries: readonly MountsEntry[]): string {
  return entries.map((e) => `${escapeMountPath(e.source)} ${escapeMountPath(e.mountpoint)} ${e.fstype} ${e.options} ${e.freq} ${e.passno}\n`).join("");
}
