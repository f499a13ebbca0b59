/** session.me when the database cannot be opened: the signed-out learn only that; the reason goes to the log. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { writeScenarioByName } from "@/server/simulator/catalog";
import { InventoryService } from "@/server/inventory/service";
import { DATABASE_UNAVAILABLE, databaseUnavailable } from "@/server/auth/unavailable";
import { createCaller } from "../root";
import { readOnlyContext, TEST_ADMIN } from "../testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-session-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const roots = writeScenarioByName("desktop", join(work, "desktop"));
const REASON = "cannot open the Passdeck database at /var/lib/passdeck/passdeck.db: SQLITE_CANTOPEN (PASSDECK_DATA_DIR chooses the directory)";

describe("session.me without a database", () => {
  const base = readOnlyContext(new InventoryService({ ...roots, demo: "desktop" }));
  const broken = { ...base, auth: () => ({ ok: false as const, reason: REASON }) };

  it("tells a signed-out caller that the database is unavailable and to read the log, with no path, and logs the reason", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const me = await createCaller({ ...broken, caller: null }).session.me();
    expect(me).toEqual({ caller: null, needsSetup: false, unavailable: DATABASE_UNAVAILABLE, setupFromBrowser: true });
    expect(JSON.stringify(me)).not.toContain("/");
    expect(log).toHaveBeenCalledWith(`passdeck: ${REASON}`);
    log.mockRestore();
  });

  it("gives a signed-in admin the detail", async () => {
    expect((await createCaller({ ...broken, caller: TEST_ADMIN }).session.me()).unavailable).toBe(REASON);
    expect((await createCaller({ ...broken, caller: { ...TEST_ADMIN, role: "viewer" } }).session.me()).unavailable).toBe(DATABASE_UNAVAILABLE);
  });

  it("logs the same reason once a minute and a new one at most once a second, however many ask", () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const t = Date.now() + 3_600_000; // after the log lines of the tests above
    for (let i = 0; i < 1000; i++) expect(databaseUnavailable("disk gone", t + i, log)).toBe(DATABASE_UNAVAILABLE);
    databaseUnavailable("other reason", t + 1_500, log);
    databaseUnavailable("a third", t + 1_600, log);
    databaseUnavailable("disk gone", t + 61_500, log);
    expect(lines).toEqual(["passdeck: disk gone", "passdeck: other reason", "passdeck: disk gone"]);
  });
});
