import { describe, expect, it } from "vitest";
import { formatInterrupts, interruptChips, parseInterrupts, type Interrupts } from "./interrupts";

// a QEMU guest's 6.18 kernel (virtio, no remapping; since 6.10 a count is " %10u", so one space fewer before the
// chip than 6.8's "%10u " printed), and a host's MSI-X line with IR-
const SAMPLE = `           CPU0       CPU1       
  0:         33          0   IO-APIC   2-edge      timer
 24:          1          0  IO-APIC   5-edge      ACPI:Ged
 28:          0          0 PCI-MSIX-0000:00:01.0   0-edge      virtio0-config
 29:       2519          0 PCI-MSIX-0000:00:01.0   1-edge      virtio0-input.0, virtio0-output.0
 40:          0          0 IR-PCI-MSIX-0000:03:00.0   0-edge      enp3s0
NMI:          0          0   Non-maskable interrupts
LOC:   13158507   13117391   Local timer interrupts
ERR:          0
MIS:          0
PIN:          0          0   Posted-interrupt notification event
`;

describe("/proc/interrupts", () => {
  it("reads the CPUs, each irq's counts, chip, hwirq, handler and actions, and the counters", () => {
    const t = parseInterrupts(SAMPLE);
    expect(t.cpus).toEqual([0, 1]);
    expect(t.lines[3]).toEqual({
      irq: "29",
      counts: [2519, 0],
      source: { chip: "PCI-MSIX-0000:00:01.0", hwirq: 1, handler: "edge", actions: "virtio0-input.0, virtio0-output.0" },
      description: "",
    });
    expect(t.lines[6]).toEqual({ irq: "LOC", counts: [13158507, 13117391], source: null, description: "Local timer interrupts" });
    expect(t.lines[7]).toEqual({ irq: "ERR", counts: [0], source: null, description: "" });
    expect(interruptChips(t).slice(0, 5)).toEqual(["IO-APIC", "IO-APIC", "PCI-MSIX-0000:00:01.0", "PCI-MSIX-0000:00:01.0", "IR-PCI-MSIX-0000:03:00.0"]);
  });

  it("format → parse gives back the table (a pre-6.2 hwirq, an irq past 999)", () => {
    const t: Interrupts = {
      cpus: [0, 2],
      lines: [
        { irq: "24", counts: [5, 6], source: { chip: "IR-PCI-MSI", hwirq: 1572864, handler: "edge", actions: "eno1" }, description: "" },
        { irq: "1024", counts: [0, 1], source: { chip: "IR-IO-APIC", hwirq: 9, handler: "fasteoi", actions: "acpi" }, description: "" },
        { irq: "NMI", counts: [1, 2], source: null, description: "Non-maskable interrupts" },
        { irq: "MIS", counts: [0], source: null, description: "" },
      ],
    };
    expect(parseInterrupts(formatInterrupts(t))).toEqual(t);
  });

  it("parse → format → parse of a sample is stable (printed in the 6.8 layout)", () => {
    const t = parseInterrupts(SAMPLE);
    expect(parseInterrupts(formatInterrupts(t))).toEqual(t);
    expect(formatInterrupts(t).split("\n")[1]).toBe("  0:         33          0   IO-APIC   2-edge      timer");
  });
});
