/**
 * The database schemas, as ordered lists of migrations: one for the host records (journal, desired state, audit:
 * what root did, owned by the privileged helper and only read by the web tier) and one for the web tier's own data
 * (accounts, sessions, tokens, latency), which root never opens. The database's `PRAGMA user_version` is the number of the
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

export const HOST_MIGRATIONS: readonly Migration[] = [
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
  {
    version: 3,
    name: "audit",
    sql: `
      -- who did what from where: logins, failed logins, token mutations, plans, account changes (auth/audit.ts)
      CREATE TABLE audit (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms   INTEGER NOT NULL,
        action  TEXT    NOT NULL,
        actor   TEXT,
        source  TEXT,
        detail  TEXT
      );
      CREATE INDEX audit_at ON audit (at_ms);
    `,
  },
  {
    version: 4,
    name: "socket peer",
    sql: `
      -- who really asked, from the helper socket's peer credentials (uid, pid, command), next to what the caller claims
      ALTER TABLE journal_entries ADD COLUMN peer TEXT;
      ALTER TABLE audit ADD COLUMN peer TEXT;
      -- a plan id is applied once: the helper refuses a second apply of the same id
      CREATE INDEX journal_entries_plan ON journal_entries (plan_id);
    `,
  },
];

export const WEB_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "latency probes",
    sql: `
      CREATE TABLE probe_targets (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        address     TEXT    NOT NULL,   -- an IP address or a host name, validated in code (never an option to ping)
        kind        TEXT    NOT NULL,   -- icmp | tcp
        port        INTEGER,            -- tcp only
        interval_ms INTEGER NOT NULL,
        timeout_ms  INTEGER NOT NULL,
        label       TEXT,
        vm_uuid     TEXT,               -- the libvirt VM the address was taken from, when it was
        created_at  INTEGER NOT NULL,   -- ms since the epoch
        removed_at  INTEGER             -- a removed target keeps its history until retention prunes it
      );
      CREATE UNIQUE INDEX probe_targets_active ON probe_targets (address, kind, IFNULL(port, 0)) WHERE removed_at IS NULL;

      -- what the probe agent last said about each target: probing, failing (with the decoded reason) …
      CREATE TABLE probe_status (
        target_id  INTEGER PRIMARY KEY REFERENCES probe_targets (id) ON DELETE CASCADE,
        state      TEXT    NOT NULL,
        message    TEXT,
        updated_at INTEGER NOT NULL
      );

      -- one row per probe; rowid order is arrival order, which the live charts follow
      CREATE TABLE probe_samples (
        id          INTEGER PRIMARY KEY,
        target_id   INTEGER NOT NULL,
        seq         INTEGER NOT NULL,   -- the agent's sequence: consecutive probes of one run differ by 1
        sent_us     INTEGER NOT NULL,   -- µs since the epoch
        rtt_us      INTEGER,            -- NULL: no reply within the timeout
        lag_us      INTEGER,            -- the prober's own lateness against the requested interval (self-noise)
        interval_ms INTEGER NOT NULL
      );
      CREATE INDEX probe_samples_target_time ON probe_samples (target_id, sent_us);
      CREATE INDEX probe_samples_time ON probe_samples (sent_us);

      -- mergeable per-bucket summaries: histograms add, so percentiles of any range are exact to the bucket width
      CREATE TABLE probe_rollups (
        target_id        INTEGER NOT NULL,
        resolution_s     INTEGER NOT NULL,   -- 10 | 60 | 3600
        start_us         INTEGER NOT NULL,
        sent             INTEGER NOT NULL,
        received         INTEGER NOT NULL,
        loss_longest     INTEGER NOT NULL,
        loss_episodes    INTEGER NOT NULL,
        rtt_hist         BLOB    NOT NULL,
        ipdv_abs_hist    BLOB    NOT NULL,
        lag_hist         BLOB    NOT NULL,
        jitter_sum_us    REAL    NOT NULL,   -- RFC 3550 J of each 10 s bucket, summed (with jitter_buckets: the mean)
        jitter_buckets   INTEGER NOT NULL,
        gaps             INTEGER NOT NULL,   -- prober gaps: sends late by more than one interval
        interval_ms      INTEGER,            -- NULL when the interval changed inside the bucket
        PRIMARY KEY (target_id, resolution_s, start_us)
      ) WITHOUT ROWID;
      CREATE INDEX probe_rollups_time ON probe_rollups (resolution_s, start_us);

      -- how far each target's rollups have been built, per resolution
      CREATE TABLE probe_rollup_progress (
        target_id    INTEGER NOT NULL,
        resolution_s INTEGER NOT NULL,
        done_until_us INTEGER NOT NULL,
        PRIMARY KEY (target_id, resolution_s)
      ) WITHOUT ROWID;

      -- cumulative Prometheus histogram counters per target (never decrease, unlike retained data)
      CREATE TABLE probe_metric_counters (
        target_id  INTEGER NOT NULL,
        le_us      INTEGER NOT NULL,    -- a bucket's upper bound; -1 is +Inf
        count      INTEGER NOT NULL,
        PRIMARY KEY (target_id, le_us)
      ) WITHOUT ROWID;
      CREATE TABLE probe_metric_totals (
        target_id  INTEGER PRIMARY KEY,
        sent       INTEGER NOT NULL,
        received   INTEGER NOT NULL,
        rtt_sum_us INTEGER NOT NULL
      );

      -- the running probe agent (one per data directory) and its heartbeat
      CREATE TABLE probe_agent (
        singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
        pid          INTEGER NOT NULL,
        boot_at      INTEGER NOT NULL,
        started_at   INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL,
        ping_version TEXT,
        min_interval_ms INTEGER,
        note         TEXT
      );

      -- manual chart annotations (applied plans come from the journal)
      CREATE TABLE annotations (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms      INTEGER NOT NULL,
        text       TEXT    NOT NULL,
        actor      TEXT    NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX annotations_at ON annotations (at_ms);
    `,
  },
  {
    version: 2,
    name: "accounts",
    sql: `
      CREATE TABLE users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT    NOT NULL UNIQUE,
        role          TEXT    NOT NULL,   -- admin | viewer
        password_hash TEXT    NOT NULL,   -- scrypt$N$r$p$salt$hash (passwords.ts)
        created_at    INTEGER NOT NULL,
        disabled_at   INTEGER
      );
      -- a session cookie's SHA-256, never the cookie itself: a copy of the database opens no session
      CREATE TABLE sessions (
        token_hash  TEXT    PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        origin      TEXT
      ) WITHOUT ROWID;
      CREATE TABLE api_tokens (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash   TEXT    NOT NULL UNIQUE,
        name         TEXT    NOT NULL,
        role         TEXT    NOT NULL,   -- admin | viewer
        created_by   TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at   INTEGER
      );
    `,
  },
  {
    version: 3,
    name: "token expiry",
    // NULL: the token does not expire. An expired token stays in the table (the audit names it), refused like a revoked one.
    sql: `ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER`,
  },
];
