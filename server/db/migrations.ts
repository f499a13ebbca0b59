/**
 * The database schema, as an ordered list of migrations. The database's `PRAGMA user_version` is the number of the
 * last one applied; openDatabase() runs the rest, each in its own transaction. Never edit a migration that has
 * shipped: append a new one.
 *
 * Enumerations (status, source) are checked in code (journal.ts), not by CHECK constraints, so adding a value
 * never needs a table rebuild.
 */
export interface Migration {
  /** 1, 2, 3 … in order; becomes the database's user_version */
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "journal",
    sql: `
      CREATE TABLE journal_entries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_id     TEXT,               -- NULL only for a refused plan without a usable id
        title       TEXT    NOT NULL,
        actor       TEXT    NOT NULL,
        source      TEXT    NOT NULL,   -- cli | web | reconcile
        origin      TEXT,               -- remote address, when there is one
        status      TEXT    NOT NULL,   -- running | applied | failed-rolled-back | failed-rollback-incomplete | interrupted | refused
        started_at  INTEGER NOT NULL,   -- ms since the epoch
        finished_at INTEGER,
        pid         INTEGER NOT NULL,   -- the process applying the plan: a running entry whose process is gone was interrupted
        boot_at     INTEGER NOT NULL,   -- when that process's host booted (ms), so a pid from an earlier boot is not mistaken
        plan_json   TEXT    NOT NULL,
        before_json TEXT,
        after_json  TEXT,
        error_json  TEXT                -- { message, issues? } for refused / interrupted entries and journal-side problems
      );
      CREATE INDEX journal_entries_started ON journal_entries (started_at);
      CREATE INDEX journal_entries_running ON journal_entries (status) WHERE status = 'running';

      CREATE TABLE journal_steps (
        entry_id   INTEGER NOT NULL REFERENCES journal_entries (id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,    -- 1, 2, 3 … in the order the executor reported them
        step_index INTEGER NOT NULL,    -- the plan step it concerns (StepReport.index)
        status     TEXT    NOT NULL,    -- done | failed | rolled-back | rollback-failed | skipped
        command    TEXT    NOT NULL,
        ms         INTEGER NOT NULL,
        error_json TEXT,                -- StepReport.error (decoded cause and fix)
        at         INTEGER NOT NULL,    -- ms since the epoch, when it was journaled
        PRIMARY KEY (entry_id, seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: "desired state",
    sql: `
      CREATE TABLE desired_entries (
        entry_key  TEXT    PRIMARY KEY, -- kind + address (+ VF index), from desired-state.ts entryKey(): one row per thing wanted
        kind       TEXT    NOT NULL,    -- vf-count | vf-settings | binding
        address    TEXT    NOT NULL,    -- the PCI address (the PF's for vf-count and vf-settings)
        vendor_id  TEXT    NOT NULL,    -- with device_id, the card that was at the address: another card there is never touched
        device_id  TEXT    NOT NULL,
        entry_json TEXT    NOT NULL,    -- the whole entry, validated when read
        updated_at INTEGER NOT NULL,    -- ms since the epoch, when the entry last changed
        updated_by TEXT    NOT NULL     -- the actor of the apply that changed it
      ) WITHOUT ROWID;
      CREATE INDEX desired_entries_address ON desired_entries (address);
    `,
  },
];
