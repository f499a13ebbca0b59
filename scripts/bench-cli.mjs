// Benchmark: the `passdeck` CLI as a user runs it, whole process (node start, module loading, scan, output), next to
// `lspci -D -k -nn` reading the same generated 1,000-function tree (bench-1000). The runs are interleaved (passdeck,
// lspci, passdeck --help, node alone, again…) so a noisy shared machine slows all of them alike and the ratios, taken
// in one run, stay meaningful.
// Usage: npm run bench:cli  (after npm run build:cli). BENCH_RUNS=N (default 15); BENCH_BASELINE=<another build of
// dist/passdeck.mjs, e.g. of an older commit> times that one too, interleaved, for a before/after in one run, after
// checking that both print the same inventory (byte for byte but the scan's time stamp).
/* global process, console, performance */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runs = Number(process.env.BENCH_RUNS ?? 15);
const cli = "dist/passdeck.mjs";
const baseline = process.env.BENCH_BASELINE ?? null;
for (const file of [cli, baseline]) if (file !== null && !existsSync(file)) throw new Error(`${file} is missing: run npm run build:cli first`);
// sysfs lives in memory: put the tree on tmpfs when there is one, so neither tool measures the disk.
const work = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "passdeck-bench-cli-"));

/**
 * Wall time of one whole process in ms; its output goes to /dev/null, as lspci's does.
 * @param {string} file
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 */
function timed(file, args, env = { ...process.env }) {
  const start = performance.now();
  const r = spawnSync(file, args, { env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${String(r.status)}: ${r.stderr}`);
  return ms;
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
/** @param {number} x */
const ms = (x) => +x.toFixed(1);
/** @param {number} x */
const ratio = (x) => +x.toFixed(2);

try {
  const roots = /** @type {{ sysRoot: string; procRoot: string }} */ (
    JSON.parse(execFileSync(process.execPath, [cli, "scenario-tree", "bench-1000", join(work, "host")], { encoding: "utf8" }))
  );
  const env = { ...process.env, PASSDECK_SYS_ROOT: roots.sysRoot, PASSDECK_PROC_ROOT: roots.procRoot };
  const lspciArgs = ["-D", "-k", "-nn", "-O", `sysfs.path=${roots.sysRoot}/bus/pci`];
  /** @param {string} file */
  const inventoryText = (file) => execFileSync(process.execPath, [file, "inventory", "--json"], { env, encoding: "utf8", maxBuffer: 1 << 28 });
  const text = inventoryText(cli);
  const inventory = /** @type {{ devices: unknown[] }} */ (JSON.parse(text));
  // A faster build must print the same bytes: only the scan's time stamp may differ.
  /** @param {string} t */
  const untimed = (t) => t.replace(/"scannedAt": "[^"]*"/, "");
  if (baseline !== null && untimed(inventoryText(baseline)) !== untimed(text))
    throw new Error(`${cli} and ${baseline} print different inventories of the same tree`);
  const lspciFunctions = execFileSync("lspci", lspciArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
    .split("\n")
    .filter((l) => /^[0-9a-f]{4}:/.test(l)).length;

  /** @type {Record<string, () => number>} */
  const commands = {
    inventoryJson: () => timed(process.execPath, [cli, "inventory", "--json"], env),
    lspci: () => timed("lspci", lspciArgs),
    help: () => timed(process.execPath, [cli, "--help"]),
    nodeAlone: () => timed(process.execPath, ["-e", "0"]),
  };
  if (baseline !== null) {
    commands.baselineInventoryJson = () => timed(process.execPath, [baseline, "inventory", "--json"], env);
    commands.baselineHelp = () => timed(process.execPath, [baseline, "--help"]);
  }
  /** @type {Record<string, number[]>} */
  const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const run of Object.values(commands)) run(); // warm the page cache and the tree once
  for (let i = 0; i < runs; i++) for (const [name, run] of Object.entries(commands)) samples[name]?.push(run());
  /** @param {string} name */
  const m = (name) => median(samples[name] ?? []);

  const result = {
    functions: inventory.devices.length,
    lspciFunctions,
    runs,
    inventoryJsonMedianMs: ms(m("inventoryJson")),
    lspciMedianMs: ms(m("lspci")),
    helpMedianMs: ms(m("help")),
    nodeAloneMedianMs: ms(m("nodeAlone")),
    ratioInventoryJsonToLspci: ratio(m("inventoryJson") / m("lspci")),
    ratioHelpToNodeAlone: ratio(m("help") / m("nodeAlone")),
    ...(baseline !== null
      ? {
          baseline,
          baselineOutputIdentical: true,
          baselineInventoryJsonMedianMs: ms(m("baselineInventoryJson")),
          baselineHelpMedianMs: ms(m("baselineHelp")),
          baselineRatioInventoryJsonToLspci: ratio(m("baselineInventoryJson") / m("lspci")),
        }
      : {}),
    targets: { ratioInventoryJsonToLspci: 2, helpMs: 200 },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `passdeck inventory --json (${result.functions} functions): ${result.inventoryJsonMedianMs} ms, lspci -D -k -nn: ${result.lspciMedianMs} ms, ratio ${result.ratioInventoryJsonToLspci}x; passdeck --help: ${result.helpMedianMs} ms (node alone ${result.nodeAloneMedianMs} ms); medians of ${runs}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
