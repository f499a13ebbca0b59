import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readAddresses, readRoutes, readSocketUse, type NetIface } from "@/server/host/net";
import { IF_INET6, IPV6_ROUTE, procWith, TCP6 } from "@/server/host/net-testing";
import type { RawPciDevice } from "@/server/host/pci";
import type { HostFacts } from "@/server/host/types";
import { assembleDevices } from "./assemble";

const pcie = { currentSpeed: "8.0 GT/s PCIe", currentWidth: 1, maxSpeed: "8.0 GT/s PCIe", maxWidth: 1, downgraded: false };

function raw(address: string, parentChain: string[], classId: string, link: RawPciDevice["link"] = pcie): RawPciDevice {
  return {
    address,
    sysfsPath: `devices/pci0000:00/${[...parentChain, address].join("/")}`,
    vendorId: "1b36",
    deviceId: "000c",
    subsystemVendorId: null,
    subsystemDeviceId: null,
    classId,
    revision: null,
    vendorName: null,
    deviceName: null,
    subsystemName: null,
    className: null,
    driver: null,
    driverOverride: null,
    iommuGroup: null,
    numaNode: null,
    link,
    parentChain,
    rootBus: "pci0000:00",
    reset: { available: false, methods: null },
    sriov: null,
    physfn: null,
  };
}

const facts = { defaultRoute: { ipv4: null, ipv6: null, ipv6Ra: [] } } as unknown as HostFacts;
const kinds = (devs: RawPciDevice[]) =>
  Object.fromEntries(assembleDevices(devs, { ifaces: [], addresses: new Map() }, { byPci: new Map(), unmapped: [] }, facts).map((d) => [d.address, d.bridge]));

describe("bridge kinds from the topology", () => {
  it("tells root ports, switch ports and PCIe-to-PCI bridges apart", () => {
    expect(
      kinds([
        raw("0000:00:08.0", [], "060400"), // root port
        raw("0000:07:00.0", ["0000:00:08.0"], "060400"), // switch upstream port
        raw("0000:08:00.0", ["0000:00:08.0", "0000:07:00.0"], "060400"), // downstream port, PCIe device below
        raw("0000:09:00.0", ["0000:00:08.0", "0000:07:00.0", "0000:08:00.0"], "010802"),
        raw("0000:08:01.0", ["0000:00:08.0", "0000:07:00.0"], "060400"), // downstream port with a conventional device below
        raw("0000:0a:00.0", ["0000:00:08.0", "0000:07:00.0", "0000:08:01.0"], "00ff00", null),
        raw("0000:00:05.0", [], "060400"), // root port
        raw("0000:03:00.0", ["0000:00:05.0"], "060400"), // pcie-pci-bridge: conventional bus below
        raw("0000:04:01.0", ["0000:00:05.0", "0000:03:00.0"], "020000", null),
      ]),
    ).toEqual({
      "0000:00:08.0": "root-port",
      "0000:07:00.0": "upstream-port",
      "0000:08:00.0": "downstream-port",
      "0000:09:00.0": null,
      "0000:08:01.0": "downstream-port",
      "0000:0a:00.0": null,
      "0000:00:05.0": "root-port",
      "0000:03:00.0": "pci-bridge",
      "0000:04:01.0": null,
    });
  });
});

describe("host-critical from what the host uses", () => {
  const work = mkdtempSync(join(tmpdir(), "passdeck-assemble-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  let n = 0;
  // eth0 (0000:00:02.0) carries the IPv4 default; eth1 (the igb PF 0000:01:00.0) is up on a LAN that sends RAs
  const IPV4_ROUTE =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  const ifaces: NetIface[] = [
    { name: "eth0", pciAddress: "0000:00:02.0", mac: "52:54:00:d5:7a:01", operstate: "up", uppers: [] },
    { name: "eth1", pciAddress: "0000:01:00.0", mac: "52:54:00:d5:7a:10", operstate: "up", uppers: [] },
  ];
  const devs = () => [raw("0000:00:02.0", [], "020000"), raw("0000:00:03.0", [], "060400"), raw("0000:01:00.0", ["0000:00:03.0"], "020000")];
  const scan = (files: Record<string, string>, servedOn: string[] = []) => {
    const proc = procWith(join(work, String(n++)), files);
    const routes = readRoutes(proc);
    const f = { defaultRoute: { ipv4: routes.defaultV4, ipv6: routes.defaultV6, ipv6Ra: routes.raDefaultsV6 } } as unknown as HostFacts;
    const out = assembleDevices(
      devs(),
      { ifaces, addresses: readAddresses(proc, routes), servedOn, sockets: readSocketUse(proc) },
      { byPci: new Map(), unmapped: [] },
      f,
    );
    return { pf: out.find((d) => d.address === "0000:01:00.0")!, port: out.find((d) => d.address === "0000:00:03.0")! };
  };
  const eth1Only = (text: string) =>
    text
      .split("\n")
      .filter((l) => / (eth1|lo)$/.test(l))
      .join("\n") + "\n";
  const raRoutes = eth1Only(IPV6_ROUTE);

  it("a PF with only a SLAAC address and an RA-learned default: not host-critical, two notices", () => {
    const { pf, port } = scan({ route: IPV4_ROUTE, if_inet6: eth1Only(IF_INET6), ipv6_route: raRoutes });
    expect(pf.hostCritical).toEqual([]);
    expect(pf.hostNotices).toEqual([
      "eth1 has autoconfigured (SLAAC) address fec0::5054:ff:fed5:7a10/64 — no sockets use it",
      "eth1 has an IPv6 default route learned from a router advertisement, used by no socket",
    ]);
    expect(port.hostCritical).toEqual([]);
  });

  it("the same PF with an established TCP connection on that address: host-critical, naming the sockets", () => {
    const { pf, port } = scan({ route: IPV4_ROUTE, if_inet6: eth1Only(IF_INET6), ipv6_route: raRoutes, tcp6: TCP6 });
    expect(pf.hostCritical).toEqual([
      "eth1 has autoconfigured (SLAAC) address fec0::5054:ff:fed5:7a10/64 with live sockets (1 TCP connection, 1 TCP listener)",
      "eth1 carries the default route (IPv6, from a router advertisement) that sockets on fec0::5054:ff:fed5:7a10 use",
    ]);
    expect(pf.hostNotices).toEqual([]);
    expect(port.hostCritical).toEqual(["upstream of host-critical 0000:01:00.0"]);
  });

  it("the browser's own connection on the SLAAC address makes it host-critical", () => {
    const { pf } = scan({ route: IPV4_ROUTE, if_inet6: eth1Only(IF_INET6), ipv6_route: raRoutes }, ["fec0::5054:ff:fed5:7a10"]);
    expect(pf.hostCritical.join(" | ")).toContain("eth1 carries this dashboard: a browser is connected to fec0::5054:ff:fed5:7a10");
    expect(pf.hostNotices).toEqual([]);
  });

  it("a configured (permanent, flags 80) global IPv6 address is host-critical", () => {
    const statik = "20010db8000100000000000000000010 03 40 00 80     eth1\n";
    const { pf } = scan({ route: IPV4_ROUTE, if_inet6: statik, ipv6_route: "" });
    expect(pf.hostCritical).toEqual(["eth1 has address 2001:db8:1::10/64"]);
    expect(pf.hostNotices).toEqual([]);
  });

  it("an RA-learned default that is the host's only default route is host-critical", () => {
    const { pf } = scan({ route: "", if_inet6: eth1Only(IF_INET6), ipv6_route: raRoutes });
    expect(pf.hostCritical).toEqual(["eth1 carries the default route (IPv6, from a router advertisement): the host has no other default route"]);
    expect(pf.hostNotices).toEqual(["eth1 has autoconfigured (SLAAC) address fec0::5054:ff:fed5:7a10/64 — no sockets use it"]);
  });

  it("a temporary (privacy) address no socket uses is a notice, named as such", () => {
    const temp = "fec00000000000003d2a91c4b7e0f218 03 40 40 01     eth1\n";
    const { pf } = scan({ route: IPV4_ROUTE, if_inet6: temp, ipv6_route: "" });
    expect(pf.hostCritical).toEqual([]);
    expect(pf.hostNotices).toEqual(["eth1 has temporary (RFC 4941 privacy) address fec0::3d2a:91c4:b7e0:f218/64 — no sockets use it"]);
  });
});
