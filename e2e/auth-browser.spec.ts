/**
 * Sign-in in the browser, on a demo server whose data directory starts empty: first-run setup with the code from
 * the host, sign out and in, and what a viewer is offered. The tests run in order, as a first install would.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { journalDir } from "./journal-dir";

const DATA = journalDir("auth");
const ADMIN = { name: "root-admin", password: "first admin password" };
const VIEWER = { name: "vera", password: "viewer password, twelve+" };
const PF = "0000:18:00.1";

const cli = (args: string[], input?: string) =>
  execFileSync(process.execPath, ["dist/passdeck.mjs", ...args], { input, encoding: "utf8", env: { ...process.env, PASSDECK_DATA_DIR: DATA } });

test.describe.configure({ mode: "serial" });

test("first run: a page sends the browser to sign in, which offers setup; the code from the host makes the admin", async ({ page }) => {
  await page.goto("/iommu");
  await expect(page).toHaveURL(/\/login\?next=%2Fiommu$/);
  await page.getByRole("link", { name: "Create the admin account" }).click();
  await expect(page).toHaveURL(/\/setup$/);

  const form = page.getByRole("form", { name: "First-run setup" });
  await form.getByLabel("Setup code").fill("AAAA-BBBB-CCCC");
  await form.getByLabel("User name").fill(ADMIN.name);
  await form.getByLabel(/^Password \(at least 12/).fill(ADMIN.password);
  await form.getByLabel("Password again").fill(ADMIN.password);
  await form.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(page.getByTestId("setup-error")).toContainText("wrong setup code");

  const code = readFileSync(join(DATA, "web", "setup-code"), "utf8").trim();
  expect(cli(["setup-code"]).trim()).toBe(code);
  await form.getByLabel("Setup code").fill(code.toLowerCase());
  await form.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("signed-in-user")).toHaveText(ADMIN.name);
  await expect(page.getByTestId("signed-in-role")).toHaveText("admin");
  await expect(page.getByTestId("host-name")).not.toBeEmpty();
  expect(existsSync(join(DATA, "web", "setup-code"))).toBe(false);

  // the admin sees the audit trail on the journal page, newest first, and can export it
  await page.goto("/journal");
  await expect(page.getByTestId("audit-row").first()).toHaveAttribute("data-action", "login");
  await expect(page.getByTestId("audit-row").nth(1)).toContainText(`setup${ADMIN.name}127.0.0.1first admin created from the browser`);
  const csv = await page.request.get((await page.getByTestId("audit-export").getAttribute("href"))!);
  expect(csv.headers()["content-type"]).toBe("text/csv; charset=utf-8");
  expect((await csv.text()).split("\r\n")[0]).toBe("id,time,action,actor,source,detail,peer");

  const cookie = (await page.context().cookies()).find((c) => c.name === "passdeck_session")!;
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false, path: "/" });
  const audit = JSON.parse(cli(["audit", "--json"])) as { action: string; actor: string | null; source: string }[];
  expect(audit.map((e) => [e.action, e.actor, e.source]).reverse()).toEqual([
    ["login-failed", null, "127.0.0.1"],
    ["setup", ADMIN.name, "127.0.0.1"],
    ["login", ADMIN.name, "127.0.0.1"],
  ]);
});

test("sign out ends the session on the server; signing in again returns to the page asked for", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("User name").fill(ADMIN.name);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-user")).toHaveText(ADMIN.name);
  const before = (await page.context().cookies()).find((c) => c.name === "passdeck_session")!.value;

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  // The old cookie opens nothing any more, even sent by hand.
  const res = await page.request.get("/api/trpc/host.summary", { headers: { cookie: `passdeck_session=${before}` } });
  expect(res.status()).toBe(401);

  await page.goto("/wizard");
  await expect(page).toHaveURL(/\/login\?next=%2Fwizard$/);
  await page.getByLabel("User name").fill(ADMIN.name);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("sign-in-error")).toHaveText("wrong user name or password");
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/wizard$/);
  await expect(page.getByRole("button", { name: `Choose ${PF}` })).toBeVisible();
});

test("a viewer reviews a plan but is offered no Apply, and no latency controls", async ({ page }) => {
  expect(JSON.parse(cli(["user", "add", VIEWER.name, "--role", "viewer", "--json"], `${VIEWER.password}\n`))).toMatchObject({ role: "viewer" });
  await page.goto("/login?next=/wizard");
  await page.getByLabel("User name").fill(VIEWER.name);
  await page.getByLabel("Password").fill(VIEWER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-role")).toHaveText("viewer");

  await page.getByRole("button", { name: `Choose ${PF}` }).click();
  await page.getByLabel("Number of VFs (0 removes them)").fill("2");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Review the plan" }).click();
  await expect(page.getByTestId("plan-steps").locator("code").first()).toHaveText(`echo 2 > bus/pci/devices/${PF}/sriov_numvfs`);
  await expect(page.getByTestId("cannot-apply")).toContainText("vera signed in as a viewer, who may review plans; an admin applies them");
  await expect(page.getByRole("button", { name: "Apply" })).toHaveCount(0);

  await page.goto("/journal");
  await expect(page.getByRole("heading", { name: "Journal" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Audit trail" })).toHaveCount(0);

  await page.goto("/latency");
  await expect(page.getByRole("heading", { name: "Targets", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Changes in this range" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Add target" })).toHaveCount(0);
  await expect(page.getByRole("form", { name: "Add note" })).toHaveCount(0);
});
