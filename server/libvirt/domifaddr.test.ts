/** `virsh domifaddr` output → the addresses the latency page offers as a VM's targets. */
import { describe, expect, it } from "vitest";
import { parseDomifaddr } from "./domains";

const OUTPUT = ` Name       MAC address          Protocol     Address
-------------------------------------------------------------------------------
 vnet0      52:54:00:4B:8a:7c    ipv4         192.168.122.77/24
 -          -                    ipv6         fe80::5054:ff:fe4b:8a7c/64
 vnet1      52:54:00:aa:bb:cc    ipv4         10.0.5.9/16
`;

describe("parseDomifaddr", () => {
  it("reads each address with its interface and MAC; a continuation row inherits them", () => {
    expect(parseDomifaddr(OUTPUT, "lease")).toEqual([
      { name: "vnet0", mac: "52:54:00:4b:8a:7c", family: "ipv4", address: "192.168.122.77", prefix: 24, source: "lease" },
      { name: "vnet0", mac: "52:54:00:4b:8a:7c", family: "ipv6", address: "fe80::5054:ff:fe4b:8a7c", prefix: 64, source: "lease" },
      { name: "vnet1", mac: "52:54:00:aa:bb:cc", family: "ipv4", address: "10.0.5.9", prefix: 16, source: "lease" },
    ]);
  });

  it("an agent row without a prefix, and an empty table, parse too", () => {
    expect(parseDomifaddr(" lo         00:00:00:00:00:00    ipv4         127.0.0.1\n", "agent")).toEqual([
      { name: "lo", mac: "00:00:00:00:00:00", family: "ipv4", address: "127.0.0.1", prefix: null, source: "agent" },
    ]);
    expect(parseDomifaddr(" Name       MAC address          Protocol     Address\n---------\n", "arp")).toEqual([]);
  });
});
