import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostdevXml, testDomain, vfInterfaceXml } from "@/server/libvirt/testing";
import { planOf, simulatedHost } from "./testing";
import { validatePlan } from "@/server/executor/allow-list";
import { stepDevice } from "@/server/executor/plan";
import { defaultGuestMac, planAttach, planDetach, planDetachPool } from "./vm";
import { planSriovWizard } from "./wizard";

const work = mkdtempSync(join(tmpdir(), "passdeck-vm-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const inv = simulatedHost(work, "server").inventory();
const VF0 = "0000:3b:02.0";

describe("planAttach", () => {
  it("gives a network VF to a stopped VM's config as an interface with MAC and VLAN, undone by a detach", () => {
    const vm = testDomain("router");
    const r = planAttach(inv, [vm], { domain: "router", address: "3b:02.0", mac: "02:aa:00:00:00:01", vlan: 42 });
    const plan = planOf(r.outcome);
    const device = { type: "interface", address: VF0, mac: "02:aa:00:00:00:01", vlan: 42 };
    expect(plan.steps.map((s) => [s.step, s.inverse])).toEqual([
      [
        { kind: "attach-device", domain: { uuid: vm.uuid, name: "router" }, device, target: "config" },
        { kind: "detach-device", domain: { uuid: vm.uuid, name: "router" }, device, target: "config" },
      ],
    ]);
    expect(r.xmlChanges).toEqual([
      {
        domain: "router",
        target: "config",
        op: "add",
        xml: [
          `<interface type="hostdev" managed="yes">`,
          `  <mac address="02:aa:00:00:00:01"/>`,
          `  <source>`,
          `    <address type="pci" domain="0x0000" bus="0x3b" slot="0x02" function="0x0"/>`,
          `  </source>`,
          `  <vlan>`,
          `    <tag id="42"/>`,
          `  </vlan>`,
          `</interface>`,
        ].join("\n"),
      },
    ]);
  });

  it("attaches to a running VM's config first, then live; picks a stable MAC when none is given", () => {
    const vm = testDomain("web", { running: true });
    const plan = planOf(planAttach(inv, [vm], { domain: vm.uuid, address: VF0 }).outcome);
    expect(plan.steps.map((s) => s.step.kind === "attach-device" && s.step.target)).toEqual(["config", "live"]);
    const mac = defaultGuestMac(vm.uuid, VF0);
    expect(mac).toMatch(/^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
    expect(defaultGuestMac(vm.uuid, VF0)).toBe(mac);
    expect(defaultGuestMac(vm.uuid, "0000:3b:02.1")).not.toBe(mac);
    expect(plan.steps[0]!.step).toMatchObject({ device: { type: "interface", mac } });
  });

  it("attaches a non-VF as a managed hostdev with ROM options, and refuses a MAC for it", () => {
    const vm = testDomain("nas");
    const plan = planOf(planAttach(inv, [vm], { domain: "nas", address: "0000:5e:00.0", rom: { bar: "off" } }, { confirm: true }).outcome);
    expect(plan.steps[0]!.step).toMatchObject({ device: { type: "hostdev", address: "0000:5e:00.0", managed: true, rom: { bar: "off" } } });
    const r = planAttach(inv, [vm], { domain: "nas", address: "0000:5e:00.0", mac: "02:00:00:00:00:01" });
    expect(r.outcome).toMatchObject({ kind: "refused", refusals: [{ code: "mac-needs-interface" }] });
  });

  it("refuses what cannot work, naming it: no such VM, a live change to a stopped VM, a bridge, the same device twice", () => {
    const vm = testDomain("router", { devices: [vfInterfaceXml(VF0, "02:aa:00:00:00:01")] });
    expect(planAttach(inv, [vm], { domain: "nope", address: VF0 }).outcome).toMatchObject({ kind: "refused", refusals: [{ code: "no-such-domain" }] });
    expect(planAttach(inv, [vm], { domain: "router", address: "0000:3b:02.1", live: true }).outcome).toMatchObject({
      kind: "refused",
      refusals: [{ code: "bad-target", reason: "router is not running: a live change needs a running VM; use the persistent config (--config)" }],
    });
    expect(planAttach(inv, [vm], { domain: "router", address: "0000:3a:00.0" }).outcome).toMatchObject({ kind: "refused", refusals: [{ code: "bridge" }] });
    expect(planAttach(inv, [vm], { domain: "router", address: VF0 }).outcome).toEqual({ kind: "nothing-to-do", reason: `router already has ${VF0}` });
  });
});

describe("planAttach and the kernel's holders", () => {
  it("refuses a device another VM's QEMU holds, naming it; the VM that holds it is not refused its own device", () => {
    const I210 = "0000:86:00.0"; // the server demo: VM 101's Proxmox VE QEMU (kvm pid 2817) has it open
    const r = planAttach(inv, [testDomain("web")], { domain: "web", address: I210 });
    expect(r.outcome.kind === "refused" && r.outcome.refusals.map((x) => [x.code, x.override])).toEqual([["held", null]]);
    expect(r.outcome.kind === "refused" && r.outcome.refusals[0]!.reason).toBe(
      `${I210} is held by kvm pid 2817 (VM 101 router, Proxmox VE): a device (its IOMMU group) belongs to one VM or process at a time; stop or detach it there first`,
    );
    const own = planAttach(inv, [testDomain("router")], { domain: "router", address: I210 });
    expect(own.outcome.kind === "refused" ? own.outcome.refusals.map((x) => x.code) : []).not.toContain("held");
  });
});

describe("planDetach", () => {
  it("takes a device from the running VM first, then its config, each undone by re-attaching it as it was", () => {
    const vm = testDomain("web", { running: true, devices: [hostdevXml("0000:5e:00.0", false)] });
    const outcome = planDetach([vm], { domain: "web", address: "0000:5e:00.0" });
    expect(outcome.outcome).toMatchObject({ kind: "refused", refusals: [{ code: "live-detach" }] });
    const plan = planOf(planDetach([vm], { domain: "web", address: "0000:5e:00.0" }, { confirm: true }).outcome);
    expect(plan.steps.map((s) => [s.step.kind, s.step.kind === "detach-device" && s.step.target, s.inverse?.kind])).toEqual([
      ["detach-device", "live", "attach-device"],
      ["detach-device", "config", "attach-device"],
    ]);
    expect(plan.steps[1]!.step).toMatchObject({ device: { type: "hostdev", address: "0000:5e:00.0", managed: false } });
  });

  it("detaches an interface by its MAC (libvirt matches interfaces by MAC) and says when there is nothing to do", () => {
    const vm = testDomain("router", { devices: [vfInterfaceXml(VF0, "02:aa:00:00:00:09", 7)] });
    const plan = planOf(planDetach([vm], { domain: "router", address: VF0 }).outcome);
    expect(plan.steps[0]!.step).toMatchObject({ target: "config", device: { type: "interface", mac: "02:aa:00:00:00:09", vlan: 7 } });
    expect(planDetach([vm], { domain: "router", address: "0000:3b:02.1" }).outcome).toEqual({
      kind: "nothing-to-do",
      reason: "router does not have 0000:3b:02.1",
    });
  });
});

describe("the wizard's VM step", () => {
  it("binds the VF, then gives it to the VM with the wizard's MAC/VLAN in the interface XML instead of through ip link", () => {
    const vm = testDomain("router");
    const p = planSriovWizard(
      inv,
      {
        pf: "0000:3b:00.0",
        count: 4,
        autoprobe: true,
        vfs: [{ index: 1, vfio: true, vm: "router", settings: { mac: "02:aa:00:00:00:01", vlan: 42, trust: true } }],
      },
      [],
      { confirm: true },
      [vm],
    );
    const plan = planOf(p.outcome);
    const kinds = plan.steps.map((s) => (s.step.kind === "set-vf" ? `set-vf ${JSON.stringify(s.step.settings)}` : s.step.kind));
    expect(kinds).toEqual([`set-vf {"trust":true}`, "unbind-driver", "write-attribute", "probe-driver", "attach-device"]);
    expect(plan.steps[4]!.step).toMatchObject({ device: { type: "interface", address: "0000:3b:02.1", mac: "02:aa:00:00:00:01", vlan: 42 }, target: "config" });
    expect(p.vfs[0]!.vm).toEqual({ uuid: vm.uuid, name: "router" });
    expect(p.xmlChanges.map((c) => [c.domain, c.target, c.op])).toEqual([["router", "config", "add"]]);
  });

  it("refuses a VM for a VF not going to vfio-pci, and any VM when libvirt cannot be read", () => {
    const vm = testDomain("router");
    const req = { pf: "0000:3b:00.0", count: 4, autoprobe: true, vfs: [{ index: 1, vm: "router" }] };
    expect(planSriovWizard(inv, req, [], { confirm: true }, [vm]).outcome).toMatchObject({ kind: "refused", refusals: [{ code: "vm-needs-vfio" }] });
    expect(planSriovWizard(inv, { ...req, vfs: [{ index: 1, vm: "router", vfio: true }] }, [], { confirm: true }, null).outcome).toMatchObject({
      kind: "refused",
      refusals: [{ code: "libvirt-unavailable" }],
    });
  });
});

describe("all functions of a device (a GPU with its audio)", () => {
  const desktop = simulatedHost(work, "desktop").inventory();

  it("gives both functions to the config as one multifunction device behind a new root port, the ROM option on the GPU only", () => {
    const vm = testDomain("gaming");
    const r = planAttach(desktop, [vm], { domain: "gaming", address: "0000:01:00.0", allFunctions: true, rom: { bar: "off" } }, { confirm: true });
    const plan = planOf(r.outcome);
    // testDomain's XML has no controllers: the new root port is bus 1.
    expect(plan.steps.map((s) => s.step)).toEqual([
      {
        kind: "attach-device",
        domain: { uuid: vm.uuid, name: "gaming" },
        device: { type: "hostdev", address: "0000:01:00.0", managed: true, rom: { bar: "off" }, guestAddress: { bus: 1, slot: 0, fn: 0, multifunction: true } },
        target: "config",
      },
      {
        kind: "attach-device",
        domain: { uuid: vm.uuid, name: "gaming" },
        device: { type: "hostdev", address: "0000:01:00.1", managed: true, guestAddress: { bus: 1, slot: 0, fn: 1 } },
        target: "config",
      },
    ]);
    expect(r.xmlChanges[0]!.xml).toContain(`<address type="pci" domain="0x0000" bus="0x01" slot="0x00" function="0x0" multifunction="on"/>`);
    expect(plan.title).toBe("Give 0000:01:00 (all 2 functions) to gaming, behind a new PCIe root port (guest bus 1)");
  });

  it("places them on a free root-bus slot when asked, and only into the persistent config", () => {
    const running = testDomain("gaming", { running: true });
    const pci = planAttach(desktop, [running], { domain: "gaming", address: "0000:01:00.1", allFunctions: true, placement: "pci" });
    expect(pci.outcome).toMatchObject({
      kind: "refused",
      refusals: expect.arrayContaining([expect.objectContaining({ code: "next-start", override: "confirm" })]),
    });
    const plan = planOf(
      planAttach(desktop, [running], { domain: "gaming", address: "0000:01:00.1", allFunctions: true, placement: "pci" }, { confirm: true }).outcome,
    );
    expect(plan.steps.map((s) => s.step.kind === "attach-device" && [s.step.target, s.step.device.type === "hostdev" && s.step.device.guestAddress])).toEqual([
      ["config", { bus: 0, slot: 2, fn: 0, multifunction: true }],
      ["config", { bus: 0, slot: 2, fn: 1 }],
    ]);
    expect(planAttach(desktop, [running], { domain: "gaming", address: "0000:01:00.0", allFunctions: true, live: true }).outcome).toMatchObject({
      kind: "refused",
      refusals: [{ code: "all-functions-live" }],
    });
  });
});

describe("VF pools for VMs", () => {
  const pool = (active: boolean, vfs: string[] = []) => ({
    name: "x710",
    active,
    autostart: true,
    pfs: [{ netdev: "ens1f0", address: "0000:3b:00.0" }],
    vfs,
    handedOut: [],
    usedByConfigs: [],
    xmlError: null,
  });

  it("gives a VM any free VF of a pool as <interface type='network'>, with a stable MAC per interface", async () => {
    const { planAttachPool } = await import("./vm");
    const vm = testDomain("web");
    const r = planAttachPool(inv, [vm], [pool(true, ["0000:3b:02.0"])], { domain: "web", pool: "x710", vlan: 7 });
    const plan = planOf(r.outcome);
    const mac = defaultGuestMac(vm.uuid, "x710#0");
    expect(plan.steps.map((s) => s.step)).toEqual([
      { kind: "attach-device", domain: { uuid: vm.uuid, name: "web" }, device: { type: "pool", network: "x710", mac, vlan: 7 }, target: "config" },
    ]);
    expect(r.xmlChanges[0]!.xml).toBe(
      [
        '<interface type="network">',
        `  <mac address="${mac}"/>`,
        `  <source network="x710"/>`,
        "  <vlan>",
        `    <tag id="7"/>`,
        "  </vlan>",
        "</interface>",
      ].join("\n"),
    );
    expect(planAttachPool(inv, [vm], [pool(false)], { domain: "web", pool: "x710" }).outcome).toMatchObject({
      kind: "refused",
      refusals: [{ code: "pool-inactive", override: "confirm" }],
    });
    expect(planAttachPool(inv, [vm], [], { domain: "web", pool: "x710" }).outcome).toMatchObject({ kind: "refused", refusals: [{ code: "no-such-pool" }] });
  });

  it("the wizard leaves a VF to the PF's pool, creating the pool after the VFs when there is none", () => {
    const p = planSriovWizard(
      inv,
      { pf: "0000:3b:00.0", count: 4, autoprobe: true, vfs: [{ index: 2, vfio: true, pool: "x710" }] },
      [],
      { confirm: true },
      [],
      [],
    );
    const kinds = planOf(p.outcome).steps.map((s) => s.step.kind);
    expect(kinds.slice(-2)).toEqual(["define-pool", "start-pool"]);
    expect(p.vfs[0]!.pool).toBe("x710");
    expect(p.xmlChanges.map((c) => [c.domain, c.op])).toEqual([["network x710", "add"]]);
    // An existing pool of this PF: nothing to create.
    const again = planSriovWizard(
      inv,
      { pf: "0000:3b:00.0", count: 4, autoprobe: true, vfs: [{ index: 2, vfio: true, pool: "x710" }] },
      [],
      { confirm: true },
      [],
      [pool(true)],
    );
    expect(planOf(again.outcome).steps.map((s) => s.step.kind)).not.toContain("define-pool");
  });

  describe("taking a pool interface back (its own request: a MAC, no host address)", () => {
    const MAC = "52:54:00:aa:bb:01";
    const poolIface = (mac: string, vlan?: number) =>
      `<interface type='network'><mac address='${mac}'/><source network='x710'/>${vlan ? `<vlan><tag id='${vlan}'/></vlan>` : ""}</interface>`;

    it("detaches the interface with that MAC from the config, re-attached by the undo", () => {
      const vm = testDomain("web", { devices: [poolIface(MAC, 7)] });
      const r = planDetachPool([vm], { domain: "web", mac: MAC.toUpperCase() });
      const plan = planOf(r.outcome);
      const device = { type: "pool", network: "x710", mac: MAC, vlan: 7 };
      const domain = { uuid: vm.uuid, name: "web" };
      expect(plan.steps.map((s) => [s.step, s.inverse])).toEqual([
        [
          { kind: "detach-device", domain, device, target: "config" },
          { kind: "attach-device", domain, device, target: "config" },
        ],
      ]);
      expect(r.xmlChanges.map((c) => [c.target, c.op])).toEqual([["config", "remove"]]);
      // the step names no host function, and the executor's allow-list takes the plan as it is
      expect(stepDevice(plan.steps[0]!.step)).toBeNull();
      expect(validatePlan(plan)).toEqual(plan);
    });

    it("takes it from the running VM too (live first), with the hot-unplug warning to confirm", () => {
      const vm = testDomain("web", { running: true, devices: [poolIface(MAC)], live: [poolIface(MAC), vfInterfaceXml(VF0, MAC)] });
      expect(planDetachPool([vm], { domain: "web", mac: MAC }).outcome).toMatchObject({ kind: "refused", refusals: [{ code: "live-detach" }] });
      const plan = planOf(planDetachPool([vm], { domain: "web", mac: MAC }, { confirm: true }).outcome);
      expect(plan.steps.map((s) => s.step.kind === "detach-device" && s.step.target)).toEqual(["live", "config"]);
    });

    it("refuses an unknown VM or a MAC the config has no pool interface with", () => {
      const vm = testDomain("web", { devices: [poolIface(MAC)] });
      expect(planDetachPool([vm], { domain: "db", mac: MAC }).outcome).toMatchObject({ kind: "refused", refusals: [{ code: "no-such-domain" }] });
      expect(planDetachPool([vm], { domain: "web", mac: "52:54:00:aa:bb:02" }).outcome).toMatchObject({
        kind: "refused",
        refusals: [{ code: "not-attached" }],
      });
    });

    it("a host-device detach is never taken for a pool one: an empty address is refused as an address", () => {
      const vm = testDomain("web", { devices: [poolIface(MAC)] });
      expect(planDetach([vm], { domain: "web", address: "" }).outcome).toMatchObject({ kind: "refused", refusals: [{ code: "bad-address" }] });
    });
  });
});
