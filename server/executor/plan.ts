/**
 * The write boundary. Every change to the host is a Plan: typed steps shown to the user before anything runs,
 * each verified by reading back and paired with its inverse. One executor (executor.ts) performs them behind an
 * allow-list, so it can move into a separate privileged process that receives this same JSON.
 */

/** sysfs attributes a plan may write, relative to a PCI device directory. Nothing else can be written. */
export const DEVICE_ATTRIBUTES = ["sriov_numvfs", "sriov_drivers_autoprobe", "driver_override"] as const;
export type DeviceAttribute = (typeof DEVICE_ATTRIBUTES)[number];

/** Per-VF settings applied through the PF with `ip link set <pf> vf <n> …` (argument arrays, never a shell). */
export interface VfSettings {
  mac?: string;
  vlan?: number;
  qos?: number;
  spoofchk?: boolean;
  trust?: boolean;
  state?: "auto" | "enable" | "disable";
  minTxRateMbps?: number;
  maxTxRateMbps?: number;
}

export type PlanStep =
  | { kind: "write-attribute"; device: string; attribute: DeviceAttribute; value: string }
  /** `echo <addr> > bus/pci/devices/<addr>/driver/unbind`; verified by the driver link disappearing */
  | { kind: "unbind-driver"; device: string; driver: string }
  /**
   * `echo <addr> > bus/pci/drivers_probe` (driver_override decides), or `bus/pci/drivers/<driver>/bind` when
   * `explicit`; verified by the driver link, because drivers_probe succeeds even when nothing bound.
   */
  | { kind: "probe-driver"; device: string; expectDriver: string; explicit?: boolean }
  /** `ip link set dev <netdev> vf <vf> …`, one setting at a time so a refused setting is named; read back from vfinfo_list */
  | { kind: "set-vf"; pf: string; netdev: string; vf: number; settings: VfSettings }
  | { kind: "wait-for"; condition: WaitCondition; timeoutMs: number }
  /**
   * `virsh attach-device <uuid> --live|--config` of XML the executor builds from `device` (never XML from input);
   * verified by reading the domain's XML back. Live and persistent definitions are separate steps: their guest
   * addresses differ, and either may fail on its own.
   */
  | { kind: "attach-device"; domain: DomainRef; device: GuestDevice; target: "live" | "config" }
  | { kind: "detach-device"; domain: DomainRef; device: GuestDevice; target: "live" | "config" }
  /**
   * A VF pool: a libvirt network `<forward mode='hostdev' managed='yes'><pf dev=netdev/>` (net-define + net-autostart),
   * whose XML the executor builds; verified with net-dumpxml. start/stop are net-start/net-destroy.
   */
  | { kind: "define-pool"; pool: PoolRef }
  | { kind: "undefine-pool"; pool: PoolRef }
  | { kind: "start-pool"; pool: PoolRef }
  | { kind: "stop-pool"; pool: PoolRef };

/** A VF pool and the PF (address and interface) it hands out VFs of. */
export interface PoolRef {
  name: string;
  pf: string;
  netdev: string;
}

/** A libvirt domain: the UUID is what virsh is given; the name is for people. */
export interface DomainRef {
  uuid: string;
  name: string;
}

/** What a VM takes: a PCI function as `<hostdev>`, or a network VF as `<interface type='hostdev'>` (libvirt sets its MAC/VLAN through the PF). */
export type GuestDevice =
  | {
      type: "hostdev";
      address: string;
      managed: boolean;
      rom?: { bar?: "on" | "off"; file?: string };
      guestAddress?: { bus: number; slot: number; fn: number; multifunction?: boolean };
    }
  /** the MAC is always given: libvirt matches an interface to detach by MAC, so the undo needs it */
  | { type: "interface"; address: string; mac: string; vlan?: number }
  /** any free VF of a VF pool (a hostdev network), handed out by libvirt when the VM starts */
  | { type: "pool"; network: string; mac: string; vlan?: number };

export type WaitCondition =
  | { kind: "vf-count"; pf: string; count: number }
  /** virtfn<vf> of the PF points at `address`: checks the address a plan predicted from offset/stride before using it */
  | { kind: "vf-address"; pf: string; vf: number; address: string };

export interface PlannedStep {
  step: PlanStep;
  /** what the step does, in words */
  summary: string;
  /** the step that undoes it; null for waits and for steps whose undo is another step of the plan */
  inverse: PlanStep | null;
}

export interface Plan {
  id: string;
  title: string;
  createdAt: string;
  steps: PlannedStep[];
}

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

/** The PCI function a step is about (for the journal's before/after): the PF of a pool or VF setting, a VM's device. */
export function stepDevice(step: PlanStep): string {
  switch (step.kind) {
    case "set-vf":
      return step.pf;
    case "wait-for":
      return step.condition.pf;
    case "attach-device":
    case "detach-device":
      // A pool's VF is chosen by libvirt at start: the step is about no particular function.
      return step.device.type === "pool" ? "" : step.device.address;
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
