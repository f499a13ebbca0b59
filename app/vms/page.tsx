import type { Metadata } from "next";
import { VmsView } from "@/components/vms/vms-view";
import { Prefetched } from "@/server/api/prefetch";

export const metadata: Metadata = { title: "VMs" };

export default function VmsPage() {
  // libvirt's own check (vms.nodeDeviceCheck) below the list stays the browser's to fetch: it can take seconds.
  return (
    <Prefetched queries={(t) => [t.vms.list.queryOptions(), t.devices.list.queryOptions()]}>
      <VmsView />
    </Prefetched>
  );
}
