/**
 * The dead-man switch in the browser, on the auth demo server (window: 8 s): taking the management NIC (eno1, in
 * bridge vmbr0) away from the host asks "keep these changes?"; a browser that goes away without answering gets the
 * plan undone by itself. (Keep changes and Undo now are proven through the API in server/helper/applier.test.ts: the
 * demo host has one NIC that carries traffic, and after the undo it is out of its bridge, as on Linux, so it no longer
 * asks for a confirmation.)
 */
import { execFileSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { demoHostDir, journalDir } from "./journal-dir";

const DATA = journalDir("auth");
const ADMIN = { name: "dee", password: "dee's password, long" };
const MGMT = "0000:18:00.0";

const cli = (args: string[], input?: string) =>
  execFileSync(process.execPath, ["dist/passdeck.mjs", ...args], { input, encoding: "utf8", env: { ...process.env, PASSDECK_DATA_DIR: DATA } });
const driverOf = (address: string) => {
  try {
    return basename(readlinkSync(join(demoHostDir("auth"), "sys/bus/pci/devices", address, "driver")));
  } catch {
    return null;
  }
};
interface JournalRow {
  id: number;
  title: string;
  actor: string;
  source: string;
  status: string;
}
const newestJournal = () => (JSON.parse(cli(["journal", "--json"])) as JournalRow[])[0]!;

test.beforeAll(() => {
  cli(["user", "add", ADMIN.name, "--role", "admin"], `${ADMIN.password}\n`);
});

async function signInAndTakeMgmt(page: Page): Promise<number> {
  await page.goto("/login?next=/wizard?mode=device");
  await page.getByLabel("User name").fill(ADMIN.name);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: `Pass through ${MGMT}` }).click();
  await page.getByLabel("Type the address to confirm a host-critical change").fill(MGMT);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("applied");
  expect(driverOf(MGMT)).toBe("vfio-pci");
  await expect(page.getByTestId("apply-needs-confirmation")).toContainText("keep it within 8 s");
  const prompt = page.getByRole("alertdialog", { name: "Keep these changes?" });
  await expect(prompt).toBeVisible();
  await expect(prompt.getByTestId("confirm-reasons")).toContainText(`unbinds the driver of ${MGMT}, which carries eno1 in vmbr0`);
  await expect(prompt.getByRole("button", { name: "Keep changes" })).toBeEnabled();
  await expect(prompt.getByRole("button", { name: "Undo now" })).toBeEnabled();
  const left = Number(await prompt.getByTestId("confirm-seconds-left").textContent());
  expect(left).toBeGreaterThan(0);
  expect(left).toBeLessThanOrEqual(8);
  return newestJournal().id;
}

test("a browser that goes away without confirming gets the plan undone when the window closes", async ({ page }) => {
  const applied = await signInAndTakeMgmt(page);
  await page.close();
  await expect.poll(() => driverOf(MGMT), { timeout: 20_000, intervals: [250] }).toBe("igb");
  expect(newestJournal()).toMatchObject({
    source: "dead-man",
    actor: "dead-man switch",
    status: "applied",
    title: `Undo #${applied} (not confirmed within 8 s of applying)`,
  });
  const audit = JSON.parse(cli(["audit", "--json"])) as { action: string; actor: string; detail: string }[];
  expect(audit[0]).toMatchObject({ action: "plan-rolled-back", actor: "dead-man switch" });
  expect(audit[1]).toMatchObject({ action: "plan-applied", actor: `${ADMIN.name} (127.0.0.1)` });
});
