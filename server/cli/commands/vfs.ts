import { defineCommand } from "../command";
import { WRITE_OPTIONS, WRITE_OPTIONS_USAGE } from "./write-options";

export const command = defineCommand({
  name: "vfs",
  usage: `Usage: passdeck vfs set <pf> <count> [--autoprobe on|off] [--dry-run] [--json] [--confirm] [--force]

Creates or removes VFs on a PF (through 0 first when changing a count); remembered for passdeck reconcile.

  --autoprobe on|off   whether the PF's driver binds the new VFs (sriov_drivers_autoprobe)
${WRITE_OPTIONS_USAGE}`,
  options: { ...WRITE_OPTIONS, autoprobe: { type: "string" } },
  async run(services, { values, positionals }) {
    const deps = await services.writeDeps(!values["dry-run"]);
    const { runWriteCommand } = await import("../write-commands");
    return runWriteCommand(
      "vfs",
      positionals,
      {
        json: values.json,
        dryRun: values["dry-run"],
        confirm: values.confirm,
        force: values.force,
        ...(values.autoprobe !== undefined ? { autoprobe: values.autoprobe } : {}),
      },
      deps,
    );
  },
});
