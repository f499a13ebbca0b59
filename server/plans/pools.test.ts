import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Network } from "@/server/libvirt/networks";
import { parseNetworkXml } from "@/server/libvirt/network-xml";
import { testDomain, vfInterfaceXml } from "@/server/libvirt/testing";
import { planOf, simulatedHost } from "./testing";
import { planPoolCreate, planPoolDelete, poolRows, poolXmlChanges } from "./pools";

const work = mkdtempSync(join(tmpdir(), "passdeck-pools-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const inv = simulatedHost(work, "server").inventory();

const pool = (name: string, active: boolean, addresses: string[] = [], pf = "ens1f0"): Network => ({
  name,
  active,
  persistent: true,
  autostart: true,
  definition: parseNetworkXml(
    `<network><name>${name}</name><forward mode='hostdev' managed='yes'><pf dev='${pf}'/>${addresses
      .map((a) => `<address type='pci' domain='0x0000' bus='0x${a.slice(5, 7)}' slot='0x${a.slice(8, 10)}' function='0x${a.slice(11)}'/>`)
      .join("")}</forward></network>`,
  ),
  xmlError: null,
});

describe("VF pools", () => {
  it("a pool on a PF with VFs is defined (undone by removing it) and started (undone by stopping it)", () => {
    const plan = planOf(planPoolCreate(inv, [], { name: "x710", pf: "0000:3b:00.0" }));
    const ref = { name: "x710", pf: "0000:3b:00.0", netdev: "ens1f0" };
    expect(plan.steps.map((s) => [s.step, s.inverse])).toEqual([
      [
        { kind: "define-pool", pool: ref },
        { kind: "undefine-pool", pool: ref },
      ],
      [
        { kind: "start-pool", pool: ref },
        { kind: "stop-pool", pool: ref },
      ],
    ]);
    expect(poolXmlChanges({ kind: "plan", plan, warnings: [] })[0]!.xml).toContain(`<pf dev="ens1f0"/>`);
  });

  it("refuses what cannot be a pool and warns about what would surprise", () => {
    expect(planPoolCreate(inv, [], { name: "p", pf: "0000:3a:00.0" })).toMatchObject({ kind: "refused", refusals: [{ code: "not-sriov" }] });
    // The SR-IOV NVMe has no network interface for libvirt to name.
    expect(planPoolCreate(inv, [], { name: "p", pf: "0000:5e:00.0" })).toMatchObject({ kind: "refused", refusals: [{ code: "no-pf-netdev" }] });
    expect(planPoolCreate(inv, [pool("p", false)], { name: "p", pf: "0000:3b:00.0" })).toMatchObject({ kind: "refused", refusals: [{ code: "name-taken" }] });
    expect(planPoolCreate(inv, [], { name: "a b", pf: "0000:3b:00.0" })).toMatchObject({ kind: "refused", refusals: [{ code: "bad-name" }] });
    expect(planPoolCreate(inv, [pool("first", true)], { name: "second", pf: "0000:3b:00.0" })).toMatchObject({
      kind: "refused",
      refusals: [{ code: "pf-has-pool", override: "confirm" }],
    });
  });

  it("shows which running VM has which VF of the pool, and refuses to remove a pool a running VM draws from", () => {
    const vm = testDomain("web", { running: true, devices: [], live: [vfInterfaceXml("0000:3b:02.1", "02:00:00:00:99:01", 7)] });
    const stopped = testDomain("db", { devices: ["<interface type='network'><source network='x710'/><mac address='02:00:00:00:99:02'/></interface>"] });
    const nets = [pool("x710", true, ["0000:3b:02.0", "0000:3b:02.1"])];
    expect(poolRows(nets, [vm, stopped], inv)).toEqual([
      {
        name: "x710",
        active: true,
        autostart: true,
        pfs: [{ netdev: "ens1f0", address: "0000:3b:00.0" }],
        vfs: ["0000:3b:02.0", "0000:3b:02.1"],
        handedOut: [{ address: "0000:3b:02.1", domain: "web" }],
        usedByConfigs: ["db"],
        xmlError: null,
      },
    ]);
    expect(planPoolDelete(inv, nets, [vm, stopped], "x710")).toMatchObject({
      kind: "refused",
      refusals: [{ code: "pool-in-use", reason: expect.stringContaining("0000:3b:02.1 in web") }],
    });
    const plan = planOf(planPoolDelete(inv, nets, [stopped], "x710", { confirm: true }));
    expect(plan.steps.map((s) => s.step.kind)).toEqual(["stop-pool", "undefine-pool"]);
  });
});
