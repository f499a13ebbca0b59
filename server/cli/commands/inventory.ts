import { defineCommand } from "../command";

export const command = defineCommand({
  name: "inventory",
  usage: `Usage: passdeck inventory [--json]

Every PCI function: its IOMMU group, driver, SR-IOV state, who holds it, and host-critical reasons.

  --json   the stable JSON contract (its names do not change: scripts depend on them)`,
  options: { json: { type: "boolean" } },
  async run(services, { values }) {
    // The JSON carries no revision, link speed or reset method: a lean scan does not read them (the text does).
    const [inv, { formatInventory, inventoryJson }] = await Promise.all([services.scan(null, { lean: values.json === true }), import("../format")]);
    console.log(values.json ? JSON.stringify(inventoryJson(inv), null, 2) : formatInventory(inv));
    return 0;
  },
});
