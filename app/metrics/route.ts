import { requireRole } from "@/server/auth/http";
import { getContext } from "@/server/context";
import { prometheusText } from "@/server/probes/metrics";

export const dynamic = "force-dynamic";

/** Prometheus scrape endpoint: RTT histograms, sent/lost counters and probe state per latency target. */
export function GET(req: Request): Response {
  const context = getContext();
  const access = requireRole(req, context, "viewer");
  if (!access.ok) return access.response;
  const opened = context.latency();
  if (!opened.ok) return new Response(`# the latency store cannot be opened: ${opened.reason}\n`, { status: 503, headers: { "content-type": "text/plain" } });
  return new Response(prometheusText(opened.store, Date.now(), opened.feed), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
}
