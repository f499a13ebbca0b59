/**
 * `passdeck helper`: the privileged helper (root). It owns the executor, the host records and the dead-man switch
 * and answers the web server over a UNIX socket (server/helper/server.ts). Run by
 * deploy/systemd/passdeck-helper.service, or by `npm start` when it runs as root.
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, fchownSync, fstatSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { prepareStateDirs, type Owner } from "@/server/db/layout";
import type { PassdeckEnv } from "@/server/env";
import { startHelperServer } from "@/server/helper/server";
import { isRealSysfs } from "@/server/host/sysfs-check";
import { createServices, must } from "@/server/services";
import { InvalidInput } from "./errors";

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

/** "name" (from the passwd database) or "uid:gid". */
export function userSpec(raw: string): Owner {
  const numeric = /^(\d+):(\d+)$/.exec(raw);
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2]) };
  try {
    const fields = execFileSync("getent", ["passwd", raw], { encoding: "utf8" }).split(":");
    return { uid: Number(fields[2]), gid: Number(fields[3]) };
  } catch {
    throw new InvalidInput(`PASSDECK_WEB_USER=${raw}: there is no such user (create one: useradd --system passdeck)`);
  }
}

/**
 * The socket's directory: root's and writable by root alone (the socket inside is then safe to chown by path),
 * group-owned by the web server's group so it can reach the socket.
 */
function prepareSocketDir(dir: string, gid: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0)
      throw new InvalidInput(
        `${dir} (the directory of PASSDECK_HELPER_SOCKET) must belong to root and be writable by root alone; it is uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}`,
      );
    if (st.gid !== gid) fchownSync(fd, 0, gid);
  } finally {
    closeSync(fd);
  }
}

export async function runHelper(env: PassdeckEnv & { PASSDECK_HELPER_GROUP?: string }): Promise<number> {
  if (process.getuid?.() !== 0) throw new InvalidInput("the helper writes sysfs and runs ip link: start it as root (systemctl start passdeck-helper)");
  if (!isRealSysfs(env.PASSDECK_SYS_ROOT)) throw new InvalidInput(`${env.PASSDECK_SYS_ROOT} is not a mounted sysfs: the helper only runs on a real host`);
  // Whatever root creates from here on is not writable by anyone else, and not readable by others.
  process.umask(0o027);
  const web = env.PASSDECK_WEB_USER ? userSpec(env.PASSDECK_WEB_USER) : null;
  const gid = web?.gid ?? (env.PASSDECK_HELPER_GROUP ? groupId(env.PASSDECK_HELPER_GROUP) : null);
  // Owners and modes of the state directories, set at every start (layout.ts).
  prepareStateDirs({ dataDir: env.PASSDECK_DATA_DIR, web });
  // The host records (this process owns them), libvirt, the executor over this host and the applier with the
  // dead-man switch: from the one factory, opened now that the state directories are prepared.
  const services = createServices({ env, entry: "helper" });
  const records = must("host records", services.records());
  const audit = records.auditLog!; // this process owns the records (entry "helper")
  const applier = services.applier;
  prepareSocketDir(dirname(env.PASSDECK_HELPER_SOCKET), gid ?? 0);
  const server = await startHelperServer({
    socketPath: env.PASSDECK_HELPER_SOCKET,
    gid,
    applier,
    procRoot: env.PASSDECK_PROC_ROOT,
    records: {
      audit: (action, actor, source, detail, peer) => audit.record(action, actor, source, detail, peer),
      forgetDesired: (address, actor, peer) => records.forgetDesired(address, { actor, origin: null, peer }),
    },
  });
  console.log(
    `passdeck helper: listening on ${env.PASSDECK_HELPER_SOCKET} (root${gid === null ? " only" : ` and gid ${gid}`}); host records in ${records.db.name}; dead-man window ${env.PASSDECK_CONFIRM_WINDOW_S} s`,
  );
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
