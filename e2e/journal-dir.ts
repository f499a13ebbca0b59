import { accessSync, constants, rmSync } from "node:fs";
import { resolve } from "node:path";

// One data directory per test run, so a demo server's journal and desired state never carry over from an earlier
// run (its host tree is written fresh at every start). The runner's main process picks it; workers inherit the env.
if (!process.env.PASSDECK_E2E_RUN) {
  rmSync(resolve(".cache/e2e/runs"), { recursive: true, force: true });
  process.env.PASSDECK_E2E_RUN = String(Date.now());
}
const runDir = resolve(".cache/e2e/runs", process.env.PASSDECK_E2E_RUN);

/** Where generated host trees go: a RAM filesystem where there is one, else .cache/e2e. */
export const hostTreesDir = (() => {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm/passdeck-e2e";
  } catch {
    return ".cache/e2e";
  }
})();

/** Where a demo server started by Playwright keeps its journal and desired state (PASSDECK_DATA_DIR); specs seed it. */
export const journalDir = (project: string) => resolve(runDir, `${project}-data`);

/**
 * The host tree a demo server writes at start and changes through its simulated kernel (PASSDECK_DEMO_DIR): on a RAM
 * filesystem where there is one (1,000 functions are tens of thousands of small files), else under .cache/e2e.
 */
export const demoHostDir = (project: string) => resolve(hostTreesDir, `${project}-host`);

/** The signed-in browser state (the session cookie) the sign-in setup project saves for a project's server. */
export const authStateFile = (project: string) => resolve(runDir, `${project}-auth.json`);

/** The admin every demo server gets before its specs run (e2e/sign-in.setup.ts); the auth specs make their own. */
export const E2E_ADMIN = { name: "e2e-admin", password: "e2e admin password, long enough" } as const;
