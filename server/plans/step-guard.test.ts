/**
 * The helper's own safety floor against the planner: on every demo host, each plan the planner makes (with the
 * overrides the user gave) passes the guard with the overrides that travel with it, so the helper never refuses
 * what the review allowed; and where the planner wanted the typed address, the guard wants it too. Then the rules
 * one by one, on hand-made plans.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Plan, PlanStep } from "@/server/executor/plan";
import { listScenarios } from "@/server/simulator/catalog";
import type { InUseMap } from "@/server/libvirt/in-use";
import type { OfflineRecords } from "@/server/libvirt/offline";
import { planBindVfio, planRestore, planVfCount, type PlanOutcome } from "./planner";
import { forceTargets, guardPlan, MAX_PLAN_WAIT_MS, NO_OVERRIDES, type GuestView } from "./step-guard";
import { simulatedHost } from "./testing";
import { planDevicePassthrough, planSriovWizard } from "./wizard";

const work = mkdtempSync(join(tmpdir(), "passdeck-guard-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const none = { kind: "none" } as const;
const steps = (...s: PlanStep[]) => ({ steps: s.map((step) => ({ step, summary: "", inverse: null })) });

describe("the guard agrees with the planner", () => {
  let checked = 0;
  for (const { name } of listScenarios().filter((s) => s.name !== "bench-1000")) {
    it(`${name}: every plan the planner makes passes with its overrides; host-critical ones need the typed address`, () => {
      const inv = simulatedHost(work, name).inventory();
      const outcomes: { what: string; forced: PlanOutcome; plain: PlanOutcome }[] = [];
      for (const d of inv.devices) {
        outcomes.push({
          what: `bind ${d.address}`,
          forced: planBindVfio(inv, d.address, { confirm: true, force: true }),
          plain: planBindVfio(inv, d.address, { confirm: true }),
        });
        outcomes.push({
          what: `pass ${d.address}`,
          forced: planDevicePassthrough(inv, d.address, { confirm: true, force: true }).outcome,
          plain: planDevicePassthrough(inv, d.address, { confirm: true }).outcome,
        });
        if (d.driver === "vfio-pci")
          outcomes.push({
            what: `restore ${d.address}`,
            forced: planRestore(inv, d.address, { hostDriver: "igbvf" }),
            plain: planRestore(inv, d.address, { hostDriver: "igbvf" }),
          });
        if (d.sriov && d.sriov.totalVfs > 0)
          for (const count of [0, 1, Math.min(3, d.sriov.totalVfs)]) {
            outcomes.push({
              what: `${count} VFs on ${d.address}`,
              forced: planVfCount(inv, d.address, count, { confirm: true, force: true }),
              plain: planVfCount(inv, d.address, count, { confirm: true }),
            });
            const req = { pf: d.address, count, autoprobe: false, vfs: Array.from({ length: count }, (_, index) => ({ index, vfio: true })) };
            outcomes.push({
              what: `wizard ${count} VFs on ${d.address}`,
              forced: planSriovWizard(inv, req, [], { confirm: true, force: true }).outcome,
              plain: planSriovWizard(inv, req, [], { confirm: true }).outcome,
            });
          }
      }
      for (const { what, forced, plain } of outcomes) {
        if (forced.kind !== "plan") continue;
        checked++;
        expect(guardPlan(forced.plan, inv, none, { confirm: true, force: forceTargets(forced.plan, inv) }), what).toEqual([]);
        const plannerWantedForce = plain.kind === "refused" && plain.refusals.some((r) => r.override === "force");
        const guardWantsForce = guardPlan(forced.plan, inv, none, { confirm: true, force: [] }).some((r) => r.code === "host-critical");
        // the guard may know more host-critical devices than a plan's own check (a group member), never fewer
        if (plannerWantedForce && plain.refusals.some((r) => r.code === "host-critical")) expect(guardWantsForce, what).toBe(true);
      }
    });
  }
  it("checked a fair number of plans (some hosts refuse nearly everything: no IOMMU, vfio-pci not loaded)", () => {
    expect(checked).toBeGreaterThan(50);
  });
});

describe("the rules, one by one (demo host: server)", () => {
  const host = simulatedHost(work, "server");
  const inv = host.inventory();
  const MGMT = "0000:18:00.0";
  const PF0 = "0000:3b:00.0";
  const pf0 = inv.devices.find((d) => d.address === PF0)!;
  const codes = (p: Pick<Plan, "steps">, o = NO_OVERRIDES, guests: Parameters<typeof guardPlan>[2] = none) => guardPlan(p, inv, guests, o).map((r) => r.code);

  it("a host-critical device only with its own address typed", () => {
    const unbind = steps({ kind: "unbind-driver", device: MGMT, driver: "igb" });
    expect(forceTargets(unbind, inv)).toEqual([MGMT]);
    expect(codes(unbind)).toEqual(["host-critical"]);
    expect(codes(unbind, { confirm: true, force: ["0000:18:00.1"] })).toEqual(["host-critical"]);
    expect(codes(unbind, { confirm: true, force: [MGMT] })).toEqual([]);
  });

  it("a device with only host notices (an autoconfigured address no socket uses) needs the warnings confirmed, not a typed address", () => {
    const amd = simulatedHost(work, "amd").inventory();
    const X520 = "0000:07:00.0";
    const write = steps(
      { kind: "write-attribute", device: X520, attribute: "sriov_numvfs", value: "2" },
      { kind: "wait-for", condition: { kind: "vf-count", pf: X520, count: 2 }, timeoutMs: 120_000 },
    );
    expect(forceTargets(write, amd)).toEqual([]);
    expect(guardPlan(write, amd, none, NO_OVERRIDES).map((r) => [r.code, r.override])).toEqual([["autoconf-address", "confirm"]]);
    expect(guardPlan(write, amd, none, { confirm: true, force: [] })).toEqual([]);
    const planned = planVfCount(amd, X520, 2, { confirm: true });
    expect(planned.kind).toBe("plan");
    if (planned.kind === "plan") {
      expect(guardPlan(planned.plan, amd, none, NO_OVERRIDES).map((r) => r.code)).toEqual(["autoconf-address"]);
      expect(guardPlan(planned.plan, amd, none, { confirm: true, force: [] })).toEqual([]);
    }
  });

  it("a PF keeps its driver while it has VFs; its count does not change under VFs in use", () => {
    expect(pf0.sriov!.numVfs).toBeGreaterThan(0);
    expect(codes(steps({ kind: "unbind-driver", device: PF0, driver: pf0.driver! }))).toContain("pf-with-vfs");
    expect(codes(steps({ kind: "write-attribute", device: PF0, attribute: "driver_override", value: "vfio-pci" }))).toContain("pf-with-vfs");
    // after the plan itself set the count to 0, the same unbind is fine
    expect(
      codes(
        steps({ kind: "write-attribute", device: PF0, attribute: "sriov_numvfs", value: "0" }, { kind: "unbind-driver", device: PF0, driver: pf0.driver! }),
      ),
    ).not.toContain("pf-with-vfs");
  });

  it("a VM's running device is not taken (the in-use map); a silent libvirt asks only where a saved definition names a device", () => {
    const vf = pf0.sriov!.vfs[0]!;
    const inUse: InUseMap = {
      [vf]: [{ domain: { uuid: "u", name: "router" }, active: true, in: ["live"], as: "hostdev", managed: true, mac: null, vlan: [] }],
    };
    const take = steps({ kind: "write-attribute", device: PF0, attribute: "sriov_numvfs", value: "0" });
    expect(codes(take, { confirm: true, force: [] }, { kind: "libvirt", inUse })).toContain("vf-in-use-by-vm");
    const silent = (records: OfflineRecords | null): GuestView => ({ kind: "unreachable", reason: "libvirtd does not answer", records });
    const dir = "/etc/libvirt/qemu";
    // no saved definitions, or none naming the VFs: the kernel showed no holder, so nothing to ask
    expect(codes(take, NO_OVERRIDES, silent(null))).toEqual([]);
    expect(codes(take, NO_OVERRIDES, silent({ dir, domains: [{ name: "nas", file: `${dir}/nas.xml`, addresses: ["0000:05:00.0"] }], unreadable: [] }))).toEqual(
      [],
    );
    const named = silent({ dir, domains: [{ name: "router", file: `${dir}/router.xml`, addresses: [vf] }], unreadable: [] });
    const refused = guardPlan(take, inv, named, NO_OVERRIDES);
    expect(refused.map((r) => [r.code, r.override])).toEqual([["vm-config-names-device", "confirm"]]);
    expect(refused[0]!.reason).toBe(
      `libvirtd does not answer, and its saved definition of the VM router (${dir}/router.xml) names ${vf}, which this plan changes: no process holds it now, but router may not start as saved afterwards`,
    );
    expect(codes(take, { confirm: true, force: [] }, named)).toEqual([]);
    expect(codes(take, NO_OVERRIDES, silent({ dir, domains: [], unreadable: ["router.xml"] }))).toEqual(["vm-configs-unreadable"]);
  });

  it("a device another VM's QEMU holds (the server demo's I210, VM 101) cannot be given to a VM too; to its own VM it can", () => {
    const I210 = "0000:86:00.0";
    const attach = (name: string) =>
      steps({ kind: "attach-device", domain: { uuid: `uuid-${name}`, name }, device: { type: "hostdev", address: I210, managed: true }, target: "config" });
    expect(codes(attach("web"), { confirm: true, force: [I210] })).toEqual(["held"]);
    expect(guardPlan(attach("web"), inv, none, { confirm: true, force: [I210] })[0]!.reason).toBe(
      `step 1: ${I210} is held by kvm pid 2817 (VM 101 router, Proxmox VE): it cannot go to web too`,
    );
    expect(codes(attach("router"), { confirm: true, force: [I210] })).not.toContain("held");
  });

  it("set-vf and pools name the PF's own interface; a VF index must exist at that point of the plan", () => {
    const own = pf0.netdevs[0]!.name;
    expect(codes(steps({ kind: "set-vf", pf: PF0, netdev: own, vf: 0, settings: { trust: true } }))).toEqual([]);
    expect(codes(steps({ kind: "set-vf", pf: PF0, netdev: "eno1", vf: 0, settings: { trust: true } }))).toEqual(["foreign-netdev"]);
    expect(codes(steps({ kind: "set-vf", pf: PF0, netdev: own, vf: 60, settings: { trust: true } }))).toEqual(["no-such-vf"]);
    expect(codes(steps({ kind: "define-pool", pool: { name: "p", pf: PF0, netdev: "vmbr0" } }))).toEqual(["foreign-netdev"]);
  });

  it("every wait is one the plan needs, each and all bounded; a device nobody creates is refused", () => {
    const count = pf0.sriov!.numVfs;
    expect(codes(steps({ kind: "wait-for", condition: { kind: "vf-count", pf: PF0, count }, timeoutMs: 1000 }))).toEqual(["unneeded-wait"]);
    const write = { kind: "write-attribute", device: PF0, attribute: "sriov_numvfs", value: "0" } as const;
    expect(codes(steps(write, { kind: "wait-for", condition: { kind: "vf-count", pf: PF0, count: 0 }, timeoutMs: 300_001 }))).toEqual(["wait-too-long"]);
    const created = "0000:3b:10.0";
    const vfAddress = { kind: "wait-for", condition: { kind: "vf-address", pf: PF0, vf: 0, address: created }, timeoutMs: 10_000 } as const;
    const bind = { kind: "probe-driver", device: created, expectDriver: "vfio-pci" } as const;
    expect(codes(steps(bind))).toEqual(["no-such-device"]);
    expect(codes(steps(vfAddress, bind))).toEqual([]);
    expect(codes(steps(vfAddress, vfAddress))).toEqual(["unneeded-wait"]);
    const many = Array.from({ length: 20 }, () => [
      write,
      { kind: "wait-for", condition: { kind: "vf-count", pf: PF0, count: 0 }, timeoutMs: 300_000 } as const,
    ]).flat();
    expect(20 * 300_000).toBeGreaterThan(MAX_PLAN_WAIT_MS);
    expect(codes(steps(...many))).toEqual(["wait-too-long"]);
  });
});
