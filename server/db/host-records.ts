/**
 * The host records (journal, desired state, audit trail) as a process other than their owner sees them. When the
 * privileged helper runs, it owns them: the web tier and an unprivileged CLI open the database read-only and ask
 * the helper over its socket for what they must add (an audit entry, forgetting an address). Without a helper (a
 * demo, a root server serving alone, the CLI as root) this process owns them and writes directly.
 */
import { AuditLog, type AuditAction, type AuditEntry, type AuditTrail } from "@/server/auth/audit";
import type { DesiredEntry } from "@/server/desired/desired-state";
import { DesiredStore } from "@/server/desired/store";
import type { ApplyMeta } from "@/server/helper/applier";
import type { HelperApplier } from "@/server/helper/client";
import { openHostDatabase, type Db } from "./database";
import { Journal } from "./journal";

export interface HostRecords {
  /** "owner": this process writes them; "reader": the helper does, this process reads */
  mode: "owner" | "reader";
  db: Db;
  journal: Journal;
  /** reads everywhere; record() only where this process owns the records (the applier remembers applied plans) */
  desired: DesiredStore;
  audit: AuditTrail;
  /** the audit table itself, where this process owns it (the applier records plans with their socket peer there) */
  auditLog: AuditLog | null;
  forgetDesired: (address: string, meta: ApplyMeta) => Promise<DesiredEntry[]>;
}

/** Entries the web tier hands the helper, kept while it is briefly away (restarting); beyond this they are logged and dropped. */
const MAX_QUEUED_AUDIT = 1000;

/** Audit entries sent to the helper in order, one at a time; reads from the read-only database. */
class HelperAuditTrail implements AuditTrail {
  private readonly queue: [AuditAction, string | null, string | null, string | null][] = [];
  private sending = false;

  constructor(
    private readonly helper: HelperApplier,
    private readonly reader: AuditLog,
  ) {}

  record(action: AuditAction, actor: string | null, source: string | null, detail: string | null = null): void {
    if (this.queue.length >= MAX_QUEUED_AUDIT) {
      console.error(`passdeck: audit entry dropped (the helper is not taking them): ${action} ${actor ?? ""} ${source ?? ""} ${detail ?? ""}`);
      return;
    }
    this.queue.push([action, actor, source, detail]);
    void this.drain();
  }

  list(options?: { limit?: number; before?: number; since?: number }): AuditEntry[] {
    return this.reader.list(options);
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const [action, actor, source, detail] = this.queue[0]!;
        try {
          await this.helper.audit(action, actor, source, detail);
        } catch (err) {
          console.error(`passdeck: the helper did not take an audit entry (${action}): ${err instanceof Error ? err.message : String(err)}`);
        }
        this.queue.shift();
      }
    } finally {
      this.sending = false;
    }
  }
}

export function openHostRecords(dataDir: string, helper: HelperApplier | null): HostRecords {
  return hostRecordsOver(helper ? openHostDatabase(dataDir, { readonly: true }) : openHostDatabase(dataDir), helper);
}

/** The records over a database already open (read-only when the helper owns them; tests pass a temporary one). */
export function hostRecordsOver(db: Db, helper: HelperApplier | null): HostRecords {
  if (helper) {
    const desired = new DesiredStore(db);
    return {
      mode: "reader",
      db,
      journal: new Journal(db),
      desired,
      audit: new HelperAuditTrail(helper, new AuditLog(db)),
      auditLog: null,
      forgetDesired: (address, meta) => helper.forgetDesired(address, meta),
    };
  }
  const desired = new DesiredStore(db);
  const audit = new AuditLog(db);
  return {
    mode: "owner",
    db,
    journal: new Journal(db),
    desired,
    audit,
    auditLog: audit,
    // The interface answers with a Promise (the helper's records do, over its socket): a throw rejects it.
    forgetDesired: (address, meta) =>
      new Promise((resolve) => {
        const gone = desired.forget(address);
        if (gone.length > 0)
          audit.record("setting", meta.actor, meta.origin, `forgot the desired state at ${address} (${gone.length} entries)`, meta.peer ?? null);
        resolve(gone);
      }),
  };
}
