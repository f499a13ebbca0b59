"use client";

import type { ReadinessCheck } from "@/server/host/types";
import { cn } from "@/components/ui/cn";
import { CopyBlock } from "./copy-block";
import { StatusBadge } from "./status";

const ROW_ACCENT: Record<ReadinessCheck["status"], string> = {
  pass: "border-l-emerald-500",
  warn: "border-l-amber-500",
  fail: "border-l-red-600",
  info: "border-l-sky-500",
};

export function ReadinessItem({ check, compact = false }: { check: ReadinessCheck; compact?: boolean }) {
  return (
    <li
      data-testid={`readiness-item-${check.id}`}
      data-status={check.status}
      aria-label={`${check.title}: ${check.status}`}
      className={cn("rounded-md border border-l-4 border-slate-200 bg-white px-4 py-3", ROW_ACCENT[check.status])}
    >
      <div className="flex flex-wrap items-center gap-3">
        <StatusBadge status={check.status} />
        <h3 className="text-sm font-semibold text-slate-900">{check.title}</h3>
      </div>
      <dl className={cn("mt-2 grid gap-x-4 gap-y-1 text-sm", compact ? "" : "sm:grid-cols-[8rem_minmax(0,1fr)]")}>
        <dt className="text-slate-500">What was read</dt>
        <dd className="break-words text-slate-800" data-testid="observed">
          {check.observed}
        </dd>
        {check.fix ? (
          <>
            <dt className="text-slate-500">Fix</dt>
            <dd data-testid="fix">
              <CopyBlock text={check.fix} label={`fix for ${check.title}`} />
            </dd>
          </>
        ) : null}
      </dl>
    </li>
  );
}

export function Checklist({ checks }: { checks: ReadinessCheck[] }) {
  return (
    <ol aria-label="Readiness checks" className="space-y-2">
      {checks.map((c) => (
        <ReadinessItem key={c.id} check={c} />
      ))}
    </ol>
  );
}
