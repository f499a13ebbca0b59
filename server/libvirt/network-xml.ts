/**
 * libvirt networks as VF pools: `<forward mode='hostdev' managed='yes'><pf dev='…'/></forward>` lets a VM take "any
 * free VF of this PF" (`<interface type='network'>`). Parsing (net-dumpxml, live or --inactive) and building the
 * pool's XML. Pure: https://libvirt.org/formatnetwork.html#connectivity
 */
import { pciAddressOf } from "./domain-xml";
import { NETDEV_NAME_PATTERN, POOL_NAME_PATTERN, POOL_NAME_RULE } from "@/lib/schemas";
import { attr, buildXml, child, children, LibvirtXmlError, parseXml, text } from "./xml";

export interface NetworkDefinition {
  name: string;
  uuid: string | null;
  /** forward mode: "hostdev" for a VF pool; "nat", "bridge", … or null for an isolated network */
  forwardMode: string | null;
  managed: boolean;
  /** the PF interfaces the pool takes VFs from */
  pfs: string[];
  /** the VFs libvirt found on them (listed while the network is active) */
  addresses: string[];
  /** how many interfaces use the network now (live XML only) */
  connections: number;
}

export function parseNetworkXml(xml: string): NetworkDefinition {
  const net = parseXml(xml, "network");
  const name = text(net, "name");
  if (!name) throw new LibvirtXmlError("a <network> without <name>");
  const forward = child(net, "forward");
  const connections = Number(attr(net, "connections") ?? "0");
  return {
    name,
    uuid: text(net, "uuid"),
    forwardMode: attr(forward, "mode") ?? (forward ? "nat" : null),
    managed: attr(forward, "managed") === "yes",
    pfs: children(forward, "pf")
      .map((p) => attr(p, "dev"))
      .filter((d): d is string => d !== null),
    addresses: children(forward, "address")
      .filter((a) => (attr(a, "type") ?? "pci") === "pci")
      .map(pciAddressOf),
    connections: Number.isFinite(connections) ? connections : 0,
  };
}

export function buildHostdevNetworkXml(name: string, pfNetdev: string): string {
  if (!POOL_NAME_PATTERN.test(name)) throw new LibvirtXmlError(`${POOL_NAME_RULE}, not ${JSON.stringify(name)}`);
  if (!NETDEV_NAME_PATTERN.test(pfNetdev)) throw new LibvirtXmlError(`${JSON.stringify(pfNetdev)} is not a network interface name`);
  return buildXml({ network: { name, forward: { "@_mode": "hostdev", "@_managed": "yes", pf: { "@_dev": pfNetdev } } } });
}
