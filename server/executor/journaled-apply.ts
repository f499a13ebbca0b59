/**
 * Applying a plan with the journal watching: the one way the web tier, the CLI and reconcile should call the
 * executor.
 *
 * - The before snapshot is taken just before the entry is opened, the after snapshot just after the result.
 * - Each step report is journaled as it arrives, before the caller's onStep sees it. The caller's onStep cannot
 *   break the plan: the executor would take its exception for a failed step (or, thrown again from the failure
 *   report, abandon the plan without rolling back), so it is caught here and returned as onStepError.
 * - A plan the allow-list refuses (PlanRejected) is journaled as a "refused" entry (an audit trail: someone sent a
 *   hand-crafted plan) and the error is rethrown. A plan turned away because another is running (PlanBusy) is not
 *   journaled at all: nothing was attempted. Both are decided before the entry opens, so no running entry is made.
 * - If the journal cannot open the entry the plan is not applied (no change without an audit record). Once the
 *   host is being changed, a journal write failure does not stop or roll back the plan: it is returned as
 *   journalError next to the result, and finish() re-writes any step the journal missed.
 * - If executor.apply throws anyway (a bug), the entry is closed as "interrupted" with the message, and rethrown.
 */
import { PlanRejected, validatePlan } from "./allow-list";
import { PlanBusy, type PlanExecutor } from "./executor";
import { stepDevice, type Plan, type PlanResult, type StepReport } from "./plan";
import type { Inventory } from "@/server/host/types";
import type { Journal, JournalMeta } from "@/server/db/journal";

export interface JournaledApply {
  entryId: number;
  result: PlanResult;
  /** set when a journal write failed after the plan started (the result is still the host's truth): show it */
  journalError?: string;
  /** set when the caller's onStep threw (a closed stream, say): the plan went on regardless */
  onStepError?: string;
}

export async function applyJournaled(
  executor: PlanExecutor,
  journal: Journal,
  /** a Plan, or untrusted JSON claiming to be one: the allow-list decides */
  plan: unknown,
  meta: Omit<JournalMeta, "before">,
  snapshot: () => unknown,
  onStep?: (report: StepReport) => void,
): Promise<JournaledApply> {
  let valid: Plan;
  try {
    valid = validatePlan(plan);
  } catch (err) {
    if (err instanceof PlanRejected) {
      try {
        journal.refuse(plan, meta, err.issues);
      } catch {
        // nothing ran; the refusal is what the caller must see
      }
    }
    throw err;
  }
  if (executor.busyWith !== null) throw new PlanBusy(executor.busyWith);

  // Synchronous from the busy check to executor.apply's own check: no other apply can start in between.
  const entryId = journal.begin(valid, { ...meta, before: snapshot() });
  const problems: string[] = [];
  const journalFailed = (what: string, err: unknown) => problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);

  let onStepError: string | undefined;
  let result: PlanResult;
  try {
    result = await executor.apply(valid, (report) => {
      try {
        journal.step(entryId, report);
      } catch (err) {
        journalFailed(`journaling step ${report.index} (${report.status})`, err);
      }
      try {
        onStep?.(report);
      } catch (err) {
        onStepError ??= err instanceof Error ? err.message : String(err);
      }
    });
  } catch (err) {
    try {
      if (err instanceof PlanBusy) journal.discard(entryId);
      else journal.abandon(entryId, `the executor stopped with an error: ${err instanceof Error ? err.message : String(err)}`, safeSnapshot(snapshot).value);
    } catch {
      // the original error matters more; the entry stays running and startup marks it interrupted
    }
    throw err;
  }

  const after = safeSnapshot(snapshot);
  try {
    journal.finish(entryId, result, after.value);
    if (after.error) journal.note(entryId, `the state after could not be read: ${after.error}`);
  } catch (err) {
    journalFailed("closing the journal entry", err);
  }
  return {
    entryId,
    result,
    ...(problems.length ? { journalError: problems.join("; ") } : {}),
    ...(onStepError !== undefined ? { onStepError } : {}),
  };
}

function safeSnapshot(snapshot: () => unknown): { value: unknown; error?: string } {
  try {
    return { value: snapshot() };
  } catch (err) {
    return { value: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The journal's before/after: the devices a plan touches and their VFs (web, CLI, reconcile and the helper alike). */
export function journalSnapshot(inv: Inventory, plan: Pick<Plan, "steps">) {
  const touched = new Set(plan.steps.map(({ step }) => stepDevice(step)));
  return inv.devices
    .filter((d) => touched.has(d.address) || (d.physfn !== null && touched.has(d.physfn)))
    .map((d) => ({ address: d.address, driver: d.driver, driverOverride: d.driverOverride, sriov: d.sriov && { numVfs: d.sriov.numVfs, vfs: d.sriov.vfs } }));
}
