/**
 * The journal: every plan applied to the host, who sent it, from where, each step's outcome as it happened and the
 * state before and after. The UI and `passdeck journal` list it; latency charts draw its entries as change markers.
 *
 * An entry is written "running" before the first step and each step is appended as the executor reports it, so a
 * crash mid-plan leaves a visible running entry with the steps that did happen. interrupted() finds those (the
 * process that wrote them is gone) and markInterrupted() closes them, at startup.
 *
 * Times are stored as ms since the epoch and returned as ISO strings (as Plan.createdAt); inputs take either.
 */
import { uptime } from "node:os";
import type { Plan, PlanResult, StepReport, StepStatus } from "@/server/executor/plan";
import type { Db } from "./database";

export const JOURNAL_STATUSES = ["running", "applied", "failed-rolled-back", "failed-rollback-incomplete", "interrupted", "refused"] as const;
export type JournalStatus = (typeof JOURNAL_STATUSES)[number];

// "dead-man": the helper undid a plan nobody confirmed (helper/applier.ts)
export const JOURNAL_SOURCES = ["cli", "web", "reconcile", "dead-man"] as const;
export type JournalSource = (typeof JOURNAL_SOURCES)[number];

export interface JournalMeta {
  /** who: the user name (CLI), the authenticated user (web), "reconcile" */
  actor: string;
  source: JournalSource;
  /** the remote address for web requests */
  origin?: string | null;
  /**
   * who really asked, when the plan came over the privileged helper's socket: its peer credentials ("uid 1500
   * (passdeck) pid 4242 node"), next to the actor the web tier claims
   */
  peer?: string | null;
  /** the host state just before the plan ran (JSON-serialisable) */
  before: unknown;
}

export type StepCounts = { total: number } & Record<StepStatus, number>;

/** A journal entry without its plan, states and steps: what a list shows. */
/** Another live process holds the host: its running entry says who and what. */
export class JournalBusy extends Error {
  constructor(readonly entry: JournalSummary) {
    super(`${entry.actor} (${entry.source}, pid ${entry.pid}) is applying "${entry.title}" since ${entry.startedAt}; wait for it to finish`);
    this.name = "JournalBusy";
  }
}

export interface JournalSummary {
  id: number;
  /** null only for a refused plan that carried no usable id */
  planId: string | null;
  title: string;
  actor: string;
  source: JournalSource;
  origin: string | null;
  status: JournalStatus;
  startedAt: string;
  finishedAt: string | null;
  /** the process that applied it */
  pid: number;
  /** the helper socket's peer that sent it (uid, pid, command); null when the plan did not come over the socket */
  peer: string | null;
  counts: StepCounts;
  /** why it was refused (with the validator's issues) or interrupted, or a journal-side problem (a failed snapshot) */
  problem: { message: string; issues?: string[] } | null;
}

export interface JournalStep extends StepReport {
  /** 1, 2, 3 … in the order the executor reported them (rollback steps come after the failed one) */
  seq: number;
  at: string;
}

export interface JournalEntry extends JournalSummary {
  /** the Plan as applied; for a refused entry, the JSON as it was received (possibly truncated) */
  plan: unknown;
  before: unknown;
  after: unknown;
  steps: JournalStep[];
}

export interface ChangeMarker {
  id: number;
  /** when the change started (ISO) */
  at: string;
  /** the same instant in ms, for chart axes */
  atMs: number;
  title: string;
  /** true only for an applied plan */
  ok: boolean;
  status: JournalStatus;
}

export type TimeInput = string | number | Date;

export interface ListOptions {
  /** at most this many entries (1–500, default 50) */
  limit?: number;
  /** a cursor: only entries with an id below this one (pass the last id of the previous page) */
  before?: number;
  /** only entries started at or after this time */
  since?: TimeInput;
}

export interface JournalOptions {
  now?: () => number;
  /** the process writing entries; tests substitute a dead one to simulate a crash */
  owner?: { pid: number; bootAt: number };
  /** whether a pid is a live process (default: signal 0) */
  isAlive?: (pid: number) => boolean;
}

/** A refused plan's JSON is untrusted and can be large: keep this much of it. */
const MAX_UNTRUSTED_JSON = 64 * 1024;
/** Boot times computed from the clock and uptime drift a little; further apart than this is another boot. */
const BOOT_TOLERANCE_MS = 120_000;
const MAX_TEXT = 200;

interface EntryRow {
  id: number;
  plan_id: string | null;
  title: string;
  actor: string;
  source: string;
  origin: string | null;
  status: string;
  started_at: number;
  finished_at: number | null;
  pid: number;
  boot_at: number;
  error_json: string | null;
  peer: string | null;
  total: number;
  done: number;
  failed: number;
  rolled_back: number;
  rollback_failed: number;
  skipped: number;
}

interface StepRow {
  seq: number;
  step_index: number;
  status: string;
  command: string;
  ms: number;
  error_json: string | null;
  at: number;
}

const SUMMARY_COLUMNS = `
  e.id, e.plan_id, e.title, e.actor, e.source, e.origin, e.status, e.started_at, e.finished_at, e.pid, e.boot_at, e.error_json, e.peer,
  COUNT(s.seq) AS total,
  COALESCE(SUM(s.status = 'done'), 0) AS done,
  COALESCE(SUM(s.status = 'failed'), 0) AS failed,
  COALESCE(SUM(s.status = 'rolled-back'), 0) AS rolled_back,
  COALESCE(SUM(s.status = 'rollback-failed'), 0) AS rollback_failed,
  COALESCE(SUM(s.status = 'skipped'), 0) AS skipped`;

export class Journal {
  private readonly now: () => number;
  /** the process this journal writes entries as */
  readonly owner: { pid: number; bootAt: number };
  private readonly isAlive: (pid: number) => boolean;

  constructor(
    private readonly db: Db,
    options: JournalOptions = {},
  ) {
    this.now = options.now ?? (() => Date.now());
    this.owner = options.owner ?? { pid: process.pid, bootAt: currentBootAt() };
    this.isAlive = options.isAlive ?? processAlive;
  }

  /**
   * Opens a "running" entry for a validated plan, before its first step, and returns its id; or returns the entry a
   * live process (the server, another CLI) is applying right now, so one plan runs at a time across processes.
   * The check and the insert share one IMMEDIATE transaction: two processes cannot both pass.
   */
  begin(plan: Plan, meta: JournalMeta): number {
    const m = checkMeta(meta);
    const claim = this.db.transaction(() => {
      const busy = this.liveRunning()[0];
      if (busy) throw new JournalBusy(busy);
      const info = this.db
        .prepare(
          `INSERT INTO journal_entries (plan_id, title, actor, source, origin, peer, status, started_at, pid, boot_at, plan_json, before_json)
           VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
        )
        .run(
          plan.id,
          plan.title,
          m.actor,
          m.source,
          m.origin,
          m.peer,
          this.now(),
          this.owner.pid,
          this.owner.bootAt,
          JSON.stringify(plan),
          toJson(meta.before),
        );
      return Number(info.lastInsertRowid);
    });
    return claim.immediate();
  }

  /** Entries a live process is applying right now (this one included). */
  liveRunning(): JournalSummary[] {
    return this.runningRows()
      .filter((r) => this.ownerLive(r))
      .map(summaryOf);
  }

  /** Appends one step report to a running entry, in arrival order. */
  step(entryId: number, report: StepReport): void {
    this.db
      .transaction(() => {
        this.requireStatus(entryId, ["running"], "record a step");
        this.insertStep(entryId, report);
      })
      .immediate();
  }

  /**
   * Closes an entry with the executor's result and the state after. Steps of the result not journaled yet (a
   * step() that failed) are filled in, so the stored steps end up exactly the result's, in its order. An entry marked interrupted meanwhile (its process was wrongly
   * taken for dead) is closed all the same: the result is the truth.
   */
  finish(entryId: number, result: PlanResult, after: unknown): void {
    const status: JournalStatus = result.ok ? "applied" : result.rolledBack === false ? "failed-rollback-incomplete" : "failed-rolled-back";
    this.db
      .transaction(() => {
        this.requireStatus(entryId, ["running", "interrupted"], "finish it");
        const stored = this.db.prepare(`SELECT step_index, status, command, at FROM journal_steps WHERE entry_id = ? ORDER BY seq`).all(entryId) as Pick<
          StepRow,
          "step_index" | "status" | "command" | "at"
        >[];
        const same = (row: (typeof stored)[number] | undefined, r: StepReport | undefined) => {
          if (row === undefined || r === undefined) return false;
          return row.step_index === r.index && row.status === r.status && row.command === r.command;
        };
        if (stored.every((row, i) => same(row, result.steps[i]))) {
          for (const report of result.steps.slice(stored.length)) this.insertStep(entryId, report);
        } else {
          // a step in the middle was missed: rewrite them all in the executor's order, keeping the times journaled
          this.db.prepare(`DELETE FROM journal_steps WHERE entry_id = ?`).run(entryId);
          let j = 0;
          for (const report of result.steps) this.insertStep(entryId, report, same(stored[j], report) ? stored[j++]!.at : undefined);
        }
        this.db
          .prepare(`UPDATE journal_entries SET status = ?, finished_at = ?, after_json = ?, error_json = NULL WHERE id = ?`)
          .run(status, this.now(), toJson(after), entryId);
      })
      .immediate();
  }

  /**
   * Records a plan the executor's allow-list refused (an audit trail: someone sent a hand-crafted plan). Nothing
   * ran, so there are no steps and no states. Returns the entry id.
   */
  refuse(untrusted: unknown, meta: Omit<JournalMeta, "before">, issues: string[], message?: string): number {
    const m = checkMeta({ ...meta, before: null });
    const field = (k: string) => {
      const v = untrusted !== null && typeof untrusted === "object" ? (untrusted as Record<string, unknown>)[k] : undefined;
      return typeof v === "string" && v.length > 0 ? v.slice(0, MAX_TEXT) : null;
    };
    const at = this.now();
    const info = this.db
      .prepare(
        `INSERT INTO journal_entries (plan_id, title, actor, source, origin, peer, status, started_at, finished_at, pid, boot_at, plan_json, error_json)
         VALUES (?, ?, ?, ?, ?, ?, 'refused', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        field("id"),
        field("title") ?? "(refused plan)",
        m.actor,
        m.source,
        m.origin,
        m.peer,
        at,
        at,
        this.owner.pid,
        this.owner.bootAt,
        untrustedJson(untrusted),
        JSON.stringify({ message: message ?? "the executor's allow-list refused the plan; nothing was written", issues: issues.slice(0, 100) }),
      );
    return Number(info.lastInsertRowid);
  }

  /** Whether a plan with this id was applied (or attempted) before: a plan id is used once. Refusals do not count. */
  hasPlan(planId: string): boolean {
    return this.db.prepare(`SELECT 1 FROM journal_entries WHERE plan_id = ? AND status != 'refused' LIMIT 1`).get(planId) !== undefined;
  }

  /** Closes a running entry whose apply ended without a result (an exception): status interrupted, with why. */
  abandon(entryId: number, message: string, after?: unknown): void {
    this.db
      .transaction(() => {
        this.requireStatus(entryId, ["running"], "abandon it");
        this.db
          .prepare(`UPDATE journal_entries SET status = 'interrupted', finished_at = ?, after_json = ?, error_json = ? WHERE id = ?`)
          .run(this.now(), toJson(after), JSON.stringify({ message }), entryId);
      })
      .immediate();
  }

  /** Deletes a running entry that has no steps (the executor turned the plan away before running it). */
  discard(entryId: number): void {
    this.db
      .transaction(() => {
        this.requireStatus(entryId, ["running"], "discard it");
        const steps = this.db.prepare(`SELECT COUNT(*) FROM journal_steps WHERE entry_id = ?`).pluck().get(entryId) as number;
        if (steps > 0) throw new Error(`journal entry ${entryId} has ${steps} steps: it cannot be discarded`);
        this.db.prepare(`DELETE FROM journal_entries WHERE id = ?`).run(entryId);
      })
      .immediate();
  }

  /** Records a problem on an entry without changing its status (the after snapshot could not be taken, say). */
  note(entryId: number, message: string): void {
    this.db.prepare(`UPDATE journal_entries SET error_json = ? WHERE id = ?`).run(JSON.stringify({ message }), entryId);
  }

  /** Newest first (by id: insertion order, whatever the clock did), with step counts; no plans, states or steps. */
  list(options: ListOptions = {}): JournalSummary[] {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), 500);
    const rows = this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS}
         FROM journal_entries e LEFT JOIN journal_steps s ON s.entry_id = e.id
         WHERE (@before IS NULL OR e.id < @before) AND (@since IS NULL OR e.started_at >= @since)
         GROUP BY e.id ORDER BY e.id DESC LIMIT @limit`,
      )
      .all({ before: options.before ?? null, since: options.since === undefined ? null : toMs(options.since), limit }) as EntryRow[];
    return rows.map(summaryOf);
  }

  /** One entry with its plan, states and steps in order; null when there is none. */
  get(id: number): JournalEntry | null {
    const row = this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS}, e.plan_json, e.before_json, e.after_json
         FROM journal_entries e LEFT JOIN journal_steps s ON s.entry_id = e.id
         WHERE e.id = ? GROUP BY e.id`,
      )
      .get(id) as (EntryRow & { plan_json: string; before_json: string | null; after_json: string | null }) | undefined;
    if (!row) return null;
    const steps = this.db
      .prepare(`SELECT seq, step_index, status, command, ms, error_json, at FROM journal_steps WHERE entry_id = ? ORDER BY seq`)
      .all(id) as StepRow[];
    return {
      ...summaryOf(row),
      plan: JSON.parse(row.plan_json) as unknown,
      before: fromJson(row.before_json),
      after: fromJson(row.after_json),
      steps: steps.map((s) => ({
        seq: s.seq,
        index: s.step_index,
        status: s.status as StepStatus,
        command: s.command,
        ms: s.ms,
        ...(s.error_json === null ? {} : { error: JSON.parse(s.error_json) as NonNullable<StepReport["error"]> }),
        at: new Date(s.at).toISOString(),
      })),
    };
  }

  /**
   * Change markers for charts: entries that started in [from, to], oldest first. Refused plans changed nothing
   * and are left out; running and interrupted ones are in (the host did change), with ok false.
   */
  markers(range: { from: TimeInput; to: TimeInput }): ChangeMarker[] {
    const rows = this.db
      .prepare(
        `SELECT id, started_at, title, status FROM journal_entries
         WHERE status != 'refused' AND started_at >= ? AND started_at <= ? ORDER BY started_at, id`,
      )
      .all(toMs(range.from), toMs(range.to)) as { id: number; started_at: number; title: string; status: JournalStatus }[];
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.started_at).toISOString(),
      atMs: r.started_at,
      title: r.title,
      ok: r.status === "applied",
      status: r.status,
    }));
  }

  /**
   * Entries left "running" by a process that is gone (crashed, killed, the host rebooted): oldest first. An entry
   * whose process is still alive on this boot is being applied right now (by the web server or the CLI) and is
   * not listed, so calling this while another process applies a plan is safe.
   */
  interrupted(): JournalSummary[] {
    return this.runningRows()
      .filter((r) => !this.ownerLive(r))
      .map(summaryOf);
  }

  /**
   * Marks entries as interrupted (default: all that interrupted() lists); for startup. Only entries still running
   * change. Returns the ids marked.
   */
  markInterrupted(ids: number[] = this.interrupted().map((e) => e.id)): number[] {
    const mark = this.db.prepare(`UPDATE journal_entries SET status = 'interrupted', finished_at = ?, error_json = ? WHERE id = ? AND status = 'running'`);
    const pidOf = this.db.prepare(`SELECT pid FROM journal_entries WHERE id = ?`).pluck();
    return this.db
      .transaction(() =>
        ids.filter((id) => {
          const pid = pidOf.get(id) as number | undefined;
          const message = `the process applying this plan (pid ${pid ?? "?"}) stopped before it finished: the host may be partly changed; compare the steps with the host`;
          return mark.run(this.now(), JSON.stringify({ message }), id).changes > 0;
        }),
      )
      .immediate();
  }

  private runningRows(): EntryRow[] {
    return this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS}
         FROM journal_entries e LEFT JOIN journal_steps s ON s.entry_id = e.id
         WHERE e.status = 'running' GROUP BY e.id ORDER BY e.id`,
      )
      .all() as EntryRow[];
  }

  private ownerLive(row: { pid: number; boot_at: number }): boolean {
    if (Math.abs(row.boot_at - this.owner.bootAt) > BOOT_TOLERANCE_MS) return false; // an earlier boot
    if (row.pid === this.owner.pid) return true; // this process: an apply in progress here
    return this.isAlive(row.pid);
  }

  private requireStatus(entryId: number, allowed: JournalStatus[], action: string): void {
    const status = this.db.prepare(`SELECT status FROM journal_entries WHERE id = ?`).pluck().get(entryId) as string | undefined;
    if (status === undefined) throw new Error(`journal entry ${entryId} does not exist`);
    if (!(allowed as string[]).includes(status)) throw new Error(`journal entry ${entryId} is ${status}: cannot ${action}`);
  }

  private insertStep(entryId: number, r: StepReport, at = this.now()): void {
    this.db
      .prepare(
        `INSERT INTO journal_steps (entry_id, seq, step_index, status, command, ms, error_json, at)
         SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ? FROM journal_steps WHERE entry_id = ?`,
      )
      .run(entryId, r.index, r.status, r.command, Math.round(r.ms), r.error === undefined ? null : JSON.stringify(r.error), at, entryId);
  }
}

function checkMeta(meta: JournalMeta): { actor: string; source: JournalSource; origin: string | null; peer: string | null } {
  if (typeof meta.actor !== "string" || meta.actor.trim() === "") throw new Error("journal: the actor must be named");
  if (!(JOURNAL_SOURCES as readonly string[]).includes(meta.source))
    throw new Error(`journal: source must be one of ${JOURNAL_SOURCES.join(", ")}, not ${JSON.stringify(meta.source)}`);
  return {
    actor: meta.actor.slice(0, MAX_TEXT),
    source: meta.source,
    origin: meta.origin ? meta.origin.slice(0, MAX_TEXT) : null,
    peer: meta.peer ? meta.peer.slice(0, MAX_TEXT) : null,
  };
}

function summaryOf(r: EntryRow): JournalSummary {
  return {
    id: r.id,
    planId: r.plan_id,
    title: r.title,
    actor: r.actor,
    source: r.source as JournalSource,
    origin: r.origin,
    status: r.status as JournalStatus,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
    pid: r.pid,
    peer: r.peer,
    counts: {
      total: r.total,
      done: r.done,
      failed: r.failed,
      "rolled-back": r.rolled_back,
      "rollback-failed": r.rollback_failed,
      skipped: r.skipped,
    },
    problem: fromJson(r.error_json) as JournalSummary["problem"],
  };
}

/** JSON text for a state snapshot; undefined → SQL NULL; something JSON cannot hold → a note saying so. */
function toJson(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch (err) {
    return JSON.stringify({ unserializable: err instanceof Error ? err.message : String(err) });
  }
}

function untrustedJson(value: unknown): string {
  const text = toJson(value) ?? "null";
  return text.length <= MAX_UNTRUSTED_JSON ? text : JSON.stringify({ truncated: true, length: text.length, head: text.slice(0, MAX_UNTRUSTED_JSON) });
}

function fromJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

function toMs(t: TimeInput): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === "number" ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new Error(`journal: ${JSON.stringify(t)} is not a time`);
  return ms;
}

/** When this host booted, from the clock and the uptime (seconds): stable to a second or so within one boot. */
function currentBootAt(): number {
  return Math.round(Date.now() - uptime() * 1000);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}
