import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL("./", import.meta.url)) } },
  test: {
    include: ["server/**/*.test.ts", "lib/**/*.test.ts", "components/**/*.test.ts", "scripts/**/*.test.ts", "cli/**/*.test.ts", "e2e/kernel/watchdog.test.ts"],
    environment: "node",
    testTimeout: 20_000,
    // Removing a 1,000-function tree in afterAll takes seconds on a loaded machine.
    hookTimeout: 60_000,
  },
});
