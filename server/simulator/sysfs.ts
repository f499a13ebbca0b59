/** sysfs, written in the order the kernel creates it: buses and functions, drivers, class devices, bindings, IOMMU. */
import type { Host } from "./host-model";
import { writeBlock } from "./sysfs-block";
import { writeFirmware, writeIommu } from "./sysfs-iommu";
import { writeNet } from "./sysfs-net";
import { writeBinding, writeDevice, writeDriver, writeModule, writePciBus } from "./sysfs-pci";
import type { JournalEntry, Tree } from "./tree";

/** Writes sysfs; returns the journals of what each VF and each binding created, for a live tree to take away. */
export function writeSysfs(t: Tree, h: Host): Map<string, JournalEntry[]> {
  const journals = new Map<string, JournalEntry[]>();
  for (const d of [
    "bus/pci/devices",
    "class/net",
    "class/block",
    "class/iommu",
    "class/pci_bus",
    "kernel/iommu_groups",
    "dev/block",
    "module",
    "firmware/acpi/tables",
  ])
    t.dir(d);
  t.file("bus/pci/drivers_probe", "");
  t.attr("bus/pci/drivers_autoprobe", 1);
  t.file("bus/pci/rescan", "");
  t.file("bus/pci/resource_alignment", "\n");

  for (const rootBus of h.topology.rootBuses) writePciBus(t, `devices/${rootBus}`, rootBus.slice(3), `devices/${rootBus}`);
  for (const f of h.topology.functions) {
    if (f.physfn)
      journals.set(
        `dev:${f.address}`,
        t.record(() => writeDevice(t, h, f)),
      );
    else writeDevice(t, h, f);
  }
  for (const [driver, module] of h.drivers) writeDriver(t, driver, module);
  // the virtual interfaces and block devices first: a binding's journal must not own their directories
  writeNet(t, h);
  writeBlock(t, h);
  for (const f of h.topology.functions)
    if (f.spec.driver)
      journals.set(
        `bind:${f.address}`,
        t.record(() => writeBinding(t, h, f)),
      );
  writeIommu(t, h);
  writeFirmware(t, h);
  for (const m of h.modules) writeModule(t, m, m.drivers);
  return journals;
}
