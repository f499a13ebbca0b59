import type { Metadata } from "next";
import { JournalView } from "@/components/journal/journal-view";
import { AdminOnly } from "@/components/auth/session";
import { AuditPanel } from "@/components/journal/audit-panel";

export const metadata: Metadata = { title: "Journal" };

export default function JournalPage() {
  return (
    <>
      <JournalView />
      <div className="mx-auto max-w-6xl">
        <AdminOnly>
          <AuditPanel />
        </AdminOnly>
      </div>
    </>
  );
}
