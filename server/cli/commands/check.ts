import { defineCommand } from "../command";

export const command = defineCommand({
  name: "check",
  usage: `Usage: passdeck check [--json]

Readiness for passthrough: the IOMMU, interrupt remapping, vfio modules… each with its fix.
Exit codes: 0 ready, 1 not ready.

  --json   {ready, checks}`,
  options: { json: { type: "boolean" } },
  async run(services, { values }) {
    const [inv, { formatCheckList }, { isReady }] = await Promise.all([services.scan(), import("../format"), import("@/server/inventory/readiness")]);
    const ready = isReady(inv.readiness);
    console.log(values.json ? JSON.stringify({ ready, checks: inv.readiness }, null, 2) : formatCheckList(inv.readiness, ready));
    return ready ? 0 : 1;
  },
});
