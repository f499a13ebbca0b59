/**
 * Which VM holds which host device, from every domain's live and persistent definitions, and the plan checks that
 * follow from it: a running VM's device is never pulled from under it, and no device is given to two VMs. Pure.
 */
import type { Plan } from "@/server/executor/plan";
import type { Inventory } from "@/server/host/types";
import type { Refusal } from "@/server/plans/planner";
import type { Domain } from "./domains";

export interface Holder {
  domain: { uuid: string; name: string };
  /** the VM is running (or paused): it has the device now */
  active: boolean;
  /** which definitions name it */
  in: ("live" | "config")[];
  as: "hostdev" | "interface";
  managed: boolean;
  mac: string | null;
  vlan: number[];
}

/** host PCI address → the VMs whose definitions name it */
export type InUseMap = Record<string, Holder[]>;

export function buildInUseMap(domains: Domain[]): InUseMap {
  const map: InUseMap = {};
  for (const d of domains) {
    const mine = new Map<string, Holder>();
    const note = (address: string, where: "live" | "config", as: Holder["as"], managed: boolean, mac: string | null, vlan: number[]) => {
      const h = mine.get(address) ?? { domain: { uuid: d.uuid, name: d.name }, active: d.active, in: [], as, managed, mac, vlan };
      if (!h.in.includes(where)) h.in.push(where);
      mine.set(address, h);
    };
    for (const [where, def] of [
      ["live", d.live],
      ["config", d.config],
    ] as const) {
      if (!def) continue;
      for (const h of def.hostdevs) note(h.address, where, "hostdev", h.managed, null, []);
      for (const i of def.hostdevInterfaces) note(i.address, where, "interface", i.managed, i.mac, i.vlan);
    }
    for (const [address, h] of mine) (map[address] ??= []).push(h);
  }
  return map;
}

/** Holders that have the device right now (a running VM's live definition). */
export const activeHolders = (inUse: InUseMap, address: string): Holder[] => (inUse[address] ?? []).filter((h) => h.active && h.in.includes("live"));

const names = (hs: Holder[]) => hs.map((h) => h.domain.name).join(", ");

/**
 * What the in-use map says about a plan. Refusals nothing overrides: a running VM's device changed under it, one
 * device to two VMs. A warning to confirm: a stopped VM's config names a VF the plan removes.
 */
export function guestConflicts(plan: Plan, inv: Inventory, inUse: InUseMap): Refusal[] {
  const out: Refusal[] = [];
  const seen = new Set<string>();
  const add = (r: Refusal) => {
    const key = `${r.code}:${r.reason}`;
    if (!seen.has(key)) {
      out.push(r);
      seen.add(key);
    }
  };
  const attaching = new Map<string, string>();
  for (const { step } of plan.steps) {
    if (step.kind === "write-attribute" && step.attribute === "sriov_numvfs") vfCountConflicts(inv, inUse, step.device, Number(step.value)).forEach(add);
    if (step.kind === "unbind-driver" && step.driver === "vfio-pci") {
      const running = activeHolders(inUse, step.device);
      if (running.length > 0)
        add({
          code: "device-in-use-by-vm",
          reason: `${step.device} is in use by the running VM ${names(running)}: taking it from vfio-pci would crash the guest's device. Shut the VM down or detach the device first.`,
          override: null,
        });
    }
    // A pool's VF is libvirt's to choose at start: no particular device to check here.
    if (step.kind === "attach-device" && step.device.type !== "pool") {
      const address = step.device.address;
      const others = (inUse[address] ?? []).filter((h) => h.domain.uuid !== step.domain.uuid);
      if (others.length > 0)
        add({
          code: "device-in-other-vm",
          reason: `${address} is already given to the VM ${others.map((h) => `${h.domain.name} (${h.active && h.in.includes("live") ? "running" : "in its config"})`).join(", ")}: a device can belong to one VM. Detach it there first, or pick another VF.`,
          override: null,
        });
      const earlier = attaching.get(address);
      if (earlier !== undefined && earlier !== step.domain.uuid)
        add({ code: "device-to-two-vms", reason: `this plan gives ${address} to two VMs: a device can belong to one VM`, override: null });
      attaching.set(address, step.domain.uuid);
    }
  }
  return out;
}

/** Setting a PF's VF count re-creates its VFs: a running VM's VF must not vanish; a stopped VM's config is warned about. */
export function vfCountConflicts(inv: Inventory, inUse: InUseMap, pfAddress: string, target: number): Refusal[] {
  const out: Refusal[] = [];
  const pf = inv.devices.find((d) => d.address === pfAddress);
  for (const [index, vf] of (pf?.sriov?.vfs ?? []).entries()) {
    const running = activeHolders(inUse, vf);
    if (running.length > 0)
      out.push({
        code: "vf-in-use-by-vm",
        reason: `VF ${index} (${vf}) of ${pfAddress} is in use by the running VM ${names(running)}: changing the VF count would pull it from under the guest. Shut the VM down or detach the VF first.`,
        override: null,
      });
    const defined = (inUse[vf] ?? []).filter((h) => !h.active && h.in.includes("config"));
    if (defined.length > 0 && index >= target)
      out.push({
        code: "vf-in-vm-config",
        reason: `the VM ${names(defined)} is configured with VF ${index} (${vf}), which this plan removes: that VM will not start until the VF exists again or is detached from it`,
        override: "confirm",
      });
  }
  return out;
}
