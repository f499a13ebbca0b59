import { describe, expect, it } from "vitest";
import type { PciDevice } from "@/server/host/types";
import { attachKind, attachRequest, checkAttachForm, otherFunctions, toAttachForm, type AttachForm } from "./vm-form";
import type { WizardState } from "./wizard-state";

const UUID = "5f0c1b9e-2a57-4c43-9f0e-0d6b2f7a1c33";
const form = (patch: Partial<AttachForm>): AttachForm => ({
  domain: UUID,
  mac: "",
  vlan: "",
  romBar: "",
  romFile: "",
  allFunctions: false,
  placement: "pcie",
  ...patch,
});

const device = (address: string, patch: Partial<PciDevice>) => ({ address, physfn: null, classId: "010802", netdevs: [], ...patch }) as unknown as PciDevice;
const x710 = device("0000:3b:00.0", { classId: "020000", netdevs: [{ name: "ens1f0" }] as PciDevice["netdevs"] });
const x710Vf = device("0000:3b:02.1", { classId: "020000", physfn: x710.address });
const nvme = device("0000:5e:00.0", {});
const nvmeVf = device("0000:5e:00.1", { physfn: nvme.address });
const byAddress = new Map([x710, x710Vf, nvme, nvmeVf].map((d) => [d.address, d]));

describe("the Give to a VM form", () => {
  it("gives a network VF as an interface and anything else (an NVMe VF too) as a hostdev, as the server does", () => {
    expect([x710Vf, nvme, nvmeVf, x710].map((d) => attachKind(d, byAddress))).toEqual(["interface", "hostdev", "hostdev", "hostdev"]);
  });

  it("takes a VF's MAC (normalised) and VLAN", () => {
    expect(checkAttachForm(form({ mac: "02-AA-BB-CC-00-01", vlan: "42" }), "interface")).toEqual({
      domain: UUID,
      options: { mac: "02:aa:bb:cc:00:01", vlan: 42, romBar: null, romFile: null, allFunctions: false, placement: "pcie" },
      errors: {},
    });
  });

  it("names each mistake in the server's words", () => {
    expect(checkAttachForm(form({ domain: "", mac: "01:00:5e:00:00:01", vlan: "4095" }), "interface").errors).toEqual({
      domain: "name the VM (its name or UUID)",
      mac: "01:00:5e:00:00:01 is a multicast address (lowest bit of the first byte set): a VF needs a unicast MAC",
      vlan: "a VLAN is 1 to 4094",
    });
    expect(checkAttachForm(form({ vlan: "0" }), "interface").errors).toEqual({ vlan: "a VLAN is 1 to 4094 (leave it empty for none)" });
    expect(checkAttachForm(form({ vlan: "ten" }), "interface").errors).toEqual({ vlan: "a VLAN is 1 to 4094 (leave it empty for none)" });
    expect(checkAttachForm(form({ romFile: "gpu.rom" }), "hostdev").errors).toEqual({ romFile: "must be an absolute path such as /usr/share/vgabios/gpu.rom" });
    expect(checkAttachForm(form({ domain: "a/b" }), "hostdev").errors).toEqual({ domain: "a VM name cannot contain '/' or control characters" });
  });

  it("keeps only the fields of the chosen kind", () => {
    const both = form({ mac: "02:aa:bb:cc:00:01", vlan: "42", romBar: "off", romFile: "/usr/share/vgabios/gpu.rom" });
    const none = { allFunctions: false, placement: "pcie" };
    expect(checkAttachForm(both, "hostdev").options).toEqual({ mac: null, vlan: null, romBar: "off", romFile: "/usr/share/vgabios/gpu.rom", ...none });
    expect(checkAttachForm(both, "interface").options).toEqual({ mac: "02:aa:bb:cc:00:01", vlan: 42, romBar: null, romFile: null, ...none });
    // All functions is a hostdev option: a VF interface is one function.
    expect(checkAttachForm(form({ allFunctions: true, placement: "pci" }), "hostdev").options).toMatchObject({ allFunctions: true, placement: "pci" });
    expect(checkAttachForm(form({ allFunctions: true }), "interface").options).toMatchObject({ allFunctions: false });
  });

  it("turns the URL state into the preview request and back into the form", () => {
    const state: Extract<WizardState, { mode: "vm" }> = {
      mode: "vm",
      step: "review",
      device: nvme.address,
      domain: UUID,
      mac: null,
      vlan: null,
      romBar: "off",
      romFile: null,
      allFunctions: false,
      placement: "pcie",
      entry: null,
    };
    expect(attachRequest({ ...state, domain: UUID })).toEqual({ kind: "vm-attach", domain: UUID, address: nvme.address, rom: { bar: "off" } });
    expect(toAttachForm(state)).toEqual(form({ romBar: "off" }));
    const vf = { ...state, device: x710Vf.address, mac: "02:aa:bb:cc:00:01", vlan: 42, romBar: null };
    expect(attachRequest({ ...vf, domain: UUID })).toEqual({ kind: "vm-attach", domain: UUID, address: x710Vf.address, mac: "02:aa:bb:cc:00:01", vlan: 42 });
    const gpu = { ...state, device: "0000:01:00.0", allFunctions: true, placement: "pci" as const };
    expect(attachRequest({ ...gpu, domain: UUID })).toEqual({
      kind: "vm-attach",
      domain: UUID,
      address: "0000:01:00.0",
      rom: { bar: "off" },
      allFunctions: true,
      placement: "pci",
    });
  });

  it("finds the other functions of a device's slot, leaving bridges out", () => {
    const gpu = device("0000:01:00.0", { classId: "030000" });
    const audio = device("0000:01:00.1", { classId: "040300" });
    const other = device("0000:01:01.0", {});
    expect(otherFunctions(gpu, [gpu, audio, other, nvme]).map((d) => d.address)).toEqual(["0000:01:00.1"]);
    expect(otherFunctions(nvme, [gpu, audio, nvme])).toEqual([]);
  });
});

describe("VF pools as a VF's destination", () => {
  it("offers the PF's pools, or the one the plan would create, named after the PF's interface", async () => {
    const { poolChoicesFor } = await import("./vf-steps");
    const row = (name: string, address: string) => ({
      name,
      active: true,
      autostart: true,
      pfs: [{ netdev: "ens1f0", address }],
      vfs: [],
      handedOut: [],
      usedByConfigs: [],
      xmlError: null,
    });
    expect(poolChoicesFor(x710, [row("x710", x710.address)])).toEqual([{ value: "pool=x710", label: "VF pool x710" }]);
    expect(poolChoicesFor(x710, [row("other", "0000:18:00.0")])).toEqual([{ value: "pool=ens1f0-vfs", label: "a new VF pool ens1f0-vfs" }]);
    expect(poolChoicesFor(x710, null)).toEqual([]);
    expect(poolChoicesFor(nvme, [])).toEqual([]);
  });
});
