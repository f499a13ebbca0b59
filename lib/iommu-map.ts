import type { GroupVerdictKind, IommuGroup, PciDevice } from "@/server/host/types";

export type FilterId = "gpu" | "nic" | "storage" | "usb" | "sriov";

export const FILTERS: { id: FilterId; label: string; hint: string; test: (d: PciDevice) => boolean }[] = [
  { id: "gpu", label: "GPU", hint: "display controllers, class 03", test: (d) => d.classId.startsWith("03") },
  { id: "nic", label: "NIC", hint: "network controllers, class 02", test: (d) => d.classId.startsWith("02") },
  { id: "storage", label: "Storage", hint: "mass storage controllers, class 01", test: (d) => d.classId.startsWith("01") },
  { id: "usb", label: "USB controller", hint: "USB controllers, class 0c03", test: (d) => d.classId.startsWith("0c03") },
  { id: "sriov", label: "SR-IOV capable", hint: "physical functions with sriov_totalvfs", test: (d) => d.sriov !== null },
];

/** One entry of the map: a group card, or the single-VF groups of one PF folded into one row. */
export type MapItem = { kind: "group"; key: string; group: IommuGroup } | { kind: "vf-rollup"; key: string; pf: string; groups: IommuGroup[] };

export interface MapIndex {
  byAddress: Map<string, PciDevice>;
  groupById: Map<number, IommuGroup>;
  items: MapItem[];
  /** devices with no iommu_group link although the IOMMU is on */
  ungrouped: PciDevice[];
  /** lowercase text searched per device: address, names, IDs, driver, interfaces */
  haystack: Map<string, string>;
}

/** A group that is exactly one VF, alone and isolated: the ones that fold into their PF's row. */
function soloVfOf(group: IommuGroup, byAddress: Map<string, PciDevice>): string | null {
  if (group.devices.length !== 1 || group.verdict !== "isolated") return null;
  const d = byAddress.get(group.devices[0]!);
  return d?.physfn ?? null;
}

/** The lowercase text searched per device: address, names, IDs, driver, interfaces. */
export function haystackOf(devices: PciDevice[]): Map<string, string> {
  const haystack = new Map<string, string>();
  for (const d of devices) {
    haystack.set(
      d.address,
      [
        d.address,
        d.address.slice(5),
        d.vendorName,
        d.deviceName,
        d.subsystemName,
        d.className,
        `${d.vendorId}:${d.deviceId}`,
        d.driver,
        d.driverOverride,
        ...d.netdevs.map((n) => n.name),
        ...d.blockDevices.map((b) => b.name),
      ]
        .filter(Boolean)
        .join(" \u0000 ")
        .toLowerCase(),
    );
  }
  return haystack;
}

export function buildIndex(groups: IommuGroup[], devices: PciDevice[]): MapIndex {
  const byAddress = new Map(devices.map((d) => [d.address, d]));
  const groupById = new Map(groups.map((g) => [g.id, g]));
  const haystack = haystackOf(devices);

  const solo = new Map<string, IommuGroup[]>();
  for (const g of groups) {
    const pf = soloVfOf(g, byAddress);
    if (pf) solo.set(pf, [...(solo.get(pf) ?? []), g]);
  }
  // Each folded row goes right after its PF's group (or where its first VF group would be when the PF has none).
  const folded = new Map([...solo].filter(([, bucket]) => bucket.length >= 2));
  const rollup = (pf: string): MapItem => ({ kind: "vf-rollup", key: `vfs-${pf}`, pf, groups: folded.get(pf)! });
  const pfGroup = new Map<string, number>();
  for (const pf of folded.keys()) {
    const g = byAddress.get(pf)?.iommuGroup;
    if (g != null && groupById.has(g)) pfGroup.set(pf, g);
  }
  const items: MapItem[] = [];
  const placed = new Set<string>();
  for (const g of groups) {
    const pf = soloVfOf(g, byAddress);
    if (pf && folded.has(pf)) {
      if (!placed.has(pf) && !pfGroup.has(pf)) {
        placed.add(pf);
        items.push(rollup(pf));
      }
      continue;
    }
    items.push({ kind: "group", key: `g-${g.id}`, group: g });
    for (const member of g.devices) {
      if (folded.has(member) && pfGroup.get(member) === g.id && !placed.has(member)) {
        placed.add(member);
        items.push(rollup(member));
      }
    }
  }
  const ungrouped = devices.filter((d) => d.iommuGroup === null);
  return { byAddress, groupById, items, ungrouped, haystack };
}

export type Matcher = (d: PciDevice) => boolean;

/** Class filters are OR'ed with each other and AND'ed with the search words; null when nothing narrows. */
export function makeMatcher(filters: ReadonlySet<FilterId>, query: string, haystack: Map<string, string>): Matcher | null {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const active = FILTERS.filter((f) => filters.has(f.id));
  if (words.length === 0 && active.length === 0) return null;
  return (d) => {
    if (active.length > 0 && !active.some((f) => f.test(d))) return false;
    if (words.length === 0) return true;
    const text = haystack.get(d.address) ?? "";
    return words.every((w) => text.includes(w));
  };
}

export interface FilteredItem {
  item: MapItem;
  /** matching member addresses joined by spaces ("" when nothing narrows): a primitive, so memoised cards skip re-rendering */
  matched: string;
  /** how many groups of this item are shown */
  shownGroups: number;
}

export function applyMatcher(index: MapIndex, matcher: Matcher | null): { items: FilteredItem[]; shownGroups: number } {
  const out: FilteredItem[] = [];
  let shownGroups = 0;
  for (const item of index.items) {
    const groups = item.kind === "group" ? [item.group] : item.groups;
    if (!matcher) {
      out.push({ item, matched: "", shownGroups: groups.length });
      shownGroups += groups.length;
      continue;
    }
    const hits: string[] = [];
    let n = 0;
    for (const g of groups) {
      let any = false;
      for (const a of g.devices) {
        const d = index.byAddress.get(a);
        if (d && matcher(d)) {
          hits.push(a);
          any = true;
        }
      }
      if (any) n += 1;
    }
    if (n > 0) {
      out.push({ item, matched: hits.join(" "), shownGroups: n });
      shownGroups += n;
    }
  }
  return { items: out, shownGroups };
}

/** How many groups each filter alone would leave, for the counts on the filter buttons. */
export function filterCounts(index: MapIndex, groups: IommuGroup[]): Record<FilterId, number> {
  const counts = { gpu: 0, nic: 0, storage: 0, usb: 0, sriov: 0 } as Record<FilterId, number>;
  for (const f of FILTERS) {
    counts[f.id] = groups.filter((g) =>
      g.devices.some((a) => {
        const d = index.byAddress.get(a);
        return d ? f.test(d) : false;
      }),
    ).length;
  }
  return counts;
}

export const VERDICT_ORDER: GroupVerdictKind[] = ["isolated", "shared", "host-critical", "pf-with-vfs"];

/** How many groups have each verdict, for the legend. */
export function verdictCounts(groups: IommuGroup[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const g of groups) c[g.verdict] = (c[g.verdict] ?? 0) + 1;
  return c;
}

/** A folded row with this many VF groups or fewer starts open, so its VF rows are on the first screen. */
export const ROLLUP_OPEN_MAX = 8;

/**
 * How many map entries the server renders and the browser paints first: more than a tall screen shows, few enough that
 * the markup and the data handed over stay small. The rest follow right after hydration.
 */
export const FIRST_SCREEN_ITEMS = 12;

/**
 * The map's first screen, cut on the server from the whole inventory: its first entries with the devices they show,
 * and the totals the header and the filters need. At 1,000 functions the inventory is megabytes, too much to hand
 * the page with its markup; this is what the first paint needs, and the browser fetches the rest right after.
 */
export interface MapFirstScreen {
  groupCount: number;
  deviceCount: number;
  verdictCounts: Record<string, number>;
  filterCounts: Record<FilterId, number>;
  /** the map's first entries, in order */
  items: MapItem[];
  /** the devices those entries show (members of the cards, the folded rows' PFs and open rows' VFs) */
  devices: PciDevice[];
}

export function firstScreen(groups: IommuGroup[], devices: PciDevice[], limit = FIRST_SCREEN_ITEMS): MapFirstScreen {
  const index = buildIndex(groups, devices);
  const items = index.items.slice(0, limit);
  const shown = new Set<string>();
  for (const item of items) {
    if (item.kind === "group") for (const a of item.group.devices) shown.add(a);
    else {
      shown.add(item.pf);
      if (item.groups.length <= ROLLUP_OPEN_MAX) for (const g of item.groups) for (const a of g.devices) shown.add(a);
    }
  }
  return {
    groupCount: groups.length,
    deviceCount: devices.length,
    verdictCounts: verdictCounts(groups),
    filterCounts: filterCounts(index, groups),
    items,
    devices: devices.filter((d) => shown.has(d.address)),
  };
}

/** The index over a first screen's entries only: enough to render them; searching and filtering wait for the rest. */
export function firstScreenIndex(first: Pick<MapFirstScreen, "items" | "devices">): MapIndex {
  const groupById = new Map<number, IommuGroup>();
  for (const item of first.items) for (const g of item.kind === "group" ? [item.group] : item.groups) groupById.set(g.id, g);
  return {
    byAddress: new Map(first.devices.map((d) => [d.address, d])),
    groupById,
    items: first.items,
    ungrouped: [],
    haystack: haystackOf(first.devices),
  };
}
