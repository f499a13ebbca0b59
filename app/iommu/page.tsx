import type { Metadata } from "next";
import { Suspense } from "react";
import { IommuMap } from "@/components/iommu/iommu-map";
import { Loading } from "@/components/ui/states";
import { Prefetched } from "@/server/api/prefetch";

export const metadata: Metadata = { title: "IOMMU map" };

export default function IommuPage() {
  return (
    <Suspense fallback={<Loading what="the IOMMU groups" />}>
      <Prefetched queries={(t) => [t.groups.firstScreen.queryOptions(), t.host.summary.queryOptions()]}>
        <IommuMap />
      </Prefetched>
    </Suspense>
  );
}
