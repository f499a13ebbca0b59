import { describe, expect, it } from "vitest";
import type { RawPciDevice } from "@/server/host/pci";
import type { HostFacts } from "@/server/host/types";
import { assembleDevices } from "./assemble";

const pcie = { currentSpeed: "8.0 GT/s PCIe", currentWidth: 1, maxSpeed: "8.0 GT/s PCIe", maxWidth: 1, downgraded: false };

function raw(address: string, parentChain: string[], classId: string, link: RawPciDevice["link"] = pcie): RawPciDevice {
  return {
    address, sysfsPath: `devices/pci0000:00/${[...parentChain, address].join("/")}`, vendorId: "1b36", deviceId: "000c",
    subsystemVendorId: null, subsystemDeviceId: null, classId, revision: null, vendorName: null, deviceName: null,
    subsystemName: null, className: null, driver: null, driverOverride: null, iommuGroup: null, numaNode: null, link,
    parentChain, rootBus: "pci0000:00", reset: { available: false, methods: null }, sriov: null, physfn: null,
  };
}

const facts = { defaultRoute: { ipv4: null, ipv6: null } } as unknown as HostFacts;
const kinds = (devs: RawPciDevice[]) =>
  Object.fromEntries(
    assembleDevices(devs, { ifaces: [], addresses: new Map() }, { byPci: new Map(), unmapped: [] }, facts).map((d) => [d.address, d.bridge]),
  );

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
