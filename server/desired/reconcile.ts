/**
 * `passdeck reconcile`: brings the host back to the desired state through the same planner, executor and journal as
 * every other change, in the order the kernel needs (research: passthrough-anchors.md 3.5, 3.9):
 *
 *   1. VF counts (with sriov_drivers_autoprobe), since VFs, their settings and their addresses exist only after;
 *   2. per-VF settings through the PF, before any VF leaves its host driver, so the guest sees the MAC at init;
 *   3. vfio-pci bindings.
 *
 * The host is re-read before each plan. Entries whose address is empty or holds another card are refused, never
 * applied; a planner refusal (host-critical, VFs in use) is reported, never forced. Warnings the user accepted with
 * --confirm when they first applied it (a shared IOMMU group, many VFs) are accepted again: without that, binding
 * the second function of a group would be refused because the first is not on vfio-pci yet.
 *
 * Reconcile never records desired state itself: replaying its own plans through rememberPlan would forget VF
 * settings whenever a count is rewritten (0 first).
 */
import type { PlanExecutor } from "@/server/executor/executor";
import { type Plan, type PlanResult, type StepReport } from "@/server/executor/plan";
import type { Journal } from "@/server/db/journal";
import { applyJournaled, journalSnapshot } from "@/server/executor/journaled-apply";
import { readVfInfo, type IpLink, type VfInfo } from "@/server/host/ip-link";
import type { Inventory } from "@/server/host/types";
import { planBindVfio, planVfCount, planVfSettings, type PlanOutcome, type Refusal } from "@/server/plans/planner";
import { entryKey, pfOf, sortEntries, type DesiredEntry, type DesiredKind, type DesiredState } from "./desired-state";
import { computeDrift, differingSettings, type DriftReport } from "./drift";

export type ReconcileStage = DesiredKind;
const STAGES: readonly ReconcileStage[] = ["vf-count", "vf-settings", "binding"];

export interface ReconcileDeps {
  desired: DesiredState;
  /** a fresh scan on every call: reconcile re-reads the host before each plan */
  inventory: () => Inventory;
  /** iproute2, for the PFs' vfinfo_list (and the executor's per-VF settings) */
  ip: IpLink;
  executor: PlanExecutor;
  journal: Journal;
  /** who, for the journal (the source is always "reconcile"); default "reconcile" */
  actor?: string;
}

export interface ReconcileOptions {
  /** plan and report, write nothing */
  dryRun?: boolean;
  /** a plan about to be applied, for progress output */
  onPlan?: (action: ReconcileAction) => void;
  /** each step as the executor reports it */
  onStep?: (plan: Plan, report: StepReport) => void;
}

export interface ReconcileAction {
  stage: ReconcileStage;
  /** the desired entry (entryKey) the plan puts back */
  entry: string;
  address: string;
  /**
   * applied / failed (rolled back, see result); planned: a dry run's plan; waits-for-vf-count: a dry run cannot plan
   * it yet, because its VF is (re)created by the VF count plan before it
   */
  status: "applied" | "failed" | "planned" | "waits-for-vf-count";
  title: string;
  plan: Plan | null;
  /** warnings accepted on the user's behalf (they accepted them when they first applied it) */
  warnings: Refusal[];
  result: PlanResult | null;
  journalEntry: number | null;
  /** the decoded cause and fix of a failure, or the error that stopped the run */
  error: string | null;
}

export interface ReconcileRefusal {
  stage: ReconcileStage;
  entry: string;
  address: string;
  /**
   * id-mismatch, device-missing, the planner's refusal code (host-critical, vfs-in-use, …); or skipped:
   * pf-not-reconciled (its PF's own entry was refused or failed), not-attempted (the run stopped at an error)
   */
  code: string;
  reason: string;
}

export interface ReconcileReport {
  dryRun: boolean;
  before: DriftReport;
  /** plans in the order they ran (or would run) */
  actions: ReconcileAction[];
  /** entries left alone, and why */
  refused: ReconcileRefusal[];
  /** the host after the run; null for a dry run */
  after: DriftReport | null;
  /**
   * in-sync: nothing to do; reconciled: plans applied and the host matches; would-change: a dry run with plans;
   * refused: something was refused or skipped (the rest was done); failed: a plan failed, or drift remains
   */
  outcome: "in-sync" | "reconciled" | "would-change" | "refused" | "failed";
  /** the CLI's exit code: 0 in sync or brought to match, 1 failed, 2 refused or skipped */
  exitCode: 0 | 1 | 2;
}

/** vfinfo_list of every PF the desired state sets VF settings on; a PF that cannot be read is left out. */
export async function readVfInfoByPf(ip: IpLink, desired: DesiredState, inventory: Inventory): Promise<Record<string, VfInfo[]>> {
  const out: Record<string, VfInfo[]> = {};
  const pfs = new Set(desired.entries.filter((e) => e.kind === "vf-settings").map((e) => e.address));
  for (const address of pfs) {
    const netdev = inventory.devices.find((d) => d.address === address)?.netdevs[0]?.name;
    if (!netdev) continue;
    try {
      out[address] = await readVfInfo(ip, netdev);
    } catch {
      // drift shows these settings as unknown, and reconcile sets them again
    }
  }
  return out;
}

/** The drift right now: for `passdeck desired` and the dashboard. */
export async function driftNow(deps: Pick<ReconcileDeps, "desired" | "inventory" | "ip">): Promise<DriftReport> {
  const inventory = deps.inventory();
  return computeDrift(deps.desired, inventory, await readVfInfoByPf(deps.ip, deps.desired, inventory));
}

export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const dryRun = options.dryRun ?? false;
  const actor = deps.actor ?? "reconcile";
  const entries = sortEntries(deps.desired.entries);
  const look = async () => {
    const inv = deps.inventory();
    const vfInfo = await readVfInfoByPf(deps.ip, deps.desired, inv);
    return { inv, vfInfo, drift: computeDrift(deps.desired, inv, vfInfo) };
  };

  let host = await look();
  const before = host.drift;
  const actions: ReconcileAction[] = [];
  const refused: ReconcileRefusal[] = [];
  /** PFs whose VFs are not touched, and why: their own entry was refused or its plan failed */
  const pfSkipped = new Map<string, string>();
  /** PFs whose VFs a count plan recreates: in a dry run, plans for those VFs wait for it */
  const pfPlanned = new Set<string>();
  let stopped = false;

  const refuse = (stage: ReconcileStage, e: DesiredEntry, code: string, reason: string) =>
    refused.push({ stage, entry: entryKey(e), address: e.address, code, reason });
  const rowsOf = (e: DesiredEntry) => host.drift.items.filter((i) => i.entry === entryKey(e));

  const apply = async (stage: ReconcileStage, e: DesiredEntry, outcome: PlanOutcome): Promise<boolean> => {
    if (outcome.kind === "nothing-to-do") return true;
    if (outcome.kind === "refused") {
      refuse(stage, e, outcome.refusals[0]?.code ?? "refused", outcome.refusals.map((r) => r.reason).join("; "));
      return false;
    }
    const { plan, warnings } = outcome;
    const action: ReconcileAction = {
      stage,
      entry: entryKey(e),
      address: e.address,
      status: "planned",
      title: plan.title,
      plan,
      warnings,
      result: null,
      journalEntry: null,
      error: null,
    };
    actions.push(action);
    if (dryRun) return true;
    options.onPlan?.(action);
    try {
      const applied = await applyJournaled(
        deps.executor,
        deps.journal,
        plan,
        { actor, source: "reconcile" },
        () => journalSnapshot(deps.inventory(), plan),
        (r) => options.onStep?.(plan, r),
      );
      action.result = applied.result;
      action.journalEntry = applied.entryId;
      action.status = applied.result.ok ? "applied" : "failed";
      const failed = applied.result.steps.find((s) => s.status === "failed")?.error;
      if (failed) action.error = `${failed.cause} (fix: ${failed.fix})`;
      return applied.result.ok;
    } catch (err) {
      // another plan is running (the server, a CLI), or the journal cannot be written: nothing more is safe to try
      action.status = "failed";
      action.error = err instanceof Error ? err.message : String(err);
      stopped = true;
      return false;
    }
  };

  for (const stage of STAGES) {
    // The VFs stage 1 made exist now: their identities, drivers and vfinfo are read again.
    if (stage !== "vf-count" && !dryRun) host = await look();
    for (const e of entries.filter((x) => x.kind === stage)) {
      if (stopped) {
        if (rowsOf(e).some((r) => r.status !== "ok")) refuse(stage, e, "not-attempted", "not attempted: reconcile stopped at the error above");
        continue;
      }
      const bad = rowsOf(e).find((r) => r.status === "id-mismatch" || r.status === "device-missing");
      if (bad) {
        refuse(stage, e, bad.status, `${bad.what}: wanted ${bad.desired}, found ${bad.actual}. ${bad.note ?? ""}`.trim());
        if (e.kind === "vf-count") pfSkipped.set(e.address, `${e.address} itself was refused (${bad.status})`);
        continue;
      }
      const pf = pfOf(e);
      if (e.kind !== "vf-count" && pf !== null && pfSkipped.has(pf)) {
        refuse(stage, e, "pf-not-reconciled", pfSkipped.get(pf)!);
        continue;
      }
      if (!rowsOf(e).some((r) => r.status === "drift")) continue;

      let outcome: PlanOutcome;
      if (e.kind === "vf-count") {
        outcome = planVfCount(host.inv, e.address, e.vfCount, { confirm: true, ...(e.autoprobe !== null ? { autoprobe: e.autoprobe } : {}) });
      } else {
        if (dryRun && (pfPlanned.has(pf ?? "") || !vfExists(host.inv, e))) {
          const title = e.kind === "vf-settings" ? `Set VF ${e.vf} of ${e.address} again` : `Bind ${e.address} to vfio-pci again`;
          actions.push({
            stage,
            entry: entryKey(e),
            address: e.address,
            status: "waits-for-vf-count",
            title,
            plan: null,
            warnings: [],
            result: null,
            journalEntry: null,
            error: null,
          });
          continue;
        }
        if (e.kind === "vf-settings") {
          const info = host.vfInfo[e.address]?.find((v) => v.vf === e.vf) ?? null;
          outcome = planVfSettings(host.inv, e.address, e.vf, differingSettings(e.settings, info), info);
        } else {
          outcome = planBindVfio(host.inv, e.address, { confirm: true });
        }
      }
      const ok = await apply(stage, e, outcome);
      if (e.kind === "vf-count") {
        if (!ok) pfSkipped.set(e.address, `the VF count of ${e.address} was not set (see above)`);
        else if (outcome.kind === "plan" && outcome.plan.steps.some(({ step }) => step.kind === "write-attribute" && step.attribute === "sriov_numvfs"))
          pfPlanned.add(e.address);
      }
      // the next plan is made from the host as it is now
      if (!dryRun && outcome.kind === "plan") host = { ...host, inv: deps.inventory() };
    }
  }

  const after = dryRun ? null : (await look()).drift;
  const refusedEntries = new Set(refused.map((r) => r.entry));
  const failed =
    stopped ||
    actions.some((a) => a.status === "failed") ||
    // drift left on an entry nobody refused: the plans ran but the host does not show it
    after?.items.some((i) => i.status !== "ok" && !refusedEntries.has(i.entry)) === true;
  const outcome: ReconcileReport["outcome"] = failed
    ? "failed"
    : refused.length > 0
      ? "refused"
      : actions.length === 0
        ? "in-sync"
        : dryRun
          ? "would-change"
          : "reconciled";
  return { dryRun, before, actions, refused, after, outcome, exitCode: failed ? 1 : refused.length > 0 ? 2 : 0 };
}

function vfExists(inv: Inventory, e: DesiredEntry): boolean {
  if (e.kind === "vf-settings") return e.vf < (inv.devices.find((d) => d.address === e.address)?.sriov?.numVfs ?? 0);
  return inv.devices.some((d) => d.address === e.address);
}
