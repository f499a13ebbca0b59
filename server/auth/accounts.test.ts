/** Accounts over a real SQLite file: scrypt hashes, sessions with absolute and idle expiry, tokens, the limiter. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openWebDatabase } from "@/server/db/database";
import { AccountError, Accounts } from "./accounts";
import { LoginLimiter } from "./limiter";
import { hashPassword, passwordProblem, verifyPassword } from "./passwords";

const work = mkdtempSync(join(tmpdir(), "passdeck-accounts-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const T = Date.parse("2030-01-01T00:00:00Z");

function setup() {
  let clock = T;
  const db = openWebDatabase(join(work, `d${n++}`));
  const accounts = new Accounts(db, () => clock, { absoluteMs: 12 * 3_600_000, idleMs: 2 * 3_600_000 });
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
    expect(accounts.revokeToken(t.id)).toBe(true);
    expect(accounts.tokenRole(t.token)).toBeNull();
    expect(accounts.revokeToken(t.id)).toBe(false);
    expect(() => accounts.createToken("x", "root" as "viewer", "admin")).toThrow(AccountError);
  });
});

describe("LoginLimiter", () => {
  it("lets 5 failures through, then doubles the wait from 2 s; a success clears the source", () => {
    let clock = 0;
    const limiter = new LoginLimiter(() => clock);
    for (let i = 0; i < 5; i++) {
      expect(limiter.waitMs("10.0.0.9")).toBe(0);
      limiter.failed("10.0.0.9");
    }
    expect(limiter.waitMs("10.0.0.9")).toBe(2_000);
    expect(limiter.waitMs("10.0.0.10")).toBe(0); // per source
    clock = 2_000;
    expect(limiter.waitMs("10.0.0.9")).toBe(0);
    limiter.failed("10.0.0.9");
    expect(limiter.waitMs("10.0.0.9")).toBe(4_000);
    limiter.succeeded("10.0.0.9");
    expect(limiter.waitMs("10.0.0.9")).toBe(0);
  });
});
