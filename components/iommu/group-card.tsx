"use client";

import { memo, useState } from "react";
import type { IommuGroup, PciDevice } from "@/server/host/types";
import { deviceName, pciIds, plural } from "@/components/data/format";
import { cn } from "@/components/ui/cn";
import { ChevronIcon } from "@/components/ui/icons";
import { describeHold, isHeld } from "@/lib/holds";
import { ROLLUP_OPEN_MAX } from "@/lib/iommu-map";
import { BridgeBadge, HeldBadge, HostCriticalBadge, HostNoticeBadge, SriovBadge, VERDICT, VerdictBadge, VfBadge } from "./badges";

import type { SelectFn } from "./tree-types";

interface MemberRowProps {
  device: PciDevice;
  selected: boolean;
  matched: boolean;
  dimmed: boolean;
  onSelect: SelectFn;
}

export function MemberRow({ device: d, selected, matched, dimmed, onSelect }: MemberRowProps) {
  const critical = d.hostCritical.length > 0;
  const notices = d.hostNotices;
  const held = isHeld(d.hold);
  return (
    <li
      data-testid={`device-row-${d.address}`}
      data-selected={selected || undefined}
      onClick={() => onSelect(d.address)}
      className={cn(
        "grid cursor-pointer grid-cols-[8.5rem_minmax(0,1fr)] gap-x-3 gap-y-0.5 border-t border-slate-100 px-4 py-2 first:border-t-0 md:grid-cols-[8.5rem_minmax(0,1fr)_5.5rem_8rem]",
        selected ? "bg-blue-50 outline-2 -outline-offset-2 outline-blue-500" : "hover:bg-slate-50",
        dimmed && !selected && "opacity-55",
        matched && "bg-yellow-50",
      )}
    >
      <button
        type="button"
        onClick={(e) => {
          e.stopPropagation();
          onSelect(d.address);
        }}
        aria-label={`Details of ${d.address}`}
        aria-current={selected ? "true" : undefined}
        className="cursor-pointer self-start text-left font-mono text-[13px] font-medium text-blue-800 underline-offset-2 hover:underline"
      >
        {d.address}
      </button>
      <div className="min-w-0">
        <div className="truncate text-[13px] font-medium text-slate-900" title={deviceName(d)}>
          {deviceName(d)}
        </div>
        <div className="flex flex-wrap items-center gap-x-2 gap-y-0.5 text-xs text-slate-500">
          <span>
            {d.className ?? "unknown class"} <span className="font-mono">[{d.classId.slice(0, 4)}]</span>
          </span>
          <BridgeBadge device={d} />
        </div>
        {d.sriov || d.physfn || critical || notices.length > 0 || held ? (
          <div className="mt-1 flex flex-wrap items-center gap-1">
            {d.sriov ? <SriovBadge sriov={d.sriov} /> : null}
            {d.physfn ? <VfBadge device={d} /> : null}
            {critical ? <HostCriticalBadge reasons={d.hostCritical} /> : notices.length > 0 ? <HostNoticeBadge notices={notices} /> : null}
            {held ? <HeldBadge hold={d.hold!} /> : null}
          </div>
        ) : null}
        {held ? (
          <p className="mt-1 text-xs text-sky-900" data-testid="hold-line">
            In use now: {describeHold(d.hold!)}
          </p>
        ) : null}
        {critical ? (
          <ul className="mt-1 space-y-0.5 text-xs text-red-800" aria-label={`Why the host needs ${d.address}`}>
            {d.hostCritical.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        ) : null}
        {notices.length > 0 ? (
          <ul className="mt-1 space-y-0.5 text-xs text-amber-800" aria-label={`Host notices for ${d.address}`}>
            {notices.map((r) => (
              <li key={r}>Host notice: {r}</li>
            ))}
          </ul>
        ) : null}
      </div>
      <div className="col-start-2 font-mono text-xs text-slate-700 md:col-start-auto md:text-[13px]" title="vendor:device">
        {pciIds(d)}
      </div>
      <div className="col-start-2 text-xs md:col-start-auto md:text-[13px]">
        {d.driver ? <span className="font-mono text-slate-800">{d.driver}</span> : <span className="text-slate-400">no driver</span>}
        {d.driverOverride ? <div className="font-mono text-xs text-slate-500">override {d.driverOverride}</div> : null}
      </div>
    </li>
  );
}

interface GroupCardProps {
  group: IommuGroup;
  byAddress: Map<string, PciDevice>;
  /** the selected address when it is in this group, else null (a primitive, so other cards skip re-rendering) */
  selected: string | null;
  /** matching addresses, space-separated; "" when no filter is active */
  matched: string;
  onSelect: SelectFn;
}

export const GroupCard = memo(function GroupCard({ group: g, byAddress, selected, matched, onSelect }: GroupCardProps) {
  const hits = matched ? new Set(matched.split(" ")) : null;
  const v = VERDICT[g.verdict];
  // Groups of ports/bridges only hold nothing to pass through: one line for the verdict, then the members.
  const portsOnly = g.endpoints.length === 0;
  return (
    <article
      data-testid={`group-card-${g.id}`}
      aria-labelledby={`group-title-${g.id}`}
      className={cn("cv-auto overflow-hidden rounded-lg border border-l-4 border-slate-200 bg-white shadow-xs", v.accent)}
    >
      <header className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-slate-100 bg-slate-50/60 px-4 py-1.5">
        <h3 id={`group-title-${g.id}`} className="text-sm font-semibold text-slate-900">
          Group <span className="font-mono">{g.id}</span>
        </h3>
        <VerdictBadge verdict={g.verdict} testId={`group-verdict-${g.id}`} />
        {portsOnly ? (
          <p data-testid="group-summary" className="text-[13px] text-slate-600">
            {g.summary}
          </p>
        ) : (
          <span className="text-xs text-slate-500">
            {plural(g.endpoints.length, "endpoint")}
            {g.bridges.length ? ` + ${plural(g.bridges.length, "port/bridge", "ports/bridges")}` : ""}
          </span>
        )}
      </header>
      <div className={cn("px-4 text-[13px] text-slate-700", portsOnly ? (g.reasons.length > 0 ? "py-1.5" : "hidden") : "py-1.5")}>
        {portsOnly ? null : <p data-testid="group-summary">{g.summary}</p>}
        {g.reasons.length > 0 ? (
          <div className="mt-1" data-testid="group-reasons">
            <span className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Why they share</span>
            <ul className="ml-4 list-disc text-[13px] text-slate-700">
              {g.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
      <ul aria-label={`Members of group ${g.id}`} className="border-t border-slate-100">
        {g.devices.map((a) => {
          const d = byAddress.get(a);
          if (!d) return null;
          return (
            <MemberRow
              key={a}
              device={d}
              selected={selected === a}
              matched={hits !== null && hits.has(a) && hits.size < g.devices.length}
              dimmed={hits !== null && !hits.has(a)}
              onSelect={onSelect}
            />
          );
        })}
      </ul>
    </article>
  );
});

interface VfRollupProps {
  pf: string;
  groups: IommuGroup[];
  byAddress: Map<string, PciDevice>;
  selected: string | null;
  matched: string;
  onSelect: SelectFn;
}

/** N single-VF groups of one PF as one expandable row: at 512 VFs a card each would bury everything else. */
export const VfRollup = memo(function VfRollup({ pf, groups, byAddress, selected, matched, onSelect }: VfRollupProps) {
  // null: open by itself when there are few rows to show (a small PF, a narrow search, a selected VF); a click decides from then on.
  const [userOpen, setUserOpen] = useState<boolean | null>(selected !== null ? true : null);
  // A VF selected from elsewhere opens the row: adjusted while rendering, which React re-runs at once, not in an effect.
  const [seenSelected, setSeenSelected] = useState(selected);
  if (selected !== seenSelected) {
    setSeenSelected(selected);
    if (selected !== null) setUserOpen(true);
  }
  const hits = matched ? new Set(matched.split(" ")) : null;
  const shown = hits ? groups.filter((g) => hits.has(g.devices[0]!)) : groups;
  const open = userOpen ?? (shown.length <= ROLLUP_OPEN_MAX || selected !== null);
  const setOpen = (f: (o: boolean) => boolean) => setUserOpen(f(open));
  const pfDev = byAddress.get(pf);
  const ids = groups.map((g) => g.id);
  const first = Math.min(...ids);
  const last = Math.max(...ids);
  const contiguous = last - first + 1 === groups.length;
  const panelId = `vf-rollup-panel-${pf}`;
  return (
    <section
      data-testid={`vf-rollup-${pf}`}
      aria-label={`${groups.length} VFs of ${pf}`}
      className="cv-auto overflow-hidden rounded-lg border border-l-4 border-slate-200 border-l-emerald-500 bg-white shadow-xs"
    >
      <button
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
        className="flex w-full cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 bg-slate-50/60 px-4 py-2 text-left hover:bg-slate-100"
      >
        <ChevronIcon className={cn("shrink-0 transition-transform", open && "rotate-90")} />
        <span className="text-sm font-semibold text-slate-900" data-testid="vf-rollup-label">
          {groups.length} VFs of <span className="font-mono">{pf}</span>, each in its own group (isolated)
        </span>
        <VerdictBadge verdict="isolated" />
        <span className="text-xs text-slate-500">
          {contiguous ? `groups ${first}–${last}` : `${groups.length} groups between ${first} and ${last}`}
          {pfDev ? ` · ${deviceName(pfDev)}` : ""}
          {hits ? ` · ${shown.length} match` : ""}
        </span>
      </button>
      {open ? (
        <div id={panelId} className="max-h-[28rem] overflow-y-auto border-t border-slate-100">
          <table className="w-full text-[13px]">
            <caption className="sr-only">VF groups of {pf}</caption>
            <thead className="sticky top-0 bg-white text-left text-xs text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-1 font-medium">
                  Group
                </th>
                <th scope="col" className="px-2 py-1 font-medium">
                  VF
                </th>
                <th scope="col" className="px-2 py-1 font-medium">
                  Address
                </th>
                <th scope="col" className="px-2 py-1 font-medium">
                  IDs
                </th>
                <th scope="col" className="px-2 py-1 font-medium">
                  Driver
                </th>
                <th scope="col" className="px-2 py-1 font-medium">
                  Interface
                </th>
                <th scope="col" className="px-2 py-1 font-medium">
                  In use now
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((g) => {
                const a = g.devices[0]!;
                const d = byAddress.get(a);
                if (!d) return null;
                return (
                  <tr
                    key={g.id}
                    data-testid={`device-row-${a}`}
                    onClick={() => onSelect(a)}
                    className={cn("cursor-pointer border-t border-slate-100", selected === a ? "bg-blue-50" : "hover:bg-slate-50")}
                  >
                    <td className="px-4 py-1 font-mono" data-testid={`group-row-${g.id}`}>
                      {g.id}
                    </td>
                    <td className="px-2 py-1 font-mono">{d.vfIndex ?? "?"}</td>
                    <td className="px-2 py-1">
                      <button
                        type="button"
                        onClick={(e) => {
                          e.stopPropagation();
                          onSelect(a);
                        }}
                        aria-label={`Details of ${a}`}
                        className="cursor-pointer font-mono font-medium text-blue-800 hover:underline"
                      >
                        {a}
                      </button>
                    </td>
                    <td className="px-2 py-1 font-mono">{pciIds(d)}</td>
                    <td className="px-2 py-1 font-mono">{d.driver ?? <span className="font-sans text-slate-400">no driver</span>}</td>
                    <td className="px-2 py-1 font-mono">{d.netdevs.map((n) => n.name).join(", ") || "—"}</td>
                    <td className="px-2 py-1 text-xs text-sky-900">
                      {d.hold ? <span data-testid="hold-line">{describeHold(d.hold)}</span> : <span className="text-slate-400">—</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
});
