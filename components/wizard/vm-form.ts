/**
 * The "Give to a VM" form, checked in the browser with the schemas the server checks the request with (lib/schemas),
 * so a mistake is named on the field with the server's own words before anything is planned. Pure.
 */
import { domainKeySchema, macSchema, romFileSchema, vmVlanSchema } from "@/lib/schemas";
import type { RouterInputs } from "@/lib/trpc/client";
import type { PciDevice } from "@/server/host/types";
import type { VmAttachOptions, WizardState } from "./wizard-state";

/** How libvirt gets the device: a network VF as `<interface type='hostdev'>` (MAC, VLAN), anything else as `<hostdev>`. */
export type AttachKind = "interface" | "hostdev";

/** As the server decides it when the request names no `as`: a VF of a network PF is an interface. */
export function attachKind(d: PciDevice, byAddress: Map<string, PciDevice>): AttachKind {
  if (!d.physfn) return "hostdev";
  const pf = byAddress.get(d.physfn);
  return (pf?.netdevs.length ?? 0) > 0 || d.classId.startsWith("02") ? "interface" : "hostdev";
}

export interface AttachForm {
  domain: string;
  mac: string;
  vlan: string;
  romBar: "" | "on" | "off";
  romFile: string;
  allFunctions: boolean;
  placement: "pcie" | "pci";
}

export type AttachErrors = Partial<Record<"domain" | "mac" | "vlan" | "romFile", string>>;

const firstIssue = (r: { success: boolean; error?: { issues: { message: string }[] } }) => r.error?.issues[0]?.message ?? "not valid";

/** The form's values as attach options, or each field's problem in the server's words. */
export function checkAttachForm(form: AttachForm, kind: AttachKind): { domain: string | null; options: VmAttachOptions; errors: AttachErrors } {
  const errors: AttachErrors = {};
  const options: VmAttachOptions = { mac: null, vlan: null, romBar: null, romFile: null, allFunctions: false, placement: "pcie" };
  const domain = domainKeySchema.safeParse(form.domain);
  if (!domain.success) errors.domain = firstIssue(domain);
  if (kind === "interface") {
    if (form.mac) {
      const mac = macSchema.safeParse(form.mac);
      if (mac.success) options.mac = mac.data;
      else errors.mac = firstIssue(mac);
    }
    if (form.vlan) {
      // Not a number at all reads as below the range: the server's words for the smallest mistake.
      const vlan = vmVlanSchema.safeParse(/^-?\d{1,6}$/.test(form.vlan) ? Number(form.vlan) : 0);
      if (vlan.success) options.vlan = vlan.data;
      else errors.vlan = firstIssue(vlan);
    }
  } else {
    if (form.romBar) options.romBar = form.romBar;
    options.allFunctions = form.allFunctions;
    options.placement = form.allFunctions ? form.placement : "pcie";
    if (form.romFile) {
      const file = romFileSchema.safeParse(form.romFile);
      if (file.success) options.romFile = file.data;
      else errors.romFile = firstIssue(file);
    }
  }
  return { domain: domain.success ? domain.data : null, options, errors };
}

export function toAttachForm(state: Extract<WizardState, { mode: "vm" }>): AttachForm {
  return {
    domain: state.domain ?? "",
    mac: state.mac ?? "",
    vlan: state.vlan === null ? "" : String(state.vlan),
    romBar: state.romBar ?? "",
    romFile: state.romFile ?? "",
    allFunctions: state.allFunctions,
    placement: state.placement,
  };
}

/** The other functions of the device's slot (a GPU's audio function), which "all functions" takes along. */
export function otherFunctions(d: PciDevice, devices: Iterable<PciDevice>): PciDevice[] {
  const slot = d.address.slice(0, d.address.lastIndexOf("."));
  return [...devices]
    .filter((x) => x.address !== d.address && !x.bridge && x.address.startsWith(`${slot}.`))
    .sort((a, b) => a.address.localeCompare(b.address));
}

/** The plans.preview request of a "Give to a VM" review. */
export function attachRequest(state: Extract<WizardState, { mode: "vm" }> & { domain: string }): RouterInputs["plans"]["preview"] {
  const rom = { ...(state.romBar ? { bar: state.romBar } : {}), ...(state.romFile ? { file: state.romFile } : {}) };
  return {
    kind: "vm-attach",
    domain: state.domain,
    address: state.device,
    ...(state.mac ? { mac: state.mac } : {}),
    ...(state.vlan !== null ? { vlan: state.vlan } : {}),
    ...(Object.keys(rom).length ? { rom } : {}),
    ...(state.allFunctions ? { allFunctions: true, placement: state.placement } : {}),
  };
}
