/**
 * Test fixtures: the procfs network tables as the kernel prints them (man 5 proc; net/ipv6/addrconf.c if6_seq_show,
 * net/ipv6/route.c rt6_info_seq_show, net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock,
 * net/ipv4/udp.c udp4_format_sock), as on a guest of QEMU's user network (slirp advertises fec0::/64).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KernelFs } from "./fs";

/** lo, eth0 with a SLAAC and a temporary address, eth1 with a SLAAC address only, enp3s0 with one set by hand. */
export const IF_INET6 = `00000000000000000000000000000001 01 80 10 80       lo
fec0000000000000505400fffed57a01 02 40 40 00     eth0
fec00000000000003d2a91c4b7e0f218 02 40 40 01     eth0
fe80000000000000505400fffed57a01 02 40 20 80     eth0
fec0000000000000505400fffed57a10 03 40 40 00     eth1
fe80000000000000505400fffed57a10 03 40 20 80     eth1
20010db8000100000000000000000010 04 40 00 80   enp3s0
`;

/** An RA-learned default on eth1 (00450003), a configured one on enp3s0 (00000003), the main table's lo null entry. */
export const IPV6_ROUTE = `fec00000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00440001     eth1
20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000064 00000001 00000000 00000001   enp3s0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000002 00000400 00000001 00000000 00450003     eth1
00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000100000000000000000001 00000064 00000001 00000000 00000003   enp3s0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;

// fec0::5054:ff:fed5:7a10 as tcp6 prints it: each 32-bit word in host (little-endian) order.
export const SLAAC_HEX = "0000C0FE00000000FF005450107AD5FE";
export const PEER_HEX = "0000C0FE000000000000000002000000"; // fec0::2

/** sshd on every address (wildcard, not counted), an ssh session to the SLAAC address, a listener on it, a TIME_WAIT. */
export const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17311 1 0000000000000000 100 0 0 10 0
   1: ${SLAAC_HEX}:0016 ${PEER_HEX}:D2B6 01 00000000:00000000 02:0009F5A1 00000000     0        0 23510 2 0000000000000000 20 4 29 10 -1
   2: ${SLAAC_HEX}:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 23622 1 0000000000000000 100 0 0 10 0
   3: ${SLAAC_HEX}:D2C0 ${PEER_HEX}:0050 06 00000000:00000000 03:000016B4 00000000     0        0 0 3 0000000000000000
`;
export const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  371: ${SLAAC_HEX}:007B 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 19420 2 0000000000000000 0
  540: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   107        0 18203 2 0000000000000000 0
`;
export const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  312: 0F02000A:0044 0202000A:0043 01 00000000:00000000 00:00000000 00000000     0        0 20001 2 0000000000000000 0
  520: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   107        0 18202 2 0000000000000000 0
`;

/** A procfs root holding these net/ files. */
export function procWith(dir: string, files: Record<string, string>): KernelFs {
  mkdirSync(join(dir, "net"), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "net", name), text);
  return new KernelFs(dir);
}
