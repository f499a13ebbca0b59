/** /proc/net: the IPv4 and IPv6 routes and addresses (route, fib_trie, ipv6_route, if_inet6) that follow from the interfaces. */
import { type FibTrieEntry, formatFibTrie } from "@/server/host/formats/fib-trie";
import { formatIfInet6, IFA_F_PERMANENT } from "@/server/host/formats/if-inet6";
import {
  formatIpv6Route,
  type Ipv6Route,
  RTF_ADDRCONF,
  RTF_DEFAULT,
  RTF_EXPIRES,
  RTF_GATEWAY,
  RTF_LOCAL,
  RTF_NONEXTHOP,
  RTF_UP,
} from "@/server/host/formats/ipv6-route";
import { formatNetRoute, type NetRoute } from "@/server/host/formats/net-route";
import { hex, type Host, type NetNode } from "./host-model";
import type { ScenarioSpec } from "./spec";
import type { Tree } from "./tree";

export function writeProcNet(t: Tree, h: Host): void {
  t.file("self/net/route", ipv4Routes(h));
  t.file("self/net/fib_trie", fibTrie(h));
  t.file("self/net/ipv6_route", ipv6Routes(h));
  t.file("self/net/if_inet6", ifInet6(h));
}

interface V4Addr {
  iface: string;
  ip: number;
  prefix: number;
}

const ipv4 = (text: string): number => text.split(".").reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const dotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join(".");

function upIfaces(h: Host): NetNode[] {
  return h.net.filter((n) => n.kind !== "loopback" && n.spec.operstate === "up");
}

function v4Addresses(h: Host): V4Addr[] {
  return upIfaces(h).flatMap((n) =>
    (n.spec.ipv4 ?? []).map((cidr) => {
      const [ip, prefix] = cidr.split("/") as [string, string];
      return { iface: n.name, ip: ipv4(ip), prefix: Number(prefix) };
    }),
  );
}

function routeMetric(_h: Host, iface: string, route: ScenarioSpec["network"]["defaultV4"]): number {
  return route?.iface === iface ? (route.metric ?? 0) : 0;
}

/** /proc/net/route: the main table's unicast routes, by destination, the longer prefix first. */
function ipv4Routes(h: Host): string {
  const route = (iface: string, destination: number, gateway: number, flags: number, metric: number, mask: number): NetRoute => ({
    iface,
    destination,
    gateway,
    flags,
    refCnt: 0,
    use: 0,
    metric,
    mask,
    mtu: 0,
    window: 0,
    irtt: 0,
  });
  const rows: NetRoute[] = [];
  const def = h.spec.network.defaultV4;
  // RTF_UP | RTF_GATEWAY for the default, RTF_UP for a connected route
  if (def && h.netByName.get(def.iface)?.spec.operstate === "up") rows.push(route(def.iface, 0, ipv4(def.gateway), 0x3, def.metric ?? 0, 0));
  for (const a of v4Addresses(h)) {
    const net = (a.ip & maskOf(a.prefix)) >>> 0;
    rows.push(route(a.iface, net, 0, 0x1, routeMetric(h, a.iface, def), maskOf(a.prefix)));
  }
  rows.sort((x, y) => x.destination - y.destination || y.mask - x.mask);
  return formatNetRoute(rows);
}

/**
 * /proc/net/fib_trie. With no policy rules the kernel merges the local table into main, so "Main:" and "Local:"
 * print the same trie: internal nodes "+-- prefix/len bits full_children empty_children", leaves "|-- address"
 * each followed by its routes ("/32 host LOCAL"). Internal nodes here are binary (one bit each): the kernel may
 * widen them, which changes the "+--" lines but never the leaves.
 */
function fibTrie(h: Host): string {
  const leaves = new Map<number, { prefix: number; scope: string; type: string }[]>();
  const add = (key: number, prefix: number, scope: string, type: string) => {
    const list = leaves.get(key) ?? [];
    if (!list.some((e) => e.prefix === prefix && e.type === type)) list.push({ prefix, scope, type });
    leaves.set(key, list);
  };
  // the kernel drops the routes through an interface that goes away
  if (h.spec.network.defaultV4 && h.netByName.has(h.spec.network.defaultV4.iface)) add(0, 0, "universe", "UNICAST");
  add(ipv4("127.0.0.0"), 8, "host", "LOCAL");
  add(ipv4("127.0.0.1"), 32, "host", "LOCAL");
  add(ipv4("127.255.255.255"), 32, "link", "BROADCAST");
  for (const a of v4Addresses(h)) {
    const mask = maskOf(a.prefix);
    add((a.ip & mask) >>> 0, a.prefix, "link", "UNICAST");
    add(a.ip, 32, "host", "LOCAL");
    if (a.prefix < 31) add((a.ip | ~mask) >>> 0, 32, "link", "BROADCAST");
  }
  const keys = [...leaves.keys()].sort((a, b) => a - b);
  const entries: FibTrieEntry[] = [];
  const walk = (ks: number[], level: number) => {
    if (ks.length === 1) {
      const key = ks[0]!;
      const routes = [...leaves.get(key)!].sort((a, b) => b.prefix - a.prefix).map((e) => ({ prefixLength: e.prefix, scope: e.scope, type: e.type }));
      entries.push({ kind: "leaf", depth: level - 1, address: dotted(key), routes });
      return;
    }
    const bit = Math.clz32((ks[0]! ^ ks[ks.length - 1]!) >>> 0);
    const zero = ks.filter((k) => ((k >>> (31 - bit)) & 1) === 0);
    const one = ks.filter((k) => ((k >>> (31 - bit)) & 1) === 1);
    const splitBit = (c: number[]) => (c.length > 1 ? Math.clz32((c[0]! ^ c[c.length - 1]!) >>> 0) : -1);
    const full = [zero, one].filter((c) => splitBit(c) === bit + 1).length;
    entries.push({
      kind: "node",
      depth: level - 1,
      prefix: dotted((ks[0]! & maskOf(bit)) >>> 0),
      prefixLength: bit,
      bits: 1,
      fullChildren: full,
      emptyChildren: 0,
    });
    walk(zero, level + 1);
    walk(one, level + 1);
  };
  walk(keys, 1);
  return formatFibTrie([
    { name: "Main", entries },
    { name: "Local", entries },
  ]);
}

// IPv6 ------------------------------------------------------------------------------------------------------------

/** "2001:db8::10" → 32 lower-case hex digits. */
export function ipv6Hex(text: string): string {
  const [head, tail] = text.includes("::") ? (text.split("::") as [string, string]) : [text, null];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups
    .map((g) => g.padStart(4, "0"))
    .join("")
    .toLowerCase();
}

function maskedV6(hex32: string, prefix: number): string {
  let bits = "";
  for (const c of hex32) bits += Number.parseInt(c, 16).toString(2).padStart(4, "0");
  bits = bits.slice(0, prefix).padEnd(128, "0");
  return (bits.match(/.{4}/g) ?? []).map((b) => Number.parseInt(b, 2).toString(16)).join("");
}

/** Modified EUI-64 link-local address from a MAC: fe80::(mac0^2)mac1:mac2ff:fe mac3:mac4mac5. */
export function linkLocal(mac: string): string {
  const b = mac.split(":").map((x) => Number.parseInt(x, 16));
  const eui = [b[0]! ^ 2, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  return `fe80000000000000${eui.map((x) => hex(x, 2)).join("")}`;
}

interface V6Addr {
  iface: NetNode;
  hex: string;
  prefix: number;
  scope: number;
  /** IFA_F_* as if_inet6 prints them: 0x80 (permanent) for configured and link-local addresses, 0x00 for SLAAC */
  flags: number;
}

/** IPv6 addresses: ::1 on lo; a link-local on every up interface that is not a bridge/bond port; the spec's globals. */
function v6Addresses(h: Host): V6Addr[] {
  const lo = h.netByName.get("lo")!;
  const out: V6Addr[] = [{ iface: lo, hex: ipv6Hex("::1"), prefix: 128, scope: 0x10, flags: IFA_F_PERMANENT }];
  for (const n of upIfaces(h)) {
    if (n.master) continue;
    for (const [list, flags] of [
      [n.spec.ipv6, IFA_F_PERMANENT],
      [n.spec.ipv6Autoconf, 0],
    ] as const) {
      for (const cidr of list ?? []) {
        const [ip, prefix] = cidr.split("/") as [string, string];
        out.push({ iface: n, hex: ipv6Hex(ip), prefix: Number(prefix), scope: 0, flags });
      }
    }
    out.push({ iface: n, hex: linkLocal(n.spec.mac), prefix: 64, scope: 0x20, flags: IFA_F_PERMANENT });
  }
  return out;
}

/** /proc/net/if_inet6: the addresses in the order v6Addresses lists them. */
function ifInet6(h: Host): string {
  return formatIfInet6(
    v6Addresses(h).map((a) => ({ address: a.hex, ifindex: a.iface.ifindex, prefixLength: a.prefix, scope: a.scope, flags: a.flags, iface: a.iface.name })),
  );
}

/**
 * /proc/net/ipv6_route: "dst plen src plen nexthop metric refcnt use flags dev", main table then local table, each
 * table's root (::/0) last. A table without a default route shows the null entry there: ::/0 metric ffffffff on lo
 * with RTF_REJECT (0x0200), which is why every host has at least one such line.
 */
function ipv6Routes(h: Host): string {
  const Z = "0".repeat(32);
  const row = (dst: string, plen: number, via: string, metric: number, ref: number, flags: number, dev: string): Ipv6Route => ({
    destination: dst,
    destinationPrefix: plen,
    source: Z,
    sourcePrefix: 0,
    nextHop: via,
    metric,
    refCnt: ref,
    use: 0,
    flags,
    device: dev,
  });
  // RTF_NONEXTHOP | RTF_REJECT
  const nullEntry = row(Z, 0, Z, 0xffffffff, 1, 0x00200200, "lo");

  const main: { key: string; text: Ipv6Route }[] = [];
  const local: { key: string; text: Ipv6Route }[] = [];
  const def = h.spec.network.defaultV6;
  const addrs = v6Addresses(h);
  const ifaces = [...new Set(addrs.filter((a) => a.scope !== 0x10).map((a) => a.iface))];
  for (const a of addrs) {
    const dev = a.iface.name;
    if (a.scope !== 0x10) {
      const metric = def?.iface === dev && a.scope === 0 ? (def.metric ?? 256) : 256;
      const net = maskedV6(a.hex, a.prefix);
      // a SLAAC address's prefix route comes from the same router advertisement, with its lifetime
      const flags = a.flags & IFA_F_PERMANENT ? RTF_UP : (RTF_UP | RTF_ADDRCONF | RTF_EXPIRES) >>> 0;
      if (!main.some((r) => r.key === `${net}/${a.prefix}/${dev}`))
        main.push({ key: `${net}/${a.prefix}/${dev}`, text: row(net, a.prefix, Z, metric, 1, flags, dev) });
    }
    local.push({ key: `${a.hex}/128/${dev}`, text: row(a.hex, 128, Z, 0, a.scope === 0x10 ? 3 : 2, (RTF_LOCAL | RTF_NONEXTHOP | RTF_UP) >>> 0, dev) });
  }
  for (const n of ifaces) local.push({ key: `ff00/8/${n.name}`, text: row(`ff${"0".repeat(30)}`, 8, Z, 256, 1, RTF_UP, n.name) });
  const sorted = (rows: { key: string; text: Ipv6Route }[]) => [...rows].sort((a, b) => (a.key < b.key ? -1 : 1)).map((r) => r.text);
  // the tree walk prints a table's root (::/0) after everything below it, its routes by metric
  const up = (r: { iface: string }) => h.netByName.get(r.iface)?.spec.operstate === "up";
  const defaults = [
    ...(def && up(def) ? [{ metric: def.metric ?? 1024, text: row(Z, 0, ipv6Hex(def.gateway), def.metric ?? 1024, 1, RTF_UP | RTF_GATEWAY, def.iface) }] : []),
    // a router advertisement's default: RTF_UP|RTF_GATEWAY|RTF_DEFAULT|RTF_ADDRCONF|RTF_EXPIRES, printed 00450003
    ...(h.spec.network.raDefaultsV6 ?? []).filter(up).map((r) => ({
      metric: r.metric ?? 1024,
      text: row(Z, 0, ipv6Hex(r.gateway), r.metric ?? 1024, 1, (RTF_UP | RTF_GATEWAY | RTF_DEFAULT | RTF_ADDRCONF | RTF_EXPIRES) >>> 0, r.iface),
    })),
  ];
  const root = defaults.length > 0 ? defaults.sort((a, b) => a.metric - b.metric).map((d) => d.text) : [nullEntry];
  return formatIpv6Route([...sorted(main), ...root, ...sorted(local), nullEntry]);
}
