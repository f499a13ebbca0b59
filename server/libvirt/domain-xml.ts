/**
 * A libvirt domain's XML (`virsh dumpxml`, live or --inactive) reduced to what passthrough needs: the PCI devices it
 * holds (`<hostdev type='pci'>`, `<interface type='hostdev'>`) and interfaces on networks (a hostdev network is a VF
 * pool). Pure: https://libvirt.org/formatdomain.html#host-device-assignment
 */
import { formatPciAddress } from "@/lib/pci-address";
import { attr, child, children, LibvirtXmlError, parseXml, text, type XmlNode } from "./xml";

export interface PciHostdev {
  /** the host function, canonical "0000:65:00.0" */
  address: string;
  /** libvirt detaches it from its host driver and reattaches it (managed='yes') */
  managed: boolean;
  rom: { bar: "on" | "off" | null; file: string | null };
  /** where the guest sees it, when libvirt assigned or was given an address */
  guestAddress: string | null;
  multifunction: boolean;
  alias: string | null;
}

export interface HostdevInterface {
  address: string;
  managed: boolean;
  mac: string | null;
  /** VLAN tags (one for access mode; several for a trunk) */
  vlan: number[];
  alias: string | null;
}

export interface NetworkInterface {
  network: string;
  mac: string | null;
  vlan: number[];
}

export interface DomainDefinition {
  name: string;
  uuid: string | null;
  type: string | null;
  memoryKiB: number | null;
  vcpus: number | null;
  machine: string | null;
  hostdevs: PciHostdev[];
  hostdevInterfaces: HostdevInterface[];
  networkInterfaces: NetworkInterface[];
  /** indexes of the PCI controllers (pcie-root, root ports, bridges): a guest bus number is a controller index */
  pciControllerIndexes: number[];
  /** slots any device already takes on guest bus 0 (the root complex) */
  bus0Slots: number[];
}

const hex = (v: string | null, what: string): number => {
  if (v === null) throw new LibvirtXmlError(`a PCI <address> lacks its ${what}`);
  const n = Number.parseInt(v.replace(/^0x/i, ""), 16);
  if (!Number.isFinite(n)) throw new LibvirtXmlError(`a PCI <address> has ${what}='${v}'`);
  return n;
};

/** `<address domain='0x0000' bus='0x65' slot='0x00' function='0x0'/>` → "0000:65:00.0" */
export function pciAddressOf(node: XmlNode): string {
  return formatPciAddress({
    domain: node["@_domain"] === undefined ? 0 : hex(attr(node, "domain"), "domain"),
    bus: hex(attr(node, "bus"), "bus"),
    device: hex(attr(node, "slot"), "slot"),
    fn: hex(attr(node, "function"), "function"),
  });
}

const guestAddressOf = (dev: XmlNode): string | null => {
  const a = children(dev, "address").find((x) => attr(x, "type") === "pci");
  return a ? pciAddressOf(a) : null;
};

const sourceAddress = (dev: XmlNode): string | null => {
  const a = child(child(dev, "source"), "address") ?? children(child(dev, "source"), "address")[0] ?? null;
  return a ? pciAddressOf(a) : null;
};

export function parseDomainXml(xml: string): DomainDefinition {
  const dom = parseXml(xml, "domain");
  const name = text(dom, "name");
  if (!name) throw new LibvirtXmlError("a <domain> without <name>");
  const devices = child(dom, "devices");
  const hostdevs: PciHostdev[] = [];
  for (const h of children(devices, "hostdev")) {
    if (attr(h, "mode") !== "subsystem" || attr(h, "type") !== "pci") continue;
    const address = sourceAddress(h);
    if (!address) continue;
    const rom = child(h, "rom");
    const bar = attr(rom, "bar");
    const guest = children(h, "address").find((x) => attr(x, "type") === "pci");
    hostdevs.push({
      address,
      managed: attr(h, "managed") === "yes",
      rom: { bar: bar === "on" || bar === "off" ? bar : null, file: attr(rom, "file") },
      guestAddress: guestAddressOf(h),
      multifunction: attr(guest, "multifunction") === "on",
      alias: attr(child(h, "alias"), "name"),
    });
  }
  const hostdevInterfaces: HostdevInterface[] = [];
  const networkInterfaces: NetworkInterface[] = [];
  for (const i of children(devices, "interface")) {
    const mac = attr(child(i, "mac"), "address");
    if (attr(i, "type") === "hostdev") {
      const address = sourceAddress(i);
      if (!address) continue;
      hostdevInterfaces.push({
        address,
        managed: attr(i, "managed") === "yes",
        mac,
        vlan: children(child(i, "vlan"), "tag")
          .map((t) => Number(attr(t, "id")))
          .filter((n) => Number.isInteger(n)),
        alias: attr(child(i, "alias"), "name"),
      });
    } else if (attr(i, "type") === "network") {
      const network = attr(child(i, "source"), "network");
      if (network)
        networkInterfaces.push({
          network,
          mac,
          vlan: children(child(i, "vlan"), "tag")
            .map((t) => Number(attr(t, "id")))
            .filter((n) => Number.isInteger(n)),
        });
    }
  }
  const pciControllerIndexes = children(devices, "controller")
    .filter((c) => attr(c, "type") === "pci")
    .map((c) => Number(attr(c, "index")))
    .filter(Number.isInteger);
  const bus0Slots = new Set<number>();
  for (const [key, value] of Object.entries(devices ?? {})) {
    if (key.startsWith("@_") || key === "#text") continue;
    for (const dev of Array.isArray(value) ? value : [value]) {
      for (const a of children(dev, "address")) {
        if (attr(a, "type") === "pci" && Number.parseInt(attr(a, "bus") ?? "-1", 16) === 0) bus0Slots.add(Number.parseInt(attr(a, "slot") ?? "-1", 16));
      }
    }
  }
  const memory = text(dom, "memory");
  const unit = attr(child(dom, "memory"), "unit") ?? "KiB";
  const vcpu = text(dom, "vcpu");
  return {
    name,
    uuid: text(dom, "uuid"),
    type: attr(dom, "type"),
    memoryKiB: memory === null ? null : toKiB(Number(memory), unit),
    vcpus: vcpu === null ? null : Number(vcpu),
    machine: attr(child(child(dom, "os"), "type"), "machine"),
    hostdevs,
    hostdevInterfaces,
    networkInterfaces,
    pciControllerIndexes,
    bus0Slots: [...bus0Slots].filter((n) => n >= 0).sort((a, b) => a - b),
  };
}

const UNITS: Record<string, number> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  KiB: 1,
  k: 1,
  KB: 1000 / 1024,
  MiB: 1024,
  M: 1024,
  MB: 1e6 / 1024,
  GiB: 1024 ** 2,
  G: 1024 ** 2,
  GB: 1e9 / 1024,
  TiB: 1024 ** 3,
  T: 1024 ** 3,
};

function toKiB(value: number, unit: string): number | null {
  const f = UNITS[unit];
  return f === undefined || !Number.isFinite(value) ? null : Math.round(value * f);
}
