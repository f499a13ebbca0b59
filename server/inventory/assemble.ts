import { describeSocketUse, type NetIface, type SocketUse } from "@/server/host/net";
import type { RawPciDevice } from "@/server/host/pci";
import type { StorageView } from "@/server/host/storage";
import type { BridgeKind, HostFacts, NetAddress, NetDev, PciDevice } from "@/server/host/types";

export interface NetView {
  ifaces: NetIface[];
  addresses: Map<string, NetAddress[]>;
  /** local addresses a browser is connected to this dashboard on (empty outside the server) */
  servedOn?: string[];
  /** sockets bound to a specific local address (/proc/net/tcp, tcp6, udp, udp6), by that address */
  sockets?: Map<string, SocketUse>;
}

/** Adds what needs more than one device: bridge kinds, VF indexes, interfaces, disks and the host-critical marks. */
export function assembleDevices(raw: RawPciDevice[], net: NetView, storage: StorageView, facts: HostFacts): PciDevice[] {
  const byAddress = new Map(raw.map((d) => [d.address, d]));
  const children = new Map<string, RawPciDevice[]>();
  for (const d of raw) {
    const parent = d.parentChain.at(-1);
    if (!parent) continue;
    const list = children.get(parent);
    if (list) list.push(d);
    else children.set(parent, [d]);
  }
  const ifacesByPci = new Map<string, NetIface[]>();
  for (const i of net.ifaces) {
    if (!i.pciAddress) continue;
    const list = ifacesByPci.get(i.pciAddress);
    if (list) list.push(i);
    else ifacesByPci.set(i.pciAddress, [i]);
  }

  const vfIndex = new Map<string, number>();
  for (const d of raw) d.sriov?.vfs.forEach((vf, i) => vfIndex.set(vf, i));

  const ifaceByName = new Map(net.ifaces.map((i) => [i.name, i]));
  const allUppers = (name: string, seen = new Set<string>()): string[] => {
    for (const up of ifaceByName.get(name)?.uppers ?? []) {
      if (!seen.has(up)) {
        seen.add(up);
        allUppers(up, seen);
      }
    }
    return [...seen];
  };

  const devices: PciDevice[] = raw.map((d) => {
    const netdevs: NetDev[] = (ifacesByPci.get(d.address) ?? []).map((i) => ({
      name: i.name,
      mac: i.mac,
      operstate: i.operstate,
      addresses: net.addresses.get(i.name) ?? [],
      uppers: allUppers(i.name),
    }));
    return {
      ...d,
      bridge: bridgeKind(d, byAddress, children),
      vfIndex: d.physfn ? (vfIndex.get(d.address) ?? null) : null,
      netdevs,
      blockDevices: storage.byPci.get(d.address) ?? [],
      hostCritical: [],
      hold: null,
      hostNotices: [],
    };
  });

  markHostCritical(devices, net, storage, facts);
  return devices;
}

/** PCI-to-PCI bridges (0604) and subtractive-decode bridges (0609): the functions with a secondary bus. */
function isBridgeClass(d: RawPciDevice): boolean {
  return d.classId.startsWith("0604") || d.classId.startsWith("0609");
}

/**
 * sysfs has no "port type" file (it lives in config space, which needs root), so the kind is read from the
 * topology: a bridge on a root bus is a root port; one whose children have no PCIe link is a PCIe-to-PCI
 * bridge; one below a root/downstream port with bridges below it is a switch's upstream port.
 */
function bridgeKind(d: RawPciDevice, byAddress: Map<string, RawPciDevice>, children: Map<string, RawPciDevice[]>): BridgeKind | null {
  if (!isBridgeClass(d)) return null;
  const parent = d.parentChain.at(-1);
  if (!parent) return d.link === null ? "pci-bridge" : "root-port";
  const parentDev = byAddress.get(parent);
  // Below a switch's upstream port every bridge is a downstream port, whatever hangs below it.
  if (parentDev && bridgeKind(parentDev, byAddress, children) === "upstream-port") return "downstream-port";
  const kids = children.get(d.address) ?? [];
  if (d.link === null || (kids.length > 0 && kids.every((k) => k.link === null))) return "pci-bridge";
  if (kids.some((k) => isBridgeClass(k))) return "upstream-port";
  return "downstream-port";
}

function describeIface(iface: string, via: string): string {
  return via === iface ? iface : `${iface} (via ${via})`;
}

const cidr = (a: NetAddress) => `${a.address}/${a.prefixLength ?? "?"}`;

/** "autoconfigured (SLAAC) address …": /128 leases come from a DHCPv6 client, prefixes from router advertisements. */
function describeDynamic(a: NetAddress): string {
  if (a.origin === "temporary") return `temporary (RFC 4941 privacy) address ${cidr(a)}`;
  return `autoconfigured (${a.prefixLength === 128 ? "DHCPv6" : "SLAAC"}) address ${cidr(a)}`;
}

/**
 * What the host depends on, from what it uses rather than from what is there:
 * - the configured default routes (IPv4; IPv6 not learned from a router advertisement);
 * - addresses an admin or a network manager configured ("static"), addresses with live sockets, the address a
 *   browser reaches this dashboard on — on the interface itself or on a bridge/bond/vlan above it (`uppers`);
 * - an IPv6 default route learned from a router advertisement only when something uses it (a socket on one of
 *   that interface's IPv6 addresses) or when it is the host's only way out (no IPv4 default, no configured IPv6
 *   default); otherwise it is a notice;
 * - the disks holding mounts and swap, and the bridges upstream of any of these.
 * An autoconfigured (SLAAC, DHCPv6) or temporary address no socket uses is a notice (`hostNotices`): a warning to
 * acknowledge, since the kernel re-makes it when the link comes back.
 */
function markHostCritical(devices: PciDevice[], net: NetView, storage: StorageView, facts: HostFacts): void {
  const { ipv4, ipv6, ipv6Ra } = facts.defaultRoute;
  const sockets = net.sockets ?? new Map<string, SocketUse>();
  const noOtherDefault = ipv4 === null && ipv6 === null;
  for (const dev of devices) {
    const reasons = new Set<string>();
    const notices = new Set<string>();
    for (const nd of dev.netdevs) {
      for (const name of [nd.name, ...nd.uppers]) {
        const via = describeIface(nd.name, name);
        // "default route" stays one phrase in every variant: people (and scripts) search for it.
        if (name === ipv4 && name === ipv6) reasons.add(`${via} carries the default route (IPv4 and IPv6)`);
        else if (name === ipv4) reasons.add(`${via} carries the default route (IPv4)`);
        else if (name === ipv6) reasons.add(`${via} carries the default route (IPv6)`);
        const addrs = (net.addresses.get(name) ?? []).filter((a) => a.scope === "global");
        const served = addrs.filter((a) => net.servedOn?.includes(a.address));
        const configured = addrs.filter((a) => a.origin === "static");
        if (configured.length > 0) reasons.add(`${via} has address ${configured.map(cidr).join(", ")}`);
        for (const a of addrs.filter((x) => x.origin !== "static")) {
          const use = sockets.get(a.address);
          if (use) reasons.add(`${via} has ${describeDynamic(a)} with live sockets (${describeSocketUse(use)})`);
          else if (!served.includes(a)) notices.add(`${via} has ${describeDynamic(a)} — no sockets use it`);
        }
        if (served.length > 0) reasons.add(`${via} carries this dashboard: a browser is connected to ${served.map((a) => a.address).join(", ")}`);
        if (ipv6Ra.includes(name) && name !== ipv6) {
          const users = addrs.filter((a) => a.family === "inet6" && (sockets.has(a.address) || served.includes(a)));
          if (users.length > 0)
            reasons.add(`${via} carries the default route (IPv6, from a router advertisement) that sockets on ${users.map((a) => a.address).join(", ")} use`);
          else if (noOtherDefault) reasons.add(`${via} carries the default route (IPv6, from a router advertisement): the host has no other default route`);
          else notices.add(`${via} has an IPv6 default route learned from a router advertisement, used by no socket`);
        }
      }
    }
    for (const disk of dev.blockDevices) {
      for (const m of disk.mounts) {
        const on = m.device === disk.name ? disk.name : `${disk.name} (${m.device})`;
        reasons.add(m.mountpoint === "[SWAP]" ? `${on} is in use as swap` : `${on} holds ${m.mountpoint} (${m.fstype})`);
      }
    }
    dev.hostCritical = [...reasons];
    dev.hostNotices = [...notices];
  }

  // A filesystem sysfs cannot trace (a ZFS root) may live on any disk: keep every disk controller safe.
  const unmappedRoots = storage.unmapped.filter((m) => m.mountpoint === "/" || m.mountpoint.startsWith("/boot"));
  if (unmappedRoots.length > 0) {
    for (const dev of devices) {
      if (dev.blockDevices.length === 0) continue;
      for (const m of unmappedRoots)
        dev.hostCritical.push(
          `may hold ${m.mountpoint} (${m.fstype} ${m.source}): Passdeck cannot trace this filesystem to a disk, so every disk controller is treated as critical`,
        );
    }
  }

  const byAddress = new Map(devices.map((d) => [d.address, d]));
  for (const dev of devices.filter((d) => d.hostCritical.length > 0 && d.bridge === null)) {
    for (const up of dev.parentChain) {
      const bridge = byAddress.get(up);
      const reason = `upstream of host-critical ${dev.address}`;
      if (bridge && !bridge.hostCritical.includes(reason)) bridge.hostCritical.push(reason);
    }
  }
}
