import type { Metadata } from "next";
import { DesiredView } from "@/components/desired/desired-view";
import { Prefetched } from "@/server/api/prefetch";

export const metadata: Metadata = { title: "Boot state" };

export default function DesiredPage() {
  return (
    <Prefetched queries={(t) => [t.desired.drift.queryOptions()]}>
      <DesiredView />
    </Prefetched>
  );
}
