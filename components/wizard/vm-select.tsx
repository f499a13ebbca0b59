"use client";

import type { VmList } from "@/components/data/queries";
import { cn } from "@/components/ui/cn";

/** Why no VM can be chosen (libvirt absent, unreadable, or without VMs), or null when some can. */
export function noVmsReason(vms: VmList | undefined, pending: boolean): string | null {
  if (pending) return "reading libvirt's VMs…";
  if (!vms) return "libvirt's VMs could not be read";
  if (!vms.available) return `libvirt is not available: ${vms.reason}${vms.fix ? `. Fix: ${vms.fix}` : ""}`;
  return vms.rows.length === 0 ? `no VM is defined on ${vms.uri}` : null;
}

/** A select of libvirt's VMs by UUID, with "none" (or a prompt) first; disabled when there are none to choose. */
export function VmSelect({
  id,
  label,
  value,
  onChange,
  vms,
  empty,
  disabled,
  describedBy,
  className,
  extra = [],
}: {
  id?: string;
  label: string;
  value: string;
  onChange: (uuid: string) => void;
  vms: VmList | undefined;
  empty: string;
  disabled: boolean;
  describedBy?: string;
  className?: string;
  /** more choices after the VMs (VF pools), as value and label */
  extra?: { value: string; label: string }[];
}) {
  return (
    <select
      id={id}
      aria-label={label}
      aria-describedby={describedBy}
      value={value}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value)}
      className={cn("h-7 rounded-md border border-slate-300 px-1 disabled:bg-slate-50 disabled:text-slate-400", className)}
    >
      <option value="">{empty}</option>
      {(vms?.rows ?? []).map((vm) => (
        <option key={vm.uuid} value={vm.uuid}>
          {vm.name} ({vm.state})
        </option>
      ))}
      {extra.map((x) => (
        <option key={x.value} value={x.value}>
          {x.label}
        </option>
      ))}
    </select>
  );
}
