import { defineCommand } from "../command";
import { WRITE_OPTIONS, WRITE_OPTIONS_USAGE } from "./write-options";

export const command = defineCommand({
  name: "vf",
  usage: `Usage: passdeck vf set <pf> <index> [--mac M] [--vlan N] [--qos N] [--spoofchk on|off] [--trust on|off]
         [--state auto|enable|disable] [--min-rate Mb] [--max-rate Mb] [--dry-run] [--json] [--confirm] [--force]

Per-VF settings, set through the PF (ip link set <pf> vf <index> …); remembered for passdeck reconcile.

  --mac M                      the VF's MAC address
  --vlan N, --qos N            VLAN id (0: none) and its priority
  --spoofchk on|off            source MAC anti-spoofing
  --trust on|off               trusted VF (promiscuous, more MACs)
  --state auto|enable|disable  the VF's link state
  --min-rate Mb, --max-rate Mb transmit rate limits (Mbit/s; 0: none)
${WRITE_OPTIONS_USAGE}`,
  options: {
    ...WRITE_OPTIONS,
    mac: { type: "string" },
    vlan: { type: "string" },
    qos: { type: "string" },
    spoofchk: { type: "string" },
    trust: { type: "string" },
    state: { type: "string" },
    "min-rate": { type: "string" },
    "max-rate": { type: "string" },
  },
  async run(services, { values, positionals }) {
    const deps = await services.writeDeps(!values["dry-run"]);
    const { runWriteCommand } = await import("../write-commands");
    return runWriteCommand(
      "vf",
      positionals,
      {
        json: values.json,
        dryRun: values["dry-run"],
        confirm: values.confirm,
        force: values.force,
        vf: {
          mac: values.mac,
          vlan: values.vlan,
          qos: values.qos,
          spoofchk: values.spoofchk,
          trust: values.trust,
          state: values.state,
          minRate: values["min-rate"],
          maxRate: values["max-rate"],
        },
      },
      deps,
    );
  },
});
