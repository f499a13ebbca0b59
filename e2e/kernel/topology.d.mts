// Types for topology.mjs (the rig's declarative machine description).
export type PropValue = string | number | boolean;

export interface TopologyDevice {
  id: string;
  kind: string;
  bus?: string;
  addr?: string;
  props?: Record<string, PropValue>;
  expect?: {
    vendorId?: string;
    deviceId?: string;
    driver?: string;
    totalVfs?: number;
    vfDriver?: string;
    hostCritical?: RegExp;
  };
}

export interface ExpectedGroup {
  name: string;
  members: string[];
  verdict: "isolated" | "shared" | "host-critical" | "pf-with-vfs";
  reason?: RegExp;
}

export const FORWARD_MAC: string;
export const GUEST_SERVER_PORT: number;
export const GUEST_AGENT_PORT: number;
export const GUEST_NET: { address: string; gateway: string };
export const machine: {
  type: string;
  memoryMiB: number;
  cpus: number;
  iommu: { driver: string; props: Record<string, PropValue> };
  kernelParams: string[];
};
export const KINDS: Record<string, { driver: string | null; role: string; pci?: boolean }>;
export const devices: TopologyDevice[];
export const expectedGroups: ExpectedGroup[];
export function parseAddr(addr: string): { dev: number; fn: number };
export function qemuDeviceArgs(ports: { serverHostPort: number; agentHostPort: number; dataDir: string }): string[];
export function resolveAddress(inventoryDevices: { address: string; parentChain: string[] }[], id: string): string;
