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
  defaultV6: string | null;
  /** IPv4 connected routes (gateway 0): which interface owns which subnet */
  connectedV4: { iface: string; network: number; mask: number }[];
}

/** /proc/net/route and /proc/net/ipv6_route: the main table, as the kernel prints it. */
export function readRoutes(proc: KernelFs): Routes {
  const routes: Routes = { defaultV4: null, defaultV6: null, connectedV4: [] };
  let bestMetric = Number.POSITIVE_INFINITY;
  for (const line of (proc.readOptional("net/route") ?? "").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gateway, flags, , , metric, mask] = f as [string, string, string, string, string, string, string, string];
    const up = (Number.parseInt(flags, 16) & 0x1) !== 0;
    if (!up) continue;
    if (dest === "00000000" && mask === "00000000") {
      const m = Number.parseInt(metric, 10);
      if (m < bestMetric) {
        bestMetric = m;
        routes.defaultV4 = iface;
      }
    } else if (gateway === "00000000") {
      routes.connectedV4.push({ iface, network: leHexToInt(dest), mask: leHexToInt(mask) });
    }
  }
  let bestMetric6 = Number.POSITIVE_INFINITY;
  for (const line of (proc.readOptional("net/ipv6_route") ?? "").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dest, prefix, , , , metric, , , flags, iface] = f as string[];
    const isDefault = /^0{32}$/.test(dest!) && prefix === "00";
    const reject = (Number.parseInt(flags!, 16) & 0x0200) !== 0;
    if (isDefault && !reject && iface !== "lo") {
      const m = Number.parseInt(metric!, 16);
      if (m < bestMetric6) {
        bestMetric6 = m;
        routes.defaultV6 = iface!;
      }
    }
  }
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
      if (((ip & r.mask) >>> 0) === r.network && (best === null || popcount(r.mask) > popcount(best.mask))) best = r;
    }
    if (best) add(best.iface, { family: "inet", address: local, prefixLength: popcount(best.mask), scope: "global" });
    else if (local.startsWith("127.")) add("lo", { family: "inet", address: local, prefixLength: 8, scope: "host" });
  }
  for (const line of (proc.readOptional("net/if_inet6") ?? "").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const [hexAddr, , prefix, scope, , name] = f as [string, string, string, string, string, string];
    const scopeNum = Number.parseInt(scope, 16);
    add(name, {
      family: "inet6",
      address: formatIpv6(hexAddr),
      prefixLength: Number.parseInt(prefix, 16),
      scope: scopeNum === 0x20 ? "link" : scopeNum === 0x10 ? "host" : "global",
    });
  }
  return byIface;
}

/** Local addresses in fib_trie: a "|-- a.b.c.d" leaf followed by a "/32 host LOCAL" line. */
export function parseFibTrieLocals(text: string): string[] {
  const found = new Set<string>();
  let leaf: string | null = null;
  for (const line of text.split("\n")) {
    const m = line.match(/\|--\s+(\d+\.\d+\.\d+\.\d+)/);
    if (m) {
      leaf = m[1]!;
      continue;
    }
    if (leaf && /\/32 host LOCAL/.test(line)) found.add(leaf);
  }
  return [...found];
}

function leHexToInt(hex: string): number {
  // /proc/net/route prints addresses in host (little-endian) byte order.
  const n = Number.parseInt(hex, 16);
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | ((n >>> 24) & 0xff)) >>> 0;
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
  for (let i = 0; i < groups.length; ) {
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

export function parseTcpTable(text: string, port: number): string[] {
  const found: string[] = [];
  for (const line of text.split("\n").slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || state !== TCP_ESTABLISHED) continue;
    const [hexAddr, hexPort] = local.split(":");
    if (!hexAddr || !hexPort || Number.parseInt(hexPort, 16) !== port) continue;
    // Each 32-bit word is in host (little-endian) byte order.
    const words = hexAddr.toLowerCase().match(/.{8}/g) ?? [];
    const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)]);
    if (bytes.length === 4) found.push(bytes.map((b) => Number.parseInt(b, 16)).join("."));
    else if (bytes.join("").startsWith("00000000000000000000ffff")) found.push(bytes.slice(12).map((b) => Number.parseInt(b, 16)).join("."));
    else found.push(formatIpv6(bytes.join("")));
  }
  return found;
}
