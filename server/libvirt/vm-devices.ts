/**
 * Each VM with its passthrough devices joined to the host's view of them: IOMMU group, driver, name, and for a VF
 * its PF, index and the settings the PF reports. What the VM page and `passdeck vm list` show. Pure.
 */
import type { VfInfo } from "@/server/host/ip-link";
import type { Inventory } from "@/server/host/types";
import type { Domain, DomainState } from "./domains";
import { buildInUseMap } from "./in-use";

export interface VmDevice {
  address: string;
  as: "hostdev" | "interface";
  /** which definitions name it: live (the running VM has it), config (the next start has it) */
  in: ("live" | "config")[];
  managed: boolean;
  mac: string | null;
  vlan: number[];
  /** null when the address is not a PCI device on this host (removed, or VFs not created yet) */
  host: {
    name: string;
    driver: string | null;
    iommuGroup: number | null;
    vf: { pf: string; index: number; settings: VfInfo | null } | null;
  } | null;
}

export interface VmRow {
  uuid: string;
  name: string;
  state: DomainState;
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  vcpus: number | null;
  memoryKiB: number | null;
  xmlError: string | null;
  devices: VmDevice[];
  /**
   * interfaces on libvirt networks in the persistent config: on a VF pool they take "any free VF" (the VF a running
   * VM got is in `devices`); vms.pools says which networks are pools
   */
  networkInterfaces: { network: string; mac: string | null; vlan: number[] }[];
}

/** `vfInfo`: vfinfo_list per PF address, for the PFs whose VFs the VMs hold. */
export function vmRows(domains: Domain[], inv: Inventory, vfInfo: Map<string, VfInfo[]>): VmRow[] {
  const inUse = buildInUseMap(domains);
  return domains.map((d) => {
    const devices: VmDevice[] = [];
    for (const [address, holders] of Object.entries(inUse)) {
      const h = holders.find((x) => x.domain.uuid === d.uuid);
      if (!h) continue;
      const dev = inv.devices.find((x) => x.address === address);
      const vf =
        dev?.physfn && dev.vfIndex !== null
          ? { pf: dev.physfn, index: dev.vfIndex, settings: vfInfo.get(dev.physfn)?.find((v) => v.vf === dev.vfIndex) ?? null }
          : null;
      devices.push({
        address,
        as: h.as,
        in: [...h.in].sort(),
        managed: h.managed,
        mac: h.mac,
        vlan: h.vlan,
        host: dev ? { name: dev.deviceName ?? `${dev.vendorId}:${dev.deviceId}`, driver: dev.driver, iommuGroup: dev.iommuGroup, vf } : null,
      });
    }
    devices.sort((a, b) => a.address.localeCompare(b.address));
    const { uuid, name, state, active, persistent, autostart, vcpus, memoryKiB, xmlError } = d;
    const networkInterfaces = (d.config ?? d.live)?.networkInterfaces.map(({ network, mac, vlan }) => ({ network, mac, vlan })) ?? [];
    return { uuid, name, state, active, persistent, autostart, vcpus, memoryKiB, xmlError, devices, networkInterfaces };
  });
}

/** The PFs whose VF settings the rows need. */
export function pfsOfHeldVfs(domains: Domain[], inv: Inventory): string[] {
  const pfs = new Set<string>();
  for (const address of Object.keys(buildInUseMap(domains))) {
    const pf = inv.devices.find((x) => x.address === address)?.physfn;
    if (pf) pfs.add(pf);
  }
  return [...pfs];
}
