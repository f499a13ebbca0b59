/**
 * What the CLI's commands use, each built on first use only: a command that scans never opens a database, and
 * `passdeck --help` builds nothing. Implementations come in with import() so that the bundle loads only the chunks
 * of what a command uses (zod, SQLite, fast-xml-parser… stay unloaded for `passdeck inventory`).
 * One file on purpose: it is the CLI's seam to a shared services factory.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { userInfo } from "node:os";
import type { Db } from "@/server/db/database";
import type { HostRecords } from "@/server/db/host-records";
import type { PassdeckEnv } from "@/server/env";
import type { FsRecorder } from "@/server/host/fs";
import { hostRootsFromEnv, type HostRootsEnv } from "@/server/host/roots";
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
  /** one full read of the host (a recorder copies what it read, for passdeck capture) */
  scan(recorder?: FsRecorder | null): Promise<Inventory>;
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
    return (recorder: FsRecorder | null = null) => scanInventory({ ...roots, recorder });
  });

  /**
   * Where the host records are written: by this process when it may (root, or whoever owns them), else by the
   * privileged helper, asked over its socket, while this process reads them.
   */
  const records = once(async () => {
    const e = await env();
    const { openHostRecords } = await import("@/server/db/host-records");
    let helperSocket: string | null = null;
    if (process.getuid?.() !== 0 && existsSync(e.PASSDECK_HELPER_SOCKET)) {
      try {
        accessSync((await import("@/server/db/layout")).hostDir(e.PASSDECK_DATA_DIR), constants.W_OK);
      } catch {
        helperSocket = e.PASSDECK_HELPER_SOCKET;
      }
    }
    const HelperApplier = helperSocket === null ? null : (await import("@/server/helper/client")).HelperApplier;
    let opened: HostRecords | null = null;
    return () => (opened ??= openHostRecords(e.PASSDECK_DATA_DIR, HelperApplier && helperSocket !== null ? new HelperApplier(helperSocket) : null));
  });

  const webDb = once(async () => {
    const e = await env();
    const { openWebDatabase } = await import("@/server/db/database");
    let db: Db | null = null;
    return () => (db ??= openWebDatabase(e.PASSDECK_DATA_DIR));
  });

  const libvirt = async () => (await import("@/server/libvirt/service")).libvirtFor(await env());

  return {
    hostRoots,
    env,
    scan: async (recorder = null) => (await scanner())(recorder),
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
      const [{ KernelFs }, { KernelSysfsWriter }, { SystemIpLink }, { KernelLog }, openRecords, vms] = await Promise.all([
        import("@/server/host/fs"),
        import("@/server/host/writer"),
        import("@/server/host/ip-link"),
        import("@/server/host/kmsg"),
        records(),
        libvirt(),
      ]);
      return {
        inventory,
        journal: () => openRecords().journal,
        desired: () => openRecords().desired,
        actor: actorName(),
        sys: new KernelFs(e.PASSDECK_SYS_ROOT),
        writer: new KernelSysfsWriter(e.PASSDECK_SYS_ROOT),
        ip: new SystemIpLink(),
        kernelLog: new KernelLog(),
        procRoot: e.PASSDECK_PROC_ROOT,
        libvirt: vms,
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
