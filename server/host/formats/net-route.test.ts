import { describe, expect, it } from "vitest";
import { formatNetRoute, leHex, parseNetRoute, type NetRoute } from "./net-route";

// a QEMU guest's table as its kernel printed it (each line padded to 127 columns)
const SAMPLE = [
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
  "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
  "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
]
  .map((l) => `${l.padEnd(127)}\n`)
  .join("");

const route = (over: Partial<NetRoute>): NetRoute => ({
  iface: "eno1",
  destination: 0,
  gateway: 0,
  flags: 1,
  refCnt: 0,
  use: 0,
  metric: 0,
  mask: 0,
  mtu: 0,
  window: 0,
  irtt: 0,
  ...over,
});

describe("/proc/net/route", () => {
  it("reads addresses in the little-endian host's word order", () => {
    const [def, connected] = parseNetRoute(SAMPLE);
    expect(def).toMatchObject({ iface: "eth0", destination: 0, gateway: 0xc0000201, flags: 3, mask: 0 });
    expect(connected).toMatchObject({ destination: 0xc0000200, gateway: 0, flags: 1, mask: 0xffffff00 });
    expect(leHex(0xc0a80101)).toBe("0101A8C0");
  });

  it("format → parse gives back the routes", () => {
    const routes = [route({ gateway: 0xc0a80101, flags: 3, metric: 100 }), route({ destination: 0xc0a80100, mask: 0xffffff00, metric: 100, mtu: 9000 })];
    expect(parseNetRoute(formatNetRoute(routes))).toEqual(routes);
  });

  it("prints the kernel's text back from a parsed sample, byte for byte", () => {
    expect(formatNetRoute(parseNetRoute(SAMPLE))).toBe(SAMPLE);
  });
});
