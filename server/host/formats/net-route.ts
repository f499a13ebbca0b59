/**
 * /proc/net/route: the IPv4 main table's unicast routes, as net/ipv4/fib_trie.c fib_route_seq_show prints them:
 * "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", each line padded to 127 columns (seq_pad). Addresses are
 * the in-memory (network order) word read on a little-endian host, so 192.0.2.1 prints as 010200C0.
 * Pure: parsed by server/host/net.ts, printed by the simulator.
 */

export interface NetRoute {
  iface: string;
  /** addresses as numbers in network order: 192.0.2.0 is 0xc0000200 */
  destination: number;
  gateway: number;
  /** RTF_* (RTF_UP 0x1, RTF_GATEWAY 0x2) */
  flags: number;
  refCnt: number;
  use: number;
  metric: number;
  mask: number;
  mtu: number;
  window: number;
  irtt: number;
}

const HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";

/** A network-order address as the little-endian host prints it ("%08X" of the raw word). */
export function leHex(n: number): string {
  const swapped = (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;
  return swapped.toString(16).toUpperCase().padStart(8, "0");
}

function fromLeHex(hex: string): number {
  const n = Number.parseInt(hex, 16);
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | ((n >>> 24) & 0xff)) >>> 0;
}

/** The routes of the table; the header and lines with fewer than 8 columns are skipped. */
export function parseNetRoute(text: string): NetRoute[] {
  const out: NetRoute[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gateway, flags, refCnt, use, metric, mask, mtu, window, irtt] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      ...string[],
    ];
    out.push({
      iface,
      destination: fromLeHex(dest),
      gateway: fromLeHex(gateway),
      flags: Number.parseInt(flags, 16),
      refCnt: Number.parseInt(refCnt, 10),
      use: Number.parseInt(use, 10),
      metric: Number.parseInt(metric, 10),
      mask: fromLeHex(mask),
      mtu: Number.parseInt(mtu ?? "0", 10),
      window: Number.parseInt(window ?? "0", 10),
      irtt: Number.parseInt(irtt ?? "0", 10),
    });
  }
  return out;
}

export function formatNetRoute(routes: readonly NetRoute[]): string {
  const line = (s: string) => `${s.padEnd(127)}\n`;
  const row = (r: NetRoute) =>
    [
      r.iface,
      leHex(r.destination),
      leHex(r.gateway),
      r.flags.toString(16).toUpperCase().padStart(4, "0"),
      r.refCnt,
      r.use,
      r.metric,
      leHex(r.mask),
      r.mtu,
      r.window,
      r.irtt,
    ].join("\t");
  return line(HEADER) + routes.map((r) => line(row(r))).join("");
}
