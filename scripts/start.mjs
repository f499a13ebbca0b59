// Starts the production server: on the real host by default, or on a generated demo host with --demo [scenario].
import { spawn, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const args = process.argv.slice(2);
const demoIndex = args.indexOf("--demo");
const demo = demoIndex >= 0 ? (args[demoIndex + 1] && !args[demoIndex + 1].startsWith("-") ? args[demoIndex + 1] : "server") : null;
const host = process.env.PASSDECK_HOST ?? "127.0.0.1";
const port = process.env.PASSDECK_PORT ?? "7878";

if (!existsSync(".next/BUILD_ID") || !existsSync("dist/passdeck.mjs")) {
  console.error("passdeck: no production build here. Run `npm run build` first (the Quick start in README.md does both).");
  process.exit(2);
}
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PASSDECK_HOST: host, PASSDECK_PORT: port };
if (demo) {
  // The server writes the scenario's tree into this directory itself and answers writes through a simulated kernel.
  const dir = resolve(process.env.PASSDECK_DEMO_DIR ?? resolve(".cache/demo", demo));
  mkdirSync(dir, { recursive: true });
  const known = execFileSync(process.execPath, ["dist/passdeck.mjs", "scenarios"], { encoding: "utf8" }).split("\n").map((l) => l.split(" ")[0]);
  if (!known.includes(demo)) {
    console.error(`passdeck: no demo host "${demo}": pick one of ${known.filter(Boolean).join(", ")}`);
    process.exit(2);
  }
  Object.assign(env, { PASSDECK_DEMO: demo, PASSDECK_DEMO_DIR: dir, PASSDECK_DATA_DIR: process.env.PASSDECK_DATA_DIR ?? resolve(dir, "data") });
  console.log(`passdeck: demo host "${demo}" in ${dir}: plans are applied to a simulated kernel, never to this machine`);
}

// Privilege separation on a real host started as root: the helper (root) applies plans; the web server and the
// probe agent run as PASSDECK_WEB_USER (a user name or uid:gid) and reach the helper over its socket.
const isRoot = process.getuid?.() === 0;
const webUser = process.env.PASSDECK_WEB_USER ? resolveUser(process.env.PASSDECK_WEB_USER) : null;
if (webUser && !isRoot) {
  console.error("passdeck: PASSDECK_WEB_USER needs npm start to run as root (it starts the helper as root and the web server as that user)");
  process.exit(2);
}
if (webUser) {
  // The web server and the agent write the database; the helper hands what it creates to the directory's owner.
  const dataDir = resolve(env.PASSDECK_DATA_DIR ?? "/var/lib/passdeck");
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  chownSync(dataDir, webUser.uid, webUser.gid);
  for (const f of readdirSync(dataDir)) if (/^passdeck\.db|^setup-code$/.test(f)) chownSync(resolve(dataDir, f), webUser.uid, webUser.gid);
}
const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
let helper = null;
let agent = null;
let stopping = false;
if (!demo && isRoot) {
  const socket = env.PASSDECK_HELPER_SOCKET ?? "/run/passdeck/helper.sock";
  Object.assign(env, { PASSDECK_HELPER_SOCKET: socket });
  // The helper's capabilities narrowed as passdeck-helper.service narrows them (one list for both), when setpriv exists.
  const caps = Object.keys(JSON.parse(readFileSync("deploy/systemd/helper-capabilities.json", "utf8")).capabilities);
  const helperCommand = setpriv
    ? [setpriv, "--no-new-privs", "--inh-caps=-all", `--bounding-set=-all,${caps.map((c) => `+${c.slice(4).toLowerCase()}`).join(",")}`, "--", process.execPath]
    : [process.execPath];
  helper = spawn(helperCommand[0], [...helperCommand.slice(1), "dist/passdeck.mjs", "helper"], {
    stdio: "inherit",
    env: { ...env, ...(webUser ? { PASSDECK_HELPER_GROUP: String(webUser.gid) } : {}) },
  });
  helper.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`passdeck: the privileged helper exited (${signal ?? `code ${code}`}): plans cannot be applied from the browser until it runs again`);
    helper = null;
  });
  if (!(await waitForFile(socket, 30_000))) console.error(`passdeck: the helper did not open ${socket} within 30 s`);
  if (!webUser) console.warn("passdeck: the web server runs as root: set PASSDECK_WEB_USER=<user> to run it unprivileged (deploy/systemd/ does)");
}
/** A command line that runs as the web user: through setpriv (util-linux, supplementary groups cleared), else spawn's uid/gid. */
function asWebUser(argv) {
  if (!webUser) return { command: argv[0], args: argv.slice(1), options: {} };
  if (setpriv) return { command: setpriv, args: [`--reuid=${webUser.uid}`, `--regid=${webUser.gid}`, "--clear-groups", "--", ...argv], options: {} };
  return { command: argv[0], args: argv.slice(1), options: { uid: webUser.uid, gid: webUser.gid } };
}

const web = asWebUser([process.execPath, "scripts/serve.mjs"]);
const child = spawn(web.command, web.args, { stdio: "inherit", env, ...web.options });

// The probe agent measures latency in its own process (never inside the web server), restarted with backoff when it
// dies. Exit 3: another agent already serves this data directory, which is fine. PASSDECK_PROBE_AGENT=0 leaves it off.
let agentRestarts = 0;
function startAgent() {
  if (stopping || process.env.PASSDECK_PROBE_AGENT === "0") return;
  const started = Date.now();
  const run = asWebUser([process.execPath, "dist/passdeck.mjs", "probe-agent"]);
  agent = spawn(run.command, run.args, { stdio: "inherit", env, ...run.options });
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

for (const sig of ["SIGINT", "SIGTERM"])
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

/** "name" (from the passwd database) or "uid:gid". */
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

async function waitForFile(path, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
