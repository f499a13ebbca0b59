/**
 * Passdeck's SQLite databases (better-sqlite3, synchronous), two of them under the data directory the caller passes
 * in (PASSDECK_DATA_DIR, default /var/lib/passdeck; the env is read elsewhere; the layout is in layout.ts):
 *
 * - the host records (`host/passdeck-host.db`: journal, desired state, audit trail): written by whoever applies
 *   plans (the privileged helper, the CLI as root, reconcile) and only read by the web tier, which may not be able
 *   to write it. A reader may open a WAL database whose -wal and -shm it can only read (SQLite 3.22+), as long as
 *   a writer has it open (the helper does, all the time); SQLite gives those files the database file's owner, group
 *   and mode, so the web group reads them and nobody else writes them.
 * - the web tier's data (`web/passdeck-web.db`: accounts, sessions, tokens, latency). Root never opens it.
 *
 * Both in WAL mode, so readers never wait for a writer; synchronous=NORMAL (durable across a process crash, may lose
 * the last commits on power loss, which WAL keeps consistent; a rollback journal with fsyncs cost 27× as much per
 * journaled step here, and far more over the rig's 9p); foreign keys on.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { HOST_MIGRATIONS, WEB_MIGRATIONS, type Migration } from "./migrations";
import { HOST_DB_FILE, hostDir, LEGACY_DB_FILE, WEB_DB_FILE, webDir } from "./layout";
import { importLegacy } from "./legacy";
import { keepOwnModes } from "./layout";

export type Db = Database.Database;

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
  /** the file inside the directory */
  fileName: string;
  /** the schema */
  migrations: readonly Migration[];
  /** open an existing file for reading only: no pragmas written, no migrations (a newer schema is fine, an older one refused) */
  readonly?: boolean;
  /** called once when the file was created by this open, before anything else uses it */
  onCreate?: (db: Db) => void;
}

/**
 * Opens (creating if missing, mode 0750) the directory and the database file in it, sets the pragmas and brings
 * the schema up to date. Throws DatabaseOpenError naming the path when any of that fails.
 */
export function openDatabase(dir: string, options: OpenDatabaseOptions): Db {
  // The data directory is a runtime setting: nothing under it belongs in the build trace.
  const path = join(/*turbopackIgnore: true*/ resolve(dir), options.fileName);
  let db: Db | undefined;
  try {
    if (options.readonly) {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      const version = schemaVersion(db);
      if (version < options.migrations.length)
        throw new Error(
          `its schema is version ${version}, older than this Passdeck's (${options.migrations.length}); whoever owns it upgrades it when it next opens it (the helper, or the CLI as root)`,
        );
      return db;
    }
    mkdirSync(resolve(dir), { recursive: true, mode: 0o750 });
    db = new Database(path);
    const created = schemaVersion(db) === 0;
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db, options.migrations);
    if (created) options.onCreate?.(db);
    return db;
  } catch (err) {
    db?.close();
    throw new DatabaseOpenError(path, err);
  }
}

/**
 * The host records (journal, desired state, audit) under `<dataDir>/host`. `readonly` is how the web tier opens
 * them when the privileged helper owns them. A new database takes over what an older Passdeck kept in its one
 * database (legacy.ts).
 */
export function openHostDatabase(dataDir: string, options: { readonly?: boolean } = {}): Db {
  return openDatabase(hostDir(dataDir), {
    fileName: HOST_DB_FILE,
    migrations: HOST_MIGRATIONS,
    ...(options.readonly ? { readonly: true } : {}),
    onCreate: (db) => importLegacy(db, join(resolve(dataDir), LEGACY_DB_FILE), "host"),
  });
}

/**
 * The web tier's data (accounts, sessions, tokens, latency) under `<dataDir>/web`, with the directory 0750 and
 * the files 0640 at every open by their owner (root never opens them; layout.ts).
 */
export function openWebDatabase(dataDir: string): Db {
  // Before this process opens the database: closing any descriptor of a file drops every POSIX lock the process
  // holds on it, so touching SQLite's files once a connection is open would let another process delete the WAL
  // under this one.
  keepOwnModes(webDir(dataDir), 0o750, [WEB_DB_FILE, `${WEB_DB_FILE}-wal`, `${WEB_DB_FILE}-shm`], 0o640);
  return openDatabase(webDir(dataDir), {
    fileName: WEB_DB_FILE,
    migrations: WEB_MIGRATIONS,
    onCreate: (db) => importLegacy(db, join(resolve(dataDir), LEGACY_DB_FILE), "web"),
  });
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
export function migrate(db: Db, migrations: readonly Migration[]): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order: position ${i + 1} holds version ${m.version} (${m.name})`);
  });
  const latest = migrations.length;
  const from = schemaVersion(db);
  if (from > latest) throw new Error(`the database has schema version ${from}, newer than this Passdeck knows (${latest}): it was written by a newer release`);
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      if (schemaVersion(db) >= m.version) return;
      db.exec(m.sql); // SQLite statements from migrations.ts (constants), not a shell
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: schemaVersion(db) };
}
