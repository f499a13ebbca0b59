"use client";

import { useReadiness, useSummary } from "@/components/data/queries";
import { cn } from "@/components/ui/cn";
import { CheckIcon, CrossIcon } from "@/components/ui/icons";
import { ErrorPanel, Loading } from "@/components/ui/states";
import { Checklist } from "./checklist";
import { countStatuses, verdictText } from "./status";

export function ReadinessView() {
  const readiness = useReadiness();
  const summary = useSummary();
  if (readiness.isPending) return <Loading what="the readiness checks" />;
  if (readiness.isError) return <ErrorPanel error={readiness.error} what="the readiness checks" />;
  const { ready, checks } = readiness.data;
  const counts = countStatuses(checks);
  const iommu = summary.data?.facts.iommu;

  return (
    <div className="mx-auto max-w-5xl">
      <h1 className="text-xl font-semibold tracking-tight">Readiness for passthrough</h1>
      <p className="mt-1 text-sm text-slate-600">Each item says what Passdeck read from sysfs/procfs and, when something is missing, the exact fix.</p>
      <section
        data-testid="readiness-verdict"
        data-ready={ready}
        aria-label="Overall verdict"
        className={cn(
          "mt-4 flex flex-wrap items-center gap-x-4 gap-y-1 rounded-lg border px-4 py-3",
          ready ? "border-emerald-300 bg-emerald-50 text-emerald-900" : "border-red-300 bg-red-50 text-red-900",
        )}
      >
        <span className="flex items-center gap-2 text-lg font-semibold">
          {ready ? <CheckIcon width={18} height={18} /> : <CrossIcon width={18} height={18} />}
          {verdictText(ready, counts.fail)}
        </span>
        <span className="text-sm">
          {counts.pass} pass · {counts.warn} warn · {counts.fail} fail · {counts.info} info
        </span>
        {iommu ? (
          <span className="text-sm">
            IOMMU{" "}
            {iommu.enabled
              ? `on (${iommu.vendor === "amd" ? "AMD-Vi" : iommu.vendor === "intel" ? "Intel VT-d" : "unknown vendor"}, ${iommu.groupCount} groups)`
              : "off"}
          </span>
        ) : null}
      </section>
      {!ready ? (
        <p className="mt-2 text-sm text-slate-600">Fix the failing items from the top: later items often depend on earlier ones.</p>
      ) : counts.warn > 0 ? (
        <p className="mt-2 text-sm text-slate-600">Warnings do not block passthrough, but read them before binding a device.</p>
      ) : null}
      <div className="mt-4">
        <Checklist checks={checks} />
      </div>
    </div>
  );
}
