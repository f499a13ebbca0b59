/**
 * The write boundary. Every change to the host is a Plan: typed steps shown to the user before anything runs,
 * each verified by reading back and paired with its inverse. One executor (executor.ts) performs them behind an
 * allow-list, so it can move into a separate privileged process that receives this same JSON.
 */

import type { z } from "zod";
import type {
  DEVICE_ATTRIBUTES,
  domainRefSchema,
  guestDeviceSchema,
  plannedStepSchema,
  planSchema,
  planStepSchema,
  poolRefSchema,
  vfSettingsSchema,
  waitConditionSchema,
} from "./allow-list";

// The types are the allow-list's schemas (allow-list.ts), inferred: what a step may be is written once, there.
export type DeviceAttribute = (typeof DEVICE_ATTRIBUTES)[number];
export type VfSettings = z.infer<typeof vfSettingsSchema>;
export type PlanStep = z.infer<typeof planStepSchema>;
export type PoolRef = z.infer<typeof poolRefSchema>;
export type DomainRef = z.infer<typeof domainRefSchema>;
export type GuestDevice = z.infer<typeof guestDeviceSchema>;
export type WaitCondition = z.infer<typeof waitConditionSchema>;
export type PlannedStep = z.infer<typeof plannedStepSchema>;
export type Plan = z.infer<typeof planSchema>;

export type StepStatus = "done" | "failed" | "rolled-back" | "rollback-failed" | "skipped";

export interface StepReport {
  index: number;
  status: StepStatus;
  command: string;
  ms: number;
  /** decoded cause and fix when the step failed */
  error?: { code: string; cause: string; fix: string; errno: string | null; kernelLines: string[] };
}

export interface PlanResult {
  planId: string;
  ok: boolean;
  steps: StepReport[];
  /** true when every applied step was undone after a failure (or nothing needed undoing) */
  rolledBack: boolean | null;
}

/**
 * The PCI function a step is about (for the journal's before/after): the PF of a pool or VF setting, a VM's device;
 * null for a VF pool's interface, whose VF libvirt chooses at start.
 */
export function stepDevice(step: PlanStep): string | null {
  switch (step.kind) {
    case "set-vf":
      return step.pf;
    case "wait-for":
      return step.condition.pf;
    case "attach-device":
    case "detach-device":
      return step.device.type === "pool" ? null : step.device.address;
    case "define-pool":
    case "undefine-pool":
    case "start-pool":
    case "stop-pool":
      return step.pool.pf;
    default:
      return step.device;
  }
}

/** Steps whose state libvirt keeps (a VM's config, a pool's definition): nothing for Passdeck's boot-time reconcile. */
export const isLibvirtStep = (step: PlanStep): boolean => step.kind === "attach-device" || step.kind === "detach-device" || step.kind.endsWith("-pool");

/** The dry-run text of one step, as the command a person would type (paths relative to the sysfs root). */
export function describeStep(step: PlanStep): string {
  switch (step.kind) {
    case "write-attribute":
      return `echo ${step.value === "" ? "''" : step.value} > bus/pci/devices/${step.device}/${step.attribute}`;
    case "unbind-driver":
      return `echo ${step.device} > bus/pci/devices/${step.device}/driver/unbind   # from ${step.driver}`;
    case "probe-driver":
      return step.explicit
        ? `echo ${step.device} > bus/pci/drivers/${step.expectDriver}/bind`
        : `echo ${step.device} > bus/pci/drivers_probe   # expect ${step.expectDriver}`;
    case "set-vf":
      return ["ip", ...ipLinkVfArgs(step.netdev, step.vf, step.settings)].join(" ");
    case "attach-device":
    case "detach-device":
      return `virsh ${step.kind} ${step.domain.name} --file device.xml --${step.target}   # ${describeGuestDevice(step.device)}`;
    case "define-pool":
      return `virsh net-define pool.xml && virsh net-autostart ${step.pool.name}   # <forward mode='hostdev' managed='yes'><pf dev='${step.pool.netdev}'/>`;
    case "undefine-pool":
      return `virsh net-undefine ${step.pool.name}`;
    case "start-pool":
      return `virsh net-start ${step.pool.name}`;
    case "stop-pool":
      return `virsh net-destroy ${step.pool.name}`;
    case "wait-for":
      return step.condition.kind === "vf-count"
        ? `# wait up to ${step.timeoutMs / 1000} s until ${step.condition.pf} has ${step.condition.count} VFs (virtfn links with physfn)`
        : `# check that bus/pci/devices/${step.condition.pf}/virtfn${step.condition.vf} is ${step.condition.address} (wait up to ${step.timeoutMs / 1000} s)`;
  }
}

export function describeGuestDevice(d: GuestDevice): string {
  if (d.type === "pool") return `<interface type='network'> a VF from pool ${d.network} mac ${d.mac}${d.vlan !== undefined ? ` vlan ${d.vlan}` : ""}`;
  if (d.type === "interface") return `<interface type='hostdev'> ${d.address} mac ${d.mac}${d.vlan !== undefined ? ` vlan ${d.vlan}` : ""}`;
  const extras = [d.managed ? "managed" : "unmanaged", d.rom?.bar ? `rom bar ${d.rom.bar}` : null, d.rom?.file ? `rom file ${d.rom.file}` : null].filter(
    Boolean,
  );
  return `<hostdev> ${d.address} (${extras.join(", ")})`;
}

/** The argument array for `ip link set <pf> vf <n> …`: the one place it is built. */
export function ipLinkVfArgs(netdev: string, vf: number, s: VfSettings): string[] {
  const args = ["link", "set", "dev", netdev, "vf", String(vf)];
  if (s.mac !== undefined) args.push("mac", s.mac);
  if (s.vlan !== undefined) args.push("vlan", String(s.vlan), ...(s.qos !== undefined ? ["qos", String(s.qos)] : []));
  if (s.spoofchk !== undefined) args.push("spoofchk", s.spoofchk ? "on" : "off");
  if (s.trust !== undefined) args.push("trust", s.trust ? "on" : "off");
  if (s.state !== undefined) args.push("state", s.state);
  if (s.minTxRateMbps !== undefined) args.push("min_tx_rate", String(s.minTxRateMbps));
  if (s.maxTxRateMbps !== undefined) args.push("max_tx_rate", String(s.maxTxRateMbps));
  return args;
}
