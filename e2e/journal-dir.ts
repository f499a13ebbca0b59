import { resolve } from "node:path";

/** Where a demo server started by Playwright keeps its journal (PASSDECK_DATA_DIR); specs seed it. */
export const journalDir = (scenario: string) => resolve(".cache/e2e", `${scenario}-journal`);
