import { expect, test } from "@playwright/test";
import { expectedInventory } from "./fixtures";

// VT-d is on in the firmware but the kernel was booted without intel_iommu=on: no groups at all.
const SCENARIO = "iommu-off";

test.describe("iommu-off scenario", () => {
  test("the map page says the IOMMU is off instead of drawing an empty map", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    expect(inv.iommu.enabled).toBe(false);
    expect(inv.groups).toHaveLength(0);
    await page.goto("/iommu");
    const off = page.getByTestId("iommu-off");
    await expect(off).toBeVisible();
    await expect(off.getByRole("heading", { name: "The IOMMU is off on this host" })).toBeVisible();
    await expect(off).toContainText(`${inv.devices.length} PCI functions`);
    await expect(page.locator('[data-testid^="group-card-"]')).toHaveCount(0);
    await expect(page.getByTestId("group-list")).toHaveCount(0);
    // The failing readiness items are right there, with their fixes.
    const failing = inv.readiness.filter((c) => c.status === "fail");
    expect(failing.map((c) => c.id)).toContain("kernel-iommu");
    for (const c of failing) await expect(off.getByTestId(`readiness-item-${c.id}`)).toHaveAttribute("data-status", "fail");
    await expect(off.getByTestId("readiness-item-kernel-iommu").getByTestId("fix")).toContainText("intel_iommu=on");
    await off.getByRole("link", { name: "Open the full readiness checklist" }).click();
    await expect(page).toHaveURL(/\/readiness$/);
  });

  test("readiness: not ready, the kernel IOMMU item fails with the intel_iommu=on fix", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const fails = inv.readiness.filter((c) => c.status === "fail").length;
    await page.goto("/readiness");
    await expect(page.getByTestId("readiness-verdict")).toContainText(`Not ready: ${fails} ${fails === 1 ? "item fails" : "items fail"}`);
    await expect(page.getByTestId("readiness-verdict")).toHaveAttribute("data-ready", "false");
    const item = page.getByTestId("readiness-item-kernel-iommu");
    await expect(item).toHaveAttribute("data-status", "fail");
    await expect(item.getByText("Fail", { exact: true })).toBeVisible();
    await expect(item.getByTestId("fix")).toContainText("intel_iommu=on");
    await expect(item.getByRole("button", { name: /Copy fix for IOMMU enabled in the kernel/ })).toBeVisible();
    // The firmware side is fine in this scenario: the fix is the kernel command line, not the BIOS.
    await expect(page.getByTestId("readiness-item-firmware-iommu")).toHaveAttribute(
      "data-status",
      inv.readiness.find((c) => c.id === "firmware-iommu")!.status,
    );
  });

  test("the overview shows the IOMMU off and links to the reason", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    await page.goto("/");
    await expect(page.getByTestId("overview-iommu-state")).toHaveText("off");
    await expect(page.getByTestId("overview-group-count")).toHaveText("0");
    await expect(page.getByTestId("overview-device-count")).toHaveText(String(inv.devices.length));
    await expect(page.getByTestId("overview-readiness-verdict")).toContainText("Not ready");
    await page.getByRole("link", { name: "Why there is no group map" }).click();
    await expect(page.getByTestId("iommu-off")).toBeVisible();
  });
});
