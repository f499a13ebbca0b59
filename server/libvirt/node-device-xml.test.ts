import { describe, expect, it } from "vitest";
import { parseNodeDeviceXml } from "./node-device-xml";

const PF = `<device>
  <name>pci_0000_01_00_0</name>
  <path>/sys/devices/pci0000:00/0000:00:03.0/0000:01:00.0</path>
  <parent>pci_0000_00_03_0</parent>
  <driver><name>igb</name></driver>
  <capability type='pci'>
    <class>0x020000</class>
    <domain>0</domain><bus>1</bus><slot>0</slot><function>0</function>
    <product id='0x10c9'>82576 Gigabit Network Connection</product>
    <vendor id='0x8086'>Intel Corporation</vendor>
    <capability type='virt_functions' maxCount='7'>
      <address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>
      <address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>
    </capability>
    <iommuGroup number='3'><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></iommuGroup>
  </capability>
</device>`;

const VF = `<device>
  <name>pci_0000_01_10_2</name>
  <parent>pci_0000_00_03_0</parent>
  <driver><name>vfio-pci</name></driver>
  <capability type='pci'>
    <domain>0</domain><bus>1</bus><slot>16</slot><function>2</function>
    <capability type='phys_function'><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></capability>
    <iommuGroup number='12'><address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></iommuGroup>
  </capability>
</device>`;

describe("parseNodeDeviceXml", () => {
  it("reads a PF's address (decimal in nodedev XML), driver, group and VFs", () => {
    expect(parseNodeDeviceXml(PF)).toEqual({
      name: "pci_0000_01_00_0",
      address: "0000:01:00.0",
      driver: "igb",
      iommuGroup: 3,
      virtFunctions: { maxCount: 7, addresses: ["0000:01:10.0", "0000:01:10.2"] },
      physFunction: null,
    });
  });

  it("reads a VF's PF", () => {
    expect(parseNodeDeviceXml(VF)).toMatchObject({
      address: "0000:01:10.2",
      driver: "vfio-pci",
      iommuGroup: 12,
      virtFunctions: null,
      physFunction: "0000:01:00.0",
    });
  });

  it("refuses a node device that is not PCI, by name", () => {
    expect(() => parseNodeDeviceXml("<device><name>net_eth0</name><capability type='net'/></device>")).toThrow("net_eth0 is not a PCI device");
  });
});
