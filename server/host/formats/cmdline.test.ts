import { describe, expect, it } from "vitest";
import { formatCmdline, parseCmdline } from "./cmdline";

const SAMPLE = "BOOT_IMAGE=/boot/vmlinuz-6.8.0-49-generic root=UUID=0b6c1f0e ro quiet splash intel_iommu=on iommu=pt vt.handoff=7\n";

describe("/proc/cmdline", () => {
  it("reads the line; NULs between parameters count as spaces", () => {
    expect(parseCmdline(SAMPLE)).toBe(SAMPLE.trim());
    expect(parseCmdline("root=/dev/sda1\0intel_iommu=on\0")).toBe("root=/dev/sda1 intel_iommu=on");
  });

  it("format → parse gives back the command line, and a sample prints back as it was", () => {
    expect(parseCmdline(formatCmdline("amd_iommu=on pcie_acs_override=downstream,multifunction"))).toBe(
      "amd_iommu=on pcie_acs_override=downstream,multifunction",
    );
    expect(formatCmdline(parseCmdline(SAMPLE))).toBe(SAMPLE);
  });
});
