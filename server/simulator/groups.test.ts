/** The kernel's pci_device_group() rules on each topology case, and group numbering in probe order. */
import { describe, expect, it } from "vitest";
import { acsEnabled, computeIommuGroups, IommuGroupAllocator, probeOrder, topologyGroupNodes, type GroupNode } from "./groups";
import { resolveTopology, type PciFunctionSpec } from "./spec";

type N = Partial<GroupNode> & Pick<GroupNode, "address">;
const node = (n: N): GroupNode => ({ parent: null, type: "endpoint", acs: false, multifunction: false, ...n });
const rootPort = (address: string, acs: boolean, extra: Partial<GroupNode> = {}) => node({ address, type: "root-port", acs, ...extra });

/** Groups as sorted member lists, keyed by id, for compact expectations. */
function groups(nodes: GroupNode[]): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  for (const g of computeIommuGroups(nodes).groups) out[g.id] = [...g.devices].sort();
  return out;
}

describe("computeIommuGroups", () => {
  it("isolates a device behind a root port with ACS: the port and the device each get a group", () => {
    expect(groups([rootPort("0000:00:01.0", true), node({ address: "0000:01:00.0", parent: "0000:00:01.0" })])).toEqual({
      0: ["0000:00:01.0"],
      1: ["0000:01:00.0"],
    });
  });

  it("puts a device behind a root port without ACS into the port's group", () => {
    expect(groups([rootPort("0000:00:1c.0", false), node({ address: "0000:02:00.0", parent: "0000:00:1c.0" })])).toEqual({
      0: ["0000:00:1c.0", "0000:02:00.0"],
    });
  });

  it("groups the functions of a multifunction device without ACS, and splits them with ACS", () => {
    const gpu = (acs: boolean) => [
      rootPort("0000:00:01.0", true),
      node({ address: "0000:01:00.0", parent: "0000:00:01.0", multifunction: true, acs }),
      node({ address: "0000:01:00.1", parent: "0000:00:01.0", multifunction: true, acs }),
    ];
    expect(groups(gpu(false))).toEqual({ 0: ["0000:00:01.0"], 1: ["0000:01:00.0", "0000:01:00.1"] });
    expect(groups(gpu(true))).toEqual({ 0: ["0000:00:01.0"], 1: ["0000:01:00.0"], 2: ["0000:01:00.1"] });
  });

  it("merges non-ACS root ports that are functions of one device, with everything below them (consumer PCH)", () => {
    expect(
      groups([
        rootPort("0000:00:1c.0", false, { multifunction: true }),
        rootPort("0000:00:1c.4", false, { multifunction: true }),
        node({ address: "0000:03:00.0", parent: "0000:00:1c.0" }),
        node({ address: "0000:04:00.0", parent: "0000:00:1c.4" }),
      ]),
    ).toEqual({ 0: ["0000:00:1c.0", "0000:00:1c.4", "0000:03:00.0", "0000:04:00.0"] });
  });

  it("never merges multifunction root ports that have ACS", () => {
    expect(groups([rootPort("0000:00:01.1", true, { multifunction: true }), rootPort("0000:00:01.2", true, { multifunction: true })])).toEqual({
      0: ["0000:00:01.1"],
      1: ["0000:00:01.2"],
    });
  });

  it("aliases conventional PCI devices to their PCIe-to-PCI bridge, which follows its own port's isolation", () => {
    const behind = (portAcs: boolean) => [
      rootPort("0000:00:1c.0", portAcs),
      node({ address: "0000:02:00.0", parent: "0000:00:1c.0", type: "pcie-to-pci" }),
      node({ address: "0000:03:00.0", parent: "0000:02:00.0", type: "conventional" }),
      node({ address: "0000:03:01.0", parent: "0000:02:00.0", type: "conventional" }),
    ];
    expect(groups(behind(true))).toEqual({ 0: ["0000:00:1c.0"], 1: ["0000:02:00.0", "0000:03:00.0", "0000:03:01.0"] });
    expect(groups(behind(false))).toEqual({ 0: ["0000:00:1c.0", "0000:02:00.0", "0000:03:00.0", "0000:03:01.0"] });
  });

  it("isolates devices below a switch only when its downstream ports (and everything above) have ACS", () => {
    const sw = (downstreamAcs: boolean, rootAcs = true) => [
      rootPort("0000:00:08.0", rootAcs),
      node({ address: "0000:07:00.0", parent: "0000:00:08.0", type: "upstream-port" }),
      node({ address: "0000:08:00.0", parent: "0000:07:00.0", type: "downstream-port", acs: downstreamAcs }),
      node({ address: "0000:08:01.0", parent: "0000:07:00.0", type: "downstream-port", acs: downstreamAcs }),
      node({ address: "0000:09:00.0", parent: "0000:08:00.0" }),
      node({ address: "0000:0a:00.0", parent: "0000:08:01.0" }),
    ];
    expect(groups(sw(true))).toEqual({
      0: ["0000:00:08.0"],
      1: ["0000:07:00.0"],
      2: ["0000:08:00.0"],
      3: ["0000:08:01.0"],
      4: ["0000:09:00.0"],
      5: ["0000:0a:00.0"],
    });
    // without ACS on the downstream ports, each endpoint joins its port's group
    expect(groups(sw(false))).toEqual({
      0: ["0000:00:08.0"],
      1: ["0000:07:00.0"],
      2: ["0000:08:00.0", "0000:09:00.0"],
      3: ["0000:08:01.0", "0000:0a:00.0"],
    });
    // a root port without ACS breaks the path for everything below it: one group for the whole switch
    expect(groups(sw(true, false))).toEqual({
      0: ["0000:00:08.0", "0000:07:00.0", "0000:08:00.0", "0000:08:01.0", "0000:09:00.0", "0000:0a:00.0"],
    });
  });

  it("numbers groups in the kernel's probe order: a bus's functions first, then each bridge's bus, depth first", () => {
    const nodes = [
      node({ address: "0000:02:00.0", parent: "0000:00:06.0" }),
      rootPort("0000:00:06.0", true),
      node({ address: "0000:01:00.0", parent: "0000:00:01.0" }),
      node({ address: "0000:00:00.0", type: "conventional" }),
      rootPort("0000:00:01.0", true),
      rootPort("0000:3a:00.0", true),
      node({ address: "0000:3b:00.0", parent: "0000:3a:00.0" }),
    ];
    expect(probeOrder(nodes).map((n) => n.address)).toEqual([
      "0000:00:00.0",
      "0000:00:01.0",
      "0000:00:06.0",
      "0000:01:00.0",
      "0000:02:00.0",
      "0000:3a:00.0",
      "0000:3b:00.0",
    ]);
    const { groupOf } = computeIommuGroups(nodes);
    expect(Object.fromEntries(groupOf)).toEqual({
      "0000:00:00.0": 0,
      "0000:00:01.0": 1,
      "0000:00:06.0": 2,
      "0000:01:00.0": 3,
      "0000:02:00.0": 4,
      "0000:3a:00.0": 5,
      "0000:3b:00.0": 6,
    });
  });

  it("gives VFs groups after every boot-time function, each its own behind an ACS path", () => {
    const nodes = [
      rootPort("0000:3a:00.0", true),
      node({ address: "0000:3b:02.1", parent: "0000:3a:00.0", vf: true }),
      node({ address: "0000:3b:02.0", parent: "0000:3a:00.0", vf: true }),
      node({ address: "0000:3b:00.0", parent: "0000:3a:00.0", multifunction: true, acs: true }),
      node({ address: "0000:3b:00.1", parent: "0000:3a:00.0", multifunction: true, acs: true }),
      rootPort("0000:5d:00.0", true),
    ];
    expect(groups(nodes)).toEqual({
      0: ["0000:3a:00.0"],
      1: ["0000:3b:00.0"],
      2: ["0000:3b:00.1"],
      3: ["0000:5d:00.0"],
      4: ["0000:3b:02.1"], // VFs in creation order (the order given)
      5: ["0000:3b:02.0"],
    });
  });

  it("puts VFs in their PF's group when the port above lacks ACS", () => {
    expect(
      groups([
        rootPort("0000:00:1c.0", false),
        node({ address: "0000:02:00.0", parent: "0000:00:1c.0" }),
        node({ address: "0000:02:10.0", parent: "0000:00:1c.0", vf: true }),
      ]),
    ).toEqual({ 0: ["0000:00:1c.0", "0000:02:00.0", "0000:02:10.0"] });
  });

  it("leaves functions the IOMMU does not translate without a group", () => {
    const t = computeIommuGroups([
      node({ address: "0000:00:00.2", type: "conventional", behindIommu: false }),
      node({ address: "0000:00:01.0", type: "conventional" }),
    ]);
    expect(t.groupOf.has("0000:00:00.2")).toBe(false);
    expect(t.groupOf.get("0000:00:01.0")).toBe(0);
  });

  it("frees a group id when its last function goes away and reuses the lowest free id, as the IDA does", () => {
    const port = rootPort("0000:3a:00.0", true);
    const vf = (a: string) => node({ address: a, parent: port.address, vf: true });
    const alloc = new IommuGroupAllocator([port, vf("0000:3b:02.0"), vf("0000:3b:02.1")]);
    expect([port.address, "0000:3b:02.0", "0000:3b:02.1"].map((a) => alloc.probe(a))).toEqual([0, 1, 2]);
    alloc.release("0000:3b:02.0");
    alloc.addNode(vf("0000:3b:02.2"));
    expect(alloc.probe("0000:3b:02.2")).toBe(1);
    expect(alloc.table().groups.map((g) => g.id)).toEqual([0, 1, 2]);
  });
});

describe("acsEnabled (pci_acs_enabled by port type)", () => {
  it("follows the kernel's table", () => {
    expect(acsEnabled(node({ address: "0000:00:1f.3", type: "conventional", acs: true }))).toBe(false);
    expect(acsEnabled(node({ address: "0000:02:00.0", type: "pcie-to-pci", acs: true }))).toBe(false);
    expect(acsEnabled(node({ address: "0000:00:01.0", type: "root-port", acs: false }))).toBe(false);
    expect(acsEnabled(node({ address: "0000:08:00.0", type: "downstream-port", acs: true }))).toBe(true);
    expect(acsEnabled(node({ address: "0000:07:00.0", type: "upstream-port" }))).toBe(true); // single function: nothing to isolate
    expect(acsEnabled(node({ address: "0000:01:00.0", multifunction: true }))).toBe(false);
    expect(acsEnabled(node({ address: "0000:01:00.0" }))).toBe(true);
  });
});

describe("topologyGroupNodes over a resolved spec", () => {
  // extra may set a field to undefined (link: undefined, an integrated function without a link), hence the cast.
  const f = (address: string, extra: { [K in keyof PciFunctionSpec]?: PciFunctionSpec[K] | undefined } = {}): PciFunctionSpec =>
    ({
      address,
      vendor: 0x8086,
      device: 0x1234,
      subsystemVendor: 0x8086,
      subsystemDevice: 0,
      class: 0x020000,
      revision: 0,
      link: { speed: 8, width: 4, maxSpeed: 8, maxWidth: 4 },
      ...extra,
    }) as PciFunctionSpec;
  const port = (address: string, secondaryBus: number, extra: Partial<PciFunctionSpec> = {}) =>
    f(address, { class: 0x060400, bridge: "root-port", secondaryBus, driver: "pcieport", ...extra });

  it("derives multifunction, kinds and VF parents, and groups the enabled VFs", () => {
    const topology = resolveTopology({
      name: "t",
      pci: [
        port("0000:00:01.0", 1, { acs: true }),
        f("0000:01:00.0", { parent: "0000:00:01.0", sriov: { totalVfs: 8, numVfs: 2, offset: 0x80, stride: 2, vfDevice: 0x10ca } }),
        f("0000:00:1f.0", { class: 0x060100, link: undefined }),
        f("0000:00:1f.3", { class: 0x040300, link: undefined }),
      ],
    });
    const nodes = topologyGroupNodes(topology);
    expect(nodes.map((n) => [n.address, n.type, n.multifunction, n.vf, n.parent])).toEqual([
      ["0000:00:01.0", "root-port", false, false, null],
      ["0000:00:1f.0", "conventional", true, false, null],
      ["0000:00:1f.3", "conventional", true, false, null],
      ["0000:01:00.0", "endpoint", false, false, "0000:00:01.0"],
      ["0000:01:10.0", "endpoint", false, true, "0000:00:01.0"],
      ["0000:01:10.2", "endpoint", false, true, "0000:00:01.0"],
    ]);
    expect(groups(nodes)).toEqual({
      0: ["0000:00:01.0"],
      1: ["0000:00:1f.0", "0000:00:1f.3"],
      2: ["0000:01:00.0"],
      3: ["0000:01:10.0"],
      4: ["0000:01:10.2"],
    });
  });
});
