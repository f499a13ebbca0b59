import { describe, expect, it } from "vitest";
import { parseDomainXml } from "./domain-xml";
import { buildHostdevInterfaceXml, buildPciHostdevXml } from "./hostdev-xml";

// As `virsh dumpxml` prints a q35 guest with a GPU + its audio function, an igb VF as a hostdev interface and a VF pool.
const DOMAIN = `<domain type='kvm' id='3'>
  <name>win11</name>
  <uuid>5b0e6c8a-3c1f-4f3e-9a51-2f0f3f0c9d11</uuid>
  <memory unit='GiB'>16</memory>
  <vcpu placement='static'>8</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
      <rom bar='off'/>
      <alias name='hostdev0'/>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0' multifunction='on'/>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x1'/>
    </hostdev>
    <hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev>
    <interface type='hostdev' managed='yes'>
      <mac address='02:11:22:33:44:55'/>
      <source><address type='pci' domain='0x0000' bus='0x19' slot='0x10' function='0x1'/></source>
      <vlan><tag id='100'/></vlan>
      <alias name='hostdev1'/>
    </interface>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source network='pool-eno2'/>
    </interface>
    <interface type='bridge'><source bridge='vmbr0'/></interface>
  </devices>
</domain>`;

describe("parseDomainXml", () => {
  it("reads the PCI hostdevs, the hostdev interfaces with MAC and VLAN, and the networks", () => {
    const d = parseDomainXml(DOMAIN);
    expect([d.name, d.uuid, d.type, d.memoryKiB, d.vcpus, d.machine]).toEqual([
      "win11",
      "5b0e6c8a-3c1f-4f3e-9a51-2f0f3f0c9d11",
      "kvm",
      16 * 1024 * 1024,
      8,
      "pc-q35-7.2",
    ]);
    expect(d.hostdevs).toEqual([
      { address: "0000:01:00.0", managed: true, rom: { bar: "off", file: null }, guestAddress: "0000:05:00.0", multifunction: true, alias: "hostdev0" },
      { address: "0000:01:00.1", managed: true, rom: { bar: null, file: null }, guestAddress: "0000:05:00.1", multifunction: false, alias: null },
    ]);
    expect(d.hostdevInterfaces).toEqual([{ address: "0000:19:10.1", managed: true, mac: "02:11:22:33:44:55", vlan: [100], alias: "hostdev1" }]);
    expect(d.networkInterfaces).toEqual([{ network: "pool-eno2", mac: "52:54:00:aa:bb:cc", vlan: [] }]);
  });

  it("says what is wrong with a document that is not a domain", () => {
    expect(() => parseDomainXml("<network><name>x</name></network>")).toThrow("expected a <domain> document, got <network>");
    expect(() => parseDomainXml("<domain type='kvm'/>")).toThrow("a <domain> without <name>");
  });
});

describe("device XML for attach-device", () => {
  it("builds a managed PCI hostdev that parses back to the same function, ROM and guest address", () => {
    const xml = buildPciHostdevXml({
      address: "01:00.0",
      rom: { bar: "off", file: "/usr/share/vgabios/gpu.rom" },
      guestAddress: { bus: 5, slot: 0, fn: 0, multifunction: true },
    });
    expect(xml).toBe(`<hostdev mode="subsystem" type="pci" managed="yes">
  <source>
    <address domain="0x0000" bus="0x01" slot="0x00" function="0x0"/>
  </source>
  <rom bar="off" file="/usr/share/vgabios/gpu.rom"/>
  <address type="pci" domain="0x0000" bus="0x05" slot="0x00" function="0x0" multifunction="on"/>
</hostdev>`);
    const back = parseDomainXml(`<domain><name>t</name><devices>${xml}</devices></domain>`).hostdevs[0];
    expect(back).toMatchObject({
      address: "0000:01:00.0",
      rom: { bar: "off", file: "/usr/share/vgabios/gpu.rom" },
      guestAddress: "0000:05:00.0",
      multifunction: true,
    });
  });

  it("builds a hostdev interface for a VF with its MAC and VLAN", () => {
    const xml = buildHostdevInterfaceXml({ address: "0000:19:10.1", mac: "02-11-22-33-44-55", vlan: 100 });
    expect(parseDomainXml(`<domain><name>t</name><devices>${xml}</devices></domain>`).hostdevInterfaces).toEqual([
      { address: "0000:19:10.1", managed: true, mac: "02:11:22:33:44:55", vlan: [100], alias: null },
    ]);
  });

  it("refuses input that must not reach libvirt", () => {
    expect(() => buildPciHostdevXml({ address: "../../etc" })).toThrow(/not a PCI address/);
    expect(() => buildPciHostdevXml({ address: "01:00.0", rom: { file: "/x'/><evil a='" } })).toThrow(/ROM file must be an absolute path/);
    expect(() => buildHostdevInterfaceXml({ address: "19:10.1", vlan: 4095 })).toThrow("VLAN 4095 is out of range: 1–4094");
    expect(() => buildHostdevInterfaceXml({ address: "19:10.1", mac: "01:00:5e:00:00:01" })).toThrow(/multicast/);
    expect(() => buildPciHostdevXml({ address: "01:00.0", guestAddress: { bus: 0, slot: 32, fn: 0 } })).toThrow(/out of range/);
  });
});
