"use client";

import { useQuery } from "@tanstack/react-query";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { TableHead } from "@/components/ui/table";
import { useTRPC } from "@/lib/trpc/client";

/** The audit trail, for admins: who signed in (or failed to), from where, and what they changed. */
export function AuditPanel() {
  const trpc = useTRPC();
  const audit = useQuery(trpc.audit.list.queryOptions({ limit: 100 }));
  return (
    <Card className="mt-6">
      <CardHeader>
        <CardTitle id="audit-title">Audit trail</CardTitle>
        <a href="/api/audit/export" download className="text-sm text-slate-700 underline" data-testid="audit-export">
          Export CSV
        </a>
      </CardHeader>
      <CardBody>
        {audit.isError ? (
          <p role="alert" className="text-sm text-red-800">
            {audit.error.message}
          </p>
        ) : !audit.data ? (
          <p className="text-sm text-slate-500">Reading the audit trail…</p>
        ) : audit.data.length === 0 ? (
          <p className="text-sm text-slate-500">Nothing audited yet.</p>
        ) : (
          <table className="w-full text-left text-sm" aria-labelledby="audit-title">
            <TableHead columns={["time", "action", "who", "from", "detail"]} />
            <tbody className="divide-y divide-slate-100">
              {audit.data.map((e) => (
                <tr key={e.id} data-testid="audit-row" data-action={e.action}>
                  <td className="px-2 py-1 font-mono text-xs whitespace-nowrap text-slate-600">{new Date(e.atMs).toLocaleString()}</td>
                  <td className="px-2 py-1">{e.action}</td>
                  <td className="px-2 py-1 font-mono text-xs">{e.actor ?? "—"}</td>
                  <td className="px-2 py-1 font-mono text-xs">{e.source ?? "—"}</td>
                  <td className="px-2 py-1 text-slate-700">{e.detail ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </CardBody>
    </Card>
  );
}
