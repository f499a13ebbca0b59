import type { Metadata } from "next";
import { JournalView } from "@/components/journal/journal-view";
import { AdminOnly } from "@/components/auth/session";
import { AuditPanel } from "@/components/journal/audit-panel";
import { Prefetched } from "@/server/api/prefetch";

export const metadata: Metadata = { title: "Journal" };

export default function JournalPage() {
  // The audit trail (admins only) below the journal is still fetched by the browser.
  return (
    <>
      <Prefetched queries={(t) => [t.journal.list.queryOptions({ limit: 100 })]}>
        <JournalView />
      </Prefetched>
      <div className="mx-auto max-w-6xl">
        <AdminOnly>
          <AuditPanel />
        </AdminOnly>
      </div>
    </>
  );
}
