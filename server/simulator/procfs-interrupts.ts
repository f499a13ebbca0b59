/** /proc/interrupts: the vectors each bound driver requests, the chips named as the kernel version names them. */
import { formatInterrupts, type InterruptLine } from "@/server/host/formats/interrupts";
import type { Host } from "./host-model";
import { type PciFunction, routingId } from "./spec";

/** MSI-X users (NICs, NVMe) versus plain MSI; decides the chip name since per-device MSI domains (6.2). */
const MSIX_DRIVERS = new Set([
  "igb",
  "igc",
  "e1000e",
  "i40e",
  "iavf",
  "ice",
  "ixgbe",
  "ixgbevf",
  "mlx5_core",
  "bnxt_en",
  "nvme",
  "r8169",
  "xhci_hcd",
  "ioatdma",
]);

function interruptVectors(h: Host, f: PciFunction, sound: { card: number }): string[] {
  const s = f.spec;
  switch (s.driver) {
    case undefined:
    case "vfio-pci": // requests its vectors only when a VM opens the device
    case "ast":
    case "i801_smbus": // legacy INTx through the IO-APIC, listed with the IO-APIC pins
    case "piix4_smbus":
      return [];
    case "pcieport":
      return f.kind === "root-port" ? ["PCIe PME, aerdrv"] : [];
    case "nvme": {
      const ctrl = h.nvmeCtrl.get(f.address) ?? "nvme";
      return [`${ctrl}q0`, `${ctrl}q1`, `${ctrl}q2`];
    }
    case "ahci":
      return [`ahci[${f.address}]`];
    case "snd_hda_intel":
      return [`snd_hda_intel:card${sound.card++}`];
    case "nouveau":
      return ["nvkm"];
    default: {
      const up = (s.netdevs ?? []).filter((n) => n.operstate === "up");
      if (s.netdevs) return up.flatMap((n) => [n.name, `${n.name}-TxRx-0`, `${n.name}-TxRx-1`]);
      return [s.driver];
    }
  }
}

/** Kernel ≥ 6.2 names MSI chips per device ("IR-PCI-MSIX-0000:03:00.0", hwirq = vector index). */
export function perDeviceMsiDomains(release: string): boolean {
  const [major, minor] = release.split(/[.-]/).map(Number) as [number, number];
  return major > 6 || (major === 6 && minor >= 2);
}

/**
 * /proc/interrupts as show_interrupts() prints it for two CPUs (irq numbers padded to 3 columns, as nr_irqs < 1000
 * there), with the IR- prefix when interrupts are remapped.
 */
export function interrupts(h: Host): string {
  const ir = h.spec.host.iommu.interruptRemapping ? "IR-" : "";
  const perDevice = perDeviceMsiDomains(h.spec.host.kernelRelease);
  // made-up but stable counts, two CPUs
  const counts = (seed: number): number[] => [(seed * 7919) % 5000, (seed * 104729) % 9000];
  const lines: InterruptLine[] = [];
  const row = (irq: number, chip: string, hwirq: number, handler: string, actions: string) =>
    lines.push({ irq: String(irq), counts: counts(irq), source: { chip, hwirq, handler, actions }, description: "" });
  row(0, `${ir}IO-APIC`, 2, "edge", "timer");
  row(8, `${ir}IO-APIC`, 8, "edge", "rtc0");
  row(9, `${ir}IO-APIC`, 9, "fasteoi", "acpi");
  if (h.topology.functions.some((f) => f.spec.driver === "i801_smbus")) row(16, `${ir}IO-APIC`, 16, "fasteoi", "i801_smbus");
  let irq = 24;
  // VT-d's fault-reporting interrupt
  if (h.iommuUnit?.name === "dmar0") row(irq++, "DMAR-MSI", 0, "edge", "dmar0");
  const sound = { card: 0 };
  for (const f of h.topology.functions) {
    const msix = MSIX_DRIVERS.has(f.spec.driver ?? "");
    interruptVectors(h, f, sound).forEach((name, index) => {
      const chip = perDevice ? `${ir}PCI-MSI${msix ? "X" : ""}-${f.address}` : `${ir}PCI-MSI`;
      // before 6.2 the hwirq encodes the device: domain << 27 | requester ID << 11 | vector index
      const hwirq = perDevice ? index : f.parts.domain * 2 ** 27 + routingId(f.parts) * 2048 + index;
      row(irq++, chip, hwirq, "edge", name);
    });
  }
  const counter = (name: string, description: string) =>
    lines.push({ irq: name, counts: counts(name.charCodeAt(0) * 131 + name.charCodeAt(2)), source: null, description });
  for (const [name, desc] of [
    ["NMI", "Non-maskable interrupts"],
    ["LOC", "Local timer interrupts"],
    ["SPU", "Spurious interrupts"],
    ["PMI", "Performance monitoring interrupts"],
    ["IWI", "IRQ work interrupts"],
    ["RTR", "APIC ICR read retries"],
    ["RES", "Rescheduling interrupts"],
    ["CAL", "Function call interrupts"],
    ["TLB", "TLB shootdowns"],
    ["TRM", "Thermal event interrupts"],
    ["THR", "Threshold APIC interrupts"],
    ["DFR", "Deferred Error APIC interrupts"],
    ["MCE", "Machine check exceptions"],
    ["MCP", "Machine check polls"],
  ] as const)
    counter(name, desc);
  // ERR and MIS: one number in all, no description
  lines.push({ irq: "ERR", counts: [0], source: null, description: "" }, { irq: "MIS", counts: [0], source: null, description: "" });
  for (const [name, desc] of [
    ["PIN", "Posted-interrupt notification event"],
    ["NPI", "Nested posted-interrupt event"],
    ["PIW", "Posted-interrupt wakeup event"],
  ] as const)
    counter(name, desc);
  return formatInterrupts({ cpus: [0, 1], lines });
}
