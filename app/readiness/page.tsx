import type { Metadata } from "next";
import { ReadinessView } from "@/components/readiness/readiness-view";
import { Prefetched } from "@/server/api/prefetch";

export const metadata: Metadata = { title: "Readiness" };

export default function ReadinessPage() {
  return (
    <Prefetched queries={(t) => [t.readiness.list.queryOptions(), t.host.summary.queryOptions()]}>
      <ReadinessView />
    </Prefetched>
  );
}
