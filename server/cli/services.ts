/**
 * What the CLI's commands use, each built on first use only: a command that scans never opens a database, and
 * `passdeck --help` builds nothing. Implementations come in with import() so that the bundle loads only the chunks
 * of what a command uses (zod, SQLite, fast-xml-parser… stay unloaded for `passdeck inventory`).
 * One file on purpose: it is the CLI's seam to a shared services factory.
 */
import { userInfo } from "node:os";
import type { Db } from "@/server/db/database";
import type { HostRecords } from "@/server/db/host-records";
import type { PassdeckEnv } from "@/server/env";
import type { FsRecorder } from "@/server/host/fs";
import { hostRootsFromEnv, type HostRootsEnv } from "@/server/env-roots.mjs";
import type { Inventory } from "@/server/host/types";
import type { LibvirtService } from "@/server/libvirt/service";
import { UsageError } from "./errors";
import type { WriteDeps } from "./write-commands";

/** Tests and the demo pass a simulated kernel here; the real host gets the kernel's sysfs. */
export interface CliDeps {
  writeDeps?: (inventory: () => Inventory) => WriteDeps;
  /** standard input (a password for passdeck user add) */
  readStdin?: () => Promise<string>;
}

export interface CliServices {
  /** where a scan reads (PASSDECK_SYS_ROOT…), without loading the schema of the whole environment (zod) */
  hostRoots(): HostRootsEnv;
  /** the whole environment, validated (server/env.ts) */
  env(): Promise<PassdeckEnv>;
  /**
   * One full read of the host (a recorder copies what it read, for passdeck capture); `lean`: only what
   * `passdeck inventory --json` prints is read (HostRoots.lean).
   */
  scan(recorder?: FsRecorder | null, options?: { lean?: boolean }): Promise<Inventory>;
  /** this host's sysfs, iproute2, records and libvirt, or what tests inject; `writing` refuses a tree that is not a sysfs */
  writeDeps(writing: boolean): Promise<WriteDeps>;
  /** opens the host records (journal, desired state, audit) on first call; the same ones after */
  records(): Promise<() => HostRecords>;
  /** opens the web tier's database (accounts, latency) on first call */
  webDb(): Promise<() => Db>;
  libvirt(): Promise<LibvirtService | null>;
  /** who applies, for the journal and the audit trail */
  actor(): string;
  readStdin(): Promise<string>;
  /** a test injected the host (CliDeps.writeDeps) */
  readonly injected: boolean;
}

/** Who applies, for the journal: the login name, or the uid when there is none (a container). */
function actorName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? "?"}`;
  }
}

export function createCliServices(deps: CliDeps = {}): CliServices {
  const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
    let made: Promise<T> | null = null;
    return () => (made ??= make());
  };

  const hostRoots = () => hostRootsFromEnv();
  const env = once(async () => (await import("@/server/env")).readEnv());
  const scanner = once(async () => {
    const { scanInventory } = await import("@/server/inventory/scan");
    const roots = hostRoots();
    return (recorder: FsRecorder | null = null, lean = false) => scanInventory({ ...roots, recorder, lean });
  });

  // The one factory every entry point uses (server/services.ts), loaded with its dependencies only when a command
  // needs the records, the web database, libvirt or the host's writers; a scan alone does not load it.
  const shared = once(async () => {
    const [{ createServices, must }, e] = await Promise.all([import("@/server/services"), env()]);
    return { services: createServices({ env: e, entry: "cli" }), must };
  });
  const records = once(async () => {
    const { services, must } = await shared();
    return () => must("host records", services.records());
  });
  const webDb = once(async () => {
    const { services, must } = await shared();
    return () => must("web database", services.webDb());
  });
  const libvirt = async () => (await shared()).services.libvirt;

  return {
    hostRoots,
    env,
    scan: async (recorder = null, options = {}) => (await scanner())(recorder, options.lean ?? false),
    async writeDeps(writing) {
      const scan = await scanner();
      const inventory = () => scan();
      if (deps.writeDeps) return deps.writeDeps(inventory);
      const e = await env();
      const { isRealSysfs } = await import("@/server/host/sysfs-check");
      if (writing && !isRealSysfs(e.PASSDECK_SYS_ROOT))
        throw new UsageError(
          `${e.PASSDECK_SYS_ROOT} is not a mounted sysfs (a capture or a demo tree): writing there would only edit files. Use --dry-run to see the plan.`,
        );
      const [{ services }, openRecords] = await Promise.all([shared(), records()]);
      const host = services.host;
      return {
        inventory,
        journal: () => openRecords().journal,
        desired: () => openRecords().desired,
        actor: actorName(),
        sys: host.sys,
        writer: host.writer,
        ip: host.ip,
        kernelLog: host.kernelLog,
        procRoot: host.procRoot,
        libvirt: services.libvirt,
      };
    },
    records,
    webDb,
    libvirt,
    actor: actorName,
    readStdin: async () => (deps.readStdin ?? (await import("./stdin")).readStdin)(),
    injected: deps.writeDeps !== undefined,
  };
}
