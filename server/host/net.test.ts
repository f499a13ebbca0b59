/** The procfs network tables (fixtures in net-testing.ts): addresses' origins, RA-learned defaults, sockets by address. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeProcSocketAddress, describeSocketUse, parseIfInet6, parseSocketTable, readAddresses, readRoutes, readSocketUse } from "./net";
import { IF_INET6, IPV6_ROUTE, procWith, SLAAC_HEX, TCP6, UDP, UDP6 } from "./net-testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-net-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("/proc/net/if_inet6", () => {
  it("reads who made each address from the flags: 80 permanent (static), 00 SLAAC (autoconf), 01 temporary", () => {
    const rows = parseIfInet6(IF_INET6).map((a) => `${a.iface} ${a.address}/${a.prefixLength} ${a.scope} ${a.origin}`);
    expect(rows).toEqual([
      "lo ::1/128 host static",
      "eth0 fec0::5054:ff:fed5:7a01/64 global autoconf",
      "eth0 fec0::3d2a:91c4:b7e0:f218/64 global temporary",
      "eth0 fe80::5054:ff:fed5:7a01/64 link static",
      "eth1 fec0::5054:ff:fed5:7a10/64 global autoconf",
      "eth1 fe80::5054:ff:fed5:7a10/64 link static",
      "enp3s0 2001:db8:1::10/64 global static",
    ]);
  });
});

describe("/proc/net/ipv6_route", () => {
  it("keeps the configured default apart from the one learned from a router advertisement", () => {
    const proc = procWith(join(work, "both"), { ipv6_route: IPV6_ROUTE });
    expect(readRoutes(proc)).toMatchObject({ defaultV6: "enp3s0", raDefaultsV6: ["eth1"] });
  });

  it("an RA-learned default alone is no configured default", () => {
    const raOnly = IPV6_ROUTE.split("\n")
      .filter((l) => !l.includes("enp3s0"))
      .join("\n");
    const proc = procWith(join(work, "ra-only"), { ipv6_route: raOnly });
    expect(readRoutes(proc)).toMatchObject({ defaultV6: null, raDefaultsV6: ["eth1"] });
  });

  it("addresses keep their origin through readAddresses; IPv4 ones are static", () => {
    const proc = procWith(join(work, "addrs"), { if_inet6: IF_INET6 });
    const byIface = readAddresses(proc, readRoutes(proc));
    expect(byIface.get("eth1")!.map((a) => [a.address, a.origin])).toEqual([
      ["fec0::5054:ff:fed5:7a10", "autoconf"],
      ["fe80::5054:ff:fed5:7a10", "static"],
    ]);
  });
});

describe("sockets by local address", () => {
  it("decodes the kernel's word order, IPv4-mapped addresses and wildcards", () => {
    expect(decodeProcSocketAddress(`${SLAAC_HEX}:0016`)).toEqual({ address: "fec0::5054:ff:fed5:7a10", port: 22, wildcard: false });
    expect(decodeProcSocketAddress("0000000000000000FFFF00000F02000A:1EC6")).toEqual({ address: "10.0.2.15", port: 7878, wildcard: false });
    expect(decodeProcSocketAddress("00000000000000000000000000000000:0016")).toMatchObject({ address: "::", wildcard: true });
    expect(decodeProcSocketAddress("00000000:14E9")).toMatchObject({ address: "0.0.0.0", wildcard: true });
  });

  it("counts established and listening TCP and every UDP socket on a specific address; wildcards and TIME_WAIT do not count", () => {
    expect([...parseSocketTable(TCP6, "tcp")]).toEqual([["fec0::5054:ff:fed5:7a10", { tcpEstablished: 1, tcpListening: 1, udp: 0 }]]);
    expect([...parseSocketTable(UDP, "udp")]).toEqual([["10.0.2.15", { tcpEstablished: 0, tcpListening: 0, udp: 1 }]]);
    const proc = procWith(join(work, "sockets"), { tcp6: TCP6, udp6: UDP6, udp: UDP });
    const use = readSocketUse(proc);
    expect(use.get("fec0::5054:ff:fed5:7a10")).toEqual({ tcpEstablished: 1, tcpListening: 1, udp: 1 });
    expect(describeSocketUse(use.get("fec0::5054:ff:fed5:7a10")!)).toBe("1 TCP connection, 1 TCP listener, 1 UDP socket");
    expect(use.has("::")).toBe(false);
  });
});
