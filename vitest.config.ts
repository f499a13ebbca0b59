import { accessSync, constants } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The suite writes and removes thousands of small simulated sysfs files: on a RAM filesystem that costs a third of
// the system time it costs on a journaled disk. Any tmpfs the user can write will do; else the usual temp dir.
const ramTmp = (() => {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return null;
  }
})();

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL("./", import.meta.url)) } },
  test: {
    include: ["server/**/*.test.ts", "lib/**/*.test.ts", "components/**/*.test.ts", "scripts/**/*.test.ts", "cli/**/*.test.ts", "e2e/kernel/watchdog.test.ts"],
    environment: "node",
    // Vitest's default is one worker fewer than the CPUs (one on a 2-core machine), but many files wait on a daemon,
    // a child process or the disk: one more worker than CPUs keeps both cores busy (276 s → 122 s on 2 cores).
    maxWorkers: availableParallelism() + 1,
    testTimeout: 20_000,
    // Removing a 1,000-function tree in afterAll takes seconds on a loaded machine.
    hookTimeout: 60_000,
    ...(ramTmp ? { env: { TMPDIR: ramTmp } } : {}),
  },
});
