"use client";

import { memo, startTransition, useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import type { IommuGroup, PciDevice } from "@/server/host/types";
import { useDevices, useGroups, useMapFirstScreen, useSummary } from "@/components/data/queries";
import { deviceName, plural } from "@/components/data/format";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ErrorPanel, Loading } from "@/components/ui/states";
import { VERDICT, VerdictBadge } from "./badges";
import { DeviceDetail } from "./device-detail";
import { GroupCard, VfRollup } from "./group-card";
import { IommuOff } from "./iommu-off";
import {
  applyMatcher,
  buildIndex,
  filterCounts,
  FILTERS,
  FIRST_SCREEN_ITEMS,
  firstScreenIndex,
  makeMatcher,
  verdictCounts,
  VERDICT_ORDER,
  type FilterId,
  type FilteredItem,
  type MapFirstScreen,
  type MapIndex,
} from "@/lib/iommu-map";
import { PcieTree } from "./pcie-tree";
import { useSelectedDevice } from "./use-selected-device";
import type { SelectFn } from "./tree-types";

export function IommuMap() {
  const groups = useGroups();
  const devices = useDevices();
  const first = useMapFirstScreen();
  if (groups.isError) return <ErrorPanel error={groups.error} what="the IOMMU groups" />;
  if (devices.isError) return <ErrorPanel error={devices.error} what="the PCI devices" />;
  if (groups.data && devices.data) {
    if (!groups.data.iommuEnabled) return <IommuOff devices={devices.data.devices} />;
    return <MapBody groups={groups.data.groups} devices={devices.data.devices} first={null} />;
  }
  // Until the whole inventory is here, the first screen the page came with: the same MapBody, so what the user typed
  // or pressed meanwhile stays when the rest arrives.
  if (first.data) {
    if (!first.data.iommuEnabled) return <IommuOff devices={first.data.devices} />;
    return <MapBody groups={null} devices={null} first={first.data} />;
  }
  return <Loading what="the IOMMU groups" />;
}

/** False in the server's render and the hydrating one (so both show the same cards), true from just after. */
function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => {
    // the second render is the point: the first must match the server's markup
    startTransition(() => setHydrated(true));
  }, []);
  return hydrated;
}

interface MapView {
  /** false while only the first screen is here: narrowing, the tree and the detail of another device wait */
  complete: boolean;
  groupCount: number;
  deviceCount: number;
  index: MapIndex;
  counts: Record<FilterId, number>;
  verdictCounts: Record<string, number>;
  /** every device, for the PCIe tree (empty until complete) */
  devices: PciDevice[];
}

const NO_DEVICES: PciDevice[] = [];

function useMapView(groups: IommuGroup[] | null, devices: PciDevice[] | null, first: MapFirstScreen | null): MapView {
  return useMemo(() => {
    if (groups && devices) {
      const index = buildIndex(groups, devices);
      const counts = filterCounts(index, groups);
      return { complete: true, groupCount: groups.length, deviceCount: devices.length, index, counts, verdictCounts: verdictCounts(groups), devices };
    }
    const f = first!;
    return {
      complete: false,
      groupCount: f.groupCount,
      deviceCount: f.deviceCount,
      index: firstScreenIndex(f),
      counts: f.filterCounts,
      verdictCounts: f.verdictCounts,
      devices: NO_DEVICES,
    };
  }, [groups, devices, first]);
}

function MapBody({ groups, devices, first }: { groups: IommuGroup[] | null; devices: PciDevice[] | null; first: MapFirstScreen | null }) {
  const summary = useSummary();
  const hydrated = useHydrated();
  const map = useMapView(groups, devices, first);
  const { complete, index, counts } = map;

  const [view, setView] = useState<"groups" | "tree">("groups");
  const [filters, setFilters] = useState<ReadonlySet<FilterId>>(new Set());
  const [query, setQuery] = useState("");
  // Typing stays instant: the list re-filters from the deferred values, in the background.
  const deferredQuery = useDeferredValue(query);
  const deferredFilters = useDeferredValue(filters);
  const stale = query !== deferredQuery || filters !== deferredFilters;
  const matcher = useMemo(() => makeMatcher(deferredFilters, deferredQuery, index.haystack), [deferredFilters, deferredQuery, index]);
  const filtered = useMemo(() => applyMatcher(index, matcher), [index, matcher]);

  const { raw, address: selected, select, close } = useSelectedDevice();
  const selectedDevice = selected ? (index.byAddress.get(selected) ?? null) : null;
  // Only the whole inventory can say that an address is not a device on this host.
  const detailPending = selected !== null && selectedDevice === null && !complete;
  const selectedGroup = selectedDevice?.iommuGroup != null ? (index.groupById.get(selectedDevice.iommuGroup) ?? null) : null;

  useEffect(() => {
    if (!raw) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !(e.target instanceof HTMLInputElement)) close();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [raw, close]);

  // A deep link scrolls its device into view once, when every card is there.
  const scrolled = useRef(false);
  useEffect(() => {
    if (scrolled.current || !selected || !hydrated || !complete) return;
    scrolled.current = true;
    requestAnimationFrame(() => {
      document.querySelector(`[data-testid="device-row-${CSS.escape(selected)}"]`)?.scrollIntoView({ block: "center" });
    });
  }, [selected, hydrated, complete]);

  const toggleFilter = (id: FilterId) =>
    setFilters((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const narrowing = filters.size > 0 || query.trim() !== "";
  const iommu = summary.data?.facts.iommu;

  return (
    <div>
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
        <h1 className="text-xl font-semibold tracking-tight">IOMMU group map</h1>
        <p className="text-sm text-slate-600" data-testid="map-stats">
          <span data-testid="group-count">{plural(map.groupCount, "IOMMU group")}</span> · {plural(map.deviceCount, "PCI function")}
          {iommu ? ` · IOMMU on (${iommu.vendor === "amd" ? "AMD-Vi" : iommu.vendor === "intel" ? "Intel VT-d" : "vendor unknown"})` : ""}
        </p>
      </div>
      <ul aria-label="Verdicts" className="mt-2 flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-600">
        {VERDICT_ORDER.map((v) => (
          <li key={v} className="flex items-center gap-1.5">
            <VerdictBadge verdict={v} />
            <span data-testid={`verdict-count-${v}`}>{map.verdictCounts[v] ?? 0}</span>
            <span className="hidden text-slate-500 md:inline">{VERDICT[v].short}</span>
          </li>
        ))}
      </ul>

      <div className="sticky top-[var(--header-h,3rem)] z-20 -mx-4 mt-3 border-y border-slate-200 bg-slate-50 px-4 py-2">
        <div className="flex flex-wrap items-center gap-2">
          <div role="group" aria-label="View" className="flex overflow-hidden rounded-md">
            <Button size="sm" aria-pressed={view === "groups"} onClick={() => setView("groups")} className="rounded-r-none">
              Groups
            </Button>
            <Button size="sm" aria-pressed={view === "tree"} onClick={() => setView("tree")} className="-ml-px rounded-l-none">
              PCIe tree
            </Button>
          </div>
          <div role="group" aria-label="Filter by device type" className="flex flex-wrap items-center gap-1">
            {FILTERS.map((f) => (
              <Button
                key={f.id}
                size="sm"
                aria-pressed={filters.has(f.id)}
                title={`Groups with ${f.hint}`}
                onClick={() => toggleFilter(f.id)}
                data-testid={`filter-${f.id}`}
              >
                {f.label}
                <span className="rounded bg-black/10 px-1 font-mono text-[11px]">{counts[f.id]}</span>
              </Button>
            ))}
          </div>
          <label className="ml-auto flex min-w-64 flex-1 items-center gap-2 sm:max-w-sm">
            <span className="sr-only">Search devices</span>
            <input
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              placeholder="Search name, address, 10de:2484, driver…"
              aria-label="Search devices"
              className="h-8 w-full rounded-md border border-slate-300 bg-white px-2.5 text-sm placeholder:text-slate-400 focus:outline-2 focus:outline-blue-600"
            />
          </label>
        </div>
        <p className="mt-1.5 flex items-center gap-2 text-xs text-slate-600" aria-live="polite">
          <span data-testid="result-count">
            {matcher && !complete
              ? "Loading every group to search…"
              : matcher
                ? `Showing ${filtered.shownGroups} of ${plural(map.groupCount, "group")}`
                : `Showing all ${plural(map.groupCount, "group")}`}
          </span>
          {narrowing ? (
            <button
              type="button"
              className="cursor-pointer text-blue-700 underline"
              onClick={() => {
                setFilters(new Set());
                setQuery("");
              }}
            >
              Clear filters
            </button>
          ) : null}
        </p>
      </div>

      <div className="mt-3 grid items-start gap-4 lg:grid-cols-[minmax(0,1fr)_27rem]">
        <div className={cn("min-w-0 transition-opacity", stale && "opacity-70")}>
          {!complete && (matcher || view === "tree") ? (
            <Loading what="every IOMMU group" />
          ) : view === "groups" ? (
            <GroupList
              items={hydrated ? filtered.items : filtered.items.slice(0, FIRST_SCREEN_ITEMS)}
              byAddress={index.byAddress}
              selected={selected}
              onSelect={select}
            />
          ) : (
            <PcieTree devices={map.devices} groupById={index.groupById} matcher={matcher} selected={selected} onSelect={select} />
          )}
          {view === "groups" && !matcher && hydrated && index.ungrouped.length > 0 ? <Ungrouped index={index} onSelect={select} /> : null}
        </div>
        <div
          className={cn(
            "lg:sticky lg:top-[calc(var(--header-h,3rem)+5.5rem)] lg:max-h-[calc(100vh-var(--header-h,3rem)-7rem)] lg:overflow-y-auto",
            raw ? "order-first lg:order-none" : "hidden lg:block",
          )}
        >
          {detailPending ? (
            <Loading what="the device" />
          ) : raw ? (
            <DeviceDetail
              key={selected ?? raw}
              address={selected ?? raw}
              device={selectedDevice}
              group={selectedGroup}
              byAddress={index.byAddress}
              onSelect={select}
              onClose={close}
            />
          ) : (
            <div className="rounded-lg border border-dashed border-slate-300 px-4 py-6 text-sm text-slate-500">
              Select a device to see everything Passdeck read about it: IDs, driver, link, parent chain, reset, SR-IOV, interfaces and mounts.
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

const GroupList = memo(function GroupList({
  items,
  byAddress,
  selected,
  onSelect,
}: {
  items: FilteredItem[];
  byAddress: Map<string, PciDevice>;
  selected: string | null;
  onSelect: SelectFn;
}) {
  if (items.length === 0) return <p className="py-6 text-sm text-slate-500">No group has a device that matches.</p>;
  return (
    <div className="space-y-3" data-testid="group-list">
      {items.map(({ item, matched }) =>
        item.kind === "group" ? (
          <GroupCard
            key={item.key}
            group={item.group}
            byAddress={byAddress}
            selected={selected && item.group.devices.includes(selected) ? selected : null}
            matched={matched}
            onSelect={onSelect}
          />
        ) : (
          <VfRollup
            key={item.key}
            pf={item.pf}
            groups={item.groups}
            byAddress={byAddress}
            selected={selected && item.groups.some((g) => g.devices[0] === selected) ? selected : null}
            matched={matched}
            onSelect={onSelect}
          />
        ),
      )}
    </div>
  );
});

function Ungrouped({ index, onSelect }: { index: MapIndex; onSelect: SelectFn }) {
  return (
    <section aria-label="Devices in no IOMMU group" className="mt-3 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950">
      <h3 className="font-semibold">{plural(index.ungrouped.length, "device")} in no IOMMU group</h3>
      <p className="text-[13px]">They have no iommu_group link: they are not behind the IOMMU and cannot be passed through.</p>
      <ul className="mt-1">
        {index.ungrouped.map((d) => (
          <li key={d.address} data-testid={`device-row-${d.address}`}>
            <button type="button" onClick={() => onSelect(d.address)} className="cursor-pointer font-mono text-blue-800 hover:underline">
              {d.address}
            </button>{" "}
            {deviceName(d)}
          </li>
        ))}
      </ul>
    </section>
  );
}
