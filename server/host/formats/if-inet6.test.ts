import { describe, expect, it } from "vitest";
import { IF_INET6 } from "../net-testing";
import { formatIfInet6, IFA_F_PERMANENT, parseIfInet6, type IfInet6 } from "./if-inet6";

describe("/proc/net/if_inet6", () => {
  it("reads the kernel's columns", () => {
    const rows = parseIfInet6(IF_INET6);
    expect(rows).toHaveLength(7);
    expect(rows[0]).toEqual({ address: "00000000000000000000000000000001", ifindex: 1, prefixLength: 128, scope: 0x10, flags: IFA_F_PERMANENT, iface: "lo" });
    expect(rows[6]).toMatchObject({ ifindex: 4, prefixLength: 64, scope: 0, iface: "enp3s0" });
  });

  it("format → parse gives back the addresses", () => {
    const rows: IfInet6[] = [
      { address: "fe80000000000000021122fffe334455", ifindex: 300, prefixLength: 64, scope: 0x20, flags: 0x80, iface: "enp59s0f0v12" },
      { address: "20010db8000000000000000000000010", ifindex: 2, prefixLength: 64, scope: 0, flags: 0, iface: "eno1" },
    ];
    expect(parseIfInet6(formatIfInet6(rows))).toEqual(rows);
  });

  it("prints the kernel's text back from a parsed sample, byte for byte", () => {
    expect(formatIfInet6(parseIfInet6(IF_INET6))).toBe(IF_INET6);
  });
});
