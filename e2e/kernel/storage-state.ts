import { resolve } from "node:path";

/** The rig admin's signed-in browser state, written by the global setup and read by the Playwright config. */
export const RIG_STORAGE_STATE = resolve("test-results/kernel-rig-auth.json");
