// Adds up the vitest and playwright JSON reports into one closing line: "tests: N passed, N failed".
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`(no report at ${file}: that runner did not finish)`);
    failed += 1;
    continue;
  }
  /**
   * A vitest JSON report (numPassedTests…) or a Playwright one (stats, errors).
   * @type {{ numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests?: number; stats?: undefined; errors?: undefined }
   *   | { numPassedTests?: undefined; stats: { expected: number; flaky?: number; unexpected: number; skipped: number }; errors?: { message?: string }[] }}
   */
  const report = JSON.parse(readFileSync(file, "utf8"));
  if (report.numPassedTests !== undefined) {
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  } else if (report.stats) {
    passed += report.stats.expected + (report.stats.flaky ?? 0);
    failed += report.stats.unexpected;
    skipped += report.stats.skipped;
    // Errors outside any test (a web server that could not start, a broken config) fail the run too.
    for (const e of report.errors ?? []) {
      console.log(`error outside the tests (${file}): ${String(e.message ?? JSON.stringify(e)).split("\n")[0]}`);
      failed += 1;
    }
  }
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
