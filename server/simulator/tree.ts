/** The file tree a scenario is written into: kernfs-style relative links, and a journal of what a change created. */
import * as fs from "node:fs";
import * as nodePath from "node:path";

/**
 * Target of a sysfs symlink as kernfs writes it (kernfs_get_target_path): "../" up from the link's directory until
 * reaching an ancestor of the target's parent, then down to the target. So a link to an ancestor is not "../..":
 * net/eth0/device reads ../../../0000:03:00.0, and a sibling link reads ../0000:3b:02.0.
 */
export function kernfsLinkTarget(linkRel: string, targetRel: string): string {
  const up = nodePath.posix.relative(nodePath.posix.dirname(linkRel), nodePath.posix.dirname(targetRel));
  return up ? `${up}/${nodePath.posix.basename(targetRel)}` : nodePath.posix.basename(targetRel);
}

export interface JournalEntry {
  rel: string;
  dir: boolean;
}

export class Tree {
  readonly root: string;
  private readonly dirs = new Set<string>([""]);
  /** while recording: what was created, in order */
  private journal: JournalEntry[] | null = null;

  constructor(root: string) {
    this.root = root;
    fs.mkdirSync(root, { recursive: true });
  }

  /** Runs `write` and returns the directories, files and links it created (not the files it only rewrote). */
  record(write: () => void): JournalEntry[] {
    const journal: JournalEntry[] = [];
    this.journal = journal;
    try {
      write();
    } finally {
      this.journal = null;
    }
    return journal;
  }

  /** Removes what a recording created, newest first; a directory something else has put entries in stays. */
  undo(journal: readonly JournalEntry[]): void {
    for (const e of [...journal].reverse()) {
      const abs = `${this.root}/${e.rel}`;
      if (!e.dir) {
        fs.rmSync(abs, { force: true });
        continue;
      }
      try {
        fs.rmdirSync(abs);
        this.dirs.delete(e.rel);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOTEMPTY" && code !== "ENOENT") throw err;
        if (code === "ENOENT") this.dirs.delete(e.rel);
      }
    }
  }

  has(rel: string): boolean {
    return this.dirs.has(rel);
  }

  dir(rel: string): void {
    if (this.dirs.has(rel)) return;
    fs.mkdirSync(`${this.root}/${rel}`, { recursive: true });
    const created: string[] = [];
    for (let d = rel; d && !this.dirs.has(d); d = parentOf(d)) created.push(d);
    for (const d of created.reverse()) {
      this.dirs.add(d);
      this.journal?.push({ rel: d, dir: true });
    }
  }

  /** A file with exactly this content (procfs tables, binary ACPI tables, config space). */
  file(rel: string, content: string | Uint8Array): void {
    this.dir(parentOf(rel));
    const abs = `${this.root}/${rel}`;
    if (this.journal && !fs.existsSync(abs)) this.journal.push({ rel, dir: false });
    fs.writeFileSync(abs, content);
  }

  /** A sysfs attribute: one value and the newline the kernel's show() functions end with. */
  attr(rel: string, value: string | number): void {
    this.file(rel, `${value}\n`);
  }

  /** A relative symlink, as the kernel makes them; both paths relative to this tree's root. */
  link(rel: string, targetRel: string): void {
    this.dir(parentOf(rel));
    fs.symlinkSync(kernfsLinkTarget(rel, targetRel), `${this.root}/${rel}`);
    this.journal?.push({ rel, dir: false });
  }
}

export function parentOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}
