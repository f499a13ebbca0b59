import { resolve } from "node:path";

/** Where a demo server started by Playwright keeps its journal (PASSDECK_DATA_DIR); specs seed it. */
export const journalDir = (project: string) => resolve(".cache/e2e", `${project}-journal`);

/** The host tree a demo server writes at start and changes through its simulated kernel (PASSDECK_DEMO_DIR). */
export const demoHostDir = (project: string) => resolve(".cache/e2e", `${project}-host`);
