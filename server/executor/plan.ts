/**
 * The write boundary. Every change to the host will be a Plan: typed steps, each with a precondition, a
 * read-back check and an inverse, shown to the user before it runs. Exactly one PlanExecutor performs them,
 * behind an allow-list, so it can move into a separate privileged process that speaks this same JSON.
 * This issue only reads; the types are fixed now so the read side and the pages are built around them.
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
  /** `echo <addr> > <device>/driver/unbind` */
  | { kind: "unbind-driver"; device: string; driver: string }
  /** `echo <addr> > bus/pci/drivers_probe`, or `bus/pci/drivers/<driver>/bind` when a driver is named */
  | { kind: "probe-driver"; device: string; driver?: string }
  | { kind: "set-vf"; pf: string; netdev: string; vf: number; settings: VfSettings }
  | { kind: "wait-for"; condition: WaitCondition; timeoutMs: number };

export type WaitCondition =
  | { kind: "vf-count"; pf: string; count: number }
  | { kind: "driver-is"; device: string; driver: string | null };

export interface PlannedStep {
  step: PlanStep;
  /** what must hold before the step runs, in words and as a check the executor re-reads */
  precondition: string;
  /** what the read-back must show afterwards */
  verify: string;
  /** the step that undoes it (null for waits) */
  inverse: PlanStep | null;
}

export interface Plan {
  id: string;
  title: string;
  createdAt: string;
  steps: PlannedStep[];
}

export type StepOutcome =
  | { status: "done"; step: number }
  | { status: "failed"; step: number; cause: string; fix: string | null }
  | { status: "rolled-back"; step: number }
  | { status: "rollback-failed"; step: number; cause: string };

export interface PlanResult {
  planId: string;
  ok: boolean;
  outcomes: StepOutcome[];
}

/** What the UI and the CLI call; one implementation in-process now, a socket client to the privileged helper later. */
export interface PlanExecutor {
  /** The exact writes and commands, for the dry run; touches nothing. */
  describe(plan: Plan): string[];
  /** Runs the steps in order, verifying each; on the first failure rolls back what was done, in reverse. */
  apply(plan: Plan, onProgress: (outcome: StepOutcome) => void): Promise<PlanResult>;
}

/** The dry-run text of one step, as the command a person would type (paths relative to the sysfs root). */
export function describeStep(step: PlanStep): string {
  switch (step.kind) {
    case "write-attribute":
      return `echo ${step.value === "" ? "''" : step.value} > bus/pci/devices/${step.device}/${step.attribute}`;
    case "unbind-driver":
      return `echo ${step.device} > bus/pci/devices/${step.device}/driver/unbind   # from ${step.driver}`;
    case "probe-driver":
      return step.driver
        ? `echo ${step.device} > bus/pci/drivers/${step.driver}/bind`
        : `echo ${step.device} > bus/pci/drivers_probe`;
    case "set-vf": {
      const s = step.settings;
      const args = [
        s.mac !== undefined ? `mac ${s.mac}` : null,
        s.vlan !== undefined ? `vlan ${s.vlan}${s.qos !== undefined ? ` qos ${s.qos}` : ""}` : null,
        s.spoofchk !== undefined ? `spoofchk ${s.spoofchk ? "on" : "off"}` : null,
        s.trust !== undefined ? `trust ${s.trust ? "on" : "off"}` : null,
        s.state !== undefined ? `state ${s.state}` : null,
        s.minTxRateMbps !== undefined ? `min_tx_rate ${s.minTxRateMbps}` : null,
        s.maxTxRateMbps !== undefined ? `max_tx_rate ${s.maxTxRateMbps}` : null,
      ].filter(Boolean);
      return `ip link set ${step.netdev} vf ${step.vf} ${args.join(" ")}`;
    }
    case "wait-for":
      return step.condition.kind === "vf-count"
        ? `# wait up to ${step.timeoutMs / 1000} s until ${step.condition.pf} has ${step.condition.count} virtfn links`
        : `# wait up to ${step.timeoutMs / 1000} s until ${step.condition.device} is bound to ${step.condition.driver ?? "no driver"}`;
  }
}
