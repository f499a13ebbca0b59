import type { Metadata } from "next";
import { ReadinessView } from "@/components/readiness/readiness-view";

export const metadata: Metadata = { title: "Readiness" };

export default function ReadinessPage() {
  return <ReadinessView />;
}
