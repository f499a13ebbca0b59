/**
 * `passdeck helper`: the privileged helper (root). It owns the executor and the dead-man switch and answers the
 * web server over a UNIX socket (server/helper/server.ts). Run by deploy/systemd/passdeck-helper.service, or by
 * `npm start` when it runs as root.
 */
import { chownSync, existsSync, mkdirSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { AuditLog } from "@/server/auth/audit";
import { DATABASE_FILE_NAME, openDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import type { PassdeckEnv } from "@/server/env";
import { hostExecutor } from "@/server/executor/host-executor";
import { LocalApplier } from "@/server/helper/applier";
import { startHelperServer } from "@/server/helper/server";
import { SystemIpLink } from "@/server/host/ip-link";
import { isRealSysfs } from "@/server/host/sysfs-check";
import { scanInventory } from "@/server/inventory/scan";
import { libvirtFor } from "@/server/libvirt/service";
import { InvalidInput } from "./write-commands";

/** A group name or number: the group whose members (the web server) may open the socket. */
function groupId(raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  try {
    const line = execFileSync("getent", ["group", raw], { encoding: "utf8" });
    return Number(line.split(":")[2]);
  } catch {
    throw new InvalidInput(`PASSDECK_HELPER_GROUP=${raw}: there is no such group (getent group ${raw} found none)`);
  }
}

export async function runHelper(env: PassdeckEnv & { PASSDECK_HELPER_GROUP?: string }): Promise<number> {
  if (process.getuid?.() !== 0) throw new InvalidInput("the helper writes sysfs and runs ip link: start it as root (systemctl start passdeck-helper)");
  if (!isRealSysfs(env.PASSDECK_SYS_ROOT)) throw new InvalidInput(`${env.PASSDECK_SYS_ROOT} is not a mounted sysfs: the helper only runs on a real host`);
  const dataDir = env.PASSDECK_DATA_DIR;
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const db = openDatabase(dataDir);
  // The web server (its own user) shares this database: files SQLite created as root are handed to the data
  // directory's owner, or the web server could not write the WAL any more.
  const owner = statSync(dataDir);
  for (const name of [DATABASE_FILE_NAME, `${DATABASE_FILE_NAME}-wal`, `${DATABASE_FILE_NAME}-shm`]) {
    const file = join(dataDir, name);
    if (existsSync(file)) chownSync(file, owner.uid, owner.gid);
  }
  const journal = new Journal(db);
  const audit = new AuditLog(db);
  const libvirt = libvirtFor(env);
  const applier = new LocalApplier({
    mode: "host",
    executor: hostExecutor(env.PASSDECK_SYS_ROOT, new SystemIpLink(), libvirt),
    journal: () => journal,
    inventory: () => scanInventory({ sysRoot: env.PASSDECK_SYS_ROOT, procRoot: env.PASSDECK_PROC_ROOT, pciIdsPath: env.PASSDECK_PCI_IDS ?? null, demo: null, recorder: null }),
    audit: (action, actor, source, detail) => audit.record(action, actor, source, detail),
    confirmWindowMs: env.PASSDECK_CONFIRM_WINDOW_S * 1000,
  });
  const gid = env.PASSDECK_HELPER_GROUP ? groupId(env.PASSDECK_HELPER_GROUP) : owner.gid;
  const socketDir = dirname(env.PASSDECK_HELPER_SOCKET);
  mkdirSync(socketDir, { recursive: true, mode: 0o750 });
  chownSync(socketDir, 0, gid);
  const server = await startHelperServer({ socketPath: env.PASSDECK_HELPER_SOCKET, gid, applier });
  console.log(`passdeck helper: listening on ${env.PASSDECK_HELPER_SOCKET} (root and gid ${gid}); dead-man window ${env.PASSDECK_CONFIRM_WINDOW_S} s`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      console.log(`passdeck helper: ${sig}: undoing any plan still waiting for its confirmation, then stopping`);
      server.close();
      void applier.undoAllPending("the helper stopped before it was confirmed").finally(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}
