/** Accounts over a real SQLite file: scrypt hashes, sessions with absolute and idle expiry and their purge, tokens. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { AccountError, Accounts, parseTokenLifetime } from "./accounts";
import { TEST_HASH_COST } from "./testing";
import { hashPassword, passwordProblem, verifyPassword } from "./passwords";

const work = mkdtempSync(join(tmpdir(), "passdeck-accounts-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const T = Date.parse("2030-01-01T00:00:00Z");

function setup() {
  let clock = T;
  const db = openWebDatabase(join(work, `d${n++}`));
  const accounts = new Accounts(db, () => clock, { absoluteMs: 12 * 3_600_000, idleMs: 2 * 3_600_000 }, TEST_HASH_COST);
  return { db, accounts, at: (ms: number) => (clock = T + ms) };
}

describe("passwords", () => {
  it("hashes with scrypt, a per-user salt and the parameters stored; verifies in constant time", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b); // different salts
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse batterY", a)).toBe(false);
    expect(await verifyPassword("correct horse battery", "md5$whatever")).toBe(false);
  });

  it("refuses short, overlong and NUL-containing passwords with the reason", () => {
    expect(passwordProblem("short")).toBe("the password must be at least 12 characters");
    expect(passwordProblem("x".repeat(1025))).toBe("the password must be at most 1024 characters");
    expect(passwordProblem("twelve chars\0!")).toBe("the password must not contain a NUL character");
    expect(passwordProblem("a long enough passphrase")).toBeNull();
  });
});

describe("Accounts", () => {
  it("needs setup until an admin exists; user names and duplicates are checked", async () => {
    const { accounts } = setup();
    expect(accounts.needsSetup()).toBe(true);
    await accounts.addUser("viewer1", "viewer", "a long enough passphrase");
    expect(accounts.needsSetup()).toBe(true);
    const admin = await accounts.addUser("admin", "admin", "a long enough passphrase");
    expect(admin).toMatchObject({ name: "admin", role: "admin", disabled: false });
    expect(accounts.needsSetup()).toBe(false);
    await expect(accounts.addUser("admin", "admin", "a long enough passphrase")).rejects.toThrow("a user named admin exists already");
    await expect(accounts.addUser("../etc", "admin", "a long enough passphrase")).rejects.toThrow(AccountError);
    await expect(accounts.addUser("bob", "root" as "admin", "a long enough passphrase")).rejects.toThrow('the role is admin or viewer, not "root"');
    await expect(accounts.addUser("bob", "admin", "short")).rejects.toThrow("the password must be at least 12 characters");
  });

  it("a login opens a session stored only as its hash; it ends after 2 h idle, 12 h in all, or at logout", async () => {
    const { db, accounts, at } = setup();
    await accounts.addUser("admin", "admin", "a long enough passphrase");
    expect(await accounts.login("admin", "wrong password!!", "10.0.0.9")).toBeNull();
    expect(await accounts.login("nobody", "a long enough passphrase", "10.0.0.9")).toBeNull();
    const s = (await accounts.login("admin", "a long enough passphrase", "10.0.0.9"))!;
    expect(s.sessionToken).toMatch(/^[\w-]{43}$/);
    const stored = db.prepare("SELECT token_hash FROM sessions").all() as { token_hash: string }[];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).not.toContain(s.sessionToken);
    at(3_600_000);
    expect(accounts.session(s.sessionToken)?.name).toBe("admin");
    at(3_600_000 + 2 * 3_600_000 - 1);
    expect(accounts.session(s.sessionToken)?.name).toBe("admin"); // idle clock was refreshed at 1 h
    at(12 * 3_600_000);
    expect(accounts.session(s.sessionToken)).toBeNull(); // absolute expiry
    const s2 = (await accounts.login("admin", "a long enough passphrase", null))!;
    at(12 * 3_600_000 + 2 * 3_600_000);
    expect(accounts.session(s2.sessionToken)).toBeNull(); // idle expiry
    const s3 = (await accounts.login("admin", "a long enough passphrase", null))!;
    accounts.logout(s3.sessionToken);
    expect(accounts.session(s3.sessionToken)).toBeNull();
    expect(accounts.session("forged")).toBeNull();
  });

  it("API tokens are shown once, carry their role, record use and revoke", () => {
    const { accounts, at } = setup();
    const t = accounts.createToken("prometheus", "viewer", "admin");
    expect(t.token).toMatch(/^pdk_[\w-]{43}$/);
    at(5_000);
    expect(accounts.tokenRole(t.token)).toEqual({ id: t.id, name: "prometheus", role: "viewer" });
    expect(accounts.tokenRole(`${t.token}x`)).toBeNull();
    expect(accounts.tokenRole(`pdk_${"x".repeat(100_000)}`)).toBeNull();
    expect(accounts.revokeToken(t.id)).toBe(true);
    expect(accounts.tokenRole(t.token)).toBeNull();
    expect(accounts.revokeToken(t.id)).toBe(false);
    expect(() => accounts.createToken("x", "root" as "viewer", "admin")).toThrow(AccountError);
  });

  it("a token may expire: refused from its expiry on like a revoked one, kept in the list with the time", () => {
    const { db, accounts, at } = setup();
    const day = accounts.createToken("ci", "admin", "admin", 86_400_000);
    const forever = accounts.createToken("prometheus", "viewer", "admin");
    expect(day.expiresAt).toBe(T + 86_400_000);
    expect(forever.expiresAt).toBeNull();
    at(86_400_000 - 1);
    expect(accounts.tokenRole(day.token)).toEqual({ id: day.id, name: "ci", role: "admin" });
    at(86_400_000);
    expect(accounts.tokenRole(day.token)).toBeNull();
    expect(accounts.tokenRole(forever.token)).toMatchObject({ name: "prometheus" });
    // An expiry in the past, written straight into the store (an old database, a clock that jumped): refused too.
    const old = accounts.createToken("old", "viewer", "admin", 60_000);
    db.prepare("UPDATE api_tokens SET expires_at = ? WHERE id = ?").run(T - 1, old.id);
    expect(accounts.tokenRole(old.token)).toBeNull();
    expect(accounts.tokens().map((t) => [t.name, t.expiresAt, t.revokedAt])).toEqual([
      ["ci", T + 86_400_000, null],
      ["prometheus", null, null],
      ["old", T - 1, null],
    ]);
    // the last use recorded is the one before the expiry
    expect(accounts.tokens()[0]!.lastUsedAt).toBe(T + 86_400_000 - 1);
    expect(() => accounts.createToken("x", "viewer", "admin", 0)).toThrow("a token's lifetime is a positive duration of at most 10 years (e.g. 90d)");
    expect(() => accounts.createToken("x", "viewer", "admin", 11 * 365 * 86_400_000)).toThrow(AccountError);
  });

  it("a token's lifetime is read as the CLI and the API take durations, with the reason when it is not one", () => {
    expect(parseTokenLifetime("90d")).toEqual({ ok: true, ms: 90 * 86_400_000 });
    expect(parseTokenLifetime("12h")).toEqual({ ok: true, ms: 12 * 3_600_000 });
    expect(parseTokenLifetime("2s")).toEqual({ ok: true, ms: 2_000 });
    expect(parseTokenLifetime("ninety days")).toEqual({ ok: false, message: 'the expiry "ninety days" is not a duration: give one like 90d, 12h or 30m' });
    expect(parseTokenLifetime("0d")).toMatchObject({ ok: false });
    expect(parseTokenLifetime("11y")).toEqual({ ok: false, message: "the expiry 11y is longer than 10 years: leave it out for a token that does not expire" });
  });

  it("purges sessions past their absolute or idle expiry, a bounded number per run, and keeps live ones", async () => {
    const { db, accounts, at } = setup();
    await accounts.addUser("admin", "admin", "a long enough passphrase");
    const count = () => (db.prepare("SELECT COUNT(*) AS n FROM sessions").get() as { n: number }).n;
    // three sessions that will go idle, one kept alive, one opened later
    const idle = [];
    for (let i = 0; i < 3; i++) idle.push(await accounts.login("admin", "a long enough passphrase", null));
    const kept = (await accounts.login("admin", "a long enough passphrase", null))!;
    expect(idle.every(Boolean)).toBe(true);
    at(3_600_000);
    expect(accounts.session(kept.sessionToken)?.name).toBe("admin");
    const later = (await accounts.login("admin", "a long enough passphrase", null))!;
    expect(accounts.purgeSessions(100)).toBe(0);
    at(2 * 3_600_000); // the first three are idle for 2 h now
    expect(accounts.purgeSessions(2)).toBe(2);
    expect(count()).toBe(3);
    expect(accounts.purgeSessions(2)).toBe(1);
    expect(accounts.purgeSessions(2)).toBe(0);
    expect(accounts.session(kept.sessionToken)?.name).toBe("admin");
    expect(accounts.session(later.sessionToken)?.name).toBe("admin");
    for (let h = 3; h < 12; h++) {
      at(h * 3_600_000);
      expect(accounts.session(kept.sessionToken)?.name).toBe("admin"); // in use every hour
    }
    at(12 * 3_600_000); // `kept` reaches its absolute expiry though used an hour ago; `later` has been idle since 2 h
    expect(accounts.purgeSessions(100)).toBe(2);
    expect(count()).toBe(0);
  });
});
