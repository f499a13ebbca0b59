import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * The kernel rig's tests: Passdeck inside a real Linux guest (QEMU, emulated Intel IOMMU, SR-IOV igb and NVMe).
 * Run with `bash e2e/kernel/run.sh`, or `npx vitest run --config e2e/kernel/vitest.config.ts` after
 * `sudo bash e2e/kernel/setup.sh` and `npm run build`. The global setup boots the guest once (or reuses a running rig).
 */
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  resolve: { alias: { "@": fileURLToPath(new URL("../..", import.meta.url)) } },
  test: {
    include: ["e2e/kernel/**/*.test.ts"],
    // The watchdog's own logic needs no guest: it runs in the unit suite.
    exclude: [...configDefaults.exclude, "e2e/kernel/watchdog.test.ts"],
    environment: "node",
    globalSetup: ["e2e/kernel/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
