import type { Metadata } from "next";
import { Suspense } from "react";
import { LatencyView } from "@/components/latency/latency-view";
import { Loading } from "@/components/ui/states";

export const metadata: Metadata = { title: "Latency" };

export default function LatencyPage() {
  return (
    <Suspense fallback={<Loading what="the latency view" />}>
      <LatencyView />
    </Suspense>
  );
}
