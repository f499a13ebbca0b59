/** The catalog's API and the checks that keep a scenario to what a kernel could produce. */
import { describe, expect, it } from "vitest";
import { getScenario, listScenarios } from "./catalog";
import { resolveTopology, vfAddress, type PciFunctionSpec } from "./spec";

const f = (address: string, extra: Partial<PciFunctionSpec> = {}): PciFunctionSpec => ({
  address,
  vendor: 0x8086,
  device: 0x1572,
  subsystemVendor: 0x8086,
  subsystemDevice: 0,
  class: 0x020000,
  revision: 0,
  link: { speed: 8, width: 8, maxSpeed: 8, maxWidth: 8 },
  ...extra,
});
const rootPort = (address: string, secondaryBus: number) => f(address, { class: 0x060400, bridge: "root-port", secondaryBus, acs: true });

describe("catalog", () => {
  it("returns a fresh spec per call, so a caller may change its copy", () => {
    const a = getScenario("server");
    a.pci.pop();
    expect(getScenario("server").pci.length).toBe(a.pci.length + 1);
  });

  it("names the valid scenarios when asked for an unknown one", () => {
    expect(() => getScenario("laptop")).toThrow('unknown scenario "laptop": choose one of desktop, server, iommu-off, amd, bench-1000');
    expect(() => getScenario("toString")).toThrow(/unknown scenario/);
  });

  it("has a name per spec that matches its catalog key", () => {
    for (const s of listScenarios()) expect(getScenario(s.name).name).toBe(s.name);
  });
});

describe("spec checks", () => {
  it("computes VF addresses from the routing ID, offset and stride", () => {
    expect(vfAddress("0000:3b:00.0", { offset: 16, stride: 1 }, 3)).toBe("0000:3b:02.3");
    expect(vfAddress("0000:05:00.0", { offset: 128, stride: 2 }, 1)).toBe("0000:05:10.2");
    expect(vfAddress("0000:18:00.1", { offset: 384, stride: 4 }, 0)).toBe("0000:19:10.1");
  });

  it("refuses overlapping VF ranges of two PFs", () => {
    const sriov = { totalVfs: 64, numVfs: 0, offset: 16, stride: 1, vfDevice: 0x154c };
    expect(() =>
      resolveTopology({
        name: "t",
        pci: [rootPort("0000:00:01.0", 1), f("0000:01:00.0", { parent: "0000:00:01.0", sriov }), f("0000:01:00.1", { parent: "0000:00:01.0", sriov })],
      }),
    ).toThrow(/VF 0 of 0000:01:00.1 \(0000:01:02.1\) collides with a VF of 0000:01:00.0/);
  });

  it("refuses VFs spilling onto a bus a bridge already uses", () => {
    expect(() =>
      resolveTopology({
        name: "t",
        pci: [
          rootPort("0000:00:01.0", 1),
          rootPort("0000:00:02.0", 2),
          f("0000:01:00.0", { parent: "0000:00:01.0", sriov: { totalVfs: 8, numVfs: 8, offset: 0x100, stride: 1, vfDevice: 1 } }),
        ],
      }),
    ).toThrow(/spills onto bus 2/);
  });

  it("refuses a child on the wrong bus, a missing parent and link files behind a PCIe-to-PCI bridge", () => {
    expect(() => resolveTopology({ name: "t", pci: [rootPort("0000:00:01.0", 1), f("0000:02:00.0", { parent: "0000:00:01.0" })] })).toThrow(
      /secondaryBus 1 but children on bus 2/,
    );
    expect(() => resolveTopology({ name: "t", pci: [f("0000:02:00.0", { parent: "0000:00:01.0" })] })).toThrow(/parent 0000:00:01.0 does not exist/);
    expect(() =>
      resolveTopology({
        name: "t",
        pci: [
          rootPort("0000:00:1c.0", 2),
          f("0000:02:00.0", { parent: "0000:00:1c.0", class: 0x060400, bridge: "pcie-to-pci", secondaryBus: 3 }),
          f("0000:03:00.0", { parent: "0000:02:00.0" }),
        ],
      }),
    ).toThrow(/conventional PCI and has no link/);
  });
});
