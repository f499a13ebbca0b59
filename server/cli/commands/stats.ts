import { defineCommand } from "../command";
import { runLatency, TARGET_NOTE } from "./latency";

export const command = defineCommand({
  name: "stats",
  usage: `Usage: passdeck stats <target> [--since 5m | --from T --to T] [--json]

Loss, RTT percentiles with N, PDV, IPDV and J (RFC 3550) of a latency target over a window (default: the last 5
minutes). ${TARGET_NOTE} Times in the JSON are microseconds. Exit code 1 when nothing was sent in the window.

  --since 5m           the last 5 minutes (30s, 2h, 7d…)
  --from T, --to T     an ISO time or milliseconds since the epoch
  --json               the statistics`,
  options: { json: { type: "boolean" }, since: { type: "string" }, from: { type: "string" }, to: { type: "string" } },
  run: (services, { values, positionals }) =>
    runLatency(services, "stats", positionals, { json: values.json, since: values.since, from: values.from, to: values.to }),
});
