import type { Metadata } from "next";
import { Suspense } from "react";
import { Wizard } from "@/components/wizard/wizard";
import { Loading } from "@/components/ui/states";

export const metadata: Metadata = { title: "Passthrough wizard" };

export default function WizardPage() {
  return (
    <Suspense fallback={<Loading what="the wizard" />}>
      <Wizard />
    </Suspense>
  );
}
