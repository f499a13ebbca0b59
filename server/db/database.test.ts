/** The database file on a real disk: directory creation, pragmas, migrations and their idempotence, open errors. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseOpenError, migrate, openDatabase, schemaVersion } from "./database";
import { MIGRATIONS, type Migration } from "./migrations";

const work = mkdtempSync(join(tmpdir(), "passdeck-db-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(work, `d${n++}`);

describe("openDatabase", () => {
  it("creates the data directory (0750) and the file, in WAL mode with synchronous=NORMAL and foreign keys on", () => {
    const dir = join(freshDir(), "nested", "passdeck");
    const db = openDatabase(dir);
    try {
      expect(statSync(dir).mode & 0o777).toBe(0o750 & ~process.umask());
      expect(db.name).toBe(join(dir, "passdeck.db"));
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(schemaVersion(db)).toBe(MIGRATIONS.length);
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'journal_%' ORDER BY name`).pluck().all();
      expect(tables).toEqual(["journal_entries", "journal_steps"]);
    } finally {
      db.close();
    }
  });

  it("keeps the data when reopened, and running the migrations again changes nothing", () => {
    const dir = freshDir();
    const db = openDatabase(dir);
    db.prepare(
      `INSERT INTO journal_entries (plan_id, title, actor, source, status, started_at, pid, boot_at, plan_json) VALUES ('p', 't', 'a', 'cli', 'applied', 1, 1, 1, '{}')`,
    ).run();
    db.close();

    const again = openDatabase(dir);
    try {
      expect(again.prepare(`SELECT title FROM journal_entries`).pluck().all()).toEqual(["t"]);
      expect(migrate(again)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
      expect(again.prepare(`SELECT COUNT(*) FROM journal_entries`).pluck().get()).toBe(1);
    } finally {
      again.close();
    }
  });

  it("applies only the migrations newer than user_version, in order", () => {
    const dir = freshDir();
    const v1: Migration[] = [{ version: 1, name: "a", sql: "CREATE TABLE a (x INTEGER)" }];
    openDatabase(dir, { migrations: v1 }).close();
    const v2: Migration[] = [...v1, { version: 2, name: "b", sql: "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z INTEGER)" }];
    const db = openDatabase(dir, { migrations: v2 });
    try {
      expect(schemaVersion(db)).toBe(2);
      expect(db.prepare(`SELECT name FROM pragma_table_info('a')`).pluck().all()).toEqual(["x", "y"]);
    } finally {
      db.close();
    }
  });

  it("rolls a failing migration back whole, leaving the version where it was", () => {
    const dir = freshDir();
    const broken: Migration[] = [
      { version: 1, name: "a", sql: "CREATE TABLE a (x INTEGER)" },
      { version: 2, name: "bad", sql: "CREATE TABLE b (z INTEGER); INSERT INTO nowhere VALUES (1)" },
    ];
    expect(() => openDatabase(dir, { migrations: broken })).toThrow(/no such table: nowhere/);
    const db = openDatabase(dir, { migrations: broken.slice(0, 1) });
    try {
      expect(schemaVersion(db)).toBe(1);
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'b'`).get()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it("refuses a database written by a newer schema, and a migration list out of order", () => {
    const dir = freshDir();
    const db = openDatabase(dir);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    expect(() => openDatabase(dir)).toThrow(/schema version \d+, newer than this Passdeck knows/);
    expect(() => openDatabase(freshDir(), { migrations: [{ version: 2, name: "x", sql: "" }] })).toThrow(/out of order/);
  });

  it("names the path when the directory cannot be made or the file is not a database", () => {
    const file = join(work, "a-file");
    writeFileSync(file, "not a directory");
    expect(() => openDatabase(join(file, "sub"))).toThrow(DatabaseOpenError);
    expect(() => openDatabase(join(file, "sub"))).toThrow(`cannot open the Passdeck database at ${join(file, "sub", "passdeck.db")}`);

    const dir = freshDir();
    openDatabase(dir).close();
    writeFileSync(join(dir, "junk.db"), "this is not SQLite ".repeat(100));
    const err = (() => {
      try {
        openDatabase(dir, { fileName: "junk.db" });
      } catch (e) {
        return e as DatabaseOpenError;
      }
      throw new Error("expected a failure");
    })();
    expect(err).toBeInstanceOf(DatabaseOpenError);
    expect(err.path).toBe(join(dir, "junk.db"));
    expect(err.message).toMatch(/not a database/);
  });
});
