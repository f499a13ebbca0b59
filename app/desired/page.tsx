import type { Metadata } from "next";
import { DesiredView } from "@/components/desired/desired-view";

export const metadata: Metadata = { title: "Boot state" };

export default function DesiredPage() {
  return <DesiredView />;
}
