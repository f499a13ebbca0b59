import { defineCommand } from "../command";
import { runLatency, TARGET_NOTE } from "./latency";

export const command = defineCommand({
  name: "targets",
  usage: `Usage: passdeck targets add <address> [--interval-ms N] [--kind icmp|tcp:<port>] [--label L] [--json]
       passdeck targets add --vm <vm> [--interval-ms N] [--json]
       passdeck targets list [--json]
       passdeck targets remove <target> [--json]

Latency targets the probe agent probes. add: probe a host or VM (--vm: a running VM's addresses, as libvirt knows
them: leases, ARP, guest agent); list: targets, what the probe agent says of each, and their last minute; remove:
stop probing (the history stays until retention prunes it). ${TARGET_NOTE}

  --interval-ms N          between probes
  --kind icmp|tcp:<port>   ICMP echo (default) or a TCP connect to a port
  --label L                a name for the target
  --vm <vm>                a VM's name or UUID
  --json                   the target(s)`,
  options: {
    json: { type: "boolean" },
    "interval-ms": { type: "string" },
    kind: { type: "string" },
    label: { type: "string" },
    vm: { type: "string" },
  },
  run: (services, { values, positionals }) =>
    runLatency(services, "targets", positionals, {
      json: values.json,
      intervalMs: values["interval-ms"],
      kind: values.kind,
      label: values.label,
      vm: values.vm,
    }),
});
