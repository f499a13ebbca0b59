import { fibTrieLocals, parseFibTrie } from "./formats/fib-trie";
import { IFA_F_PERMANENT, IFA_F_TEMPORARY, parseIfInet6 as parseIfInet6Table } from "./formats/if-inet6";
import { parseIpv6Route, RTF_ADDRCONF, RTF_DEFAULT, RTF_REJECT } from "./formats/ipv6-route";
import { parseNetRoute } from "./formats/net-route";
import type { KernelFs } from "./fs";
import { resolveLink } from "./fs";
import { owningPciAddress } from "./pci";
import type { NetAddress } from "./types";

export interface NetIface {
  name: string;
  /** PCI function behind it, null for virtual interfaces (bridges, bonds, vlans, lo) */
  pciAddress: string | null;
  mac: string | null;
  operstate: string | null;
  /** direct masters (upper_* adjacency links): the bridge or bond this port belongs to, the vlan on top */
  uppers: string[];
}

/** Every interface in class/net with the PCI device it sits on (virtio's extra level included). */
export function readNetIfaces(sys: KernelFs): NetIface[] {
  const names = sys.listOptional("class/net") ?? [];
  return names.map((name) => {
    const rel = `class/net/${name}`;
    const target = sys.readLinkOptional(rel);
    const dir = target ? resolveLink(rel, target) : rel;
    const entries = sys.listOptional(dir) ?? [];
    return {
      name,
      pciAddress: target ? owningPciAddress(dir) : null,
      mac: entries.includes("address") ? sys.readOptional(`${dir}/address`) : null,
      operstate: entries.includes("operstate") ? sys.readOptional(`${dir}/operstate`) : null,
      uppers: entries.filter((e) => e.startsWith("upper_")).map((e) => e.slice("upper_".length)),
    };
  });
}

export interface Routes {
  defaultV4: string | null;
  /** the configured IPv6 default route (an admin's or a network manager's, not RA-learned), lowest metric */
  defaultV6: string | null;
  /** interfaces with an IPv6 default route learned from a router advertisement (RTF_ADDRCONF), lowest metric first */
  raDefaultsV6: string[];
  /** IPv4 connected routes (gateway 0): which interface owns which subnet */
  connectedV4: { iface: string; network: number; mask: number }[];
}

/**
 * /proc/net/route and /proc/net/ipv6_route: the main table, as the kernel prints it.
 * ipv6_route (net/ipv6/route.c rt6_info_seq_show): "dst plen src plen nexthop metric refcnt use flags dev", all hex.
 * A default route the kernel installed from a router advertisement carries RTF_DEFAULT|RTF_ADDRCONF (it prints
 * as 00450003 with RTF_UP, RTF_GATEWAY and RTF_EXPIRES); a configured one (ip route, ifupdown, systemd-networkd
 * with a static Gateway=) has neither. Both are kept apart: the configured one is `defaultV6`, the RA-learned
 * ones go to `raDefaultsV6`, and the inventory decides whether the host depends on them.
 */
export function readRoutes(proc: KernelFs): Routes {
  const routes: Routes = { defaultV4: null, defaultV6: null, raDefaultsV6: [], connectedV4: [] };
  let bestMetric = Number.POSITIVE_INFINITY;
  for (const r of parseNetRoute(proc.readOptional("net/route") ?? "")) {
    const up = (r.flags & 0x1) !== 0;
    if (!up) continue;
    if (r.destination === 0 && r.mask === 0) {
      if (r.metric < bestMetric) {
        bestMetric = r.metric;
        routes.defaultV4 = r.iface;
      }
    } else if (r.gateway === 0) {
      routes.connectedV4.push({ iface: r.iface, network: r.destination, mask: r.mask });
    }
  }
  let bestMetric6 = Number.POSITIVE_INFINITY;
  const ra: { iface: string; metric: number }[] = [];
  for (const r of parseIpv6Route(proc.readOptional("net/ipv6_route") ?? "")) {
    const isDefault = /^0{32}$/.test(r.destination) && r.destinationPrefix === 0;
    if (!isDefault || (r.flags & RTF_REJECT) !== 0 || r.device === "lo") continue;
    if ((r.flags & RTF_ADDRCONF) !== 0 || (r.flags & RTF_DEFAULT) !== 0) {
      ra.push({ iface: r.device, metric: r.metric });
    } else if (r.metric < bestMetric6) {
      bestMetric6 = r.metric;
      routes.defaultV6 = r.device;
    }
  }
  routes.raDefaultsV6 = [...new Set(ra.sort((a, b) => a.metric - b.metric).map((r) => r.iface))];
  return routes;
}

/**
 * Addresses per interface from procfs alone, so a capture or scenario answers the same as the live host:
 * IPv6 from /proc/net/if_inet6 (it names the interface); IPv4 local addresses from /proc/net/fib_trie,
 * assigned to the interface whose connected route covers them (fib_trie does not name interfaces).
 */
export function readAddresses(proc: KernelFs, routes: Routes): Map<string, NetAddress[]> {
  const byIface = new Map<string, NetAddress[]>();
  const add = (iface: string, a: NetAddress) => {
    const list = byIface.get(iface) ?? [];
    if (!list.some((x) => x.address === a.address)) list.push(a);
    byIface.set(iface, list);
  };
  for (const local of parseFibTrieLocals(proc.readOptional("net/fib_trie") ?? "")) {
    const ip = ipv4ToInt(local);
    let best: { iface: string; mask: number } | null = null;
    for (const r of routes.connectedV4) {
      if ((ip & r.mask) >>> 0 === r.network && (best === null || popcount(r.mask) > popcount(best.mask))) best = r;
    }
    // procfs cannot tell a DHCP lease from a static IPv4 address; someone configured either: "static"
    if (best) add(best.iface, { family: "inet", address: local, prefixLength: popcount(best.mask), scope: "global", origin: "static" });
    else if (local.startsWith("127.")) add("lo", { family: "inet", address: local, prefixLength: 8, scope: "host", origin: "static" });
  }
  for (const a of parseIfInet6(proc.readOptional("net/if_inet6") ?? "")) {
    const { iface, ...address } = a;
    add(iface, address);
  }
  return byIface;
}

// IFA_F_* in the flags column of /proc/net/if_inet6, kept importable from here
export { IFA_F_DEPRECATED, IFA_F_PERMANENT, IFA_F_TEMPORARY, IFA_F_TENTATIVE } from "./formats/if-inet6";

/**
 * /proc/net/if_inet6, one address a line, as net/ipv6/addrconf.c if6_seq_show prints it:
 * "%pi6 %02x %02x %02x %02x %8s" — the address (32 hex digits, network order), ifindex, prefix length, scope
 * (IPV6_ADDR_SCOPE_MASK bits of ipv6_addr_type: 0x00 global, 0x10 host, 0x20 link, 0x40 site — site-local counts
 * as global here, as QEMU's slirp advertises fec0::/64),
 * flags ((u8)ifp->flags, so IFA_F_MANAGETEMPADDR 0x100 never shows) and the interface name.
 * An address without IFA_F_PERMANENT has a lifetime: the kernel made it from a router advertisement (SLAAC) or a
 * DHCPv6 client added it ("autoconf"); with IFA_F_TEMPORARY it is an RFC 4941 privacy address ("temporary").
 * Addresses added with `ip addr add` (ifupdown, systemd-networkd's Address=, NetworkManager's manual method) and the
 * kernel's own link-local addresses are permanent ("static").
 */
export function parseIfInet6(text: string): (NetAddress & { iface: string })[] {
  return parseIfInet6Table(text).map((a) => ({
    iface: a.iface,
    family: "inet6",
    address: formatIpv6(a.address),
    prefixLength: a.prefixLength,
    scope: a.scope === 0x20 ? "link" : a.scope === 0x10 ? "host" : "global",
    origin: (a.flags & IFA_F_PERMANENT) !== 0 ? "static" : (a.flags & IFA_F_TEMPORARY) !== 0 ? "temporary" : "autoconf",
  }));
}

/** Local addresses in fib_trie: a "|-- a.b.c.d" leaf followed by a "/32 host LOCAL" line. */
export function parseFibTrieLocals(text: string): string[] {
  return fibTrieLocals(parseFibTrie(text));
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v; v &= v - 1) c++;
  return c;
}

export function formatIpv6(hex32: string): string {
  const groups = hex32.match(/.{4}/g)?.map((g) => g.replace(/^0+(?=.)/, "")) ?? [];
  // Compress the longest run of zero groups, as ip(8) prints it.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  const head = groups.slice(0, bestStart).join(":");
  const tail = groups.slice(bestStart + bestLen).join(":");
  return `${head}::${tail}`;
}

/**
 * The local addresses of established TCP connections to `port` (/proc/net/tcp and tcp6): the addresses browsers
 * reach this dashboard on, so the interface carrying one is not taken away from under them.
 */
export function readServedAddresses(proc: KernelFs, port: number): string[] {
  const out = new Set<string>();
  for (const file of ["net/tcp", "net/tcp6"]) for (const a of parseTcpTable(proc.readOptional(file) ?? "", port)) out.add(a);
  return [...out];
}

const TCP_ESTABLISHED = "01";
const TCP_LISTEN = "0A";

/**
 * A local address of /proc/net/{tcp,udp}{,6}: "ADDR:PORT" in hex, each 32-bit word of ADDR in host (little-endian)
 * byte order (net/ipv4/tcp_ipv4.c get_tcp4_sock "%08X:%04X", net/ipv6/tcp_ipv6.c get_tcp6_sock "%08X%08X%08X%08X:%04X").
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) come back as the IPv4 address, as readAddresses lists it.
 */
export function decodeProcSocketAddress(local: string): { address: string; port: number; wildcard: boolean } | null {
  const [hexAddr, hexPort] = local.split(":");
  if (!hexAddr || !hexPort || (hexAddr.length !== 8 && hexAddr.length !== 32)) return null;
  const words = hexAddr.toLowerCase().match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)]);
  const port = Number.parseInt(hexPort, 16);
  const wildcard = /^0+$/.test(hexAddr);
  if (bytes.length === 4) return { address: bytes.map((b) => Number.parseInt(b, 16)).join("."), port, wildcard };
  if (bytes.join("").startsWith("00000000000000000000ffff")) {
    const v4 = bytes.slice(12);
    return { address: v4.map((b) => Number.parseInt(b, 16)).join("."), port, wildcard: v4.every((b) => b === "00") };
  }
  return { address: formatIpv6(bytes.join("")), port, wildcard };
}

export function parseTcpTable(text: string, port: number): string[] {
  const found: string[] = [];
  for (const line of text.split("\n").slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || state !== TCP_ESTABLISHED) continue;
    const a = decodeProcSocketAddress(local);
    if (a?.port === port) found.push(a.address);
  }
  return found;
}

/** The sockets bound to one local address. */
export interface SocketUse {
  tcpEstablished: number;
  tcpListening: number;
  udp: number;
}

/**
 * Sockets bound to a specific local address, from one /proc/net/{tcp,tcp6,udp,udp6} table (man 5 proc:
 * "sl local_address rem_address st ..."): TCP in state 01 (ESTABLISHED) or 0A (LISTEN), UDP in any state (an
 * unconnected UDP socket is 07, TCP_CLOSE). Wildcard binds (0.0.0.0, ::) name no address and are left out: a
 * daemon listening on every address does not depend on this one, but each connection it accepted shows its own
 * local address.
 */
export function parseSocketTable(text: string, proto: "tcp" | "udp", into = new Map<string, SocketUse>()): Map<string, SocketUse> {
  for (const line of text.split("\n").slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || !state) continue;
    const kind = proto === "udp" ? "udp" : state === TCP_ESTABLISHED ? "tcpEstablished" : state.toUpperCase() === TCP_LISTEN ? "tcpListening" : null;
    if (!kind) continue;
    const a = decodeProcSocketAddress(local);
    if (!a || a.wildcard) continue;
    const use = into.get(a.address) ?? { tcpEstablished: 0, tcpListening: 0, udp: 0 };
    use[kind]++;
    into.set(a.address, use);
  }
  return into;
}

/** Live sockets by local address, from /proc/net/tcp, tcp6, udp and udp6. */
export function readSocketUse(proc: KernelFs): Map<string, SocketUse> {
  const out = new Map<string, SocketUse>();
  for (const [file, proto] of [
    ["net/tcp", "tcp"],
    ["net/tcp6", "tcp"],
    ["net/udp", "udp"],
    ["net/udp6", "udp"],
  ] as const)
    parseSocketTable(proc.readOptional(file) ?? "", proto, out);
  return out;
}

/** "2 TCP connections, 1 TCP listener, 1 UDP socket" */
export function describeSocketUse(u: SocketUse): string {
  const n = (count: number, one: string, many: string) => (count === 0 ? null : `${count} ${count === 1 ? one : many}`);
  return [n(u.tcpEstablished, "TCP connection", "TCP connections"), n(u.tcpListening, "TCP listener", "TCP listeners"), n(u.udp, "UDP socket", "UDP sockets")]
    .filter((x) => x !== null)
    .join(", ");
}
