/**
 * A libvirt PCI node device (`virsh nodedev-dumpxml pci_0000_01_00_0`) as Passdeck compares it with its own inventory:
 * the address, driver, IOMMU group and SR-IOV links libvirt believes in. Pure:
 * https://libvirt.org/formatnode.html
 */
import { formatPciAddress } from "@/lib/pci-address";
import { pciAddressOf } from "./domain-xml";
import { attr, child, children, LibvirtXmlError, parseXml, text } from "./xml";

export interface PciNodeDevice {
  /** libvirt's name, pci_0000_01_00_0 */
  name: string;
  address: string;
  driver: string | null;
  iommuGroup: number | null;
  /** for a PF: the VFs libvirt lists (virt_functions), and its maximum */
  virtFunctions: { maxCount: number | null; addresses: string[] } | null;
  /** for a VF: its PF */
  physFunction: string | null;
}

export function parseNodeDeviceXml(xml: string): PciNodeDevice {
  const dev = parseXml(xml, "device");
  const name = text(dev, "name");
  const pci = children(dev, "capability").find((c) => attr(c, "type") === "pci");
  if (!name || !pci) throw new LibvirtXmlError(`${name ?? "a node device"} is not a PCI device (no <capability type='pci'>)`);
  const num = (tag: string) => {
    const v = text(pci, tag);
    const n = v === null ? Number.NaN : v.startsWith("0x") ? Number.parseInt(v, 16) : Number(v);
    if (!Number.isInteger(n)) throw new LibvirtXmlError(`${name}: <${tag}> is ${JSON.stringify(v)}`);
    return n;
  };
  const caps = children(pci, "capability");
  const vfs = caps.find((c) => attr(c, "type") === "virt_functions");
  const pf = caps.find((c) => attr(c, "type") === "phys_function");
  const group = child(pci, "iommuGroup");
  const maxCount = attr(vfs, "maxCount");
  return {
    name,
    address: formatPciAddress({ domain: num("domain"), bus: num("bus"), device: num("slot"), fn: num("function") }),
    driver: text(child(dev, "driver"), "name"),
    iommuGroup: group ? Number(attr(group, "number")) : null,
    virtFunctions: vfs ? { maxCount: maxCount === null ? null : Number(maxCount), addresses: children(vfs, "address").map(pciAddressOf) } : null,
    physFunction: pf ? (children(pf, "address").map(pciAddressOf)[0] ?? null) : null,
  };
}
