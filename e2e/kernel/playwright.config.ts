import { defineConfig } from "@playwright/test";
import { debianChromium } from "../chromium";
import { rigPorts } from "./rig.mjs";
import { RIG_STORAGE_STATE } from "./storage-state";

/**
 * The IOMMU map served from inside the kernel rig's guest, through the forwarded port.
 * `npx playwright test --config e2e/kernel/playwright.config.ts` (run.sh does it); the global setup boots the guest
 * unless a rig is already running, and then stops it at the end.
 */

export default defineConfig({
  testDir: ".",
  testMatch: "rig-*.spec.ts",
  globalSetup: "./global-setup.ts",
  forbidOnly: true,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // The guest runs under TCG: pages render more slowly than on the host.
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [["list"]],
  outputDir: "../../test-results/kernel-rig",
  use: {
    baseURL: `http://127.0.0.1:${rigPorts().server}`,
    storageState: RIG_STORAGE_STATE,
    ...debianChromium,
    trace: "off",
    screenshot: "only-on-failure",
    viewport: { width: 1440, height: 900 },
    navigationTimeout: 90_000,
  },
});
