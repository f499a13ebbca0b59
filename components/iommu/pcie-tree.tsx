"use client";

import { memo, useMemo, useState } from "react";
import type { IommuGroup, PciDevice } from "@/server/host/types";
import { BRIDGE_LABEL, deviceName, plural } from "@/components/data/format";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";
import { ChevronIcon } from "@/components/ui/icons";
import { isHeld } from "@/lib/holds";
import { HeldBadge, HostCriticalBadge, HostNoticeBadge, SriovBadge, VERDICT } from "./badges";
import type { Matcher, SelectFn } from "./tree-types";

interface Node {
  device: PciDevice;
  children: Node[];
  /** VFs hang off their PF here (on the bus they sit beside it) so 128 of them fold into one line */
  vfs: PciDevice[];
}

function buildTree(devices: PciDevice[]): Map<string, Node[]> {
  const nodes = new Map<string, Node>();
  for (const d of devices) nodes.set(d.address, { device: d, children: [], vfs: [] });
  const roots = new Map<string, Node[]>();
  for (const d of devices) {
    const node = nodes.get(d.address)!;
    const pf = d.physfn ? nodes.get(d.physfn) : undefined;
    if (pf) {
      pf.vfs.push(d);
      continue;
    }
    const parentAddr = d.parentChain[d.parentChain.length - 1];
    const parent = parentAddr ? nodes.get(parentAddr) : undefined;
    if (parent) parent.children.push(node);
    else roots.set(d.rootBus, [...(roots.get(d.rootBus) ?? []), node]);
  }
  return new Map([...roots.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

interface TreeProps {
  devices: PciDevice[];
  groupById: Map<number, IommuGroup>;
  matcher: Matcher | null;
  selected: string | null;
  onSelect: SelectFn;
}

/** Root bus → root ports → switches/bridges → endpoints, each with its group, so the reason two devices share a group is visible. */
export const PcieTree = memo(function PcieTree({ devices, groupById, matcher, selected, onSelect }: TreeProps) {
  const roots = useMemo(() => buildTree(devices), [devices]);
  // With a filter: the matches and the path down to them; everything else is hidden.
  const visible = useMemo(() => {
    if (!matcher) return null;
    const keep = new Set<string>();
    for (const d of devices) {
      if (!matcher(d)) continue;
      keep.add(d.address);
      for (const p of d.parentChain) keep.add(p);
      if (d.physfn) keep.add(d.physfn);
    }
    return keep;
  }, [devices, matcher]);

  const busEntries = [...roots.entries()]
    .map(([bus, nodes]) => [bus, visible ? nodes.filter((n) => visible.has(n.device.address)) : nodes] as const)
    .filter(([, nodes]) => nodes.length > 0);

  if (busEntries.length === 0) return <p className="py-6 text-sm text-slate-500">No device matches.</p>;
  return (
    <div data-testid="pcie-tree" className="space-y-3">
      {busEntries.map(([bus, nodes]) => (
        <section key={bus} aria-label={`Root bus ${bus}`} className="rounded-lg border border-slate-200 bg-white px-3 py-2 shadow-xs">
          <h3 className="font-mono text-sm font-semibold text-slate-900">
            {bus} <span className="font-sans text-xs font-normal text-slate-500">root bus</span>
          </h3>
          <ul className="mt-1">
            {nodes.map((n) => (
              <TreeNode key={n.device.address} node={n} groupById={groupById} visible={visible} matcher={matcher} selected={selected} onSelect={onSelect} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
});

interface NodeProps {
  node: Node;
  groupById: Map<number, IommuGroup>;
  visible: Set<string> | null;
  matcher: Matcher | null;
  selected: string | null;
  onSelect: SelectFn;
}

function GroupChip({ group, id }: { group: IommuGroup | undefined; id: number | null }) {
  if (id === null) return <Badge tone="neutral">no group</Badge>;
  if (!group) return <Badge tone="neutral">group {id}</Badge>;
  const v = VERDICT[group.verdict];
  return (
    <Badge tone={v.tone} title={group.summary} data-testid="tree-group-chip">
      group <span className="font-mono">{id}</span> · {v.word}
      {group.devices.length > 1 ? ` · ${group.devices.length} members` : ""}
    </Badge>
  );
}

function TreeNode({ node, groupById, visible, matcher, selected, onSelect }: NodeProps) {
  const d = node.device;
  const [vfsOpen, setVfsOpen] = useState(false);
  const children = visible ? node.children.filter((c) => visible.has(c.device.address)) : node.children;
  const vfs = matcher ? node.vfs.filter((v) => matcher(v)) : node.vfs;
  const group = d.iommuGroup === null ? undefined : groupById.get(d.iommuGroup);
  const isMatch = matcher ? matcher(d) : false;
  return (
    <li className="relative pl-4 before:absolute before:top-0 before:left-1 before:h-full before:border-l before:border-slate-200">
      <div
        data-testid={`tree-node-${d.address}`}
        className={cn(
          "flex flex-wrap items-center gap-x-2 gap-y-0.5 rounded px-1.5 py-0.5 text-[13px]",
          selected === d.address && "bg-blue-50 outline outline-blue-400",
          matcher && !isMatch && "opacity-60",
          isMatch && "bg-yellow-50",
        )}
      >
        <button
          type="button"
          onClick={() => onSelect(d.address)}
          aria-label={`Details of ${d.address}`}
          className="cursor-pointer font-mono font-medium text-blue-800 hover:underline"
        >
          {d.address}
        </button>
        {d.bridge ? <span className="text-xs font-semibold tracking-wide text-slate-500 uppercase">{BRIDGE_LABEL[d.bridge]}</span> : null}
        <span className="min-w-0 truncate text-slate-800">{deviceName(d)}</span>
        <GroupChip group={group} id={d.iommuGroup} />
        {d.sriov ? <SriovBadge sriov={d.sriov} /> : null}
        {d.hostCritical.length > 0 && d.bridge === null ? <HostCriticalBadge reasons={d.hostCritical} /> : null}
        {d.hostCritical.length === 0 && d.hostNotices.length > 0 ? <HostNoticeBadge notices={d.hostNotices} /> : null}
        {isHeld(d.hold) ? <HeldBadge hold={d.hold} /> : null}
      </div>
      {vfs.length > 0 ? (
        <div className="pl-4">
          <button
            type="button"
            aria-expanded={vfsOpen}
            onClick={() => setVfsOpen((o) => !o)}
            className="flex cursor-pointer items-center gap-1 px-1.5 py-0.5 text-[13px] text-slate-600 hover:text-slate-900"
          >
            <ChevronIcon className={cn("transition-transform", vfsOpen && "rotate-90")} />
            {plural(vfs.length, "VF")} of {d.address} (on the same bus as their PF)
          </button>
          {vfsOpen ? (
            <ul className="max-h-80 overflow-y-auto pl-5">
              {vfs.map((vf) => {
                const g = vf.iommuGroup === null ? undefined : groupById.get(vf.iommuGroup);
                return (
                  <li key={vf.address} className={cn("flex flex-wrap items-center gap-2 px-1.5 py-0.5 text-[13px]", selected === vf.address && "bg-blue-50")}>
                    <button type="button" onClick={() => onSelect(vf.address)} className="cursor-pointer font-mono text-blue-800 hover:underline">
                      {vf.address}
                    </button>
                    <span className="text-slate-600">VF {vf.vfIndex ?? "?"}</span>
                    <GroupChip group={g} id={vf.iommuGroup} />
                  </li>
                );
              })}
            </ul>
          ) : null}
        </div>
      ) : null}
      {children.length > 0 ? (
        <ul>
          {children.map((c) => (
            <TreeNode key={c.device.address} node={c} groupById={groupById} visible={visible} matcher={matcher} selected={selected} onSelect={onSelect} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}
