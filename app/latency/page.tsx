import type { Metadata } from "next";
import { Suspense } from "react";
import { LatencyView } from "@/components/latency/latency-view";
import { Loading } from "@/components/ui/states";
import { Prefetched } from "@/server/api/prefetch";

export const metadata: Metadata = { title: "Latency" };

export default function LatencyPage() {
  // The targets come with the page; the charts' history and the live feed follow from the browser.
  return (
    <Suspense fallback={<Loading what="the latency view" />}>
      <Prefetched queries={(t) => [t.targets.list.queryOptions()]}>
        <LatencyView />
      </Prefetched>
    </Suspense>
  );
}
