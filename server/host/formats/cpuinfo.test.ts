import { describe, expect, it } from "vitest";
import { cpuinfoField, formatCpuinfo, parseCpuinfo, type CpuinfoBlock } from "./cpuinfo";

// the start and end of an x86 block as a 6.x kernel printed it, twice
const BLOCK = (n: number) => `processor\t: ${n}
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep svm
bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2
TLB size\t: 192 4K pages
address sizes\t: 48 bits physical, 48 bits virtual
power management:`;
const SAMPLE = `${BLOCK(0)}\n\n${BLOCK(1)}\n\n`;

describe("/proc/cpuinfo", () => {
  it("reads one block a CPU, names without their tabs", () => {
    const cpus = parseCpuinfo(SAMPLE);
    expect(cpus).toHaveLength(2);
    expect(cpuinfoField(cpus[0], "model")).toBe("2");
    expect(cpuinfoField(cpus[0], "model name")).toBe("AMD EPYC");
    expect(cpuinfoField(cpus[1], "processor")).toBe("1");
    expect(cpuinfoField(cpus[0], "power management")).toBe("");
    expect(cpuinfoField(undefined, "flags")).toBeNull();
  });

  it("format → parse gives back the blocks", () => {
    const cpus: CpuinfoBlock[] = [
      [
        ["processor", "0"],
        ["vendor_id", "GenuineIntel"],
        ["flags", "fpu vmx"],
        ["power management", "ts ttp"],
      ],
    ];
    expect(parseCpuinfo(formatCpuinfo(cpus))).toEqual(cpus);
  });

  it("prints the kernel's text back from a parsed sample, byte for byte", () => {
    expect(formatCpuinfo(parseCpuinfo(SAMPLE))).toBe(SAMPLE);
  });
});
