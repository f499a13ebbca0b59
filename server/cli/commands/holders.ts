import { defineCommand } from "../command";

export const command = defineCommand({
  name: "holders",
  usage: `Usage: passdeck holders [--json]

What holds a device now, from the kernel: a process with it open through VFIO (any QEMU: libvirt, Proxmox VE, by
hand), an interface in another network namespace. Run as root to see every process.

  --json   {devices: {<address>: hold}, unreadable}`,
  options: { json: { type: "boolean" } },
  async run(services, { values }) {
    const { describeHold, scanHolders } = await import("@/server/host/holders");
    const inv = await services.scan();
    // the kernel's signs and the named processes, as every plan sees them (scanInventory's holds)
    const held = inv.devices.filter((d) => d.hold !== null).map((d) => ({ address: d.address, hold: d.hold! }));
    const found = scanHolders(services.hostRoots().procRoot);
    if (values.json) console.log(JSON.stringify({ devices: Object.fromEntries(held.map((h) => [h.address, h.hold])), unreadable: found.unreadable }, null, 2));
    else {
      if (held.length === 0) console.log("Nothing holds a device: no process has one open through VFIO, and no interface is in another network namespace.");
      for (const { address, hold } of held)
        console.log(
          `${address}  ${describeHold(hold)}${hold.holders.length > 0 && hold.holders.every((h) => h.evidence === "declared") ? " (named on its command line)" : ""}`,
        );
      if (found.unreadable.count > 0)
        console.log(
          `${found.unreadable.count} processes' open files could not be read (uids ${found.unreadable.uids.join(", ")}): run as root to see every holder.`,
        );
    }
    return 0;
  },
});
