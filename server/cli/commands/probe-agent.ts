import { defineCommand } from "../command";
import { runLatency } from "./latency";

export const command = defineCommand({
  name: "probe-agent",
  usage: `Usage: passdeck probe-agent

Runs the probe agent until SIGINT/SIGTERM (npm start runs it; one per data directory). Exit code 3 when another
agent already serves this data directory.`,
  options: {},
  run: (services, { positionals }) => runLatency(services, "probe-agent", positionals, { json: false }),
});
