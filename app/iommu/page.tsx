import type { Metadata } from "next";
import { Suspense } from "react";
import { IommuMap } from "@/components/iommu/iommu-map";
import { Loading } from "@/components/ui/states";

export const metadata: Metadata = { title: "IOMMU map" };

export default function IommuPage() {
  return (
    <Suspense fallback={<Loading what="the IOMMU groups" />}>
      <IommuMap />
    </Suspense>
  );
}
