/**
 * Who is on the other end of a UNIX socket: SO_PEERCRED, the pid, uid and gid the kernel recorded when the peer
 * connected (it cannot be forged by what the peer sends). Node has no getsockopt, so the accepted socket's
 * descriptor is handed to perl (perl-base is Essential on Debian, Ubuntu and Proxmox VE), which asks the kernel
 * and prints the three numbers; the command name comes from procfs. The privileged helper labels every request
 * with it, next to what the web tier claims about its user.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface SocketPeer {
  pid: number;
  uid: number;
  gid: number;
  user: string | null;
  command: string | null;
}

// The descriptor arrives as fd 3; the format "lLL" is struct ucred { pid_t pid; uid_t uid; gid_t gid; }.
const PEERCRED_SCRIPT =
  'open(my $s, "+<&=", 3) or die "fd 3: $!\\n"; my $c = getsockopt($s, SOL_SOCKET, SO_PEERCRED) or die "SO_PEERCRED: $!\\n"; print join(" ", unpack("lLL", $c)), "\\n"';

/** "4242 1500 1500" → the numbers; null for anything else. Pure, for tests. */
export function parsePeerCred(text: string): { pid: number; uid: number; gid: number } | null {
  const m = /^(\d+) (\d+) (\d+)\n?$/.exec(text);
  return m ? { pid: Number(m[1]), uid: Number(m[2]), gid: Number(m[3]) } : null;
}

function peerCred(fd: number): Promise<{ pid: number; uid: number; gid: number } | null> {
  return new Promise((resolve) => {
    const child = spawn("perl", ["-MSocket", "-e", PEERCRED_SCRIPT], { stdio: ["ignore", "pipe", "ignore", fd] });
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d.slice(0, 100)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.on("error", () => resolve(null));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? parsePeerCred(out) : null);
    });
  });
}

function userName(uid: number): Promise<string | null> {
  return new Promise((resolve) =>
    execFile("getent", ["passwd", String(uid)], { encoding: "utf8", timeout: 3000 }, (err, stdout) =>
      // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty name means none
      resolve(err ? null : stdout.split(":")[0] || null),
    ),
  );
}

/**
 * The peer of the connected socket whose descriptor is `fd` (the server's accepted end). Null when it cannot be
 * told (no perl): callers label the request "peer unknown" rather than guess.
 */
export async function socketPeer(fd: number, procRoot: string): Promise<SocketPeer | null> {
  const cred = await peerCred(fd);
  if (!cred) return null;
  let command: string | null = null;
  try {
    command = readFileSync(join(procRoot, String(cred.pid), "comm"), "utf8").trim() || null;
  } catch {
    // the peer exited already; its uid is what counts
  }
  return { ...cred, user: await userName(cred.uid), command };
}

/** "uid 1500 (passdeck) pid 4242 node", for the journal and the audit trail. */
export function describePeer(p: SocketPeer | null): string {
  if (!p) return "peer unknown";
  return `uid ${p.uid}${p.user ? ` (${p.user})` : ""} pid ${p.pid}${p.command ? ` ${p.command}` : ""}`;
}
