import type { BridgeKind, PciDevice } from "@/server/host/types";

/** "NVIDIA Corporation GA104 [GeForce RTX 3070]", falling back to the class and IDs so a row is never blank. */
export function deviceName(d: Pick<PciDevice, "vendorName" | "deviceName" | "className" | "vendorId" | "deviceId">): string {
  if (d.deviceName) return d.vendorName ? `${d.vendorName} ${d.deviceName}` : d.deviceName;
  if (d.vendorName) return `${d.vendorName} device ${d.deviceId}`;
  return d.className ?? `device ${d.vendorId}:${d.deviceId}`;
}

export function pciIds(d: Pick<PciDevice, "vendorId" | "deviceId">): string {
  return `${d.vendorId}:${d.deviceId}`;
}

export const BRIDGE_LABEL: Record<BridgeKind, string> = {
  "root-port": "root port",
  "upstream-port": "switch upstream port",
  "downstream-port": "switch downstream port",
  "pci-bridge": "PCIe-to-PCI bridge",
};

/** "just now", "4 s ago", "3 min ago", "2 h ago" */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  return `${Math.floor(m / 60)} h ago`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}
