import { defineCommand } from "../command";
import { runLatency, TARGET_NOTE } from "./latency";

export const command = defineCommand({
  name: "compare",
  usage: `Usage: passdeck compare <target> --at <ISO time> [--window 5m] [--settle 30s] [--threshold-us N] [--json]

The before/after verdict around a change (passdeck journal lists them): deltas, bootstrap intervals, Mann-Whitney.
${TARGET_NOTE}

  --at T             the moment of the change
  --window 5m        how long before and after
  --settle 30s       left out right after the change
  --threshold-us N   T of the share of probes answered within T (default 100)
  --json             the verdict (times in microseconds)`,
  options: {
    json: { type: "boolean" },
    at: { type: "string" },
    window: { type: "string" },
    settle: { type: "string" },
    "threshold-us": { type: "string" },
  },
  run: (services, { values, positionals }) =>
    runLatency(services, "compare", positionals, {
      json: values.json,
      at: values.at,
      window: values.window,
      settle: values.settle,
      thresholdUs: values["threshold-us"],
    }),
});
