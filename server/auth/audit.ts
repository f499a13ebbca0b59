/**
 * The audit trail: who did what from where. Logins (and failed ones), logouts, first-run setup, account and token
 * changes, every mutation made with an API token, and every plan applied or rolled back. Admins read it on the
 * journal page and export it as CSV; `passdeck audit` prints it.
 */
import type { Db } from "@/server/db/database";

/** What the web tier audits: sign-ins and its own accounts (it asks the helper to write them when the helper owns the records). */
export const WEB_AUDIT_ACTIONS = [
  "setup",
  "login",
  "login-failed",
  "login-throttled",
  "logout",
  "user-added",
  "user-disabled",
  "token-created",
  "token-revoked",
  "token-mutation",
  "setting",
] as const;

/** What only the applier audits: plans (the web tier cannot claim one ran). */
export const PLAN_AUDIT_ACTIONS = ["plan-applied", "plan-failed", "plan-rolled-back", "plan-confirmed", "plan-refused"] as const;

export const AUDIT_ACTIONS = [...WEB_AUDIT_ACTIONS, ...PLAN_AUDIT_ACTIONS] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  id: number;
  atMs: number;
  action: AuditAction;
  /** a user name, "token <name>", or "cli (<unix user>)"; null when nobody was identified (a failed login's name is in detail) */
  actor: string | null;
  /** the client's address as the server's socket saw it */
  source: string | null;
  detail: string | null;
  /** who really asked the privileged helper (its socket's peer: uid, pid, command), when it came through the socket */
  peer: string | null;
}

/**
 * Where audit entries go: the host records' table when this process owns them, or the privileged helper (which
 * writes them, labelled with the socket peer) when the web tier may only read them.
 */
export interface AuditTrail {
  record(action: AuditAction, actor: string | null, source: string | null, detail?: string | null): void;
  list(options?: { limit?: number; before?: number; since?: number }): AuditEntry[];
}

interface AuditRow {
  id: number;
  at_ms: number;
  action: AuditAction;
  actor: string | null;
  source: string | null;
  detail: string | null;
  peer?: string | null;
}

const entryOf = (r: AuditRow): AuditEntry => ({
  id: r.id,
  atMs: r.at_ms,
  action: r.action,
  actor: r.actor,
  source: r.source,
  detail: r.detail,
  peer: r.peer ?? null,
});

/** Detail text is bounded: a failed login's user name comes from the attacker. */
const MAX_DETAIL = 500;

export class AuditLog implements AuditTrail {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  record(action: AuditAction, actor: string | null, source: string | null, detail: string | null = null, peer: string | null = null): void {
    this.db
      .prepare(`INSERT INTO audit (at_ms, action, actor, source, detail, peer) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(this.now(), action, actor, source, detail === null ? null : detail.slice(0, MAX_DETAIL), peer);
  }

  /** Newest first; `before` pages back by id. */
  list(options: { limit?: number; before?: number; since?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare(`SELECT * FROM audit WHERE id < ? AND at_ms >= ? ORDER BY id DESC LIMIT ?`)
      .all(options.before ?? Number.MAX_SAFE_INTEGER, options.since ?? 0, Math.min(options.limit ?? 200, 10_000)) as AuditRow[];
    return rows.map(entryOf);
  }
}

/** RFC 4180 CSV, oldest first, times in ISO 8601 UTC; fields that start like a formula are quoted with a ' (CSV injection). */
export function auditCsv(entries: AuditEntry[]): string {
  const cell = (v: string | number | null) => {
    if (v === null) return "";
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = ["id,time,action,actor,source,detail,peer"];
  for (const e of [...entries].sort((a, b) => a.id - b.id))
    lines.push([e.id, new Date(e.atMs).toISOString(), e.action, e.actor, e.source, e.detail, e.peer].map(cell).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
