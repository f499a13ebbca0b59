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
//       PASSDECK_RIG_CACHE: cache dir (default <repo>/.cache/kernel-rig); PASSDECK_RIG_BOOT_TIMEOUT (s, 120);
//       PASSDECK_RIG_LIFETIME (s, 3600): hard bound on one QEMU run; PASSDECK_RIG_DEBUG=1: verbose guest boot.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/** Where everything lives; throws a RigError saying what to run when the setup is missing. */
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
  const kernel = kdir
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

export function rigPorts() {
  return {
    server: Number(process.env.PASSDECK_RIG_PORT ?? 17878),
    agent: Number(process.env.PASSDECK_RIG_AGENT_PORT ?? 17879),
  };
}

/** The full QEMU argv (without the binary) for a boot. console: "file" (a log) or "stdio" (this terminal). */
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

function cmdlineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/** True when pid is a live QEMU of this rig (PIDs get reused: never kill on a stale number alone). */
function isRigQemu(pid) {
  const argv = cmdlineOf(pid);
  return isAlive(pid) && argv.some((a) => a.endsWith(QEMU)) && argv.includes("passdeck-rig");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGTERM, then SIGKILL after graceMs; synchronous so it also works in an exit handler. */
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

/** The process group led by leader (our `timeout` wrapper and the QEMU below it): SIGTERM, then SIGKILL. */
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

function portFree(port) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
  });
}

export function readState(paths = rigPaths({ requireKernel: false })) {
  try {
    return JSON.parse(readFileSync(paths.state, "utf8"));
  } catch {
    return null;
  }
}

function wrapperAlive(state) {
  return Boolean(state?.wrapperPid && isAlive(state.wrapperPid) && cmdlineOf(state.wrapperPid).includes(QEMU));
}

/** The running (booted) rig, or null; a stale state file is removed (not one of a rig still booting). */
export function runningRig(paths = rigPaths({ requireKernel: false })) {
  const state = readState(paths);
  if (!state) return null;
  if (!state.booting && state.pid && isRigQemu(state.pid)) return state;
  if (!(state.booting && wrapperAlive(state))) rmSync(paths.state, { force: true });
  return null;
}

export function consoleTail(lines = 40, paths = rigPaths({ requireKernel: false })) {
  const out = [];
  for (const [label, file] of [
    ["serial console", paths.console],
    ["QEMU stderr", paths.qemuLog],
  ]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8").replace(/\r/g, "").trimEnd();
    if (!text) continue;
    const tail = text.split("\n").slice(-lines);
    out.push(`--- last ${tail.length} lines of the ${label} (${file}) ---`, ...tail);
  }
  return out.join("\n") || "(no console output)";
}

// ------------------------------------------------------------------------------------------------ start/stop

async function httpAnswers(url, timeoutMs = 2_000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    return { status: res.status, body };
  } catch {
    return null;
  }
}

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
      if (attempt >= 5) throw new RigError(`cannot copy the build: ${e.message}`);
      sleepSync(3_000);
      continue;
    }
    const after = existsSync(buildIdFile) ? readFileSync(buildIdFile, "utf8") : null;
    if (after === before && readFileSync(join(paths.buildSnapshot, ".next/BUILD_ID"), "utf8") === before) return before.trim();
    if (attempt >= 5) throw new RigError("the build kept changing while it was copied (a concurrent `npm run build`?)");
    sleepSync(3_000);
  }
}

let exitHandlersFor = null;
/** groupLeader: the `timeout` wrapper, spawned detached so it leads a process group that QEMU is in too. */
function installExitHandlers(qemuPid, groupLeader) {
  const cleanup = () => {
    for (const target of [qemuPid(), -groupLeader]) {
      if (!target) continue;
      try {
        process.kill(target, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  };
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
 */
export async function startRig({
  timeoutSec = Number(process.env.PASSDECK_RIG_BOOT_TIMEOUT ?? 120),
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
  let qemuPid = null;
  installExitHandlers(() => qemuPid, child.pid);
  // Recorded at once, so `stop` can end a rig that is still booting.
  writeFileSync(paths.state, JSON.stringify({ booting: true, pid: null, wrapperPid: child.pid, startedAt: new Date(started).toISOString() }) + "\n");
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  if (detach) child.unref();
  // Beside QEMU for its whole run (boot included); it exits when the wrapper does.
  spawn(process.execPath, [join(RIG_DIR, "watchdog.mjs"), String(child.pid), paths.runDir, `http://127.0.0.1:${ports.agent}`], {
    detached: true,
    stdio: "ignore",
  }).unref();

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
  if (!qemuPid) qemuPid = Number(readFileSync(paths.pidfile, "utf8").trim());
  const state = {
    pid: qemuPid,
    wrapperPid: child.pid,
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
    `rig: up in ${(state.bootMs / 1000).toFixed(1)} s (agent ready ${(marks.agentReady / 1000).toFixed(1)} s, server ${(marks.server / 1000).toFixed(1)} s): Passdeck ${state.serverUrl}, agent ${state.agentUrl}, kernel ${paths.kver}, build ${buildId}, QEMU pid ${qemuPid}`,
  );
  return state;
}

const authFile = (paths) => join(paths.runDir, "rig-auth.json");

/**
 * The rig's admin and viewer (made with the CLI of the build the guest runs, as a scripted install would: the
 * password on standard input) and an admin API token for the host-side tests' tRPC calls.
 */
function rigAccounts(paths) {
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

/** Stops the recorded rig (bounded: SIGTERM, SIGKILL after 5 s). Returns false when none was running. */
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
  if (stopped) log(`rig: stopped ${state.pid ? `QEMU pid ${state.pid}` : `the booting rig (pid ${state.wrapperPid})`}`);
  return stopped;
}

/**
 * A reboot as the tests need it: sync the guest's filesystems, power it off, boot again with the same data
 * directory. Detached, so the new guest outlives the test process that asked (run.sh or the global teardown stops it).
 */
export async function rebootRig({ log = console.error } = {}) {
  if (runningRig()) await guestExec(["sync"], { timeoutMs: 60_000 }).catch(() => {});
  stopRig({ log });
  return startRig({ detach: true, keepData: true, log });
}

// ------------------------------------------------------------------------------------------------ agent client

function agentUrl() {
  const state = runningRig();
  if (!state) throw new RigError("the rig is not running: `node e2e/kernel/rig.mjs start` first.");
  return state.agentUrl;
}

async function agentPost(path, body, timeoutMs) {
  const res = await fetch(`${agentUrl()}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = await res.json();
  if (res.status !== 200) throw new RigError(`agent ${path}: HTTP ${res.status}: ${json?.error?.message ?? ""}`);
  return json;
}

/** Runs argv in the guest (execFile, no shell). Resolves { code, signal, timedOut, stdout, stderr, ms }. */
export function guestExec(argv, { timeoutMs = 60_000, cwd, env, input } = {}) {
  return agentPost("/exec", { argv, timeoutMs, cwd, env, input }, timeoutMs + 15_000);
}

/** Like guestExec but throws unless the command exits 0; resolves its stdout. */
export async function guestRun(argv, opts) {
  const r = await guestExec(argv, opts);
  if (r.code !== 0)
    throw new RigError(
      `guest: ${JSON.stringify(argv)} failed (${r.timedOut ? "timed out" : (r.signal ?? `exit ${r.code}`)}): ${r.spawnError ?? ""}${r.stderr}`,
    );
  return r.stdout;
}

/** Reads a guest file; resolves { ok, content } or { ok: false, error: { code, message } }. */
export function guestRead(path, { encoding = "utf8" } = {}) {
  return agentPost("/read", { path, encoding }, 30_000);
}

/** Writes a guest file (a sysfs attribute too); the kernel's refusal comes back as error.code (EBUSY, ...). */
export function guestWrite(path, content, { encoding = "utf8" } = {}) {
  return agentPost("/write", { path, content, encoding }, 60_000);
}

// ------------------------------------------------------------------------------------------------ CLI

function openShell() {
  const state = runningRig();
  if (!state) throw new RigError("the rig is not running: `node e2e/kernel/rig.mjs start` first (or `console` to boot one on this terminal).");
  if (!process.stdin.isTTY) {
    // Not a terminal: run the whole standard input as one bash script in the guest.
    return new Promise((res, rej) => {
      const chunks = [];
      process.stdin.on("data", (c) => chunks.push(c));
      process.stdin.on("end", () =>
        guestExec(["bash", "-s"], { input: Buffer.concat(chunks).toString("utf8"), timeoutMs: 10 * 60_000 }).then((r) => {
          process.stdout.write(r.stdout);
          process.stderr.write(r.stderr);
          res(r.code ?? 1);
        }, rej),
      );
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

async function main(argv) {
  const [cmd, ...rest] = argv;
  const opt = (name, dflt) => {
    const i = rest.indexOf(name);
    return i >= 0 && i + 1 < rest.length ? rest[i + 1] : dflt;
  };
  switch (cmd) {
    case "start": {
      await startRig({ timeoutSec: Number(opt("--timeout", process.env.PASSDECK_RIG_BOOT_TIMEOUT ?? 120)), detach: true });
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
        for (const r of readStalls(runDir).filter((x) => x.event === "nudge" && x.diagnostics)) {
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
