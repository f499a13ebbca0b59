import { test } from "@playwright/test";

// Not part of the suite (it rewrites a committed file): PASSDECK_SCREENSHOT=1 npx playwright test --project=screenshot
test("README screenshot of the desktop IOMMU map", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto("/iommu?device=0000:01:00.0");
  await page.getByTestId("device-detail").waitFor();
  await page.getByTestId("device-row-0000:01:00.0").waitFor();
  await page.waitForTimeout(300); // the deep link scrolls the GPU's row into view
  await page.screenshot({ path: "public/screenshot-iommu-map.png", fullPage: false });
});
