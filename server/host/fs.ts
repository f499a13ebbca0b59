import * as fs from "node:fs";
import * as nodePath from "node:path";
import { errnoOf, readFailure } from "./errors";

/**
 * A kernel pseudo-filesystem (sysfs or procfs) rooted at a value, never at a literal, so a scenario tree,
 * an unpacked capture or the real host are read by the same code (prometheus/procfs' NewFS idea).
 * Reads are synchronous on purpose: sysfs attributes are tiny and a 1,000-function scan is ~20k calls,
 * where promise overhead would dominate.
 */
export class KernelFs {
  readonly root: string;
  private readonly recorder: FsRecorder | null;

  constructor(root: string, recorder: FsRecorder | null = null) {
    this.root = nodePath.resolve(root);
    this.recorder = recorder;
  }

  /** A capture is recording what this scan reads: readers keep to the files any version of the scan reads. */
  get recording(): boolean {
    return this.recorder !== null;
  }

  /** Absolute path of a path relative to the root ("bus/pci/devices"). */
  path(rel: string): string {
    return `${this.root}/${rel}`;
  }

  /** A required attribute: trailing newline removed; a missing or unreadable file throws a HostError naming it. */
  read(rel: string): string {
    const text = this.readOptional(rel, false);
    if (text === null) throw readFailure(this.path(rel), Object.assign(new Error("missing"), { code: "ENOENT" }));
    return text;
  }

  /** An optional attribute: null when the file does not exist (SR-IOV files, link speed, reset_method, …). */
  readOptional(rel: string, tolerateRefusal = true): string | null {
    const abs = this.path(rel);
    try {
      const text = readText(abs);
      this.recorder?.file(rel, text);
      return trimNewline(text);
    } catch (err) {
      const code = errnoOf(err);
      if (code === "ENOENT") return null;
      // ENODEV/EINVAL/EIO: some attributes exist but refuse to be read in the device's current state.
      if (tolerateRefusal && (code === "ENODEV" || code === "EINVAL" || code === "EIO" || code === "ENXIO")) return null;
      throw readFailure(abs, err);
    }
  }

  /** Target of a symlink as stored (relative for sysfs), or null when the link does not exist. */
  readLinkOptional(rel: string): string | null {
    try {
      const target = fs.readlinkSync(this.path(rel));
      this.recorder?.link(rel, target);
      return target;
    } catch (err) {
      const code = errnoOf(err);
      if (code === "ENOENT" || code === "EINVAL") return null;
      throw readFailure(this.path(rel), err);
    }
  }

  readLink(rel: string): string {
    const target = this.readLinkOptional(rel);
    if (target === null) throw readFailure(this.path(rel), Object.assign(new Error("missing link"), { code: "ENOENT" }));
    return target;
  }

  /** Directory entries, sorted; null when the directory does not exist. */
  listOptional(rel: string): string[] | null {
    return this.listing(rel, true);
  }

  /** Directory entries to look names up in (unsorted: a scan lists one directory per device); a missing one throws. */
  names(rel: string): Set<string> {
    const entries = this.listing(rel, this.recorder !== null);
    if (entries === null) throw readFailure(this.path(rel), Object.assign(new Error("missing dir"), { code: "ENOENT" }));
    return new Set(entries);
  }

  private listing(rel: string, sorted: boolean): string[] | null {
    try {
      const entries = fs.readdirSync(this.path(rel));
      if (sorted) entries.sort();
      this.recorder?.dir(rel, entries, (name) => this.kindOf(`${rel}/${name}`));
      return entries;
    } catch (err) {
      const code = errnoOf(err);
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw readFailure(this.path(rel), err);
    }
  }

  list(rel: string): string[] {
    const entries = this.listOptional(rel);
    if (entries === null) throw readFailure(this.path(rel), Object.assign(new Error("missing dir"), { code: "ENOENT" }));
    return entries;
  }

  /** Identity of a directory (kernfs inode and change time): a device removed and re-created at the same address gets a new one. */
  identity(rel: string): string | null {
    try {
      const st = fs.statSync(this.path(rel));
      return `${st.ino}:${st.ctimeMs}`;
    } catch {
      return null;
    }
  }

  exists(rel: string): boolean {
    const found = fs.existsSync(this.path(rel));
    if (found) this.recorder?.exists(rel, this.kindOf(rel));
    return found;
  }

  private kindOf(rel: string): EntryKind {
    try {
      const st = fs.lstatSync(this.path(rel));
      return st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : "file";
    } catch {
      return "file";
    }
  }
}

export type EntryKind = "file" | "dir" | "link";

/** Receives every successful read so `passdeck capture` can copy exactly what the scan needed. */
export interface FsRecorder {
  file(rel: string, content: string): void;
  link(rel: string, target: string): void;
  dir(rel: string, entries: string[], kindOf: (name: string) => EntryKind): void;
  exists(rel: string, kind: EntryKind): void;
}

// sysfs attributes fit in a page; procfs files (mountinfo, interrupts) may not, so reading loops until EOF.
let scratch = Buffer.allocUnsafe(8192);

/** open/read/close into a reused buffer: about half the cost of readFileSync, which also fstats and allocates. */
function readText(abs: string): string {
  const fd = fs.openSync(abs, fs.constants.O_RDONLY);
  try {
    let used = 0;
    for (;;) {
      if (used === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, used);
        scratch = bigger;
      }
      const space = scratch.length - used;
      const n = fs.readSync(fd, scratch, used, space, null);
      used += n;
      // A short read is the end: sysfs attributes come in one piece and seq_file fills the buffer until EOF.
      if (n < space) break;
    }
    return scratch.toString("latin1", 0, used);
  } finally {
    fs.closeSync(fd);
  }
}

function trimNewline(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** Resolves a relative sysfs link against the directory holding it: ("bus/pci/devices/x", "../../../devices/…") → "devices/…". */
export function resolveLink(linkRel: string, target: string): string {
  // A sysfs link is relative ("../../../devices/…") and sits in a plain directory: resolved here by hand, since
  // join's general-purpose normalize showed in the profile of a 1,000-function scan (one link per device). Any
  // other shape goes to join, which normalizes ("..", ".", "//").
  const slash = linkRel.lastIndexOf("/");
  if (slash > 0 && slash < linkRel.length - 1 && !linkRel.startsWith("/") && !target.startsWith("/") && !target.endsWith("/") && !target.endsWith(".")) {
    const out = linkRel.slice(0, slash).split("/");
    let plain = !out.includes("") && !out.includes(".") && !out.includes("..");
    for (const segment of plain ? target.split("/") : []) {
      if (segment === "..") {
        if (out.length === 0) {
          plain = false;
          break;
        }
        out.pop();
      } else if (segment !== "." && segment !== "") out.push(segment);
    }
    if (plain) return out.length > 0 ? out.join("/") : ".";
  }
  return nodePath.posix.join(nodePath.posix.dirname(linkRel), target);
}
