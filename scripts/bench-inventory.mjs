// Benchmark: a full inventory scan of a generated 1,000-function host (4 PFs x 128 VFs + the rest), next to
// `lspci -D -k -nn` reading the same tree, in one run so the ratio is meaningful on a noisy shared machine.
// Usage: npm run bench  (after npm run build)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importEngine } from "./import-engine.mjs";

const runs = Number(process.env.BENCH_RUNS ?? 30);
// sysfs lives in memory: put the tree on tmpfs when there is one, so neither tool measures the disk.
const work = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "passdeck-bench-"));
try {
  /** @type {typeof import("../server/inventory/scan") & typeof import("../server/host/pci") & typeof import("../server/simulator/catalog")} */
  const engine = await importEngine("inventory-engine", [
    `export { scanInventory } from "./server/inventory/scan";`,
    `export { PciReadCache } from "./server/host/pci";`,
    `export { writeScenarioByName } from "./server/simulator/catalog";`,
  ]);
  const { scanInventory, PciReadCache, writeScenarioByName } = engine;

  const t0 = performance.now();
  const roots = writeScenarioByName("bench-1000", join(work, "host"));
  const writeMs = performance.now() - t0;

  /** @type {(xs: number[]) => number} */
  const median = (xs) => /** @type {number} */ ([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
  /** @type {(xs: number[]) => number} */
  const p90 = (xs) => /** @type {number} */ ([...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]);

  const coldStart = performance.now();
  const first = scanInventory(roots);
  const coldMs = performance.now() - coldStart; // includes parsing pci.ids once
  // Uncached: every attribute read every time (what the CLI does, one scan per process).
  const uncachedMs = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    scanInventory(roots);
    uncachedMs.push(performance.now() - s);
  }
  // Warm, as the server scans: per-device constants (IDs, class, names, max link) cached by kernfs identity;
  // driver, override, current link, reset methods and SR-IOV state re-read every time.
  const cache = new PciReadCache();
  scanInventory({ ...roots, cache });
  const scanMs = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    scanInventory({ ...roots, cache });
    scanMs.push(performance.now() - s);
  }

  const lspciArgs = ["-D", "-k", "-nn", "-O", `sysfs.path=${roots.sysRoot}/bus/pci`];
  execFileSync("lspci", lspciArgs, { stdio: ["ignore", "ignore", "ignore"] });
  const lspciMs = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    execFileSync("lspci", lspciArgs, { stdio: ["ignore", "ignore", "ignore"] });
    lspciMs.push(performance.now() - s);
  }
  const lspciLines = execFileSync("lspci", lspciArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
    .split("\n")
    .filter((l) => /^[0-9a-f]{4}:/.test(l)).length;

  const result = {
    functions: first.devices.length,
    groups: first.groups.length,
    lspciFunctions: lspciLines,
    scenarioWriteMs: +writeMs.toFixed(1),
    scanColdMs: +coldMs.toFixed(1),
    scanUncachedMedianMs: +median(uncachedMs).toFixed(1),
    scanWarmMedianMs: +median(scanMs).toFixed(1),
    scanWarmP90Ms: +p90(scanMs).toFixed(1),
    lspciMedianMs: +median(lspciMs).toFixed(1),
    ratioScanToLspci: +(median(scanMs) / median(lspciMs)).toFixed(2),
    ratioUncachedToLspci: +(median(uncachedMs) / median(lspciMs)).toFixed(2),
    heapUsedMiB: +(process.memoryUsage().heapUsed / 1048576).toFixed(1),
    runs,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `inventory scan of ${result.functions} functions: ${result.scanWarmMedianMs} ms warm (median of ${runs}; ${result.scanUncachedMedianMs} ms uncached), lspci -D -k -nn: ${result.lspciMedianMs} ms, ratio ${result.ratioScanToLspci}x (${result.ratioUncachedToLspci}x uncached)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
