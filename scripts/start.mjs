// Starts the production server: on the real host by default, or on a generated demo host with --demo [scenario].
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
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

// Whoever reaches the port must sign in. Beyond loopback only once an admin exists: an unclaimed server on the LAN
// could be claimed by anyone. On loopback the first-run page asks for the one-time code printed here.
const loopback = ["127.0.0.1", "localhost", "::1"].includes(host);
const setup = JSON.parse(execFileSync(process.execPath, ["dist/passdeck.mjs", "setup-code", "--json"], { encoding: "utf8", env }));
if (setup.needsSetup && !loopback) {
  console.error(
    `passdeck: refusing to serve on ${host}: there is no admin account yet, and anyone on the network could claim it.\n` +
      "  Create one on the host first:  passdeck user add <name> --role admin   (the password on standard input)\n" +
      "  or start on 127.0.0.1 and finish the first-run setup in the browser.",
  );
  process.exit(2);
}
const scheme = env.PASSDECK_TLS ? "https" : "http";
const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
if (setup.needsSetup) console.log(`passdeck: first run: open ${url}/setup and enter the setup code ${setup.code} (passdeck setup-code prints it again)`);
const child = spawn(process.execPath, ["scripts/serve.mjs"], { stdio: "inherit", env });

// The probe agent measures latency in its own process (never inside the web server), restarted with backoff when it
// dies. Exit 3: another agent already serves this data directory, which is fine. PASSDECK_PROBE_AGENT=0 leaves it off.
let agent = null;
let stopping = false;
let agentRestarts = 0;
function startAgent() {
  if (stopping || process.env.PASSDECK_PROBE_AGENT === "0") return;
  const started = Date.now();
  agent = spawn(process.execPath, ["dist/passdeck.mjs", "probe-agent"], { stdio: "inherit", env });
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
  });
child.on("exit", (code, signal) => {
  stopping = true;
  agent?.kill("SIGTERM");
  process.exit(code ?? (signal ? 1 : 0));
});
