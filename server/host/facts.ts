import { parseCmdline as parseCmdlineFile } from "./formats/cmdline";
import { cpuinfoField, parseCpuinfo } from "./formats/cpuinfo";
import { interruptChips, parseInterrupts } from "./formats/interrupts";
import type { KernelFs } from "./fs";
import type { Routes } from "./net";
import type { HostFacts } from "./types";

/** Kernel parameters that decide whether passthrough works (and how), looked for on /proc/cmdline. */
export const RELEVANT_PARAMS = [
  "intel_iommu",
  "amd_iommu",
  "iommu",
  "iommu.passthrough",
  "pcie_acs_override",
  "vfio-pci.ids",
  "vfio_pci.ids",
  "vfio_iommu_type1.allow_unsafe_interrupts",
  "pci",
  "pcie_aspm",
  "video",
  "initcall_blacklist",
  "modprobe.blacklist",
];

export function parseCmdline(cmdline: string): Record<string, string | true> {
  const params: Record<string, string | true> = {};
  for (const token of cmdline.trim().split(/\s+/)) {
    if (!token) continue;
    const eq = token.indexOf("=");
    const key = eq < 0 ? token : token.slice(0, eq);
    if (!RELEVANT_PARAMS.includes(key)) continue;
    const value = eq < 0 ? true : token.slice(eq + 1);
    // Repeated parameters (pci=realloc pci=assign-busses) accumulate, as the kernel applies each.
    const prev = params[key];
    params[key] = typeof prev === "string" && typeof value === "string" ? `${prev},${value}` : value;
  }
  return params;
}

const VFIO_MODULES = ["vfio", "vfio_pci", "vfio_pci_core", "vfio_iommu_type1", "vfio_virqfd"];

export function readHostFacts(sys: KernelFs, proc: KernelFs, routes: Routes): HostFacts {
  const cmdline = parseCmdlineFile(proc.read("cmdline"));
  const firstCpu = parseCpuinfo(proc.readOptional("cpuinfo") ?? "")[0];
  const field = (name: string) => cpuinfoField(firstCpu, name);
  const flags = new Set((field("flags") ?? "").split(/\s+/));

  const tables = sys.listOptional("firmware/acpi/tables") ?? [];
  const acpiTable = tables.includes("DMAR") ? "DMAR" : tables.includes("IVRS") ? "IVRS" : null;
  const units = sys.listOptional("class/iommu") ?? [];
  const groupCount = (sys.listOptional("kernel/iommu_groups") ?? []).length;
  const vendor =
    units.some((u) => u.startsWith("dmar")) || acpiTable === "DMAR" ? "intel" : units.some((u) => u.startsWith("ivhd")) || acpiTable === "IVRS" ? "amd" : null;

  const modules = sys.listOptional("module") ?? [];
  return {
    hostname: proc.readOptional("sys/kernel/hostname"),
    kernelRelease: proc.readOptional("sys/kernel/osrelease"),
    cmdline,
    kernelParams: parseCmdline(cmdline),
    cpu: {
      vendor: field("vendor_id"),
      model: field("model name"),
      virtualization: flags.has("vmx") ? "vmx" : flags.has("svm") ? "svm" : null,
    },
    iommu: {
      enabled: units.length > 0 && groupCount > 0,
      acpiTable,
      vendor,
      units,
      groupCount,
      interruptRemapping: interruptRemapping(proc.readOptional("interrupts")),
    },
    vfio: {
      pciDriverLoaded: sys.exists("bus/pci/drivers/vfio-pci"),
      modules: modules.filter((m) => VFIO_MODULES.includes(m)),
    },
    defaultRoute: { ipv4: routes.defaultV4, ipv6: routes.defaultV6, ipv6Ra: routes.raDefaultsV6 },
  };
}

/**
 * With interrupt remapping on, the kernel names the MSI and IO-APIC irq chips "IR-PCI-MSI"/"IR-IO-APIC"
 * (Intel and AMD alike); without it, plain "PCI-MSI"/"IO-APIC". This works without root, unlike dmesg.
 */
export function interruptRemapping(interrupts: string | null): "enabled" | "disabled" | "unknown" {
  if (interrupts === null) return "unknown";
  const chips = interruptChips(parseInterrupts(interrupts)).join("\n");
  if (/\bIR-(PCI-MSI|IO-APIC|PCI-MSIX|MSI)/.test(chips)) return "enabled";
  if (/\b(PCI-MSI|IO-APIC|PCI-MSIX)\b/.test(chips)) return "disabled";
  return "unknown";
}
