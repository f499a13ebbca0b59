/**
 * Passdeck's SQLite database (better-sqlite3, synchronous): one file in the data directory, which the caller
 * passes in (the setting is PASSDECK_DATA_DIR, default /var/lib/passdeck; the env is read elsewhere).
 * WAL mode so the web server and the CLI can both read while one writes; synchronous=NORMAL (durable across a
 * process crash, may lose the last commits on power loss, which WAL keeps consistent); foreign keys on.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS, type Migration } from "./migrations";

export type Db = Database.Database;

export const DATABASE_FILE_NAME = "passdeck.db";

/** How long a writer waits for another process's write transaction before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

export class DatabaseOpenError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`cannot open the Passdeck database at ${path}: ${detail} (PASSDECK_DATA_DIR chooses the directory; it must be writable by this user)`, {
      cause,
    });
    this.name = "DatabaseOpenError";
  }
}

export interface OpenDatabaseOptions {
  /** file name inside the data directory (default passdeck.db) */
  fileName?: string;
  /** the schema (default: MIGRATIONS); tests pass their own lists */
  migrations?: readonly Migration[];
}

/**
 * Opens (creating if missing, mode 0750) the data directory and the database file in it, sets the pragmas and
 * brings the schema up to date. Throws DatabaseOpenError naming the path when any of that fails.
 */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  const dir = resolve(dataDir);
  // The data directory is a runtime setting: nothing under it belongs in the build trace.
  const path = join(/*turbopackIgnore: true*/ dir, options.fileName ?? DATABASE_FILE_NAME);
  let db: Db | undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (err) {
    db?.close();
    throw new DatabaseOpenError(path, err);
  }
}

/** The schema version: PRAGMA user_version, the number of the last migration applied. */
export function schemaVersion(db: Db): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Applies the migrations newer than the database's user_version, each with its version bump in one IMMEDIATE
 * transaction (re-reading the version inside it, so two processes opening a fresh file at once migrate it once).
 * Idempotent. Refuses a database from a newer Passdeck. Returns the versions before and after.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order: position ${i + 1} holds version ${m.version} (${m.name})`);
  });
  const latest = migrations.length;
  const from = schemaVersion(db);
  if (from > latest)
    throw new Error(`the database has schema version ${from}, newer than this Passdeck knows (${latest}): it was written by a newer release`);
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      if (schemaVersion(db) >= m.version) return;
      db.exec(m.sql); // SQLite statements from migrations.ts (constants), not a shell
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: schemaVersion(db) };
}
