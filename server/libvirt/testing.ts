/** Test helpers: libvirt domains as the adapter returns them, built from real domain XML. */
import { parseDomainXml } from "./domain-xml";
import type { Domain } from "./domains";

const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, "0")}`;

/** `<address …/>` for a host address "0000:3b:02.0". */
export function addressXml(address: string): string {
  const [dom, bus, rest] = address.split(":");
  const [slot, fn] = rest!.split(".");
  return `<address type='pci' domain='${hex(Number.parseInt(dom!, 16), 4)}' bus='${hex(Number.parseInt(bus!, 16), 2)}' slot='${hex(Number.parseInt(slot!, 16), 2)}' function='0x${fn}'/>`;
}

export function domainXml(name: string, uuid: string, devices: string[] = []): string {
  return `<domain type='qemu'><name>${name}</name><uuid>${uuid}</uuid><memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc-q35-10.0'>hvm</type></os><devices>${devices.join("")}</devices></domain>`;
}

export const hostdevXml = (address: string, managed = true) =>
  `<hostdev mode='subsystem' type='pci' managed='${managed ? "yes" : "no"}'><source>${addressXml(address)}</source></hostdev>`;
export const vfInterfaceXml = (address: string, mac: string, vlan?: number) =>
  `<interface type='hostdev' managed='yes'><mac address='${mac}'/><source>${addressXml(address)}</source>${vlan ? `<vlan><tag id='${vlan}'/></vlan>` : ""}</interface>`;

let n = 0;
/** A domain: `running` gives it a live definition equal to its config unless `live` is given. */
export function testDomain(name: string, opts: { running?: boolean; devices?: string[]; live?: string[]; persistent?: boolean } = {}): Domain {
  const uuid = `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, "0")}`;
  const persistent = opts.persistent ?? true;
  const config = persistent ? parseDomainXml(domainXml(name, uuid, opts.devices ?? [])) : null;
  const live = opts.running ? parseDomainXml(domainXml(name, uuid, opts.live ?? opts.devices ?? [])) : null;
  return {
    uuid,
    name,
    state: opts.running ? "running" : "shut off",
    active: !!opts.running,
    persistent,
    autostart: false,
    vcpus: 1,
    memoryKiB: 65536,
    live,
    config,
    xmlError: null,
  };
}
