/**
 * Before the specs: each server gets an admin (made with the CLI, the password on standard input, as a scripted
 * install would) and the browser state with its session cookie is saved for the project's specs.
 */
import { execFileSync } from "node:child_process";
import { request, test as setup, expect } from "@playwright/test";
import { SIGNED_IN } from "../playwright.config";
import { authStateFile, E2E_ADMIN, journalDir } from "./journal-dir";

// Each sign-in is its own server's: both workers take them.
setup.describe.configure({ mode: "parallel" });

for (const { project, port } of SIGNED_IN) {
  setup(`sign in to the ${project} server`, async () => {
    const out = execFileSync(process.execPath, ["dist/passdeck.mjs", "user", "add", E2E_ADMIN.name, "--role", "admin", "--json"], {
      input: `${E2E_ADMIN.password}\n`,
      encoding: "utf8",
      env: { ...process.env, PASSDECK_DATA_DIR: journalDir(project) },
    });
    expect(JSON.parse(out)).toMatchObject({ name: E2E_ADMIN.name, role: "admin" });
    const base = `http://127.0.0.1:${port}`;
    const context = await request.newContext({ baseURL: base });
    const res = await context.post("/api/auth/login", { data: { name: E2E_ADMIN.name, password: E2E_ADMIN.password }, headers: { origin: base } });
    expect(res.status(), await res.text()).toBe(200);
    await context.storageState({ path: authStateFile(project) });
    await context.dispose();
  });
}
