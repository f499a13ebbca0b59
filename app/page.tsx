import { Overview } from "@/components/overview/overview";
import { Prefetched } from "@/server/api/prefetch";

export default function OverviewPage() {
  return (
    <Prefetched queries={(t) => [t.host.summary.queryOptions(), t.readiness.list.queryOptions(), t.devices.list.queryOptions()]}>
      <Overview />
    </Prefetched>
  );
}
