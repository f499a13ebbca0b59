import type { Metadata } from "next";
import { VmsView } from "@/components/vms/vms-view";

export const metadata: Metadata = { title: "VMs" };

export default function VmsPage() {
  return <VmsView />;
}
