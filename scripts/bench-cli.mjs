// Benchmark: the `passdeck` CLI as a user runs it, whole process (node start, module loading, scan, output), next to
// `lspci -D -k -nn` reading the same generated 1,009-function tree. The runs are interleaved (node, lspci, node,
// lspci…) so a noisy shared machine slows both alike and the ratios stay meaningful.
// Usage: npm run bench:cli  (after npm run build:cli); BENCH_RUNS=N for more runs (default 15).
/* global process, console, performance */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runs = Number(process.env.BENCH_RUNS ?? 15);
const cli = "dist/passdeck.mjs";
if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build:cli first`);
// sysfs lives in memory: put the tree on tmpfs when there is one, so neither tool measures the disk.
const work = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "passdeck-bench-cli-"));

/**
 * Wall time of one whole process in ms; its output goes to /dev/null, as lspci's does.
 * @param {string} file
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 */
function timed(file, args, env = process.env) {
  const start = performance.now();
  const r = spawnSync(file, args, { env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${String(r.status)}: ${r.stderr}`);
  return ms;
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

try {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- JSON printed by this checkout's CLI
  const roots = /** @type {{ sysRoot: string; procRoot: string }} */ (
    JSON.parse(execFileSync(process.execPath, [cli, "scenario-tree", "bench-1000", join(work, "host")], { encoding: "utf8" }))
  );
  const env = { ...process.env, PASSDECK_SYS_ROOT: roots.sysRoot, PASSDECK_PROC_ROOT: roots.procRoot };
  const lspciArgs = ["-D", "-k", "-nn", "-O", `sysfs.path=${roots.sysRoot}/bus/pci`];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- JSON printed by this checkout's CLI
  const inventory = /** @type {{ devices: unknown[] }} */ (
    JSON.parse(execFileSync(process.execPath, [cli, "inventory", "--json"], { env, encoding: "utf8", maxBuffer: 1 << 28 }))
  );
  const functions = inventory.devices.length;
  const lspciFunctions = execFileSync("lspci", lspciArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
    .split("\n")
    .filter((l) => /^[0-9a-f]{4}:/.test(l)).length;

  /** @type {Record<"inventoryJson" | "lspci" | "help" | "node", number[]>} */
  const samples = { inventoryJson: [], lspci: [], help: [], node: [] };
  for (let i = 0; i < runs; i++) {
    samples.inventoryJson.push(timed(process.execPath, [cli, "inventory", "--json"], env));
    samples.lspci.push(timed("lspci", lspciArgs));
    samples.help.push(timed(process.execPath, [cli, "--help"]));
    samples.node.push(timed(process.execPath, ["-e", "0"]));
  }
  const m = { inventoryJson: median(samples.inventoryJson), lspci: median(samples.lspci), help: median(samples.help), node: median(samples.node) };
  const result = {
    functions,
    lspciFunctions,
    runs,
    inventoryJsonMedianMs: +m.inventoryJson.toFixed(1),
    lspciMedianMs: +m.lspci.toFixed(1),
    helpMedianMs: +m.help.toFixed(1),
    nodeAloneMedianMs: +m.node.toFixed(1),
    ratioInventoryJsonToLspci: +(m.inventoryJson / m.lspci).toFixed(2),
    ratioHelpToNodeAlone: +(m.help / m.node).toFixed(2),
    targets: { inventoryJsonToLspci: 2, helpMs: 200 },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `passdeck inventory --json (${functions} functions): ${result.inventoryJsonMedianMs} ms, lspci -D -k -nn: ${result.lspciMedianMs} ms, ratio ${result.ratioInventoryJsonToLspci}x; passdeck --help: ${result.helpMedianMs} ms (node alone ${result.nodeAloneMedianMs} ms); medians of ${runs}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
