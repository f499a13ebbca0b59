import { defineCommand } from "../command";

export const command = defineCommand({
  name: "scenarios",
  usage: `Usage: passdeck scenarios

The demo hosts (npm run demo <name>); passdeck scenario-tree <name> <dir> writes one as a sysfs/procfs tree.`,
  options: {},
  async run() {
    const { listScenarios } = await import("@/server/simulator/catalog");
    for (const s of listScenarios()) console.log(`${s.name.padEnd(12)} ${s.title}: ${s.description}`);
    return 0;
  },
});
