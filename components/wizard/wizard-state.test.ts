import { describe, expect, it } from "vitest";
import { formatWizardState, parseWizardState, type WizardState } from "./wizard-state";

const parse = (qs: string) => parseWizardState(new URLSearchParams(qs));
const UUID = "5f0c1b9e-2a57-4c43-9f0e-0d6b2f7a1c33";
function parseAs<M extends WizardState["mode"]>(mode: M, qs: string): Extract<WizardState, { mode: M }> {
  const s = parse(qs);
  if (s.mode !== mode) throw new Error(`${qs} parsed as ${s.mode}, not ${mode}`);
  return s as Extract<WizardState, { mode: M }>;
}

describe("wizard state in the URL", () => {
  it("round-trips every field of the SR-IOV flow", () => {
    const s: WizardState = {
      mode: "sriov",
      step: "review",
      pf: "0000:18:00.1",
      count: 3,
      autoprobe: false,
      settings: { 0: { mac: "02:00:00:00:00:10", vlan: 100, trust: true }, 2: { spoofchk: false, maxTxRateMbps: 500 } },
      vfio: [1, 2],
      vms: { 2: UUID },
      entry: null,
    };
    const qs = formatWizardState(s);
    expect(qs).toBe(
      `?step=review&pf=0000:18:00.1&count=3&autoprobe=off&vf=0:mac=02:00:00:00:00:10,vlan=100,trust=on;2:spoofchk=off,maxTxRateMbps=500&vfio=1,2&vm=2:${UUID}`,
    );
    expect(parse(qs.slice(1))).toEqual(s);
  });

  it("round-trips giving a device to a VM, with a VF's MAC and VLAN or a device's ROM options", () => {
    const vf: WizardState = {
      mode: "vm",
      step: "review",
      device: "0000:3b:02.1",
      domain: UUID,
      mac: "02:aa:bb:cc:00:01",
      vlan: 42,
      romBar: null,
      romFile: null,
      allFunctions: false,
      placement: "pcie",
      entry: null,
    };
    expect(formatWizardState(vf)).toBe(`?mode=vm&step=review&device=0000:3b:02.1&domain=${UUID}&mac=02:aa:bb:cc:00:01&vlan=42`);
    expect(parse(formatWizardState(vf).slice(1))).toEqual(vf);
    const gpu: WizardState = {
      mode: "vm",
      step: "result",
      device: "0000:01:00.0",
      domain: "win11",
      mac: null,
      vlan: null,
      romBar: "off",
      romFile: "/usr/share/vgabios/gpu.rom",
      allFunctions: true,
      placement: "pci",
      entry: 7,
    };
    expect(formatWizardState(gpu)).toBe(
      "?mode=vm&step=result&device=0000:01:00.0&domain=win11&rombar=off&romfile=/usr/share/vgabios/gpu.rom&all=1&placement=pci&entry=7",
    );
    expect(parse(formatWizardState(gpu).slice(1))).toEqual(gpu);
    const detach: WizardState = { mode: "vm-detach", step: "review", device: "0000:5e:00.0", domain: UUID, entry: null };
    expect(formatWizardState(detach)).toBe(`?mode=vm-detach&step=review&device=0000:5e:00.0&domain=${UUID}`);
    expect(parse(formatWizardState(detach).slice(1))).toEqual(detach);
  });

  it("round-trips a new VF pool and removing one", () => {
    const pool: WizardState = { mode: "pool", step: "review", pool: "x710-vfs", pf: "0000:3b:00.0", entry: null };
    expect(formatWizardState(pool)).toBe("?mode=pool&step=review&pool=x710-vfs&pf=0000:3b:00.0");
    expect(parse(formatWizardState(pool).slice(1))).toEqual(pool);
    const form: WizardState = { mode: "pool", step: "pool", pool: null, pf: "0000:18:00.1", entry: null };
    expect(formatWizardState(form)).toBe("?mode=pool&step=pool&pf=0000:18:00.1");
    expect(parse(formatWizardState(form).slice(1))).toEqual(form);
    const done: WizardState = { mode: "pool", step: "result", pool: "eno2.pool_1", pf: "0000:18:00.1", entry: 12 };
    expect(parse(formatWizardState(done).slice(1))).toEqual(done);
    const remove: WizardState = { mode: "pool-delete", step: "review", pool: "x710-vfs", entry: null };
    expect(formatWizardState(remove)).toBe("?mode=pool-delete&step=review&pool=x710-vfs");
    expect(parse(formatWizardState(remove).slice(1))).toEqual(remove);
    // A network Passdeck did not make may have any name libvirt takes: it goes to the server, which says what it is.
    const odd: WizardState = { mode: "pool-delete", step: "result", pool: "lab net;1 & 2", entry: 3 };
    expect(formatWizardState(odd)).toBe("?mode=pool-delete&step=result&pool=lab+net;1+%26+2&entry=3");
    expect(parse(formatWizardState(odd).slice(1))).toEqual(odd);
  });

  it("opens a pool link naming its pool and PF on the review, and the form when it lacks either", () => {
    expect(parse("mode=pool&pool=vfs&pf=3b:00.0")).toEqual({ mode: "pool", step: "review", pool: "vfs", pf: "0000:3b:00.0", entry: null });
    expect(parse("mode=pool&step=pool&pool=vfs&pf=0000:3b:00.0")).toMatchObject({ step: "pool", pool: "vfs", pf: "0000:3b:00.0" });
    expect(parse("mode=pool&step=review&pf=0000:3b:00.0")).toEqual({ mode: "pool", step: "pool", pool: null, pf: "0000:3b:00.0", entry: null });
    // A name the server would refuse, or a PF that is no address, is dropped: the form asks again.
    expect(parse("mode=pool&step=review&pool=-vfs&pf=0000:3b:00.0")).toMatchObject({ step: "pool", pool: null });
    expect(parse(`mode=pool&step=review&pool=${"p".repeat(51)}&pf=0000:3b:00.0`)).toMatchObject({ step: "pool", pool: null });
    expect(parse("mode=pool&step=review&pool=a b&pf=0000:3b:00.0")).toMatchObject({ step: "pool", pool: null });
    expect(parse("mode=pool&pool=vfs&pf=ens1f0")).toMatchObject({ step: "pool", pool: "vfs", pf: null });
    expect(parse("mode=pool-delete&pool=a/b")).toEqual({ mode: "pool", step: "pool", pool: null, pf: null, entry: null });
    expect(parse("mode=pool-delete")).toEqual({ mode: "pool", step: "pool", pool: null, pf: null, entry: null });
  });

  it("keeps a VF's VM only while the VF goes to vfio-pci, and only by UUID", () => {
    expect(parseAs("sriov", `step=vfio&pf=0000:18:00.1&count=3&vfio=1&vm=1:${UUID};2:${UUID}`).vms).toEqual({ 1: UUID });
    expect(parseAs("sriov", `step=vfio&pf=0000:18:00.1&count=3&vfio=1,2&vm=1:win11;2:${UUID.toUpperCase()};x:${UUID}`).vms).toEqual({ 2: UUID });
  });

  it("asks for the VM before reviewing, and drops attach options it cannot read", () => {
    expect(parse("mode=vm&step=review&device=3b:02.1")).toMatchObject({ mode: "vm", step: "vm", domain: null });
    expect(
      parse(`mode=vm&step=review&device=0000:3b:02.1&domain=${UUID}&mac=01:00:5e:00:00:01&vlan=4095&rombar=maybe&romfile=gpu.rom&all=yes&placement=isa`),
    ).toEqual({
      mode: "vm",
      step: "review",
      device: "0000:3b:02.1",
      domain: UUID,
      mac: null,
      vlan: null,
      romBar: null,
      romFile: null,
      allFunctions: false,
      placement: "pcie",
      entry: null,
    });
    expect(parseAs("vm", "mode=vm&device=0000:3b:02.1&vlan=0").vlan).toBeNull();
    expect(parse("mode=vm-detach&device=0000:5e:00.0")).toEqual({ mode: "device", step: "device", device: null, entry: null });
    expect(parse("mode=vm&device=../x&domain=a")).toEqual({ mode: "device", step: "device", device: null, entry: null });
    expect(parse("mode=vm-detach&device=0000:5e:00.0&domain=a/b")).toMatchObject({ mode: "device" });
  });

  it("falls back to the first step a deep link lacks, and drops VFs past the count", () => {
    expect(parse("step=review").step).toBe("pf");
    expect(parse("step=review&pf=18:00.1")).toMatchObject({ step: "count", pf: "0000:18:00.1" });
    expect(parse("step=settings&pf=0000:18:00.1&count=2&vfio=0,5,1,1&vf=4:vlan=3")).toMatchObject({ vfio: [0, 1], settings: {} });
  });

  it("ignores what it cannot read instead of guessing", () => {
    expect(parse("pf=../../etc&step=count")).toMatchObject({ pf: null, step: "pf" });
    expect(parse("step=count&pf=0000:18:00.1&count=-3")).toMatchObject({ count: null, step: "count" });
    expect(parse("step=vfio&pf=0000:18:00.1&count=2&vf=0:vlan=abc,trust=maybe,evil=1")).toMatchObject({ settings: {} });
    expect(parse("mode=device&step=review")).toEqual({ mode: "device", step: "device", device: null, entry: null });
    expect(parse("mode=restore&device=19:10.5")).toEqual({ mode: "restore", step: "review", device: "0000:19:10.5", entry: null });
    expect(parse("mode=restore&device=nonsense")).toEqual({ mode: "device", step: "device", device: null, entry: null });
  });
});

describe("VF destinations in the URL", () => {
  it("keeps a VM by UUID or a VF pool by name per VF, and drops what is neither", async () => {
    const { formatVms, parseVms } = await import("./wizard-state");
    const uuid = "5f0c1b9e-2a57-4c43-9f0e-0d6b2f7a1c33";
    const targets = { 0: uuid, 2: "pool=eno2-vfs" };
    expect(formatVms(targets)).toBe(`0:${uuid};2:pool=eno2-vfs`);
    expect(parseVms(formatVms(targets))).toEqual(targets);
    expect(parseVms("1:pool=-bad;2:pool=a b;3:not-a-uuid;4:pool=ok")).toEqual({ 4: "pool=ok" });
  });
});
