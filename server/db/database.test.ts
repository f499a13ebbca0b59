/** The database files on a real disk: the two databases and their layout, pragmas, migrations, read-only opens, the legacy import, open errors. */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseOpenError, migrate, openDatabase, openHostDatabase, openWebDatabase, schemaVersion } from "./database";
import { HOST_MIGRATIONS, WEB_MIGRATIONS, type Migration } from "./migrations";
import { keepHostFiles } from "./layout";
import { buildSync } from "esbuild";

const work = mkdtempSync(join(tmpdir(), "passdeck-db-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(work, `d${n++}`);
// The database module as another process runs it (a reader that is another user).
const bundle = join(work, "database.cjs");
buildSync({
  entryPoints: [join(__dirname, "database.ts")],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "cjs",
  external: ["better-sqlite3"],
  logLevel: "silent",
  alias: { "@": join(__dirname, "..", "..") },
});
const T = "t.db";

describe("openHostDatabase / openWebDatabase", () => {
  it("host records in host/, the web tier's data in web/ (both WAL, synchronous=NORMAL), each with its own schema", () => {
    const dir = join(freshDir(), "nested", "passdeck");
    const host = openHostDatabase(dir);
    const web = openWebDatabase(dir);
    try {
      expect(statSync(join(dir, "host")).mode & 0o777).toBe(0o750 & ~process.umask());
      expect(host.name).toBe(join(dir, "host", "passdeck-host.db"));
      expect(web.name).toBe(join(dir, "web", "passdeck-web.db"));
      expect(host.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(host.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
      expect(web.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(web.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
      expect(web.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(schemaVersion(host)).toBe(HOST_MIGRATIONS.length);
      expect(schemaVersion(web)).toBe(WEB_MIGRATIONS.length);
      const tables = (db: Database.Database) =>
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all();
      expect(tables(host)).toEqual(["audit", "desired_entries", "journal_entries", "journal_steps"]);
      expect(tables(web)).toEqual(expect.arrayContaining(["users", "sessions", "api_tokens", "probe_samples", "annotations"]));
      expect(tables(web)).not.toContain("journal_entries");
      expect(tables(web)).not.toContain("audit");
    } finally {
      host.close();
      web.close();
    }
  });

  it("keeps the data when reopened, and running the migrations again changes nothing", () => {
    const dir = freshDir();
    const db = openHostDatabase(dir);
    db.prepare(
      `INSERT INTO journal_entries (plan_id, title, actor, source, status, started_at, pid, boot_at, plan_json) VALUES ('p', 't', 'a', 'cli', 'applied', 1, 1, 1, '{}')`,
    ).run();
    db.close();

    const again = openHostDatabase(dir);
    try {
      expect(again.prepare(`SELECT title FROM journal_entries`).pluck().all()).toEqual(["t"]);
      expect(migrate(again, HOST_MIGRATIONS)).toEqual({ from: HOST_MIGRATIONS.length, to: HOST_MIGRATIONS.length });
      expect(again.prepare(`SELECT COUNT(*) FROM journal_entries`).pluck().get()).toBe(1);
    } finally {
      again.close();
    }
  });

  it("read-only: another user who may only read the files and the directory reads the owner's writes as they come", () => {
    // as the helper sets it up: host/ root's with the web group (nogroup here), the file made first with that group,
    // so SQLite gives -wal and -shm the same owner, group and mode
    const dir = freshDir();
    chmodSync(work, 0o755);
    mkdirSync(join(dir, "host"), { recursive: true, mode: 0o750 });
    chownSync(join(dir, "host"), 0, 65534);
    chmodSync(dir, 0o755);
    keepHostFiles(dir, 65534);
    const owner = openHostDatabase(dir);
    owner.prepare(`INSERT INTO audit (at_ms, action) VALUES (1, 'login')`).run();
    const modes = ["", "-wal", "-shm"].map((s) => {
      const st = statSync(join(dir, "host", `passdeck-host.db${s}`));
      return `${(st.mode & 0o777).toString(8)} ${st.uid}:${st.gid}`;
    });
    expect(modes).toEqual(["640 0:65534", "640 0:65534", "640 0:65534"]);
    // a reader as nobody counts the rows, and its own write is refused; again after the owner wrote more
    const script = `
      const db = require(${JSON.stringify(bundle)}).openHostDatabase(${JSON.stringify(dir)}, { readonly: true });
      let write = "written";
      try { db.prepare("INSERT INTO audit (at_ms, action) VALUES (2, 'x')").run(); } catch (e) { write = e.code; }
      process.stdout.write(JSON.stringify([db.prepare("SELECT COUNT(*) FROM audit").pluck().get(), write]));`;
    const asNobody = () => {
      const child = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], {
        encoding: "utf8",
        env: { ...process.env, NODE_PATH: join(__dirname, "..", "..", "node_modules") },
      });
      expect(child.stderr).toBe("");
      return JSON.parse(child.stdout) as unknown;
    };
    expect(asNobody()).toEqual([1, "SQLITE_READONLY"]);
    owner.prepare(`INSERT INTO audit (at_ms, action) VALUES (3, 'logout')`).run();
    expect(asNobody()).toEqual([2, "SQLITE_READONLY"]);
    owner.close();
    expect(() => openHostDatabase(freshDir(), { readonly: true })).toThrow(DatabaseOpenError);
  });

  it("a new database takes over its own tables from Passdeck 0.1's single file, WAL included, and says so in the audit", () => {
    const dir = freshDir();
    // the old layout: one passdeck.db in the data directory with every table (the schemas of both lists)
    const legacy = openDatabase(dir, {
      fileName: "passdeck.db",
      migrations: [...HOST_MIGRATIONS.slice(0, 2), ...WEB_MIGRATIONS.map((m, i) => ({ ...m, version: i + 3 }))],
    });
    legacy
      .prepare(`CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, action TEXT NOT NULL, actor TEXT, source TEXT, detail TEXT)`)
      .run();
    legacy.pragma("wal_autocheckpoint = 0"); // the rows stay in passdeck.db-wal
    legacy
      .prepare(
        `INSERT INTO journal_entries (plan_id, title, actor, source, status, started_at, pid, boot_at, plan_json) VALUES ('p1', 'old plan', 'root', 'cli', 'applied', 1, 1, 1, '{}')`,
      )
      .run();
    legacy.prepare(`INSERT INTO desired_entries VALUES ('vf-count 0000:01:00.0', 'vf-count', '0000:01:00.0', '8086', '1521', '{}', 1, 'root')`).run();
    legacy.prepare(`INSERT INTO users (name, role, password_hash, created_at) VALUES ('hal', 'admin', 'scrypt$x', 1)`).run();
    legacy.prepare(`INSERT INTO audit (at_ms, action, actor) VALUES (1, 'login', 'hal')`).run();

    const host = openHostDatabase(dir);
    const web = openWebDatabase(dir);
    legacy.close();
    try {
      expect(host.prepare(`SELECT plan_id, title FROM journal_entries`).all()).toEqual([{ plan_id: "p1", title: "old plan" }]);
      expect(host.prepare(`SELECT entry_key FROM desired_entries`).pluck().all()).toEqual(["vf-count 0000:01:00.0"]);
      expect(host.prepare(`SELECT action, actor FROM audit ORDER BY id`).all()).toEqual([
        { action: "login", actor: "hal" },
        { action: "setting", actor: "passdeck upgrade" },
      ]);
      expect(host.prepare(`SELECT detail FROM audit WHERE actor = 'passdeck upgrade'`).pluck().get()).toBe(
        `imported 1 journal entries, 1 desired-state entries and 1 audit entries from ${join(dir, "passdeck.db")}, which the web server's user could write until this upgrade`,
      );
      expect(web.prepare(`SELECT name FROM users`).pluck().all()).toEqual(["hal"]);
      // imported once: a reopen adds nothing
      host.close();
      expect(openHostDatabase(dir).prepare(`SELECT COUNT(*) FROM journal_entries`).pluck().get()).toBe(1);
    } finally {
      web.close();
    }
  });
});

describe("openDatabase", () => {
  it("applies only the migrations newer than user_version, in order", () => {
    const dir = freshDir();
    const v1: Migration[] = [{ version: 1, name: "a", sql: "CREATE TABLE a (x INTEGER)" }];
    openDatabase(dir, { fileName: T, migrations: v1 }).close();
    const v2: Migration[] = [...v1, { version: 2, name: "b", sql: "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z INTEGER)" }];
    const db = openDatabase(dir, { fileName: T, migrations: v2 });
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
    expect(() => openDatabase(dir, { fileName: T, migrations: broken })).toThrow(/no such table: nowhere/);
    const db = openDatabase(dir, { fileName: T, migrations: broken.slice(0, 1) });
    try {
      expect(schemaVersion(db)).toBe(1);
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'b'`).get()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it("refuses a database written by a newer schema, and a migration list out of order", () => {
    const dir = freshDir();
    const db = openWebDatabase(dir);
    db.pragma(`user_version = ${WEB_MIGRATIONS.length + 5}`);
    db.close();
    expect(() => openWebDatabase(dir)).toThrow(/schema version \d+, newer than this Passdeck knows/);
    expect(() => openDatabase(freshDir(), { fileName: T, migrations: [{ version: 2, name: "x", sql: "" }] })).toThrow(/out of order/);
  });

  it("names the path when the directory cannot be made or the file is not a database", () => {
    const file = join(work, "a-file");
    writeFileSync(file, "not a directory");
    expect(() => openHostDatabase(join(file, "sub"))).toThrow(DatabaseOpenError);
    expect(() => openHostDatabase(join(file, "sub"))).toThrow(`cannot open the Passdeck database at ${join(file, "sub", "host", "passdeck-host.db")}`);

    const dir = freshDir();
    openDatabase(dir, { fileName: T, migrations: HOST_MIGRATIONS }).close();
    writeFileSync(join(dir, "junk.db"), "this is not SQLite ".repeat(100));
    const err = (() => {
      try {
        openDatabase(dir, { fileName: "junk.db", migrations: HOST_MIGRATIONS });
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
