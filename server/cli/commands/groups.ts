import { defineCommand } from "../command";

export const command = defineCommand({
  name: "groups",
  usage: `Usage: passdeck groups

IOMMU groups with their members and passthrough verdicts, and why.`,
  options: {},
  async run(services) {
    const [inv, { formatGroups }] = await Promise.all([services.scan(), import("../format")]);
    console.log(formatGroups(inv));
    return 0;
  },
});
