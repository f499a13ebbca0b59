import type { Metadata } from "next";
import { Suspense } from "react";
import { Wizard } from "@/components/wizard/wizard";
import { Loading } from "@/components/ui/states";
import { Prefetched } from "@/server/api/prefetch";

export const metadata: Metadata = { title: "Passthrough wizard" };

export default function WizardPage() {
  return (
    <Suspense fallback={<Loading what="the wizard" />}>
      <Prefetched queries={(t) => [t.devices.list.queryOptions(), t.groups.list.queryOptions()]}>
        <Wizard />
      </Prefetched>
    </Suspense>
  );
}
