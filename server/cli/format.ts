import type { Inventory, PciDevice, ReadinessCheck } from "@/server/host/types";
import { describeHold, isHeld } from "@/lib/holds";

/** The stable `inventory --json` contract: scripts depend on these names. */
export function inventoryJson(inv: Inventory) {
  return {
    scannedAt: inv.scannedAt,
    source: inv.source,
    iommu: { enabled: inv.facts.iommu.enabled, vendor: inv.facts.iommu.vendor, groupCount: inv.facts.iommu.groupCount },
    groups: inv.groups.map((g) => ({ id: g.id, devices: g.devices, verdict: g.verdict, summary: g.summary, reasons: g.reasons })),
    devices: inv.devices.map((d) => ({
      address: d.address,
      vendorId: d.vendorId,
      deviceId: d.deviceId,
      subsystemVendorId: d.subsystemVendorId,
      subsystemDeviceId: d.subsystemDeviceId,
      classId: d.classId,
      vendorName: d.vendorName,
      deviceName: d.deviceName,
      className: d.className,
      driver: d.driver,
      driverOverride: d.driverOverride,
      iommuGroup: d.iommuGroup,
      numaNode: d.numaNode,
      bridge: d.bridge,
      parentChain: d.parentChain,
      physfn: d.physfn,
      vfIndex: d.vfIndex,
      sriov: d.sriov ? { totalVfs: d.sriov.totalVfs, numVfs: d.sriov.numVfs, vfDeviceId: d.sriov.vfDeviceId, vfs: d.sriov.vfs } : null,
      netdevs: d.netdevs.map((n) => n.name),
      blockDevices: d.blockDevices.map((b) => b.name),
      hostCritical: d.hostCritical,
      hostNotices: d.hostNotices,
      hold: d.hold,
    })),
    facts: inv.facts,
    readiness: inv.readiness,
    warnings: inv.warnings,
  };
}

/** The JSON `passdeck inventory --json` prints; tests and scripts type against it. */
export type InventoryJson = ReturnType<typeof inventoryJson>;

function label(d: PciDevice): string {
  const name = [d.vendorName, d.deviceName].filter(Boolean).join(" ") || "unknown device";
  return `${d.address} [${d.classId.slice(0, 4)}] ${name} [${d.vendorId}:${d.deviceId}]${d.revision ? ` (rev ${d.revision})` : ""}`;
}

export function formatInventory(inv: Inventory): string {
  const lines = [
    `${inv.devices.length} PCI functions, IOMMU ${inv.facts.iommu.enabled ? `on (${inv.groups.length} groups)` : "off"}${inv.source.demo ? `  [demo host: ${inv.source.demo}]` : ""}`,
    "",
  ];
  for (const d of inv.devices) {
    lines.push(`${label(d)}`);
    const bits = [`group ${d.iommuGroup ?? "-"}`, `driver ${d.driver ?? "-"}`];
    if (d.sriov) bits.push(`SR-IOV ${d.sriov.numVfs}/${d.sriov.totalVfs} VFs`);
    if (d.physfn) bits.push(`VF ${d.vfIndex ?? "?"} of ${d.physfn}`);
    if (d.netdevs.length) bits.push(`net ${d.netdevs.map((n) => n.name).join(",")}`);
    if (d.blockDevices.length) bits.push(`disk ${d.blockDevices.map((b) => b.name).join(",")}`);
    lines.push(`    ${bits.join("  ")}`);
    for (const r of d.hostCritical) lines.push(`    HOST-CRITICAL: ${r}`);
    for (const r of d.hostNotices) lines.push(`    Host notice: ${r}`);
    if (isHeld(d.hold)) lines.push(`    In use: ${describeHold(d.hold)}`);
  }
  for (const w of inv.warnings) lines.push(`warning: ${w}`);
  return lines.join("\n");
}

export function formatGroups(inv: Inventory): string {
  if (!inv.facts.iommu.enabled) return "The IOMMU is off: there are no IOMMU groups. Run `passdeck check` for what to change.";
  const byAddress = new Map(inv.devices.map((d) => [d.address, d]));
  const lines: string[] = [];
  for (const g of inv.groups) {
    lines.push(`IOMMU group ${g.id}  ${g.verdict.toUpperCase()}: ${g.summary}`);
    for (const a of g.devices) {
      const d = byAddress.get(a)!;
      const tags = [
        d.driver ? `driver ${d.driver}` : "no driver",
        d.bridge,
        d.hostCritical.length ? "host-critical" : d.hostNotices.length ? "host notice" : null,
        isHeld(d.hold) ? describeHold(d.hold) : null,
      ]
        .filter(Boolean)
        .join(", ");
      lines.push(`    ${label(d)}  (${tags})`);
    }
    for (const r of g.reasons) lines.push(`    why: ${r}`);
  }
  return lines.join("\n");
}

const MARK: Record<ReadinessCheck["status"], string> = { pass: "PASS", warn: "WARN", fail: "FAIL", info: "INFO" };

export function formatCheckList(checks: ReadinessCheck[], ready: boolean): string {
  const lines = checks.flatMap((c) => [`[${MARK[c.status]}] ${c.title}`, `       ${c.observed}`, ...(c.fix ? [`       fix: ${c.fix}`] : [])]);
  lines.push("", ready ? "Ready for passthrough." : "Not ready for passthrough: fix the FAIL items above.");
  return lines.join("\n");
}

export function formatDevice(d: PciDevice, inv: Inventory): string {
  const group = inv.groups.find((g) => g.id === d.iommuGroup);
  return [
    label(d),
    `  class ${d.className ?? "?"} (${d.classId}), subsystem ${d.subsystemVendorId ?? "-"}:${d.subsystemDeviceId ?? "-"} ${d.subsystemName ?? ""}`,
    `  driver ${d.driver ?? "none"}${d.driverOverride ? ` (override ${d.driverOverride})` : ""}, NUMA node ${d.numaNode ?? "-"}`,
    `  path ${[...d.parentChain, d.address].join(" → ")}`,
    d.link
      ? `  link ${d.link.currentSpeed ?? "?"} x${d.link.currentWidth ?? "?"} of ${d.link.maxSpeed ?? "?"} x${d.link.maxWidth ?? "?"}${d.link.downgraded ? " (below max)" : ""}`
      : "  link: conventional PCI or not reported",
    `  reset ${d.reset.available ? (d.reset.methods?.join(", ") ?? "available") : "none"}`,
    group ? `  IOMMU group ${group.id}: ${group.verdict} — ${group.summary}` : "  no IOMMU group",
    ...(d.sriov
      ? [`  SR-IOV PF: ${d.sriov.numVfs}/${d.sriov.totalVfs} VFs, VF device ${d.sriov.vfDeviceId ?? "?"}, VFs ${d.sriov.vfs.join(" ") || "none"}`]
      : []),
    ...(d.physfn ? [`  VF ${d.vfIndex} of PF ${d.physfn}`] : []),
    ...d.netdevs.map(
      (n) =>
        `  net ${n.name} ${n.mac ?? ""} ${n.operstate ?? ""} ${n.addresses.map((a) => `${a.address}/${a.prefixLength}${a.origin === "static" ? "" : ` (${a.origin})`}`).join(" ")}`,
    ),
    ...d.blockDevices.map((b) => `  disk ${b.name}${b.mounts.map((m) => ` ${m.mountpoint}`).join("")}`),
    ...d.hostCritical.map((r) => `  HOST-CRITICAL: ${r}`),
    ...d.hostNotices.map((r) => `  Host notice: ${r}`),
    ...(isHeld(d.hold) ? [`  In use: ${describeHold(d.hold)}`] : []),
  ].join("\n");
}
