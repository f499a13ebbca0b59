/**
 * /proc/net/if_inet6, one address a line, as net/ipv6/addrconf.c if6_seq_show prints it:
 * "%pi6 %02x %02x %02x %02x %8s" — the address (32 hex digits, network order), ifindex, prefix length, scope
 * (IPV6_ADDR_SCOPE_MASK bits: 0x00 global, 0x10 host, 0x20 link, 0x40 site), flags ((u8)ifp->flags: IFA_F_*) and
 * the interface name. Pure: parsed by server/host/net.ts, printed by the simulator.
 */

export interface IfInet6 {
  /** 32 lower-case hex digits, network order */
  address: string;
  ifindex: number;
  prefixLength: number;
  scope: number;
  flags: number;
  iface: string;
}

// include/uapi/linux/if_addr.h: IFA_F_* in the flags column
export const IFA_F_TEMPORARY = 0x01;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;

const hex = (n: number) => n.toString(16).padStart(2, "0");

/** Every line with the six columns; others are skipped. */
export function parseIfInet6(text: string): IfInet6[] {
  const out: IfInet6[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const [address, ifindex, prefix, scope, flags, iface] = f as [string, string, string, string, string, string];
    out.push({
      address,
      ifindex: Number.parseInt(ifindex, 16),
      prefixLength: Number.parseInt(prefix, 16),
      scope: Number.parseInt(scope, 16),
      flags: Number.parseInt(flags, 16),
      iface,
    });
  }
  return out;
}

export function formatIfInet6(entries: readonly IfInet6[]): string {
  return entries.map((a) => `${a.address} ${hex(a.ifindex)} ${hex(a.prefixLength)} ${hex(a.scope)} ${hex(a.flags)} ${a.iface.padStart(8)}\n`).join("");
}
