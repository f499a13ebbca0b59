import { defineCommand } from "../command";
import { WRITE_OPTIONS, WRITE_OPTIONS_USAGE } from "./write-options";

export const command = defineCommand({
  name: "bind",
  usage: `Usage: passdeck bind <address> vfio-pci [--dry-run] [--json] [--confirm] [--force]

Hands a function to vfio-pci (driver_override, unbind, probe, verified); remembered for passdeck reconcile.

${WRITE_OPTIONS_USAGE}`,
  options: WRITE_OPTIONS,
  async run(services, { values, positionals }) {
    const deps = await services.writeDeps(!values["dry-run"]);
    const { runWriteCommand } = await import("../write-commands");
    return runWriteCommand("bind", positionals, { json: values.json, dryRun: values["dry-run"], confirm: values.confirm, force: values.force }, deps);
  },
});
