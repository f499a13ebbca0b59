"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC, type RouterOutputs } from "@/lib/trpc/client";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { ErrorPanel, Loading } from "@/components/ui/states";
import { TableHead } from "@/components/ui/table";

type DriftItem = NonNullable<RouterOutputs["desired"]["drift"]["report"]>["items"][number];

const STATUS: Record<DriftItem["status"], { label: string; tone: BadgeTone }> = {
  ok: { label: "as desired", tone: "green" },
  drift: { label: "drift", tone: "amber" },
  "device-missing": { label: "device missing", tone: "red" },
  "id-mismatch": { label: "another card", tone: "red" },
};

/** What Passdeck puts back at boot (`passdeck reconcile`), held against the host as it is now. */
export function DesiredView() {
  const trpc = useTRPC();
  const q = useQuery(trpc.desired.drift.queryOptions());
  if (q.isPending) return <Loading what="the desired state" />;
  if (q.isError) return <ErrorPanel error={q.error} what="the desired state" />;
  const { available, reason, report } = q.data;
  return (
    <section className="mx-auto max-w-6xl" aria-labelledby="desired-title">
      <h1 id="desired-title" className="text-xl font-semibold text-slate-900">
        Boot state
      </h1>
      <p className="mt-1 text-sm text-slate-600">
        The kernel forgets VFs, their settings and vfio-pci bindings at every reboot. Passdeck remembers what you applied, keyed by PCI address and
        vendor:device ID, and <code className="font-mono">passdeck reconcile</code> (the <code className="font-mono">passdeck-reconcile.service</code> unit,
        before the network and libvirt start) puts it back through the same plans.
      </p>
      {!available ? (
        <p role="alert" className="mt-4 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          The desired state cannot be read: {reason}
        </p>
      ) : !report || report.items.length === 0 ? (
        <p data-testid="desired-empty" className="mt-4 text-sm text-slate-500">
          Nothing is remembered yet: apply a plan in the wizard or with the CLI.
        </p>
      ) : (
        <>
          <p data-testid="drift-summary" className="mt-4 text-sm font-medium">
            {report.inSync
              ? "The host matches the desired state."
              : `${report.counts.drift} difference${report.counts.drift === 1 ? "" : "s"} reconcile would put back; ${report.counts["device-missing"] + report.counts["id-mismatch"]} it leaves alone.`}
          </p>
          <table className="mt-2 w-full rounded-lg border border-slate-200 bg-white text-left text-sm" aria-label="Desired state and drift">
            <TableHead columns={["Device", "What", "Desired", "Now", "Status"]} cell="px-3 py-2" />
            <tbody>
              {report.items.map((item, i) => (
                <tr key={`${item.entry}-${item.what}-${i}`} data-testid="drift-row" data-status={item.status} className="border-t border-slate-100 align-top">
                  <td className="px-3 py-1.5 font-mono">{item.address}</td>
                  <td className="px-3 py-1.5">{item.what}</td>
                  <td className="px-3 py-1.5 font-mono">{item.desired}</td>
                  <td className="px-3 py-1.5 font-mono">{item.actual}</td>
                  <td className="px-3 py-1.5">
                    <Badge tone={STATUS[item.status].tone}>{STATUS[item.status].label}</Badge>
                    {item.note ? <p className="mt-0.5 text-xs text-slate-600">{item.note}</p> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
