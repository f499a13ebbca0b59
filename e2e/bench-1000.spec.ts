import { expect, test } from "@playwright/test";
import { expectedInventory } from "./fixtures";

// 1,000 PCI functions: 4 PFs × 128 VFs, each VF in its own group. The map must stay usable.
const SCENARIO = "bench-1000";

test.describe("bench-1000 scenario", () => {
  test("renders 1,000 functions with the VF groups folded per PF, and reports the time to the first group card", async ({ page }, testInfo) => {
    const inv = expectedInventory(SCENARIO);
    expect(inv.devices).toHaveLength(1000);

    const start = Date.now();
    await page.goto("/iommu");
    await page.locator('[data-testid^="group-card-"]').first().waitFor({ state: "visible" });
    const firstCardMs = Date.now() - start;
    const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
    const line = `bench-1000: first group card visible ${firstCardMs} ms after navigation (first contentful paint ${fcp === null ? "n/a" : `${Math.round(fcp)} ms`})`;
    console.log(line);
    testInfo.annotations.push({ type: "timing", description: line });

    await expect(page.getByTestId("map-stats")).toContainText("1,000 PCI functions");
    await expect(page.getByTestId("group-count")).toHaveText(`${inv.groups.length.toLocaleString("en-US")} IOMMU groups`);

    // Every PF whose VFs sit in groups of their own gets one folded row instead of 128 cards.
    const byAddr = new Map(inv.devices.map((d) => [d.address, d]));
    const soloVfGroups = inv.groups.filter((g) => g.devices.length === 1 && g.verdict === "isolated" && byAddr.get(g.devices[0]!)!.physfn);
    const perPf = new Map<string, number>();
    for (const g of soloVfGroups) {
      const pf = byAddr.get(g.devices[0]!)!.physfn!;
      perPf.set(pf, (perPf.get(pf) ?? 0) + 1);
    }
    expect(perPf.size).toBe(4);
    const rollups = page.locator('[data-testid^="vf-rollup-"]:not([data-testid^="vf-rollup-label"])');
    await expect(rollups).toHaveCount(perPf.size);
    for (const [pf, n] of perPf) {
      const rollup = page.getByTestId(`vf-rollup-${pf}`);
      await expect(rollup.getByTestId("vf-rollup-label")).toHaveText(`${n} VFs of ${pf}, each in its own group (isolated)`);
      await expect(rollup.getByRole("button", { expanded: false })).toBeVisible();
    }
    // Cards for everything else, none for the folded VF groups.
    await expect(page.locator('[data-testid^="group-card-"]')).toHaveCount(inv.groups.length - soloVfGroups.length);

    // Unfold one PF: its VF rows appear, each with its own group.
    const [firstPf, firstCount] = [...perPf.entries()][0]!;
    const rollup = page.getByTestId(`vf-rollup-${firstPf}`);
    await rollup.getByRole("button", { expanded: false }).click();
    await expect(rollup.locator('[data-testid^="device-row-"]')).toHaveCount(firstCount);
    const firstVf = byAddr.get(firstPf)!.sriov!.vfs[0]!;
    await expect(rollup.getByTestId(`device-row-${firstVf}`)).toContainText(String(byAddr.get(firstVf)!.iommuGroup));
  });

  test("search stays responsive at 1,000 functions", async ({ page }, testInfo) => {
    const inv = expectedInventory(SCENARIO);
    await page.goto("/iommu");
    await page.locator('[data-testid^="group-card-"]').first().waitFor();
    const pf = inv.devices.find((d) => d.sriov !== null)!;
    const vf = pf.sriov!.vfs[pf.sriov!.vfs.length - 1]!;
    const search = page.getByRole("searchbox", { name: "Search devices" });
    const start = Date.now();
    await search.pressSequentially(vf, { delay: 0 });
    await expect(page.getByTestId("result-count")).toHaveText(`Showing 1 of ${inv.groups.length.toLocaleString("en-US")} groups`);
    const ms = Date.now() - start;
    const line = `bench-1000: typing "${vf}" and getting the one matching group took ${ms} ms`;
    console.log(line);
    testInfo.annotations.push({ type: "timing", description: line });
    // The match is inside a folded PF row, which opens by itself to show just that VF.
    const rollup = page.getByTestId(`vf-rollup-${pf.address}`);
    await expect(rollup).toContainText("1 match");
    await expect(rollup.getByTestId(`device-row-${vf}`)).toBeVisible();
    await expect(rollup.locator('[data-testid^="device-row-"]')).toHaveCount(1);
  });
});
