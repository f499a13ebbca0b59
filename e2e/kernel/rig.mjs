#!/usr/bin/env node
// The kernel rig: boots a real Debian 6.1 kernel in QEMU (TCG) on an emulated q35 with an Intel IOMMU and SR-IOV
// devices (topology.mjs), with the host's own root filesystem as the guest's userland (9p, read-only, tmpfs
// overlay), and runs Passdeck's production server and a test-only control agent inside it. Host-side tests talk
// to both through user-network forwards bound to 127.0.0.1.
//
// CLI:  node e2e/kernel/rig.mjs start [--timeout SEC]   boot, wait for HTTP through the forward, leave it running
//       node e2e/kernel/rig.mjs stop                    kill the recorded QEMU (bounded)
//       node e2e/kernel/rig.mjs status                  running or not, ports, pid
//       node e2e/kernel/rig.mjs exec [--timeout SEC] -- <argv...>   run a command in the guest (agent), print output
//       node e2e/kernel/rig.mjs shell                   interactive shell on the guest's ttyS1 (Ctrl-] leaves)
//       node e2e/kernel/rig.mjs console                 boot in the foreground with the serial console on this
//                                                       terminal (Ctrl-A X quits); for debugging a boot
//       node e2e/kernel/rig.mjs log [N]                 last N lines of the running rig's serial console
//       node e2e/kernel/rig.mjs qemu-args               print the generated QEMU command line
//       node e2e/kernel/rig.mjs stalls [--count|--clear|--dir|--details]   the guest CPU stalls the watchdog
//                                                       recorded (watchdog.mjs): episodes, the report count, forget
//                                                       them, where they are, the vCPU state saved at each
// Env:  PASSDECK_RIG_PORT (17878) and PASSDECK_RIG_AGENT_PORT (17879): host ports on 127.0.0.1;
//       PASSDECK_RIG_CACHE: cache dir (default <repo>/.cache/kernel-rig); PASSDECK_RIG_BOOT_TIMEOUT (s, 240);
//       PASSDECK_RIG_LIFETIME (s, 3600): hard bound on one QEMU run; PASSDECK_RIG_DEBUG=1: verbose guest boot.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { appendFileSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive } from "./proc.mjs";
import { FORWARD_MAC, GUEST_AGENT_PORT, GUEST_SERVER_PORT, lanMacs, machine, qemuDeviceArgs } from "./topology.mjs";
import { condenseDiagnostics, describeStalls, readStalls, STALLS_FILE } from "./watchdog.mjs";

export const RIG_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(RIG_DIR, "../..");
const QEMU = "qemu-system-x86_64";

export class RigError extends Error {}

/**
 * @typedef {object} RigPaths
 * @property {string} cache
 * @property {string} runDir
 * @property {string} state
 * @property {string} console
 * @property {string} qemuLog
 * @property {string} pidfile
 * @property {string} shellSocket
 * @property {string} monitorSocket
 * @property {string} qmpSocket
 * @property {string} buildSnapshot
 * @property {string} dataDir
 */
/**
 * The prepared guest kernel (rigPaths() without requireKernel: false guarantees it).
 * @typedef {object} KernelPaths
 * @property {string} kver
 * @property {string} kdir
 * @property {string} vmlinux
 * @property {string} initramfs
 * @property {string} moddir
 */
/**
 * @typedef {object} RigState
 * @property {number} pid
 * @property {number} wrapperPid
 * @property {number} serverPort
 * @property {number} agentPort
 * @property {string} serverUrl
 * @property {string} agentUrl
 * @property {string} kernel
 * @property {string} buildId .next/BUILD_ID of the build snapshot the guest serves
 * @property {string} console
 * @property {string} shellSocket
 * @property {string} startedAt
 * @property {number} bootMs
 * @property {{ agentReady?: number; server?: number }} marks
 * @property {number | null} owner
 * @property {{ admin: { name: string; password: string }; viewer: { name: string; password: string }; token: string }} auth
 *   the rig's accounts (made before boot) and an admin API token for tRPC calls from the host
 * @property {boolean} [booting] set while the guest boots (pid still null)
 */
/**
 * @typedef {object} ExecResult
 * @property {number | null} code
 * @property {string | null} signal
 * @property {boolean} timedOut
 * @property {string | null} spawnError
 * @property {string} stdout
 * @property {string} stderr
 * @property {number} ms
 */
/**
 * @typedef {object} FsResult
 * @property {boolean} ok
 * @property {string} [content]
 * @property {{ code: string | null; errno: number | null; message: string }} [error]
 */
/** @typedef {{ timeoutMs?: number; cwd?: string; env?: Record<string, string>; input?: string }} ExecOptions */
/** @typedef {{ server: number; agent: number }} RigPorts */

/**
 * Where everything lives; throws a RigError saying what to run when the setup is missing.
 * @overload
 * @param {{ requireKernel?: true }} [options]
 * @returns {RigPaths & KernelPaths}
 */
/**
 * @overload
 * @param {{ requireKernel?: boolean }} options
 * @returns {RigPaths & Partial<KernelPaths>}
 */
/**
 * @param {{ requireKernel?: boolean }} [options]
 * @returns {RigPaths & Partial<KernelPaths>}
 */
export function rigPaths({ requireKernel = true } = {}) {
  const cache = process.env.PASSDECK_RIG_CACHE ? resolve(process.env.PASSDECK_RIG_CACHE) : join(REPO, ".cache/kernel-rig");
  const runDir = join(cache, "run");
  const base = {
    cache,
    runDir,
    state: join(runDir, "state.json"),
    console: join(runDir, "console.log"),
    qemuLog: join(runDir, "qemu.log"),
    pidfile: join(runDir, "qemu.pid"),
    shellSocket: join(runDir, "shell.sock"),
    monitorSocket: join(runDir, "monitor.sock"),
    /** QMP, for the stall watchdog (watchdog.mjs) */
    qmpSocket: join(runDir, "qmp.sock"),
    buildSnapshot: join(runDir, "build"),
    /** the guest's /var/lib/passdeck (journal, desired state): emptied at start unless the boot keeps it */
    dataDir: join(cache, "data"),
  };
  const currentFile = join(cache, "current");
  const kver = existsSync(currentFile) ? readFileSync(currentFile, "utf8").trim() : null;
  const kdir = kver ? join(cache, kver) : null;
  const kernel =
    kver && kdir
      ? {
          kver,
          kdir,
          vmlinux: join(kdir, "vmlinux"),
          initramfs: join(kdir, "initramfs.cpio.gz"),
          moddir: join(kdir, "root/lib/modules", kver),
        }
      : null;
  if (requireKernel) {
    if (spawnSync(QEMU, ["--version"], { stdio: "ignore" }).error) {
      throw new RigError(`${QEMU} is not installed: run \`sudo bash e2e/kernel/setup.sh\` first.`);
    }
    if (!kernel || !existsSync(kernel.vmlinux) || !existsSync(kernel.initramfs) || !existsSync(join(kernel.kdir, ".complete"))) {
      throw new RigError(`no prepared guest kernel in ${cache}: run \`sudo bash e2e/kernel/setup.sh\` first.`);
    }
  }
  return { ...base, ...kernel };
}

/** @returns {RigPorts} */
export function rigPorts() {
  return {
    server: Number(process.env.PASSDECK_RIG_PORT ?? 17878),
    agent: Number(process.env.PASSDECK_RIG_AGENT_PORT ?? 17879),
  };
}

/**
 * The full QEMU argv (without the binary) for a boot. console: "file" (a log) or "stdio" (this terminal).
 * @param {{ ports?: RigPorts; consoleMode?: "file" | "stdio"; paths?: RigPaths & KernelPaths }} [options]
 * @returns {string[]}
 */
export function qemuArgs({ ports = rigPorts(), consoleMode = "file", paths = rigPaths() } = {}) {
  const debug = process.env.PASSDECK_RIG_DEBUG === "1";
  const append = [
    ...machine.kernelParams,
    debug ? "loglevel=7" : "quiet",
    `rig_stage2=${join(RIG_DIR, "guest-init.sh")}`,
    `rig_repo=${REPO}`,
    `rig_moddir=${paths.moddir}`,
    `rig_mac=${FORWARD_MAC}`,
    `rig_lan_macs=${lanMacs().join(",")}`,
    `rig_server_port=${GUEST_SERVER_PORT}`,
    // the port the tests reach it on (the forward): the server must answer to 127.0.0.1 on that port too
    `rig_host_server_port=${ports.server}`,
    `rig_agent_port=${GUEST_AGENT_PORT}`,
    `rig_build=${paths.buildSnapshot}`,
    `rig_debug=${debug ? 1 : 0}`,
    `rig_shell_tty=${consoleMode === "stdio" ? "ttyS0" : "ttyS1"}`,
  ];
  for (const p of append) if (/\s/.test(p)) throw new RigError(`kernel parameter with whitespace (move the checkout?): ${p}`);
  return [
    "-name",
    "passdeck-rig",
    "-nodefaults",
    "-no-user-config",
    "-accel",
    "tcg",
    "-cpu",
    "max",
    "-nographic",
    "-no-reboot",
    "-kernel",
    paths.vmlinux,
    "-initrd",
    paths.initramfs,
    "-append",
    append.join(" "),
    ...qemuDeviceArgs({ serverHostPort: ports.server, agentHostPort: ports.agent, dataDir: paths.dataDir }),
    ...(consoleMode === "stdio"
      ? ["-serial", "mon:stdio"]
      : [
          "-serial",
          `file:${paths.console}`,
          "-serial",
          `unix:${paths.shellSocket},server=on,wait=off`,
          "-monitor",
          `unix:${paths.monitorSocket},server=on,wait=off`,
          "-qmp",
          `unix:${paths.qmpSocket},server=on,wait=off`,
          "-pidfile",
          paths.pidfile,
        ]),
  ];
}

// ------------------------------------------------------------------------------------------------ processes

/** @param {number} pid */
function cmdlineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/**
 * True when pid is a live QEMU of this rig (PIDs get reused: never kill on a stale number alone).
 * @param {number} pid
 */
function isRigQemu(pid) {
  const argv = cmdlineOf(pid);
  return isAlive(pid) && argv.some((a) => a.endsWith(QEMU)) && argv.includes("passdeck-rig");
}

/** @type {(ms: number) => Promise<void>} */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {number} ms */
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * SIGTERM, then SIGKILL after graceMs; synchronous so it also works in an exit handler.
 * @param {number | null} pid
 */
function killBounded(pid, graceMs = 5_000) {
  if (!pid || !isAlive(pid)) return true;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return true;
  }
  for (let waited = 0; waited < graceMs; waited += 50) {
    if (!isAlive(pid)) return true;
    sleepSync(50);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return true;
  }
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (!isAlive(pid)) return true;
    sleepSync(50);
  }
  return !isAlive(pid);
}

/**
 * The process group led by leader (our `timeout` wrapper and the QEMU below it): SIGTERM, then SIGKILL.
 * @param {number | undefined} leader
 */
function killGroupBounded(leader, graceMs = 3_000) {
  if (!leader) return;
  for (const sig of ["SIGTERM", "SIGKILL"]) {
    try {
      process.kill(-leader, sig);
    } catch {
      return;
    }
    for (let waited = 0; waited < graceMs; waited += 50) {
      if (!isAlive(leader)) return;
      sleepSync(50);
    }
  }
}

/**
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function portFree(port) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
  });
}

/**
 * @param {RigPaths} [paths]
 * @returns {RigState | null}
 */
export function readState(paths = rigPaths({ requireKernel: false })) {
  try {
    return JSON.parse(readFileSync(paths.state, "utf8"));
  } catch {
    return null;
  }
}

/**
 * @param {RigState | null} state
 * @returns {state is RigState}
 */
function wrapperAlive(state) {
  return Boolean(state?.wrapperPid && isAlive(state.wrapperPid) && cmdlineOf(state.wrapperPid).includes(QEMU));
}

/**
 * The running (booted) rig, or null; a stale state file is removed (not one of a rig still booting).
 * @param {RigPaths} [paths]
 * @returns {RigState | null}
 */
export function runningRig(paths = rigPaths({ requireKernel: false })) {
  const state = readState(paths);
  if (!state) return null;
  if (!state.booting && state.pid && isRigQemu(state.pid)) return state;
  if (!(state.booting && wrapperAlive(state))) rmSync(paths.state, { force: true });
  return null;
}

/**
 * @param {number} [lines]
 * @param {RigPaths} [paths]
 * @returns {string}
 */
export function consoleTail(lines = 40, paths = rigPaths({ requireKernel: false })) {
  const out = [];
  /** @type {[string, string][]} */
  const logs = [
    ["serial console", paths.console],
    ["QEMU stderr", paths.qemuLog],
  ];
  for (const [label, file] of logs) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8").replace(/\r/g, "").trimEnd();
    if (!text) continue;
    const tail = text.split("\n").slice(-lines);
    out.push(`--- last ${tail.length} lines of the ${label} (${file}) ---`, ...tail);
  }
  return out.join("\n") || "(no console output)";
}

// ------------------------------------------------------------------------------------------------ start/stop

/**
 * @param {string} url
 * @returns {Promise<{ status: number; body: string } | null>}
 */
async function httpAnswers(url, timeoutMs = 2_000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    return { status: res.status, body };
  } catch {
    return null;
  }
}

/**
 * @param {string} url
 * @param {number} timeoutMs
 */
async function agentReady(url, timeoutMs) {
  const r = await httpAnswers(url, timeoutMs);
  if (r?.status !== 200) return false;
  try {
    return JSON.parse(r.body).ready === true;
  } catch {
    return false;
  }
}

/**
 * Copies the checkout's production build (.next without its caches, dist/) into the run dir; the guest bind-mounts
 * the copy over .next and dist, so a rebuild on the host while the rig runs cannot pull files from under the server.
 * @param {RigPaths} paths
 * @returns {string} the build's BUILD_ID
 */
function snapshotBuild(paths) {
  const buildIdFile = join(REPO, ".next/BUILD_ID");
  const noBuild = "no production build (.next/BUILD_ID, dist/passdeck.mjs): run `npm run build` first; the guest serves this checkout's build.";
  for (let attempt = 1; ; attempt++) {
    if (!existsSync(buildIdFile) || !existsSync(join(REPO, "dist/passdeck.mjs"))) {
      if (attempt >= 5) throw new RigError(noBuild);
      sleepSync(3_000); // maybe a rebuild in progress
      continue;
    }
    const before = readFileSync(buildIdFile, "utf8");
    rmSync(paths.buildSnapshot, { recursive: true, force: true });
    mkdirSync(paths.buildSnapshot, { recursive: true });
    const skip = new Set([join(REPO, ".next/cache"), join(REPO, ".next/dev")]);
    try {
      cpSync(join(REPO, ".next"), join(paths.buildSnapshot, ".next"), { recursive: true, filter: (src) => !skip.has(src) });
      cpSync(join(REPO, "dist"), join(paths.buildSnapshot, "dist"), { recursive: true });
    } catch (e) {
      if (attempt >= 5) throw new RigError(`cannot copy the build: ${/** @type {Error} */ (e).message}`);
      sleepSync(3_000);
      continue;
    }
    const after = existsSync(buildIdFile) ? readFileSync(buildIdFile, "utf8") : null;
    if (after === before && readFileSync(join(paths.buildSnapshot, ".next/BUILD_ID"), "utf8") === before) return before.trim();
    if (attempt >= 5) throw new RigError("the build kept changing while it was copied (a concurrent `npm run build`?)");
    sleepSync(3_000);
  }
}

/** @type {(() => void) | null} removes the exit handlers installExitHandlers added */
let exitHandlersFor = null;
/**
 * groupLeader: the `timeout` wrapper, spawned detached so it leads a process group that QEMU is in too.
 * @param {() => number | null} qemuPid
 * @param {number | undefined} groupLeader
 */
function installExitHandlers(qemuPid, groupLeader) {
  const cleanup = () => {
    for (const target of [qemuPid(), groupLeader && -groupLeader]) {
      if (!target) continue;
      try {
        process.kill(target, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  };
  /** @param {NodeJS.Signals} sig */
  const onSignal = (sig) => {
    cleanup();
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.on("exit", cleanup);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  exitHandlersFor = () => {
    process.off("exit", cleanup);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    exitHandlersFor = null;
  };
}

/**
 * Boots the rig and waits until Passdeck answers HTTP through the forward and the agent is healthy.
 * detach: true leaves QEMU running after this process exits (CLI `start`); false ties QEMU's life to this process
 * (exit handlers kill it). Either way a failed start kills QEMU and throws with the console tail.
 * @param {{ timeoutSec?: number; detach?: boolean; log?: (msg: string) => void; keepData?: boolean }} [options]
 * @returns {Promise<RigState>}
 */
export async function startRig({
  // 50–80 s on a quiet 2-core host; over 120 s seen with the host loaded (a timeout only a failed boot waits out)
  timeoutSec = Number(process.env.PASSDECK_RIG_BOOT_TIMEOUT ?? 240),
  detach = false,
  log = console.error,
  keepData = false,
} = {}) {
  const paths = rigPaths();
  const ports = rigPorts();
  const existing = runningRig(paths);
  if (existing) {
    throw new RigError(`a rig is already running (QEMU pid ${existing.pid}, http://127.0.0.1:${existing.serverPort}): \`node e2e/kernel/rig.mjs stop\` first.`);
  }
  const booting = readState(paths);
  if (booting?.booting && wrapperAlive(booting)) {
    throw new RigError(`a rig is booting (pid ${booting.wrapperPid}): wait for it, or \`node e2e/kernel/rig.mjs stop\`.`);
  }
  for (const [what, port] of Object.entries(ports)) {
    if (!(await portFree(port))) {
      throw new RigError(
        `port ${port} on 127.0.0.1 (for the guest's ${what}) is in use: stop whatever holds it, or choose another with ${what === "server" ? "PASSDECK_RIG_PORT" : "PASSDECK_RIG_AGENT_PORT"}.`,
      );
    }
  }
  mkdirSync(paths.runDir, { recursive: true });
  // A fresh boot starts with an empty data directory; a reboot (keepData) keeps the journal and desired state.
  if (!keepData) rmSync(paths.dataDir, { recursive: true, force: true });
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o750 });
  const buildId = snapshotBuild(paths);
  // Accounts before the guest's server starts: it serves beyond the guest's loopback, which needs an admin.
  const auth = keepData && existsSync(authFile(paths)) ? JSON.parse(readFileSync(authFile(paths), "utf8")) : rigAccounts(paths);
  for (const f of [paths.console, paths.qemuLog, paths.pidfile, paths.shellSocket, paths.monitorSocket, paths.qmpSocket, paths.state])
    rmSync(f, { force: true });

  const lifetime = Number(process.env.PASSDECK_RIG_LIFETIME ?? 3600);
  const args = qemuArgs({ ports, paths });
  const errFd = openSync(paths.qemuLog, "w");
  const started = Date.now();
  // coreutils timeout bounds every QEMU run even if nobody ever calls stop.
  const child = spawn("timeout", ["--kill-after=10", String(lifetime), QEMU, ...args], {
    detached: true,
    stdio: ["ignore", errFd, errFd],
  });
  closeSync(errFd);
  /** @type {number | null} */
  let qemuPid = null;
  installExitHandlers(() => qemuPid, child.pid);
  // Recorded at once, so `stop` can end a rig that is still booting.
  writeFileSync(paths.state, JSON.stringify({ booting: true, pid: null, wrapperPid: child.pid, startedAt: new Date(started).toISOString() }) + "\n");
  // Set by the 'exit' handler: the cast keeps tsc from narrowing it to null for the loop below.
  let exited = /** @type {{ code: number | null; signal: NodeJS.Signals | null } | null} */ (null);
  child.on("exit", (code, signal) => (exited = { code, signal }));
  if (detach) child.unref();
  // Beside QEMU for its whole run (boot included); it exits when the wrapper does.
  spawn(process.execPath, [join(RIG_DIR, "watchdog.mjs"), String(child.pid), paths.runDir, `http://127.0.0.1:${ports.agent}`], {
    detached: true,
    stdio: "ignore",
  }).unref();

  /** @param {string} why */
  const fail = (why) => {
    killBounded(qemuPid, 3_000);
    killGroupBounded(child.pid);
    exitHandlersFor?.();
    rmSync(paths.state, { force: true });
    return new RigError(`${why}\n${consoleTail(40, paths)}`);
  };

  const deadline = started + timeoutSec * 1000;
  let serverOk = false;
  let agentOk = false;
  /** @type {RigState["marks"]} */
  const marks = {};
  while (!(serverOk && agentOk)) {
    if (exited) throw fail(`QEMU exited during boot (${exited.signal ?? `code ${exited.code}`}) after ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    if (Date.now() > deadline)
      throw fail(
        `boot timeout: Passdeck did not answer on http://127.0.0.1:${ports.server}/ within ${timeoutSec} s (agent ${agentOk ? "ready" : "not ready"}).`,
      );
    if (!qemuPid && existsSync(paths.pidfile)) {
      qemuPid = Number(readFileSync(paths.pidfile, "utf8").trim()) || null;
    }
    const left = () => Math.max(250, deadline - Date.now());
    if (!agentOk && (agentOk = await agentReady(`http://127.0.0.1:${ports.agent}/health`, Math.min(2_000, left())))) {
      marks.agentReady = Date.now() - started;
    }
    // A generous timeout once the agent is up: the first request makes Next load its server runtime (slow under TCG).
    const probeMs = Math.min(agentOk ? 30_000 : 2_000, left());
    if (!serverOk && (serverOk = (await httpAnswers(`http://127.0.0.1:${ports.server}/`, probeMs)) !== null)) marks.server = Date.now() - started;
    if (!(serverOk && agentOk)) await sleep(250);
  }
  qemuPid ??= Number(readFileSync(paths.pidfile, "utf8").trim());
  /** @type {RigState} */
  const state = {
    pid: qemuPid,
    wrapperPid: /** @type {number} */ (child.pid), // the wrapper is running: the loop above saw its forwards answer
    serverPort: ports.server,
    agentPort: ports.agent,
    serverUrl: `http://127.0.0.1:${ports.server}`,
    agentUrl: `http://127.0.0.1:${ports.agent}`,
    kernel: paths.kver,
    buildId,
    console: paths.console,
    shellSocket: paths.shellSocket,
    startedAt: new Date(started).toISOString(),
    bootMs: Date.now() - started,
    marks,
    owner: detach ? null : process.pid,
    auth,
  };
  writeFileSync(paths.state, JSON.stringify(state, null, 2) + "\n");
  if (detach) exitHandlersFor?.();
  log(
    `rig: up in ${(state.bootMs / 1000).toFixed(1)} s (agent ready ${(Number(marks.agentReady) / 1000).toFixed(1)} s, server ${(Number(marks.server) / 1000).toFixed(1)} s): Passdeck ${state.serverUrl}, agent ${state.agentUrl}, kernel ${paths.kver}, build ${buildId}, QEMU pid ${qemuPid}`,
  );
  return state;
}

/** @type {(paths: RigPaths) => string} */
const authFile = (paths) => join(paths.runDir, "rig-auth.json");

/**
 * The rig's admin and viewer (made with the CLI of the build the guest runs, as a scripted install would: the
 * password on standard input) and an admin API token for the host-side tests' tRPC calls.
 * @param {RigPaths} paths
 * @returns {RigState["auth"]}
 */
function rigAccounts(paths) {
  /** @type {(args: string[], input?: string) => string} */
  const cli = (args, input) =>
    execFileSync(process.execPath, [join(REPO, "dist/passdeck.mjs"), ...args], {
      input,
      encoding: "utf8",
      env: { ...process.env, PASSDECK_DATA_DIR: paths.dataDir },
    });
  const admin = { name: "rig-admin", password: "rig admin password (test only)" };
  const viewer = { name: "rig-viewer", password: "rig viewer password (test only)" };
  cli(["user", "add", admin.name, "--role", "admin"], `${admin.password}\n`);
  cli(["user", "add", viewer.name, "--role", "viewer"], `${viewer.password}\n`);
  const { token } = JSON.parse(cli(["token", "create", "--role", "admin", "--label", "rig tests", "--json"]));
  const auth = { admin, viewer, token };
  writeFileSync(authFile(paths), JSON.stringify(auth, null, 2) + "\n", { mode: 0o600 });
  return auth;
}

/**
 * Stops the recorded rig (bounded: SIGTERM, SIGKILL after 5 s). Returns false when none was running.
 * @param {{ log?: (msg: string) => void }} [options]
 * @returns {boolean}
 */
export function stopRig({ log = console.error } = {}) {
  const paths = rigPaths({ requireKernel: false });
  const state = readState(paths);
  let stopped = false;
  if (state?.pid && isRigQemu(state.pid)) {
    if (!killBounded(state.pid)) throw new RigError(`QEMU pid ${state.pid} did not die after SIGKILL`);
    stopped = true;
  }
  if (wrapperAlive(state)) {
    killGroupBounded(state.wrapperPid);
    stopped = true;
  }
  rmSync(paths.state, { force: true });
  for (const f of [paths.shellSocket, paths.monitorSocket, paths.qmpSocket, paths.pidfile]) rmSync(f, { force: true });
  exitHandlersFor?.();
  if (stopped) log(`rig: stopped ${state?.pid ? `QEMU pid ${state.pid}` : `the booting rig (pid ${state?.wrapperPid})`}`);
  return stopped;
}

/**
 * A reboot as the tests need it: sync the guest's filesystems, power it off, boot again with the same data
 * directory. Detached, so the new guest outlives the test process that asked (run.sh or the global teardown stops it).
 * @param {{ log?: (msg: string) => void }} [options]
 * @returns {Promise<RigState>}
 */
export async function rebootRig({ log = console.error } = {}) {
  if (runningRig()) await guestExec(["sync"], { timeoutMs: 60_000 }).catch(() => undefined);
  stopRig({ log });
  return startRig({ detach: true, keepData: true, log });
}

// ------------------------------------------------------------------------------------------------ agent client

function agentUrl() {
  const state = runningRig();
  if (!state) throw new RigError("the rig is not running: `node e2e/kernel/rig.mjs start` first.");
  return state.agentUrl;
}

/**
 * @param {string} path
 * @param {{ argv?: string[]; path?: string } & Record<string, unknown>} body
 * @param {number} timeoutMs
 * @returns {Promise<any>} the agent's JSON answer (its shape is the route's: ExecResult or FsResult)
 */
async function agentPost(path, body, timeoutMs) {
  const started = performance.now();
  const res = await fetch(`${agentUrl()}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = await res.json();
  if (res.status !== 200) throw new RigError(`agent ${path}: HTTP ${res.status}: ${json?.error?.message ?? ""}`);
  // PASSDECK_RIG_TRACE=<file>: one line per guest call with its wall time, to see where a rig run's minutes go.
  const trace = process.env.PASSDECK_RIG_TRACE;
  if (trace) appendFileSync(trace, `${(performance.now() - started).toFixed(0)}\t${path}\t${JSON.stringify(body.argv ?? body.path ?? "").slice(0, 160)}\n`);
  return json;
}

/**
 * Runs argv in the guest (execFile, no shell). Resolves { code, signal, timedOut, stdout, stderr, ms }.
 * @param {string[]} argv
 * @param {ExecOptions} [options]
 * @returns {Promise<ExecResult>}
 */
export function guestExec(argv, { timeoutMs = 60_000, cwd, env, input } = {}) {
  return agentPost("/exec", { argv, timeoutMs, cwd, env, input }, timeoutMs + 15_000);
}

/**
 * Like guestExec but throws unless the command exits 0; resolves its stdout.
 * @param {string[]} argv
 * @param {ExecOptions} [opts]
 * @returns {Promise<string>}
 */
export async function guestRun(argv, opts) {
  const r = await guestExec(argv, opts);
  if (r.code !== 0)
    throw new RigError(
      `guest: ${JSON.stringify(argv)} failed (${r.timedOut ? "timed out" : (r.signal ?? `exit ${r.code}`)}): ${r.spawnError ?? ""}${r.stderr}`,
    );
  return r.stdout;
}

/**
 * Reads a guest file; resolves { ok, content } or { ok: false, error: { code, message } }.
 * @param {string} path
 * @param {{ encoding?: "utf8" | "base64" }} [options]
 * @returns {Promise<FsResult>}
 */
export function guestRead(path, { encoding = "utf8" } = {}) {
  return agentPost("/read", { path, encoding }, 30_000);
}

/**
 * Every function in every IOMMU group of the guest with its driver/physfn/virtfn links, read by the agent with plain
 * fs calls (no Passdeck code): the tests' independent truth.
 * @returns {Promise<{ ok: true; devices: Array<{ group: number; address: string; vendor: string; device: string; class: string; driver: string | null; physfn: string | null; totalVfs: number | null; numVfs: number | null; vfs: string[] }> }>}
 */
export function guestSysfsTruth() {
  return agentPost("/sysfs-truth", {}, 60_000);
}

/**
 * Writes a guest file (a sysfs attribute too); the kernel's refusal comes back as error.code (EBUSY, ...).
 * @param {string} path
 * @param {string} content
 * @param {{ encoding?: "utf8" | "base64" }} [options]
 * @returns {Promise<FsResult>}
 */
export function guestWrite(path, content, { encoding = "utf8" } = {}) {
  return agentPost("/write", { path, content, encoding }, 60_000);
}

// ------------------------------------------------------------------------------------------------ CLI

/** @returns {Promise<number>} the exit code */
function openShell() {
  const state = runningRig();
  if (!state) throw new RigError("the rig is not running: `node e2e/kernel/rig.mjs start` first (or `console` to boot one on this terminal).");
  if (!process.stdin.isTTY) {
    // Not a terminal: run the whole standard input as one bash script in the guest.
    return new Promise((res, rej) => {
      /** @type {Buffer[]} */
      const chunks = [];
      process.stdin.on("data", (c) => chunks.push(c));
      process.stdin.on("end", () => {
        guestExec(["bash", "-s"], { input: Buffer.concat(chunks).toString("utf8"), timeoutMs: 10 * 60_000 }).then((r) => {
          process.stdout.write(r.stdout);
          process.stderr.write(r.stderr);
          res(r.code ?? 1);
        }, rej);
      });
    });
  }
  return new Promise((res) => {
    const sock = connect(state.shellSocket);
    sock.on("connect", () => {
      console.error("rig: connected to a bash on the guest's ttyS1; press Enter for a prompt, Ctrl-] to leave.\r");
      process.stdin.setRawMode(true);
      process.stdin.resume();
      const { rows, columns } = process.stdout;
      if (rows && columns) sock.write(`stty rows ${rows} cols ${columns}\r`);
      process.stdin.on("data", (d) => {
        if (d.includes(0x1d)) {
          sock.end();
          return;
        }
        sock.write(d);
      });
      sock.pipe(process.stdout);
    });
    /** @param {number} code */
    const done = (code) => {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
      console.error("\r\nrig: shell closed.");
      res(code);
    };
    sock.on("close", () => done(0));
    sock.on("error", (e) => {
      console.error(`rig: cannot connect to ${state.shellSocket}: ${e.message}`);
      res(1);
    });
  });
}

function foregroundConsole() {
  const paths = rigPaths();
  if (runningRig(paths)) throw new RigError("a rig is already running (its forwards hold the ports): `node e2e/kernel/rig.mjs stop` first.");
  const lifetime = Number(process.env.PASSDECK_RIG_LIFETIME ?? 3600);
  console.error("rig: booting with the serial console on this terminal; Ctrl-A X quits QEMU.");
  const r = spawnSync("timeout", ["--foreground", "--kill-after=10", String(lifetime), QEMU, ...qemuArgs({ consoleMode: "stdio", paths })], {
    stdio: "inherit",
  });
  return r.status ?? 1;
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>} the exit code
 */
async function main(argv) {
  const [cmd, ...rest] = argv;
  /** @type {(name: string, dflt: string | number) => string | number | undefined} */
  const opt = (name, dflt) => {
    const i = rest.indexOf(name);
    return i >= 0 && i + 1 < rest.length ? rest[i + 1] : dflt;
  };
  switch (cmd) {
    case "start": {
      await startRig({ timeoutSec: Number(opt("--timeout", process.env.PASSDECK_RIG_BOOT_TIMEOUT ?? 240)), detach: true });
      return 0;
    }
    case "stop":
      if (!stopRig()) console.error("rig: not running");
      return 0;
    case "status": {
      const s = runningRig();
      if (!s) {
        console.log("rig: not running");
        return 1;
      }
      console.log(JSON.stringify(s, null, 2));
      return 0;
    }
    case "exec": {
      const dd = rest.indexOf("--");
      const args = dd >= 0 ? rest.slice(dd + 1) : rest;
      if (args.length === 0) throw new RigError("usage: rig.mjs exec [--timeout SEC] -- <argv...>");
      const timeoutMs = Number(dd >= 0 ? opt("--timeout", 120) : 120) * 1000;
      const r = await guestExec(args, { timeoutMs });
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      if (r.spawnError) console.error(`rig: ${r.spawnError}`);
      if (r.timedOut) console.error(`rig: timed out after ${timeoutMs / 1000} s`);
      return r.code ?? 1;
    }
    case "shell":
      return openShell();
    case "console":
      return foregroundConsole();
    case "log":
    case "logs":
      console.log(consoleTail(Number(rest[0] ?? 40)));
      return 0;
    case "qemu-args":
      console.log([QEMU, ...qemuArgs()].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" "));
      return 0;
    case "stalls": {
      const { runDir } = rigPaths({ requireKernel: false });
      if (rest.includes("--clear")) rmSync(join(runDir, STALLS_FILE), { force: true });
      else if (rest.includes("--dir")) console.log(runDir);
      else if (rest.includes("--count")) console.log(readStalls(runDir).filter((r) => r.event === "report").length);
      else if (rest.includes("--details")) {
        for (const r of readStalls(runDir)) {
          if (r.event !== "nudge" || !r.diagnostics) continue;
          const file = join(runDir, r.diagnostics);
          console.log(`--- ${file}\n${existsSync(file) ? condenseDiagnostics(readFileSync(file, "utf8")) : "(gone)"}`);
        }
      } else for (const line of describeStalls(readStalls(runDir))) console.log(line);
      return 0;
    }
    default:
      console.error(
        "usage: node e2e/kernel/rig.mjs start|stop|status|exec -- <argv…>|shell|console|log [N]|qemu-args|stalls [--count|--clear|--dir|--details]",
      );
      return 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof RigError ? `rig: ${err.message}` : err);
      process.exit(1);
    },
  );
}
