/**
 * GET /metrics: the probes in Prometheus text format. The RTT histogram's counters are cumulative since each
 * target was added (kept in their own table, so pruning old samples never makes a counter go down); buckets run
 * 1-2-5 from 1 µs to 10 s, fine enough for a VF's tens of microseconds.
 */
import { agentAlive } from "./agent-lease";
import { METRIC_BUCKETS_US } from "./notes";
import type { ProbeStores } from "./stores";

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const seconds = (us: number) => String(us / 1e6);

/** The web server's live feed, when this process has one. */
export interface LiveFeedGauges {
  subscriptionCount: number;
  listenerCount: number;
  droppedCount: number;
}

export function prometheusText(store: Pick<ProbeStores, "agent" | "counters" | "targets">, nowMs = Date.now(), live: LiveFeedGauges | null = null): string {
  const targets = new Map(store.targets.all().map((t) => [t.id, t]));
  const statuses = new Map(store.targets.statuses().map((s) => [s.targetId, s]));
  const lines: string[] = [
    "# HELP passdeck_probe_rtt_seconds Round-trip time of the probes that were answered.",
    "# TYPE passdeck_probe_rtt_seconds histogram",
  ];
  const counters = store.counters.read().filter((c) => targets.get(c.targetId)?.removedAt === null);
  const labels = (id: number) => {
    const t = targets.get(id)!;
    return `target="${esc(t.address)}",kind="${t.kind}"${t.port ? `,port="${t.port}"` : ""}${t.label ? `,label="${esc(t.label)}"` : ""}`;
  };
  for (const c of counters) {
    let cumulative = 0;
    for (const le of METRIC_BUCKETS_US) {
      cumulative += c.buckets.get(le) ?? 0;
      lines.push(`passdeck_probe_rtt_seconds_bucket{${labels(c.targetId)},le="${seconds(le)}"} ${cumulative}`);
    }
    lines.push(`passdeck_probe_rtt_seconds_bucket{${labels(c.targetId)},le="+Inf"} ${c.received}`);
    lines.push(`passdeck_probe_rtt_seconds_sum{${labels(c.targetId)}} ${seconds(c.rttSumUs)}`);
    lines.push(`passdeck_probe_rtt_seconds_count{${labels(c.targetId)}} ${c.received}`);
  }
  lines.push("# HELP passdeck_probe_sent_total Probes sent (answered or not).", "# TYPE passdeck_probe_sent_total counter");
  for (const c of counters) lines.push(`passdeck_probe_sent_total{${labels(c.targetId)}} ${c.sent}`);
  lines.push("# HELP passdeck_probe_lost_total Probes without a reply within the timeout.", "# TYPE passdeck_probe_lost_total counter");
  for (const c of counters) lines.push(`passdeck_probe_lost_total{${labels(c.targetId)}} ${c.sent - c.received}`);
  lines.push("# HELP passdeck_probe_up 1 while the probe agent reports the target as probing.", "# TYPE passdeck_probe_up gauge");
  for (const t of targets.values())
    if (t.removedAt === null) lines.push(`passdeck_probe_up{${labels(t.id)}} ${statuses.get(t.id)?.state === "probing" ? 1 : 0}`);
  const agent = store.agent.current();
  lines.push("# HELP passdeck_probe_agent_up 1 while the probe agent's heartbeat is fresh (20 s).", "# TYPE passdeck_probe_agent_up gauge");
  lines.push(`passdeck_probe_agent_up ${agentAlive(agent, nowMs) ? 1 : 0}`);
  if (live) {
    lines.push(
      "# HELP passdeck_live_subscribers Open live latency streams (latency.live), dropped ones until their client goes.",
      "# TYPE passdeck_live_subscribers gauge",
    );
    lines.push(`passdeck_live_subscribers ${live.subscriptionCount}`);
    lines.push("# HELP passdeck_live_listeners Live latency streams being fed new samples.", "# TYPE passdeck_live_listeners gauge");
    lines.push(`passdeck_live_listeners ${live.listenerCount}`);
    lines.push(
      "# HELP passdeck_live_dropped_total Live latency streams ended because their client stopped reading.",
      "# TYPE passdeck_live_dropped_total counter",
    );
    lines.push(`passdeck_live_dropped_total ${live.droppedCount}`);
  }
  return lines.join("\n") + "\n";
}
