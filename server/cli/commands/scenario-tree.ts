import { defineCommand } from "../command";
import { UsageError } from "../errors";

export const command = defineCommand({
  name: "scenario-tree",
  usage: `Usage: passdeck scenario-tree <name> <dir>

Writes a demo host (passdeck scenarios lists them) under <dir> and prints its roots as JSON, {sysRoot, procRoot}:
PASSDECK_SYS_ROOT and PASSDECK_PROC_ROOT for the other commands.`,
  options: {},
  async run(_services, { positionals }) {
    const [name, dir] = positionals;
    if (!name || !dir) throw new UsageError("passdeck scenario-tree needs a scenario name and a directory");
    const { writeScenarioByName } = await import("@/server/simulator/catalog");
    console.log(JSON.stringify(writeScenarioByName(name, dir)));
    return 0;
  },
});
