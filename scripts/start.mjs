// Starts the production server: on the real host by default, or on a generated demo host with --demo [scenario].
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { demoDirs, EnvError, readEnv } from "../server/env-spec.mjs";

// Whatever this process and its children create is not writable by the group, nor readable by others.
process.umask(0o027);

const args = process.argv.slice(2);
const demoIndex = args.indexOf("--demo");
const demoArg = args[demoIndex + 1];
const demo = demoIndex >= 0 ? (demoArg && !demoArg.startsWith("-") ? demoArg : "server") : null;
/** @type {import("../server/env-spec.mjs").PassdeckEnv} every PASSDECK_* variable, checked, defaults filled in */
let settings;
try {
  settings = readEnv();
} catch (err) {
  if (!(err instanceof EnvError)) throw err;
  console.error(`passdeck: ${err.problems.join("; ")}`);
  process.exit(2);
}
const host = settings.PASSDECK_HOST;
const port = String(settings.PASSDECK_PORT);

if (!existsSync(".next/BUILD_ID") || !existsSync("dist/passdeck.mjs")) {
  console.error("passdeck: no production build here. Run `npm run build` first (the Quick start in README.md does both).");
  process.exit(2);
}
/** @type {NodeJS.ProcessEnv} the children's environment */
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PASSDECK_HOST: host, PASSDECK_PORT: port };
if (demo) {
  // The server writes the scenario's tree into this directory itself and answers writes through a simulated kernel.
  const { demoDir: dir, dataDir } = demoDirs(demo);
  mkdirSync(dir, { recursive: true });
  const known = execFileSync(process.execPath, ["dist/passdeck.mjs", "scenarios"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0]);
  if (!known.includes(demo)) {
    console.error(`passdeck: no demo host "${demo}": pick one of ${known.filter(Boolean).join(", ")}`);
    process.exit(2);
  }
  Object.assign(env, { PASSDECK_DEMO: demo, PASSDECK_DEMO_DIR: dir, PASSDECK_DATA_DIR: dataDir });
  console.log(`passdeck: demo host "${demo}" in ${dir}: plans are applied to a simulated kernel, never to this machine`);
}

// Privilege separation on a real host started as root: the helper (root) applies plans; the web server and the
// probe agent run as PASSDECK_WEB_USER (a user name or uid:gid) and reach the helper over its socket.
const isRoot = process.getuid?.() === 0;
const webUser = settings.PASSDECK_WEB_USER ? resolveUser(settings.PASSDECK_WEB_USER) : null;
if (webUser && !isRoot) {
  console.error("passdeck: PASSDECK_WEB_USER needs npm start to run as root (it starts the helper as root and the web server as that user)");
  process.exit(2);
}
if (webUser && demo) {
  console.error(
    "passdeck: PASSDECK_WEB_USER is for a real host (root starts the helper and hands the web tier to that user); a demo runs as whoever starts it",
  );
  process.exit(2);
}
const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
/** @typedef {import("node:child_process").ChildProcess} ChildProcess */
/** @type {ChildProcess | null} */
let helper = null;
/** @type {ChildProcess | null} */
let agent = null;
let stopping = false;
if (!demo && isRoot) {
  const socket = settings.PASSDECK_HELPER_SOCKET;
  Object.assign(env, { PASSDECK_HELPER_SOCKET: socket });
  // The helper's capabilities narrowed as passdeck-helper.service narrows them (one list for both), when setpriv exists.
  /** @type {unknown} */
  const capabilityJson = JSON.parse(readFileSync("deploy/systemd/helper-capabilities.json", "utf8"));
  const capabilityList = /** @type {{ capabilities: Record<string, unknown> }} */ (capabilityJson);
  const caps = Object.keys(capabilityList.capabilities);
  /** @type {[string, ...string[]]} */
  const helperCommand = setpriv
    ? [setpriv, "--no-new-privs", "--inh-caps=-all", `--bounding-set=-all,${caps.map((c) => `+${c.slice(4).toLowerCase()}`).join(",")}`, "--", process.execPath]
    : [process.execPath];
  // The helper sets the state directories' owners and modes (server/db/layout.ts) before it listens: root never
  // acts by path inside the web user's directory, so this script does not touch it either.
  helper = spawnChild([...helperCommand, "dist/passdeck.mjs", "helper"], {
    env: { ...env, ...(webUser ? { PASSDECK_WEB_USER: `${webUser.uid}:${webUser.gid}` } : {}) },
  });
  helper.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`passdeck: the privileged helper exited (${signal ?? `code ${code}`}): plans cannot be applied from the browser until it runs again`);
    helper = null;
  });
  if (!(await waitForFile(socket, 30_000))) console.error(`passdeck: the helper did not open ${socket} within 30 s`);
  if (!webUser) console.warn("passdeck: the web server runs as root: set PASSDECK_WEB_USER=<user> to run it unprivileged (deploy/systemd/ does)");
}
/**
 * A command line that runs as the web user: through setpriv (util-linux, supplementary groups cleared), else spawn's uid/gid.
 * @param {[string, ...string[]]} argv
 * @returns {{ command: string; args: string[]; options: { uid?: number; gid?: number } }}
 */
function asWebUser(argv) {
  if (!webUser) return { command: argv[0], args: argv.slice(1), options: {} };
  if (setpriv) return { command: setpriv, args: [`--reuid=${webUser.uid}`, `--regid=${webUser.gid}`, "--clear-groups", "--", ...argv], options: {} };
  return { command: argv[0], args: argv.slice(1), options: { uid: webUser.uid, gid: webUser.gid } };
}

/**
 * Starts a child in a session of its own (no controlling terminal: nothing it runs can push keystrokes into the
 * terminal of the root shell that started Passdeck, TIOCSTI), with standard input closed, and its output relayed
 * line by line with control characters removed. With setpriv it also gets SIGTERM if this process dies.
 * @param {[string, ...string[]]} argv
 * @param {import("node:child_process").SpawnOptions} [options]
 */
function spawnChild(argv, options = {}) {
  /** @type {[string, ...string[]]} */
  const full = !setpriv
    ? argv
    : argv[0] === setpriv
      ? [setpriv, "--pdeathsig", "SIGTERM", ...argv.slice(1)]
      : [setpriv, "--pdeathsig", "SIGTERM", "--", ...argv];
  const child = spawn(full[0], full.slice(1), { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  return child;
}

/**
 * @param {import("node:stream").Readable} from
 * @param {NodeJS.WritableStream} to
 */
function relay(from, to) {
  let partial = "";
  from.setEncoding("utf8");
  from.on("data", (/** @type {string} */ chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) to.write(`${clean(line)}\n`);
    if (partial.length > 64 * 1024) {
      to.write(`${clean(partial)}\n`);
      partial = "";
    }
  });
  from.on("end", () => partial && to.write(`${clean(partial)}\n`));
}

/**
 * Escape sequences from a child could rewrite the terminal of whoever reads this output.
 * @param {string} line
 */
function clean(line) {
  return line.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, "");
}

const web = asWebUser([process.execPath, "scripts/serve.mjs"]);
const child = spawnChild([web.command, ...web.args], { env, ...web.options });

// The probe agent measures latency in its own process (never inside the web server), restarted with backoff when it
// dies. Exit 3: another agent already serves this data directory, which is fine. PASSDECK_PROBE_AGENT=0 leaves it off.
let agentRestarts = 0;
function startAgent() {
  if (stopping || !settings.PASSDECK_PROBE_AGENT) return;
  const started = Date.now();
  const run = asWebUser([process.execPath, "dist/passdeck.mjs", "probe-agent"]);
  agent = spawnChild([run.command, ...run.args], { env, ...run.options });
  agent.on("exit", (code, signal) => {
    agent = null;
    if (stopping || code === 3) return;
    if (Date.now() - started > 60_000) agentRestarts = 0;
    const delay = Math.min(30_000, 1000 * 2 ** agentRestarts++);
    console.error(`passdeck: the probe agent exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s`);
    setTimeout(startAgent, delay);
  });
}
startAgent();

for (const sig of /** @type {NodeJS.Signals[]} */ (["SIGINT", "SIGTERM"]))
  process.on(sig, () => {
    stopping = true;
    agent?.kill(sig);
    child.kill(sig);
    helper?.kill(sig);
  });
child.on("exit", (code, signal) => {
  stopping = true;
  agent?.kill("SIGTERM");
  // The helper undoes any plan still waiting for its confirmation before it exits.
  if (helper) helper.once("exit", () => process.exit(code ?? (signal ? 1 : 0))).kill("SIGTERM");
  else process.exit(code ?? (signal ? 1 : 0));
});

/**
 * "name" (from the passwd database) or "uid:gid".
 * @param {string} spec
 * @returns {{ uid: number; gid: number }}
 */
function resolveUser(spec) {
  const numeric = /^(\d+):(\d+)$/.exec(spec);
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2]) };
  try {
    return {
      uid: Number(execFileSync("id", ["-u", "--", spec], { encoding: "utf8" }).trim()),
      gid: Number(execFileSync("id", ["-g", "--", spec], { encoding: "utf8" }).trim()),
    };
  } catch {
    console.error(`passdeck: PASSDECK_WEB_USER=${spec}: no such user (create one: useradd --system passdeck)`);
    process.exit(2);
  }
}

/**
 * @param {string} path
 * @param {number} timeoutMs
 */
async function waitForFile(path, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
