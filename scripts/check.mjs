// The fast loop before a commit, and the first thing the test command runs: lint, formatting, types, unit tests.
// All run side by side; each step's time is printed so a slow one is seen. Usage: npm run check [-- --unit-json <file>]
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { "unit-json": { type: "string" } } });

/**
 * Runs one command (an argument array, never a shell string) and resolves with its exit code and seconds.
 * @param {string} name
 * @param {[string, ...string[]]} argv
 * @returns {Promise<{ name: string, code: number, seconds: number }>}
 */
function run(name, argv) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: "inherit" });
    child.on("close", (code) => resolve({ name, code: code ?? 1, seconds: (performance.now() - started) / 1000 }));
    child.on("error", () => resolve({ name, code: 1, seconds: (performance.now() - started) / 1000 }));
  });
}

/** @param {string[]} args @returns {[string, ...string[]]} */
const npx = (...args) => ["npx", "--no-install", ...args];
const started = performance.now();
const unitArgs = ["vitest", "run", ...(values["unit-json"] ? ["--reporter=default", "--reporter=json", `--outputFile=${values["unit-json"]}`] : [])];
// Everything at once: the unit tests wait on libvirtd, child processes and the disk where lint and the type check
// are pure CPU, so side by side they fill both cores (one after the other left a core idle a third of the time).
const results = (
  await Promise.all([
    // caches for the developer's loop (a fresh clone, as in CI, lints and checks everything)
    run("lint", npx("eslint", "--max-warnings=0", "--cache", "--cache-strategy=content", "--cache-location=node_modules/.cache/eslint/", ".")),
    run("format", npx("prettier", "--check", "--cache", "--log-level=warn", ".")),
    run("typecheck", npx("tsc", "--noEmit", "-p", ".")),
    // the libvirt tests talk to the real daemon (idempotent: a running one is left alone)
    run("libvirtd", ["bash", "scripts/libvirtd-up.sh"]).then(async (daemon) => [daemon, await run("unit tests", npx(...unitArgs))]),
  ])
).flat();
for (const r of results) console.log(`check: ${r.name} ${r.code === 0 ? "passed" : "FAILED"} in ${r.seconds.toFixed(1)} s`);
console.log(`check: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
