/**
 * /proc/<pid>/mountinfo, as fs/proc_namespace.c show_mountinfo prints it:
 * "id parent major:minor root mountpoint options [optional fields…] - fstype source super_options", with space, tab,
 * newline and backslash in paths escaped as \ooo. Pure: parsed by server/host/storage.ts, printed by the simulator.
 */

export interface MountinfoEntry {
  id: number;
  parentId: number;
  /** "259:2"; "0:N" for filesystems without a block device */
  majorMinor: string;
  /** paths unescaped */
  root: string;
  mountpoint: string;
  /** per-mount options: "rw,relatime" */
  options: string;
  /** "shared:1", "master:2", … */
  optionalFields: string[];
  fstype: string;
  source: string;
  /** per-superblock options */
  superOptions: string;
}

/** mangle() in fs/proc_namespace.c: " \t\n\\" as a backslash and three octal digits. */
export function escapeMountPath(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Every line with the " - " separator and enough fields on both sides; others are skipped. */
export function parseMountinfo(text: string): MountinfoEntry[] {
  const out: MountinfoEntry[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    if (left.length < 5 || right.length < 2) continue;
    out.push({
      id: Number(left[0]),
      parentId: Number(left[1]),
      majorMinor: left[2]!,
      root: unescapeMountPath(left[3]!),
      mountpoint: unescapeMountPath(left[4]!),
      options: left[5] ?? "",
      optionalFields: left.slice(6),
      fstype: right[0]!,
      source: unescapeMountPath(right[1]!),
      superOptions: right.slice(2).join(" "),
    });
  }
  return out;
}

export function formatMountinfo(entries: readonly MountinfoEntry[]): string {
  return entries
    .map(
      (e) =>
        [
          e.id,
          e.parentId,
          e.majorMinor,
          escapeMountPath(e.root),
          escapeMountPath(e.mountpoint),
          e.options,
          ...e.optionalFields,
          "-",
          e.fstype,
          escapeMountPath(e.source),
          e.superOptions,
        ].join(" ") + "\n",
    )
    .join("");
}
