import { defineCommand } from "../command";
import { runLatency } from "./latency";

export const command = defineCommand({
  name: "annotate",
  usage: `Usage: passdeck annotate <text> [--at <ISO time>] [--json]

A marker on every latency chart (at most 200 characters), now or --at a time.

  --at T   an ISO time or milliseconds since the epoch
  --json   the annotation`,
  options: { json: { type: "boolean" }, at: { type: "string" } },
  run: (services, { values, positionals }) => runLatency(services, "annotate", positionals, { json: values.json, at: values.at }),
});
