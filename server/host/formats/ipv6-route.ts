/**
 * /proc/net/ipv6_route, as net/ipv6/route.c rt6_info_seq_show prints it:
 * "dst plen src plen nexthop metric refcnt use flags dev" — addresses as 32 hex digits, the rest "%02x"/"%08x", the
 * device "%8s". Pure: parsed by server/host/net.ts, printed by the simulator.
 */

export interface Ipv6Route {
  /** addresses as the file prints them: 32 lower-case hex digits, network order */
  destination: string;
  destinationPrefix: number;
  source: string;
  sourcePrefix: number;
  nextHop: string;
  metric: number;
  refCnt: number;
  use: number;
  /** RTF_* (include/uapi/linux/route.h and ipv6_route.h) */
  flags: number;
  device: string;
}

// include/uapi/linux/route.h and ipv6_route.h: the flags column
export const RTF_UP = 0x1;
export const RTF_GATEWAY = 0x2;
export const RTF_LOCAL = 0x80000000;
export const RTF_REJECT = 0x0200;
export const RTF_DEFAULT = 0x00010000;
export const RTF_ADDRCONF = 0x00040000;
export const RTF_NONEXTHOP = 0x00200000;
export const RTF_EXPIRES = 0x00400000;

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/** Every line with the ten columns; others are skipped. */
export function parseIpv6Route(text: string): Ipv6Route[] {
  const out: Ipv6Route[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dst, dstLen, src, srcLen, nextHop, metric, refCnt, use, flags, device] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    out.push({
      destination: dst,
      destinationPrefix: Number.parseInt(dstLen, 16),
      source: src,
      sourcePrefix: Number.parseInt(srcLen, 16),
      nextHop,
      metric: Number.parseInt(metric, 16),
      refCnt: Number.parseInt(refCnt, 16),
      use: Number.parseInt(use, 16),
      flags: Number.parseInt(flags, 16),
      device,
    });
  }
  return out;
}

export function formatIpv6Route(routes: readonly Ipv6Route[]): string {
  return routes
    .map(
      (r) =>
        `${r.destination} ${hex(r.destinationPrefix, 2)} ${r.source} ${hex(r.sourcePrefix, 2)} ${r.nextHop} ${hex(r.metric, 8)} ${hex(r.refCnt, 8)} ` +
        `${hex(r.use, 8)} ${hex(r.flags >>> 0, 8)} ${r.device.padStart(8)}\n`,
    )
    .join("");
}
