/** The IOMMU map's first screen, cut on the server, against the map the browser builds from the whole inventory. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeScenarioByName } from "@/server/simulator/catalog";
import type { Inventory } from "@/server/host/types";
import { scanInventory } from "@/server/inventory/scan";
import { applyMatcher, buildIndex, filterCounts, FIRST_SCREEN_ITEMS, firstScreen, firstScreenIndex, ROLLUP_OPEN_MAX, verdictCounts } from "@/lib/iommu-map";

const work = mkdtempSync(join(tmpdir(), "passdeck-map-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const scan = (name: string): Inventory => scanInventory({ ...writeScenarioByName(name, join(work, name)), demo: name });

describe.each(["bench-1000", "server", "desktop"])("first screen of %s", (name) => {
  const inv = scan(name);
  const full = buildIndex(inv.groups, inv.devices);
  const first = firstScreen(inv.groups, inv.devices);

  it("has the totals and counts of the whole map", () => {
    expect(first.groupCount).toBe(inv.groups.length);
    expect(first.deviceCount).toBe(inv.devices.length);
    expect(first.verdictCounts).toEqual(verdictCounts(inv.groups));
    expect(first.filterCounts).toEqual(filterCounts(full, inv.groups));
  });

  it("has the map's first entries, in order", () => {
    expect(first.items).toEqual(full.items.slice(0, FIRST_SCREEN_ITEMS));
  });

  it("has every device its entries show, and no other", () => {
    const shown = new Set<string>();
    for (const item of first.items) {
      if (item.kind === "group") item.group.devices.forEach((a) => shown.add(a));
      else {
        shown.add(item.pf);
        if (item.groups.length <= ROLLUP_OPEN_MAX) item.groups.forEach((g) => shown.add(g.devices[0]!));
      }
    }
    expect(new Set(first.devices.map((d) => d.address))).toEqual(shown);
    // the same objects as the inventory's, in its order
    expect(first.devices).toEqual(inv.devices.filter((d) => shown.has(d.address)));
  });

  it("indexes its entries as the whole map does", () => {
    const index = firstScreenIndex(first);
    expect(applyMatcher(index, null).items.map((i) => i.item)).toEqual(full.items.slice(0, FIRST_SCREEN_ITEMS));
    for (const d of first.devices) {
      expect(index.byAddress.get(d.address)).toBe(d);
      expect(index.haystack.get(d.address)).toBe(full.haystack.get(d.address));
    }
    for (const item of first.items)
      for (const g of item.kind === "group" ? [item.group] : item.groups) expect(index.groupById.get(g.id)).toBe(full.groupById.get(g.id));
    expect(index.ungrouped).toEqual([]);
  });
});

describe("first screen at 1,000 functions", () => {
  it("is a small part of the inventory", () => {
    const inv = scan("bench-1000");
    const size = (v: unknown) => JSON.stringify(v).length;
    const first = firstScreen(inv.groups, inv.devices);
    expect(size(first)).toBeLessThan(size({ groups: inv.groups, devices: inv.devices }) / 10);
  });
});
