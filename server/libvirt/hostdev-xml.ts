/**
 * The device XML Passdeck hands to `virsh attach-device` / `detach-device`: a PCI function as `<hostdev>`, or a
 * network VF as `<interface type='hostdev'>` so libvirt sets its MAC and VLAN through the PF and restores them on
 * release. Pure; inputs are validated here, since this XML is what reaches libvirt.
 */
import { checkMac } from "@/lib/mac";
import { parsePciAddress } from "@/lib/pci-address";
import { ROM_FILE_PATTERN } from "@/lib/schemas";
import type { GuestDevice } from "@/server/executor/plan";
import type { DomainDefinition } from "./domain-xml";
import { buildXml, LibvirtXmlError, type XmlNode } from "./xml";

export interface PciHostdevSpec {
  address: string;
  /** default true: libvirt moves it to vfio-pci and back */
  managed?: boolean;
  rom?: { bar?: "on" | "off" | undefined; file?: string | undefined };
  /** the guest address for functions of one multifunction device (function 0 carries multifunction='on') */
  guestAddress?: { bus: number; slot: number; fn: number; multifunction?: boolean | undefined };
}

export interface HostdevInterfaceSpec {
  address: string;
  mac?: string;
  vlan?: number;
}

function hostAddress(raw: string): XmlNode {
  const p = parsePciAddress(raw);
  if (!p.ok) throw new LibvirtXmlError(p.error);
  const h = (n: number, w: number) => `0x${n.toString(16).padStart(w, "0")}`;
  return { "@_domain": h(p.parts.domain, 4), "@_bus": h(p.parts.bus, 2), "@_slot": h(p.parts.device, 2), "@_function": h(p.parts.fn, 1) };
}

export function buildPciHostdevXml(spec: PciHostdevSpec): string {
  const hostdev: XmlNode = {
    "@_mode": "subsystem",
    "@_type": "pci",
    "@_managed": spec.managed === false ? "no" : "yes",
    source: { address: [hostAddress(spec.address)] },
  };
  if (spec.rom) {
    if (spec.rom.file !== undefined && !ROM_FILE_PATTERN.test(spec.rom.file))
      throw new LibvirtXmlError(`the ROM file must be an absolute path of letters, digits, '.', '_', '-' and '/', not ${JSON.stringify(spec.rom.file)}`);
    hostdev.rom = { ...(spec.rom.bar ? { "@_bar": spec.rom.bar } : {}), ...(spec.rom.file ? { "@_file": spec.rom.file } : {}) };
  }
  if (spec.guestAddress) {
    const g = spec.guestAddress;
    if (![g.bus, g.slot, g.fn].every(Number.isInteger) || g.bus < 0 || g.bus > 0xff || g.slot < 0 || g.slot > 0x1f || g.fn < 0 || g.fn > 7)
      throw new LibvirtXmlError(`guest address bus ${g.bus} slot ${g.slot} function ${g.fn} is out of range (bus 0-255, slot 0-31, function 0-7)`);
    hostdev.address = [
      {
        "@_type": "pci",
        "@_domain": "0x0000",
        "@_bus": `0x${g.bus.toString(16).padStart(2, "0")}`,
        "@_slot": `0x${g.slot.toString(16).padStart(2, "0")}`,
        "@_function": `0x${g.fn.toString(16)}`,
        ...(g.multifunction ? { "@_multifunction": "on" } : {}),
      },
    ];
  }
  return buildXml({ hostdev });
}

export function buildHostdevInterfaceXml(spec: HostdevInterfaceSpec): string {
  const iface: XmlNode = { "@_type": "hostdev", "@_managed": "yes" };
  if (spec.mac !== undefined) {
    const m = checkMac(spec.mac);
    if (!m.ok) throw new LibvirtXmlError(m.error);
    iface.mac = { "@_address": m.mac };
  }
  iface.source = { address: [{ "@_type": "pci", ...hostAddress(spec.address) }] };
  if (spec.vlan !== undefined) {
    if (!Number.isInteger(spec.vlan) || spec.vlan < 1 || spec.vlan > 4094) throw new LibvirtXmlError(`VLAN ${spec.vlan} is out of range: 1–4094`);
    iface.vlan = { tag: [{ "@_id": String(spec.vlan) }] };
  }
  return buildXml({ interface: iface });
}

/** The XML for a plan's guest device: the executor builds it here from validated fields, never from input XML. */
export function buildGuestDeviceXml(device: GuestDevice): string {
  if (device.type === "pool") return buildPoolInterfaceXml(device.network, device.mac, device.vlan);
  return device.type === "interface"
    ? buildHostdevInterfaceXml({ address: device.address, mac: device.mac, ...(device.vlan !== undefined ? { vlan: device.vlan } : {}) })
    : buildPciHostdevXml({
        address: device.address,
        managed: device.managed,
        ...(device.rom ? { rom: device.rom } : {}),
        ...(device.guestAddress ? { guestAddress: device.guestAddress } : {}),
      });
}

/** `<interface type='network'>` on a VF pool: libvirt hands out a free VF at start and sets this MAC/VLAN on it. */
export function buildPoolInterfaceXml(network: string, mac: string, vlan?: number): string {
  const m = checkMac(mac);
  if (!m.ok) throw new LibvirtXmlError(m.error);
  if (vlan !== undefined && (!Number.isInteger(vlan) || vlan < 1 || vlan > 4094)) throw new LibvirtXmlError(`VLAN ${vlan} is out of range: 1–4094`);
  return buildXml({
    interface: {
      "@_type": "network",
      mac: { "@_address": m.mac },
      source: { "@_network": network },
      ...(vlan !== undefined ? { vlan: { tag: [{ "@_id": String(vlan) }] } } : {}),
    },
  });
}

/** Whether a domain definition holds the device as the plan means it (for an interface: same MAC and VLAN too). */
export function definitionHolds(def: DomainDefinition, device: GuestDevice): boolean {
  if (device.type === "pool") {
    // Live, libvirt shows the VF it handed out (type='hostdev'); the persistent config keeps the pool.
    const sameVlan = (v: number[]) => (device.vlan === undefined ? v.length === 0 : v.length === 1 && v[0] === device.vlan);
    return (
      def.networkInterfaces.some((i) => i.network === device.network && i.mac === device.mac && sameVlan(i.vlan)) ||
      def.hostdevInterfaces.some((i) => i.mac === device.mac && sameVlan(i.vlan))
    );
  }
  if (device.type === "interface") {
    const i = def.hostdevInterfaces.find((x) => x.address === device.address);
    return !!i && i.mac === device.mac && (device.vlan === undefined ? i.vlan.length === 0 : i.vlan.length === 1 && i.vlan[0] === device.vlan);
  }
  return def.hostdevs.some((h) => h.address === device.address);
}

/** Whether the definition has the host function at all, in either form. */
export function definitionHasAddress(def: DomainDefinition, address: string): boolean {
  if (address === "") return false;
  return def.hostdevs.some((h) => h.address === address) || def.hostdevInterfaces.some((i) => i.address === address);
}
