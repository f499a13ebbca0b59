/**
 * The dashboard on the machine running the tests, with no demo tree: `npm start` must work on a real host,
 * with or without an IOMMU, and show that host's own devices and readiness verdict (the same as the CLI reads).
 */
import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import type { CliInventory } from "./fixtures";

const { PASSDECK_DEMO: _demo, PASSDECK_SYS_ROOT: _sys, PASSDECK_PROC_ROOT: _proc, ...hostEnv } = process.env;
const inv = JSON.parse(execFileSync(process.execPath, ["dist/passdeck.mjs", "inventory", "--json"], { encoding: "utf8", env: hostEnv })) as CliInventory;
const failing = inv.readiness.filter((c) => c.status === "fail");

test("the overview shows this host's device count and readiness verdict, with no demo banner", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByText(String(inv.devices.length), { exact: true }).first()).toBeVisible();
  await expect(page.getByTestId("demo-banner")).toHaveCount(0);
  await page.goto("/readiness");
  await expect(page.getByTestId("readiness-verdict")).toContainText(failing.length === 0 ? "Ready for passthrough" : `Not ready: ${failing.length} item`);
  for (const c of inv.readiness) await expect(page.getByTestId(`readiness-item-${c.id}`)).toContainText(c.title);
});

test("the map page lists every real PCI function with its driver and host-critical marks", async ({ page }) => {
  await page.goto("/iommu");
  // Which page a host gets depends on its IOMMU; both are checked against the CLI's reading of the same host.
  if (inv.iommu.enabled) await expect(page.locator('[data-testid^="group-card-"]')).toHaveCount(inv.groups.length);
  else await expect(page.getByTestId("iommu-off")).toBeVisible();
  for (const d of inv.devices) {
    const row = page.getByTestId(`device-row-${d.address}`);
    await expect(row).toBeVisible();
    await expect(row).toContainText(`${d.vendorId}:${d.deviceId}`);
    await expect(row).toContainText(d.driver ?? "no driver");
    await expect(row.getByTestId("host-critical-badge")).toHaveCount(d.hostCritical.length > 0 ? 1 : 0);
  }
  const critical = inv.devices.find((d) => d.hostCritical.some((r) => r.includes("default route")));
  expect(critical, "the machine running the tests has a default route through a PCI NIC").toBeDefined();
  await page.goto(`/iommu?device=${critical!.address}`);
  await expect(page.getByTestId("device-detail")).toContainText(critical!.hostCritical[0]!);
});
