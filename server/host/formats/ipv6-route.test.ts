import { describe, expect, it } from "vitest";
import { IPV6_ROUTE } from "../net-testing";
import { formatIpv6Route, parseIpv6Route, RTF_ADDRCONF, RTF_DEFAULT, RTF_REJECT, type Ipv6Route } from "./ipv6-route";

describe("/proc/net/ipv6_route", () => {
  it("reads the kernel's columns: hex prefix lengths, metrics and flags", () => {
    const routes = parseIpv6Route(IPV6_ROUTE);
    expect(routes).toHaveLength(6);
    expect(routes[2]).toMatchObject({ destinationPrefix: 0, nextHop: "fe800000000000000000000000000002", metric: 0x400, device: "eth1" });
    expect(routes[2]!.flags & (RTF_DEFAULT | RTF_ADDRCONF)).toBe(RTF_DEFAULT | RTF_ADDRCONF);
    expect(routes[5]).toMatchObject({ metric: 0xffffffff, device: "lo" });
    expect(routes[5]!.flags & RTF_REJECT).toBe(RTF_REJECT);
  });

  it("format → parse gives back the routes", () => {
    const z = "0".repeat(32);
    const routes: Ipv6Route[] = [
      {
        destination: "20010db8000000000000000000000000",
        destinationPrefix: 64,
        source: z,
        sourcePrefix: 0,
        nextHop: z,
        metric: 256,
        refCnt: 1,
        use: 7,
        flags: 1,
        device: "vmbr0",
      },
      {
        destination: "20010db8000000000000000000000010",
        destinationPrefix: 128,
        source: z,
        sourcePrefix: 0,
        nextHop: z,
        metric: 0,
        refCnt: 2,
        use: 0,
        flags: 0x80200001,
        device: "a-longer-name",
      },
    ];
    expect(parseIpv6Route(formatIpv6Route(routes))).toEqual(routes);
  });

  it("prints the kernel's text back from a parsed sample, byte for byte", () => {
    expect(formatIpv6Route(parseIpv6Route(IPV6_ROUTE))).toBe(IPV6_ROUTE);
  });
});
