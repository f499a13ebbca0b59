/**
 * A production server of its own for one attack spec (e2e/attack-*.spec.ts): `node scripts/start.mjs` (a demo host
 * unless told otherwise) on a free port with a fresh data directory, so each attack can set the environment it
 * needs (allowed hosts, a trusted proxy, TLS, low limits) without touching the servers the other specs share.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface AttackServer {
  /** http(s)://127.0.0.1:<port> */
  base: string;
  port: number;
  /** PASSDECK_DATA_DIR of this server */
  dataDir: string;
  /** the pid of scripts/start.mjs; the web server is its child */
  pid: number;
  child: ChildProcess;
  /** everything the server printed so far */
  log: () => string;
  /** runs the CLI against this server's data directory */
  cli: (args: string[], input?: string) => string;
  stop: () => Promise<void>;
}

export interface AttackServerOptions {
  /** a demo scenario (default "server"); null serves the real host this runs on */
  demo?: string | null;
  env?: Record<string, string>;
  /** the first page to answer before the server counts as up (default /login) */
  readyPath?: string;
  /** answer over https with this certificate (PEM) as the CA; the server must be started with TLS */
  tlsCa?: () => Buffer;
  /** reuse this data directory (a restart); default: a fresh one */
  dataDir?: string;
}

/** A port nobody listens on right now (the kernel's choice, released at once). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

export const cliIn = (dataDir: string, args: string[], input?: string, env: Record<string, string> = {}) =>
  execFileSync(process.execPath, ["dist/passdeck.mjs", ...args], { input, encoding: "utf8", env: { ...process.env, PASSDECK_DATA_DIR: dataDir, ...env } });

export async function startAttackServer(options: AttackServerOptions = {}): Promise<AttackServer> {
  const port = await freePort();
  const dir = options.dataDir ? join(options.dataDir, "..") : mkdtempSync(join(tmpdir(), "passdeck-attack-"));
  // Traversable by a web user the server may drop to (PASSDECK_WEB_USER); what is inside sets its own modes.
  chmodSync(dir, 0o755);
  const dataDir = options.dataDir ?? join(dir, "data");
  const demo = options.demo === undefined ? "server" : options.demo;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PASSDECK_PORT: String(port),
    PASSDECK_HOST: "127.0.0.1",
    PASSDECK_DATA_DIR: dataDir,
    NEXT_TELEMETRY_DISABLED: "1",
    ...(demo ? { PASSDECK_DEMO_DIR: join(dir, "host") } : { PASSDECK_HELPER_SOCKET: join(dir, "helper.sock") }),
    ...options.env,
  };
  const child: ChildProcess = spawn(process.execPath, ["scripts/start.mjs", ...(demo ? ["--demo", demo] : [])], {
    cwd: resolve("."),
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const tls = env.PASSDECK_TLS !== undefined && env.PASSDECK_TLS !== "off";
  const base = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
  const server: AttackServer = {
    base,
    port,
    dataDir,
    pid: child.pid!,
    child,
    log: () => log,
    // the CLI finds this server's helper (a real host) as the server does
    cli: (args, input) => cliIn(dataDir, args, input, demo ? {} : { PASSDECK_HELPER_SOCKET: env.PASSDECK_HELPER_SOCKET! }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once("exit", () => done()));
      // start.mjs stops its children on SIGTERM; the whole group goes if it does not within 10 s.
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* gone already */
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 90_000;
  const ready = options.readyPath ?? "/login";
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before answering:\n${log}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`the server did not answer ${ready} within 90 s:\n${log}`);
    }
    const status = await probe(base + ready, options.tlsCa);
    if (status > 0 && status < 500) return server;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function probe(url: string, ca?: () => Buffer): Promise<number> {
  if (!url.startsWith("https:"))
    return fetch(url, { redirect: "manual" }).then(
      (r) => r.status,
      () => 0,
    );
  const { request } = await import("node:https");
  return new Promise((done) => {
    let caPem: Buffer | undefined;
    try {
      caPem = ca?.();
    } catch {
      return done(0);
    }
    const req = request(url, { ...(caPem ? { ca: caPem } : { rejectUnauthorized: false }) }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on("error", () => done(0));
    req.end();
  });
}

/** /proc/<pid>/stat's utime+stime of a process and its descendants, in clock ticks (CPU spent so far). */
export function cpuTicks(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* exited */
    }
  }
  return total;
}

/** Resident memory (VmRSS, KiB) of the largest process in the tree: the web server. */
export function largestRssKiB(pid: number): number {
  let max = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) max = Math.max(max, Number(m[1]));
    } catch {
      /* exited */
    }
  }
  return max;
}

export function descendants(pid: number): number[] {
  const out: number[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const next: number[] = [];
    for (const p of frontier) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
        next.push(...kids);
      } catch {
        /* exited */
      }
    }
    out.push(...next);
    frontier = next;
  }
  return out;
}

/**
 * TCP connections from `source` (an IPv4 address) to `port` that the server's processes hold open: their fds'
 * socket inodes matched against /proc/net/tcp. The server's own truth about what it accepted and kept, unlike a
 * client's view, which also counts connections the kernel completed but the server has not accepted yet (and then
 * refuses) while the client's or the server's event loop is busy.
 */
export function serverHeldFrom(pid: number, source: string, port: number): number {
  const inodes = new Set<string>();
  for (const p of [pid, ...descendants(pid)]) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue; // exited
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  // /proc/net/tcp prints addresses as the 32-bit value in host (little-endian) order, in hex, then :PORT in hex.
  const hexIp = source
    .split(".")
    .reverse()
    .map((o) => Number(o).toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let held = 0;
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address rem_address st … inode (field 9); 01 is ESTABLISHED
    if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[2]!.startsWith(`${hexIp}:`) && f[3] === "01" && inodes.has(f[9]!)) held++;
  }
  return held;
}
