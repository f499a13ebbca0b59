import { describe, expect, it } from "vitest";
import { buildHostdevNetworkXml, parseNetworkXml } from "./network-xml";

// virsh net-dumpxml in the kernel rig's guest: a pool on the igb PF, active, with one VF handed to a running VM.
const LIVE = `<network connections='1'>
  <name>vfpool</name>
  <uuid>ec7b8253-eeda-40eb-9c6e-e25728c4993b</uuid>
  <forward mode='hostdev' managed='yes'>
    <pf dev='eth1'/>
    <address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>
    <address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>
  </forward>
</network>`;

describe("network XML", () => {
  it("reads a VF pool: its PF, the VFs libvirt found, the connection count", () => {
    expect(parseNetworkXml(LIVE)).toEqual({
      name: "vfpool",
      uuid: "ec7b8253-eeda-40eb-9c6e-e25728c4993b",
      forwardMode: "hostdev",
      managed: true,
      pfs: ["eth1"],
      addresses: ["0000:01:10.0", "0000:01:10.2"],
      connections: 1,
    });
  });

  it("reads other networks without taking them for pools", () => {
    const nat = parseNetworkXml(
      "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/><ip address='192.168.122.1' netmask='255.255.255.0'/></network>",
    );
    expect([nat.forwardMode, nat.pfs, nat.addresses, nat.connections]).toEqual(["nat", [], [], 0]);
    expect(parseNetworkXml("<network><name>isolated</name></network>").forwardMode).toBeNull();
    expect(() => parseNetworkXml("<domain><name>x</name></domain>")).toThrow("expected a <network> document, got <domain>");
  });

  it("builds a managed hostdev pool on a PF and refuses names that are not names", () => {
    expect(buildHostdevNetworkXml("vfpool", "eth1")).toBe(
      ["<network>", "  <name>vfpool</name>", `  <forward mode="hostdev" managed="yes">`, `    <pf dev="eth1"/>`, "  </forward>", "</network>"].join("\n"),
    );
    expect(() => buildHostdevNetworkXml("-x", "eth1")).toThrow("a pool name is 1 to 50 letters");
    expect(() => buildHostdevNetworkXml("pool", "eth1; rm -rf /")).toThrow("is not a network interface name");
  });
});
