import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import { promisify } from "node:util";
import type { EntryKind, FsRecorder } from "./fs";

const execFileAsync = promisify(execFile);

type Captured = { kind: "file"; content: string } | { kind: "link"; target: string } | { kind: "dir" };

/**
 * Records what a scan read, as paths under "sys/" and "proc/". Replaying the record as a tree gives a root
 * that answers the same scan the same way: exactly the attributes and links Passdeck uses, never config
 * space or BARs (directory entries that were only listed become empty files).
 */
export class CaptureRecorder implements FsRecorder {
  readonly entries = new Map<string, Captured>();

  constructor(private readonly roots: { sys: string; proc: string }) {}

  file(rel: string, content: string): void {
    this.entries.set(rel, { kind: "file", content: SOCKET_TABLE.test(rel) ? scrubSocketTable(content) : content });
  }

  link(rel: string, target: string): void {
    this.entries.set(rel, { kind: "link", target });
  }

  dir(rel: string, names: string[], kindOf: (name: string) => EntryKind): void {
    if (!this.entries.has(rel)) this.entries.set(rel, { kind: "dir" });
    for (const name of names) {
      const child = `${rel}/${name}`;
      if (this.entries.has(child)) continue;
      const kind = kindOf(name);
      if (kind === "link") {
        const target = this.readLinkAbs(child);
        if (target !== null) this.entries.set(child, { kind: "link", target });
      } else if (kind === "dir") this.entries.set(child, { kind: "dir" });
      else this.entries.set(child, { kind: "file", content: "" });
    }
  }

  exists(rel: string, kind: EntryKind): void {
    if (!this.entries.has(rel)) this.entries.set(rel, kind === "dir" ? { kind: "dir" } : { kind: "file", content: "" });
  }

  private readLinkAbs(rel: string): string | null {
    const [top, ...rest] = rel.split("/");
    const root = top === "proc" ? this.roots.proc : this.roots.sys;
    try {
      return fs.readlinkSync(nodePath.join(root, ...rest));
    } catch {
      return null;
    }
  }

  /** Writes the tree: directories first, then files (overwriting listing placeholders), then links. */
  writeTree(dir: string): void {
    const sorted = [...this.entries.entries()].sort(([a], [b]) => a.length - b.length);
    for (const [rel, e] of sorted) if (e.kind === "dir") fs.mkdirSync(nodePath.join(dir, rel), { recursive: true });
    for (const [rel, e] of sorted) {
      const abs = nodePath.join(dir, rel);
      if (e.kind === "dir") continue;
      fs.mkdirSync(nodePath.dirname(abs), { recursive: true });
      if (e.kind === "file") fs.writeFileSync(abs, e.content.length > 0 && !e.content.endsWith("\n") ? `${e.content}\n` : e.content, "latin1");
      else {
        fs.rmSync(abs, { force: true, recursive: true });
        fs.symlinkSync(e.target, abs);
      }
    }
  }
}

const SOCKET_TABLE = /^proc\/(self\/)?net\/(tcp|udp)6?$/;

/**
 * /proc/net/{tcp,udp}{,6} in a capture: the inventory reads each socket's local address and state only (which
 * addresses have live sockets), so a capture meant for a bug report keeps those and leaves out the peers, users
 * and inodes: "sl local_address rem_address st" with the remote address zeroed.
 */
export function scrubSocketTable(text: string): string {
  const [header = "", ...rows] = text.split("\n");
  const kept = rows.flatMap((line) => {
    const [sl, local, remote, st] = line.trim().split(/\s+/);
    return sl && local && remote && st ? [`${sl.padStart(5)} ${local} ${remote.replace(/[0-9A-Fa-f]/g, "0")} ${st}`] : [];
  });
  return [header, ...kept].join("\n") + "\n";
}

/** Packs a recorded tree as FILE.tar.gz with sys/ and proc/ at the top, using the host's tar (argument array, no shell). */
export async function writeCaptureArchive(recorder: CaptureRecorder, outFile: string): Promise<{ files: number; bytes: number }> {
  const staging = fs.mkdtempSync(nodePath.join(os.tmpdir(), "passdeck-capture-"));
  try {
    recorder.writeTree(staging);
    for (const top of ["sys", "proc"]) fs.mkdirSync(nodePath.join(staging, top), { recursive: true });
    fs.writeFileSync(
      nodePath.join(staging, "README.txt"),
      "Passdeck host capture. Reproduce with:\n  PASSDECK_SYS_ROOT=$PWD/sys PASSDECK_PROC_ROOT=$PWD/proc passdeck inventory\n",
    );
    await execFileAsync("tar", ["-czf", nodePath.resolve(outFile), "-C", staging, "README.txt", "sys", "proc"], { timeout: 60_000 });
    return { files: recorder.entries.size, bytes: fs.statSync(outFile).size };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
