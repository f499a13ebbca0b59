import { parsePciAddress } from "@/lib/pci-address";
import { defineCommand } from "../command";
import { UsageError } from "../errors";

export const command = defineCommand({
  name: "device",
  usage: `Usage: passdeck device <address> [--json]

One device, e.g. 0000:65:00.0 (or 65:00.0): identity, driver, group, link, SR-IOV, holders, host-critical reasons.
Exit code 2 for an address that is malformed or not on this host.

  --json   the device as the inventory has it`,
  options: { json: { type: "boolean" } },
  async run(services, { values, positionals }) {
    const raw = positionals[0];
    if (!raw) throw new UsageError("passdeck device needs a PCI address, e.g. passdeck device 0000:65:00.0");
    const parsed = parsePciAddress(raw);
    if (!parsed.ok) throw new UsageError(parsed.error);
    const [inv, { formatDevice }] = await Promise.all([services.scan(), import("../format")]);
    const dev = inv.devices.find((d) => d.address === parsed.address);
    if (!dev) throw new UsageError(`${parsed.address} is not a PCI device on this host (see \`passdeck inventory\` for the ${inv.devices.length} that are)`);
    console.log(values.json ? JSON.stringify(dev, null, 2) : formatDevice(dev, inv));
    return 0;
  },
});
