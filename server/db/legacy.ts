/**
 * Passdeck 0.1 kept everything in one database, `<data dir>/passdeck.db`, which the web server's user could write.
 * When a new host or web database is created, it takes over its own tables from that file once, so an upgrade
 * keeps the journal, the desired state reconcile needs at boot, the accounts and the latency history.
 *
 * The old file may have been planted or edited by the web user, so it is never opened by path: it is copied
 * through a descriptor opened without following symlinks (a regular file only) into a private temporary directory
 * beside the new database, and read from there. What came over is recorded in the new database's audit trail as
 * imported, with a word on where it came from.
 */
import { constants, closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Db } from "./database";

const TABLES = {
  host: ["journal_entries", "journal_steps", "desired_entries", "audit"],
  web: [
    "probe_targets",
    "probe_status",
    "probe_samples",
    "probe_rollups",
    "probe_rollup_progress",
    "probe_metric_counters",
    "probe_metric_totals",
    "annotations",
    "users",
    "sessions",
    "api_tokens",
  ],
} as const;

/** Copies `src` (a regular file, not a symlink) to a new `dst`; false when there is no such file. */
function copyThroughDescriptor(src: string, dst: string): boolean {
  let fd: number;
  try {
    fd = openSync(src, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${src} is not a regular file`);
    const out = openSync(dst, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        writeSync(out, buf, 0, n);
      }
    } finally {
      closeSync(out);
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

export interface LegacyImport {
  tables: Record<string, number>;
}

/**
 * Imports `kind`'s tables from the legacy file into `db` (just created); null when there is no legacy file. A
 * legacy file that cannot be read is said (logged, and audited for the host records), never fatal: the new
 * database works without it.
 */
export function importLegacy(db: Db, legacyPath: string, kind: keyof typeof TABLES): LegacyImport | null {
  try {
    return importTables(db, legacyPath, kind);
  } catch (err) {
    const why = `could not import ${kind === "host" ? "the journal, desired state and audit" : "the accounts and latency history"} from ${legacyPath}: ${err instanceof Error ? err.message : String(err)}`;
    console.error(`passdeck: ${why}`);
    if (kind === "host")
      db.prepare(`INSERT INTO audit (at_ms, action, actor, source, detail) VALUES (?, 'setting', 'passdeck upgrade', NULL, ?)`).run(Date.now(), why);
    return null;
  }
}

function importTables(db: Db, legacyPath: string, kind: keyof typeof TABLES): LegacyImport | null {
  const tmp = mkdtempSync(join(dirname(db.name), ".legacy-"));
  try {
    const copy = join(tmp, "legacy.db");
    if (!copyThroughDescriptor(legacyPath, copy)) return null;
    // The write-ahead log holds the commits not yet checkpointed into the file: SQLite replays it on open.
    copyThroughDescriptor(`${legacyPath}-wal`, `${copy}-wal`);
    db.prepare(`ATTACH DATABASE ? AS legacy`).run(copy);
    try {
      const counts: Record<string, number> = {};
      db.transaction(() => {
        for (const table of TABLES[kind]) {
          const theirs = db.prepare(`SELECT name FROM pragma_table_info(?, 'legacy')`).pluck().all(table) as string[];
          if (theirs.length === 0) continue;
          const ours = new Set(db.prepare(`SELECT name FROM pragma_table_info(?, 'main')`).pluck().all(table) as string[]);
          // Column names come from the two schemas (identifiers SQLite reported), quoted; no value is spliced in.
          const cols = theirs
            .filter((c) => ours.has(c))
            .map((c) => `"${c.replace(/"/g, '""')}"`)
            .join(", ");
          counts[table] = db.prepare(`INSERT INTO main."${table}" (${cols}) SELECT ${cols} FROM legacy."${table}"`).run().changes;
        }
        if (kind === "host" && Object.values(counts).some((n) => n > 0))
          db.prepare(`INSERT INTO audit (at_ms, action, actor, source, detail) VALUES (?, 'setting', 'passdeck upgrade', NULL, ?)`).run(
            Date.now(),
            `imported ${counts.journal_entries ?? 0} journal entries, ${counts.desired_entries ?? 0} desired-state entries and ${counts.audit ?? 0} audit entries from ${legacyPath}, which the web server's user could write until this upgrade`,
          );
      })();
      return { tables: counts };
    } finally {
      db.prepare(`DETACH DATABASE legacy`).run();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
