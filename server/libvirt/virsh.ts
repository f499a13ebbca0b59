/**
 * libvirt through `virsh`, the client every libvirt host has: argument arrays only (a domain name never meets a
 * shell or virsh's own command parser), a timeout on every call, the C locale so messages can be decoded.
 * The npm bindings are unmaintained or domain-only (shared/research/ecosystem.md §5).
 */
import { BoundedGate } from "@/server/bounded-gate";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeVirshError, LibvirtError } from "./errors";

export interface VirshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one virsh command against one connection URI. Tests substitute a recording fake. */
export interface VirshRunner {
  readonly uri: string;
  run(args: string[], options?: { timeoutMs?: number }): Promise<VirshResult>;
}

export const DEFAULT_LIBVIRT_URI = "qemu:///system";
const DEFAULT_TIMEOUT_MS = 30_000;

/** At most this many virsh processes at once in this process, whoever asks (previews, pages, the executor). */
export const MAX_VIRSH_PROCESSES = 4;
/**
 * Reads waiting for a slot beyond this are refused: a burst of requests cannot queue up minutes of virsh work. One
 * VM list costs 1 + 2 per VM, so a host with a few hundred VMs still lists in one go.
 */
export const MAX_VIRSH_WAITING = 512;

/** A virsh read refused because too many are already waiting for a process slot. */
export class VirshBusy extends Error {
  /** a slot frees within a few virsh calls: come back in a second */
  readonly retryAfterMs = 1000;
  constructor(running: number, waiting: number) {
    super(`libvirt is busy: ${running} virsh calls run and ${waiting} wait (at most ${MAX_VIRSH_PROCESSES} run at once): try again in a moment`);
    this.name = "VirshBusy";
  }
}

/**
 * The gate for virsh (server/bounded-gate.ts). Changes (attach-device, net-define…) never wait behind the bound:
 * they queue first, so a burst of reads can delay an apply by a few calls but never fail it.
 */
export class ProcessGate extends BoundedGate {
  constructor(max = MAX_VIRSH_PROCESSES, maxWaiting = MAX_VIRSH_WAITING) {
    super(max, maxWaiting, (running, waiting) => new VirshBusy(running, waiting));
  }

  get active(): number {
    return this.load().running;
  }

  get queued(): number {
    return this.load().waiting;
  }
}

/** The one gate every Virsh of this process shares. */
export const VIRSH_GATE = new ProcessGate();

/** virsh commands that change libvirt's state; everything else Passdeck runs only reads. */
const CHANGES = new Set(["attach-device", "detach-device", "net-define", "net-undefine", "net-start", "net-destroy", "net-autostart"]);

export class Virsh implements VirshRunner {
  constructor(
    readonly uri: string = DEFAULT_LIBVIRT_URI,
    private readonly binary = "virsh",
    /** virsh --readonly: libvirt's read-only socket, open to any user */
    private readonly readonly = false,
    private readonly gate: ProcessGate = VIRSH_GATE,
  ) {}

  /** Waits for one of the gate's slots (VirshBusy when too many reads wait already), then runs virsh. */
  run(args: string[], options: { timeoutMs?: number } = {}): Promise<VirshResult> {
    return this.gate.run(() => this.spawn(args, options), CHANGES.has(args[0] ?? ""));
  }

  private spawn(args: string[], options: { timeoutMs?: number }): Promise<VirshResult> {
    return new Promise((resolve) => {
      execFile(
        this.binary,
        ["-q", ...(this.readonly ? ["--readonly"] : []), "-c", this.uri, ...args],
        { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, LC_ALL: "C", LANG: "C" } },
        (err, stdout, stderr) => {
          if (!err) return resolve({ code: 0, stdout, stderr });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
          if (e.code === "ENOENT") return resolve({ code: 127, stdout, stderr: `virsh: command not found (${this.binary})` });
          if (e.killed || e.signal === "SIGTERM")
            return resolve({ code: 124, stdout, stderr: `virsh ${args[0] ?? ""} did not answer within ${(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s` });
          resolve({ code: typeof e.code === "number" ? e.code : 1, stdout, stderr: stderr || e.message });
        },
      );
    });
  }
}

/** A libvirt name (domain, network) as virsh takes it: one argument, never mistaken for an option. */
export function checkLibvirtName(name: string, what = "domain"): { ok: true } | { ok: false; error: string } {
  if (name.length === 0 || name.length > 200) return { ok: false, error: `a ${what} name is 1 to 200 characters` };
  if (name.startsWith("-")) return { ok: false, error: `a ${what} name starting with '-' would read as a virsh option` };
  // libvirt itself refuses '/' in names; control characters never belong in one.
  if (/[\u0000-\u001f\u007f/]/.test(name)) return { ok: false, error: `a ${what} name cannot contain '/' or control characters` };
  return { ok: true };
}

/** Runs one virsh command; a failure throws LibvirtError with libvirt's message decoded (`operation` names it). */
export async function virshOrThrow(virsh: VirshRunner, args: string[], operation: string): Promise<string> {
  const r = await virsh.run(args);
  if (r.code !== 0) throw new LibvirtError(decodeVirshError({ operation, uri: virsh.uri, stderr: r.stderr, code: r.code }));
  return r.stdout;
}

/**
 * virsh reads device and network XML from a file. Node's child stdin is a socket, which /dev/stdin cannot open, so
 * the XML goes through a private temporary directory, removed afterwards.
 */
export async function withXmlFile<T>(xml: string, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "passdeck-virsh-"));
  try {
    const file = join(dir, "definition.xml");
    await writeFile(file, xml, { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
