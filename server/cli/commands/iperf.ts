import { defineCommand } from "../command";
import { runLatency } from "./latency";

export const command = defineCommand({
  name: "iperf",
  usage: `Usage: passdeck iperf <server> [--tcp] [--seconds N] [--bitrate 10M] [--port N] [--json]

iperf3 against a server you run (iperf3 -s): UDP with -R by default (rate, RFC 3550 jitter, loss); the result is
a note on the latency charts.

  --tcp            TCP instead of UDP
  --seconds N      how long (default 10)
  --bitrate 10M    the UDP rate asked for
  --port N         the server's port
  --json           the result and the note`,
  options: {
    json: { type: "boolean" },
    tcp: { type: "boolean" },
    seconds: { type: "string" },
    bitrate: { type: "string" },
    port: { type: "string" },
  },
  run: (services, { values, positionals }) =>
    runLatency(services, "iperf", positionals, { json: values.json, tcp: values.tcp, seconds: values.seconds, bitrate: values.bitrate, port: values.port }),
});
