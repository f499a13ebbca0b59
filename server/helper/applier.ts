/**
 * Applies plans with the journal watching, and holds the dead-man switch: a plan that could cut the browser off
 * (helper/deadman.ts) must be confirmed over a new request within the window, or it is undone here, by itself,
 * and journaled as such. The same class runs inside the privileged helper (behind its socket) and, for the demo
 * host and a single-process root server, inside the web server.
 *
 * It decides for itself whether a plan may run, whoever sent it: the allow-list (the plan's shape), a plan id used
 * once, and the safety rules against its own fresh scan of the host (plans/step-guard.ts) with the overrides that
 * travel with the plan. What it applies and keeps is what reconcile remembers for the next boot.
 */
import { applyJournaled, journalSnapshot } from "@/server/executor/journaled-apply";
import { JournalBusy, type Journal } from "@/server/db/journal";
import type { DesiredStore } from "@/server/desired/store";
import { PlanRejected, validatePlan } from "@/server/executor/allow-list";
import { PlanBusy, type PlanExecutor } from "@/server/executor/executor";
import type { Plan, PlanResult, PlannedStep, StepReport } from "@/server/executor/plan";
import type { Inventory } from "@/server/host/types";
import type { Refusal } from "@/server/plans/planner";
import { guardPlan, NO_OVERRIDES, type GuestView, type PlanOverrides } from "@/server/plans/step-guard";
import { networkingReasons } from "./deadman";

export interface ApplyMeta {
  /** who the caller says asked (the web tier's signed-in user and address) */
  actor: string;
  origin: string | null;
  /** who really asked, set by the helper from its socket's peer credentials; never taken from the request */
  peer?: string | null;
}

/** The safety rules refused the plan against the host as it is now; nothing ran. */
export class PlanUnsafe extends Error {
  constructor(readonly refusals: Refusal[]) {
    super(`the plan is not applied: ${refusals.map((r) => r.reason).join("; ")}`);
    this.name = "PlanUnsafe";
  }
}

/** A plan id is applied once: a second apply of the same id (a replay, or a plan someone else holds) is refused. */
export class PlanReused extends Error {
  constructor(planId: string, message = `plan ${planId} was applied before: a plan is applied once; review it again for a new one`) {
    super(message);
    this.name = "PlanReused";
  }
}

export interface PendingConfirmation {
  planId: string;
  entryId: number;
  title: string;
  actor: string;
  appliedAtMs: number;
  deadlineMs: number;
  windowMs: number;
  /** why this plan needs confirming: the steps that touch networking */
  reasons: string[];
}

export interface ApplyOutcome {
  entryId: number;
  result: PlanResult;
  journalError: string | null;
  /** set when the plan must be confirmed before the deadline, or it is undone */
  confirmation: PendingConfirmation | null;
}

export type ConfirmOutcome = { ok: true; planId: string; entryId: number; desiredError?: string } | { ok: false; reason: string };
export type RevertOutcome = { ok: true; entryId: number; result: PlanResult } | { ok: false; reason: string };

/** What the web tier applies through: this process's executor, or the helper's over its socket. */
export interface PlanApplier {
  readonly mode: "host" | "demo";
  /** `overrides`: what the reviewer accepted, re-checked by the applier against its own scan */
  apply(plan: unknown, meta: ApplyMeta, onStep: (report: StepReport) => void, overrides?: PlanOverrides): Promise<ApplyOutcome>;
  confirm(planId: string, meta: ApplyMeta): Promise<ConfirmOutcome>;
  /** "Undo now" in the confirmation prompt: the same undo the switch would make, at once */
  revert(planId: string, meta: ApplyMeta): Promise<RevertOutcome>;
  pending(): Promise<PendingConfirmation[]>;
}

export type AuditSink = (
  action: "plan-applied" | "plan-failed" | "plan-rolled-back" | "plan-confirmed" | "plan-refused",
  actor: string,
  source: string | null,
  detail: string,
  peer: string | null,
) => void;

export const DEFAULT_CONFIRM_WINDOW_MS = 60_000;
/** how long the switch retries an undo another plan keeps waiting */
const BUSY_RETRY_MS = 1_000;

interface Held {
  confirmation: PendingConfirmation;
  plan: Plan;
  result: PlanResult;
  cancel: () => void;
}

export interface LocalApplierDeps {
  mode: "host" | "demo";
  executor: PlanExecutor;
  journal: () => Journal;
  inventory: () => Inventory;
  /** which VMs hold which devices, read fresh for each apply; absent: no VMs on this host */
  guests?: () => Promise<GuestView>;
  /** what reconcile puts back at boot: a plan is remembered once it is kept (applied, and confirmed if it had to be) */
  desired?: () => DesiredStore;
  audit?: AuditSink;
  confirmWindowMs?: number;
  now?: () => number;
  /** setTimeout by default; tests pass a manual clock */
  schedule?: (fn: () => void, ms: number) => () => void;
}

export class LocalApplier implements PlanApplier {
  readonly mode: "host" | "demo";
  private readonly held = new Map<string, Held>();
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => () => void;
  private readonly windowMs: number;

  constructor(private readonly deps: LocalApplierDeps) {
    this.mode = deps.mode;
    this.now = deps.now ?? Date.now;
    this.windowMs = deps.confirmWindowMs ?? DEFAULT_CONFIRM_WINDOW_MS;
    this.schedule =
      deps.schedule ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      });
  }

  async apply(untrusted: unknown, meta: ApplyMeta, onStep: (report: StepReport) => void, overrides: PlanOverrides = NO_OVERRIDES): Promise<ApplyOutcome> {
    const peer = meta.peer ?? null;
    const journalMeta = { actor: meta.actor, source: "web" as const, origin: meta.origin, peer };
    // Decided before anything runs: afterwards an unbound NIC has no netdev to look at. A plan the allow-list
    // refuses gets no reasons here; applyJournaled journals the refusal and throws it.
    let plan: Plan | null = null;
    let reasons: string[] = [];
    try {
      plan = validatePlan(untrusted);
    } catch (err) {
      if (!(err instanceof PlanRejected)) throw err;
      this.deps.audit?.("plan-refused", meta.actor, meta.origin, `refused by the allow-list: ${err.issues.slice(0, 5).join("; ")}`, peer);
    }
    if (plan) {
      const journal = this.deps.journal();
      if (this.held.has(plan.id) || journal.hasPlan(plan.id)) {
        const err = new PlanReused(plan.id);
        this.refuse(journal, untrusted, journalMeta, [err.message], "the plan id was applied before; nothing was written");
        throw err;
      }
      const inventory = this.deps.inventory();
      const guests = this.deps.guests ? await this.deps.guests() : ({ kind: "none" } as const);
      const refusals = guardPlan(plan, inventory, guests, overrides);
      if (refusals.length > 0) {
        this.refuse(
          journal,
          untrusted,
          journalMeta,
          refusals.map((r) => `${r.code}: ${r.reason}`),
          "the helper's safety checks refused the plan against the host as it is now; nothing was written",
        );
        throw new PlanUnsafe(refusals);
      }
      reasons = networkingReasons(plan, inventory);
    }
    const steps = plan ?? { steps: [] };
    const applied = await applyJournaled(
      this.deps.executor,
      this.deps.journal(),
      untrusted,
      journalMeta,
      () => journalSnapshot(this.deps.inventory(), steps),
      onStep,
    );
    const valid = plan!;
    const ok = applied.result.ok;
    const forced = overrides.force.length ? `; typed override for ${overrides.force.join(", ")}` : "";
    this.deps.audit?.(
      ok ? "plan-applied" : "plan-failed",
      meta.actor,
      meta.origin,
      `journal #${applied.entryId}: ${valid.title}${ok ? "" : applied.result.rolledBack ? " (rolled back)" : " (NOT fully rolled back)"}${forced}${ok && reasons.length ? `; awaiting confirmation within ${this.windowMs / 1000} s` : ""}`,
      peer,
    );
    let confirmation: PendingConfirmation | null = null;
    let desiredError: string | null = null;
    if (ok && reasons.length > 0) {
      const at = this.now();
      confirmation = {
        planId: valid.id,
        entryId: applied.entryId,
        title: valid.title,
        actor: meta.actor,
        appliedAtMs: at,
        deadlineMs: at + this.windowMs,
        windowMs: this.windowMs,
        reasons,
      };
      const held: Held = { confirmation, plan: valid, result: applied.result, cancel: () => undefined };
      held.cancel = this.schedule(() => void this.expire(valid.id), this.windowMs);
      this.held.set(valid.id, held);
    } else if (ok) desiredError = this.remember(valid, meta.actor);
    const journalError = [applied.journalError, desiredError].filter(Boolean).join("; ") || null;
    return { entryId: applied.entryId, result: applied.result, journalError, confirmation };
  }

  /** Journals and audits a plan refused before anything ran. */
  private refuse(
    journal: Journal,
    untrusted: unknown,
    meta: { actor: string; source: "web"; origin: string | null; peer: string | null },
    issues: string[],
    message: string,
  ): void {
    try {
      journal.refuse(untrusted, meta, issues, message);
    } catch {
      // the refusal itself is what the caller must see
    }
    this.deps.audit?.("plan-refused", meta.actor, meta.origin, `${message}: ${issues.slice(0, 5).join("; ")}`, meta.peer);
  }

  /** The host has the change and the journal has it; a failure to remember it for reconcile is said, not thrown. */
  private remember(plan: Plan, actor: string): string | null {
    if (!this.deps.desired) return null;
    try {
      this.deps.desired().record(plan, this.deps.inventory(), actor);
      return null;
    } catch (err) {
      return `applied, but not remembered for reconcile at boot: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  confirm(planId: string, meta: ApplyMeta): Promise<ConfirmOutcome> {
    // The interface answers with a Promise (the helper's client does, over its socket): a throw rejects it.
    return new Promise((resolve) => resolve(this.confirmHeld(planId, meta)));
  }

  private confirmHeld(planId: string, meta: ApplyMeta): ConfirmOutcome {
    const held = this.held.get(planId);
    if (!held)
      return {
        ok: false,
        reason: `plan ${planId} is not waiting for a confirmation: it was confirmed already, or undone when its window closed (see the journal)`,
      };
    held.cancel();
    this.held.delete(planId);
    this.deps.audit?.("plan-confirmed", meta.actor, meta.origin, `journal #${held.confirmation.entryId}: ${held.confirmation.title}`, meta.peer ?? null);
    const desiredError = this.remember(held.plan, meta.actor);
    return { ok: true, planId, entryId: held.confirmation.entryId, ...(desiredError ? { desiredError } : {}) };
  }

  async revert(planId: string, meta: ApplyMeta): Promise<RevertOutcome> {
    const held = this.held.get(planId);
    if (!held)
      return { ok: false, reason: `plan ${planId} is not waiting for a confirmation, so there is nothing to undo here: use the journal's plan to restore` };
    held.cancel();
    this.held.delete(planId);
    return this.undo(held, meta, `undone from the confirmation prompt by ${meta.actor}`);
  }

  pending(): Promise<PendingConfirmation[]> {
    return Promise.resolve([...this.held.values()].map((h) => h.confirmation));
  }

  /** When the helper stops, nothing is left waiting for a confirmation nobody could give any more. */
  async undoAllPending(why: string): Promise<void> {
    for (const held of [...this.held.values()]) {
      held.cancel();
      this.held.delete(held.confirmation.planId);
      await this.undo(held, { actor: "dead-man switch", origin: null }, why);
    }
  }

  /** The window closed without a confirmation: the user may have lost the connection, so undo by ourselves. */
  private async expire(planId: string): Promise<void> {
    const held = this.held.get(planId);
    if (!held) return;
    this.held.delete(planId);
    const outcome = await this.undo(
      held,
      { actor: "dead-man switch", origin: null },
      `not confirmed within ${held.confirmation.windowMs / 1000} s of applying`,
    );
    if (!outcome.ok) console.error(`passdeck: the dead-man switch could not undo plan ${planId}: ${outcome.reason}`);
  }

  private async undo(held: Held, meta: ApplyMeta, why: string): Promise<RevertOutcome> {
    const rollback = undoPlan(held.plan, held.result, `Undo #${held.confirmation.entryId} (${why})`);
    if (rollback.steps.length === 0) return { ok: false, reason: "the plan has no steps to undo" };
    for (let attempt = 0; ; attempt++) {
      try {
        const applied = await applyJournaled(
          this.deps.executor,
          this.deps.journal(),
          rollback,
          { actor: meta.actor, source: "dead-man", origin: meta.origin, peer: meta.peer ?? null },
          () => journalSnapshot(this.deps.inventory(), rollback),
        );
        this.deps.audit?.(
          "plan-rolled-back",
          meta.actor,
          meta.origin,
          `journal #${held.confirmation.entryId} undone as #${applied.entryId} (${why})${applied.result.ok ? "" : ": the undo FAILED, see the journal"}`,
          meta.peer ?? null,
        );
        return { ok: true, entryId: applied.entryId, result: applied.result };
      } catch (err) {
        // Another plan holds the host for a moment: the undo waits its turn (for at most a minute).
        if ((err instanceof PlanBusy || err instanceof JournalBusy) && attempt < 60) {
          await new Promise<void>((r) => this.schedule(r, BUSY_RETRY_MS));
          continue;
        }
        return { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
    }
  }
}

/**
 * The steps that undo an applied plan: each done step's inverse, last first (what the executor does on a failure);
 * each undo step's own inverse is the original step.
 */
export function undoPlan(plan: Plan, result: PlanResult, title: string): Plan {
  const done = new Set(result.steps.filter((r) => r.status === "done").map((r) => r.index));
  const steps: PlannedStep[] = [];
  for (const [index, planned] of [...plan.steps.entries()].reverse()) {
    if (!done.has(index) || !planned.inverse) continue;
    steps.push({ step: planned.inverse, summary: `undo: ${planned.summary}`.slice(0, 500), inverse: planned.step });
  }
  return { id: `${plan.id.slice(0, 58)}-undo`, title: title.slice(0, 200), createdAt: new Date().toISOString(), steps };
}
