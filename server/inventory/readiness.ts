import type { HostFacts, IommuGroup, PciDevice, ReadinessCheck } from "@/server/host/types";

const GRUB_HOW =
  "add it to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub and run update-grub (systemd-boot/Proxmox: /etc/kernel/cmdline, then proxmox-boot-tool refresh), then reboot";

/** A checklist like virt-host-validate, each item with what was read and the exact fix. */
export function readinessChecks(facts: HostFacts, devices: PciDevice[], groups: IommuGroup[]): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  const intel = facts.iommu.vendor === "intel" || facts.cpu.vendor === "GenuineIntel";
  const amd = facts.iommu.vendor === "amd" || facts.cpu.vendor === "AuthenticAMD";

  const virt = facts.cpu.virtualization;
  checks.push({
    id: "cpu-virtualization",
    title: "CPU virtualization (VT-x / AMD-V)",
    status: virt ? "pass" : "fail",
    observed: virt
      ? `the CPU flags in /proc/cpuinfo include ${virt} (${virt === "vmx" ? "Intel VT-x" : "AMD-V"}) on ${facts.cpu.model ?? "this CPU"}`
      : `the CPU flags in /proc/cpuinfo have neither vmx nor svm (${facts.cpu.model ?? "unknown CPU"})`,
    fix: virt
      ? null
      : amd
        ? "Enable SVM Mode in the BIOS/UEFI (Advanced → CPU Configuration)."
        : "Enable Intel Virtualization Technology (VT-x) in the BIOS/UEFI (Advanced → CPU Configuration). Inside a VM, the hypervisor must expose it (nested virtualization).",
  });

  const table = facts.iommu.acpiTable;
  checks.push({
    id: "firmware-iommu",
    title: "VT-d / AMD-Vi enabled in firmware",
    status: table ? "pass" : "fail",
    observed: table
      ? `ACPI ${table} table present (firmware/acpi/tables/${table}): the BIOS exposes ${table === "DMAR" ? "Intel VT-d" : "AMD-Vi"}`
      : "no DMAR or IVRS table under firmware/acpi/tables: the BIOS does not expose an IOMMU",
    fix: table
      ? null
      : amd
        ? "Enable IOMMU / AMD-Vi in the BIOS/UEFI (AMD CBS → NBIO Common Options → IOMMU = Enabled)."
        : "Enable VT-d (Intel Virtualization Technology for Directed I/O) in the BIOS/UEFI (Chipset → System Agent Configuration → VT-d).",
  });

  const { enabled, units, groupCount } = facts.iommu;
  const param = intel ? "intel_iommu=on" : "amd_iommu=on iommu=pt";
  checks.push({
    id: "kernel-iommu",
    title: "IOMMU enabled in the kernel",
    status: enabled ? "pass" : "fail",
    observed: enabled
      ? `IOMMU units ${units.join(", ")} under class/iommu; ${groupCount} groups under kernel/iommu_groups`
      : `class/iommu has ${units.length} units and kernel/iommu_groups has ${groupCount} groups; kernel command line: ${facts.cmdline || "(empty)"}`,
    fix: enabled
      ? null
      : table === null
        ? "Enable the IOMMU in the BIOS first (see above), then check again."
        : facts.kernelParams.intel_iommu === "off" || facts.kernelParams.amd_iommu === "off"
          ? `The command line turns the IOMMU off; replace it with ${param}: ${GRUB_HOW}.`
          : `Add ${param} to the kernel command line: ${GRUB_HOW}.`,
  });

  const ir = facts.iommu.interruptRemapping;
  checks.push({
    id: "interrupt-remapping",
    title: "Interrupt remapping",
    status: ir === "enabled" ? "pass" : "warn",
    observed:
      ir === "enabled"
        ? "the irq chips in /proc/interrupts are IR-PCI-MSI / IR-IO-APIC: interrupts are remapped"
        : ir === "disabled"
          ? "the irq chips in /proc/interrupts are plain PCI-MSI / IO-APIC: interrupt remapping is off"
          : "the interrupts file in procfs could not be read",
    fix:
      ir === "enabled"
        ? null
        : "Interrupt remapping comes with VT-d/AMD-Vi and x2APIC: enable both in the BIOS and do not set intremap=off. Without it vfio-pci refuses devices unless vfio_iommu_type1.allow_unsafe_interrupts=1 is set, which lets a guest inject interrupts into the host: use it only on a trusted setup.",
  });

  const ungrouped = enabled ? devices.filter((d) => d.iommuGroup === null) : [];
  checks.push({
    id: "iommu-groups",
    title: "IOMMU groups populated",
    status: !enabled ? "fail" : ungrouped.length > 0 ? "warn" : "pass",
    observed: enabled
      ? `${groupCount} groups hold ${devices.length - ungrouped.length} of ${devices.length} PCI functions; ${groups.filter((g) => g.verdict === "isolated" && g.endpoints.length > 0).length} groups are isolated, ${groups.filter((g) => g.verdict === "shared").length} shared`
      : "no IOMMU groups: no device can be passed through",
    fix: !enabled
      ? "Enable the IOMMU (see above); groups appear after a reboot."
      : ungrouped.length > 0
        ? `${ungrouped.map((d) => d.address).join(", ")} have no iommu_group link: they are not behind the IOMMU and cannot be passed through.`
        : null,
  });

  const vfioLoaded = facts.vfio.pciDriverLoaded;
  checks.push({
    id: "vfio",
    title: "vfio-pci driver",
    status: vfioLoaded ? "pass" : "warn",
    observed: vfioLoaded
      ? `bus/pci/drivers/vfio-pci exists; modules: ${facts.vfio.modules.join(", ") || "built in"}`
      : `bus/pci/drivers/vfio-pci does not exist; vfio modules loaded: ${facts.vfio.modules.join(", ") || "none"}`,
    fix: vfioLoaded
      ? null
      : "Load it now with `modprobe vfio-pci` and at every boot with a line `vfio-pci` in /etc/modules-load.d/vfio.conf (Passdeck loads it before binding).",
  });

  const pfs = devices.filter((d) => d.sriov !== null);
  const zero = pfs.filter((d) => d.sriov!.totalVfs === 0);
  checks.push({
    id: "sriov",
    title: "SR-IOV capable devices",
    status: pfs.length === 0 ? "info" : zero.length > 0 ? "warn" : "pass",
    observed:
      pfs.length === 0
        ? "no device has sriov_totalvfs: no SR-IOV capable device (or its driver lacks SR-IOV support)"
        : pfs.map((d) => `${d.address} ${d.deviceName ?? d.deviceId} (${d.driver ?? "no driver"}): ${d.sriov!.numVfs}/${d.sriov!.totalVfs} VFs`).join("; "),
    fix:
      zero.length > 0
        ? `${zero.map((d) => d.address).join(", ")} report sriov_totalvfs 0: SR-IOV is off in firmware. Enable "SR-IOV Support" in the BIOS/UEFI (PCI Subsystem Settings) and, for NICs, SR-IOV in the card's own configuration (option ROM / HII menu, or mstconfig for Mellanox), then reboot.`
        : null,
  });

  const p = facts.kernelParams;
  const paramNotes: string[] = [];
  let paramStatus: ReadinessCheck["status"] = "info";
  if (p.pcie_acs_override) {
    paramStatus = "warn";
    paramNotes.push(
      `pcie_acs_override=${String(p.pcie_acs_override)} makes the kernel pretend devices are isolated: groups look split but peer-to-peer DMA is not blocked`,
    );
  }
  const ids = p["vfio-pci.ids"] ?? p["vfio_pci.ids"];
  if (ids) paramNotes.push(`vfio-pci.ids=${String(ids)} hands every device with these IDs to vfio-pci at boot (all ports of a NIC model alike)`);
  if (p.iommu === "pt" || p["iommu.passthrough"]) paramNotes.push("iommu=pt: host-owned devices bypass DMA translation (faster host I/O)");
  if (p.pci) paramNotes.push(`pci=${String(p.pci)}`);
  if (p["vfio_iommu_type1.allow_unsafe_interrupts"]) {
    paramStatus = "warn";
    paramNotes.push("vfio_iommu_type1.allow_unsafe_interrupts is set: guests can inject interrupts into the host");
  }
  checks.push({
    id: "kernel-parameters",
    title: "Kernel parameters for passthrough",
    status: paramStatus,
    observed:
      paramNotes.length > 0
        ? paramNotes.join("; ")
        : `none of ${["intel_iommu", "amd_iommu", "iommu", "pcie_acs_override", "vfio-pci.ids", "pci"].join(", ")} beyond the above`,
    fix: p.pcie_acs_override
      ? "Prefer moving the card to a slot whose port has ACS (a CPU root port) over pcie_acs_override; keep the override only if you accept that the VM could reach other devices in the real group."
      : null,
  });

  return checks;
}

/** Ready for passthrough when nothing failed; warnings are things to know, not blockers. */
export function isReady(checks: ReadinessCheck[]): boolean {
  return checks.every((c) => c.status !== "fail");
}
