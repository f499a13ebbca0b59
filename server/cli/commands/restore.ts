import { defineCommand } from "../command";
import { WRITE_OPTIONS, WRITE_OPTIONS_USAGE } from "./write-options";

export const command = defineCommand({
  name: "restore",
  usage: `Usage: passdeck restore <address> [--driver NAME] [--dry-run] [--json] [--confirm] [--force]

Gives a function back to its host driver: the one the journal saw it released from, or --driver.

  --driver NAME   the host driver, e.g. igbvf
${WRITE_OPTIONS_USAGE}`,
  options: { ...WRITE_OPTIONS, driver: { type: "string" } },
  async run(services, { values, positionals }) {
    const deps = await services.writeDeps(!values["dry-run"]);
    const { runWriteCommand } = await import("../write-commands");
    return runWriteCommand(
      "restore",
      positionals,
      {
        json: values.json,
        dryRun: values["dry-run"],
        confirm: values.confirm,
        force: values.force,
        ...(values.driver !== undefined ? { driver: values.driver } : {}),
      },
      deps,
    );
  },
});
