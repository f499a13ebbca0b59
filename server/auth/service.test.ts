import { mkdtempSync, readFileSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openHostDatabase, openWebDatabase } from "@/server/db/database";
import { Accounts } from "./accounts";
import { TEST_HASH_COST } from "./testing";
import { AuditLog, auditCsv } from "./audit";
import { LoginLimiter } from "./limiter";
import { scryptGate } from "./passwords";
import { AuthService } from "./service";
import { setupCodePath } from "./setup-code";

function service() {
  const dir = mkdtempSync(join(tmpdir(), "passdeck-auth-"));
  const db = openWebDatabase(dir);
  let now = 1_000_000;
  const clock = () => now;
  // The purge timer is the test's: `purge()` runs what the server's interval would.
  let timer: { fn: () => void; ms: number } | null = null;
  const every = (fn: () => void, ms: number) => ((timer = { fn, ms }), () => (timer = null));
  const auth = new AuthService(
    new Accounts(db, clock, undefined, TEST_HASH_COST),
    new AuditLog(openHostDatabase(dir), clock),
    dir,
    new LoginLimiter(clock),
    undefined,
    {
      every,
      now: clock,
      batch: 2,
    },
  );
  const sessions = () => (db.prepare("SELECT COUNT(*) AS n FROM sessions").get() as { n: number }).n;
  return { auth, db, dir, sessions, timer: () => timer, advance: (ms: number) => (now += ms) };
}

const PASSWORD = "correct horse battery";

describe("AuthService", () => {
  it("first run: a 0600 code file, a wrong code refused and audited, the right one makes the admin and signs in", async () => {
    const { auth, dir } = service();
    const code = auth.setupCode()!;
    expect(code.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(statSync(setupCodePath(dir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(setupCodePath(dir), "utf8").trim()).toBe(code.code);
    expect(auth.setupCode()!.code).toBe(code.code);

    const wrong = await auth.setup("root", PASSWORD, "AAAA-AAAA-AAAA", "192.0.2.1");
    expect(wrong).toMatchObject({ ok: false, status: 403 });
    const short = await auth.setup("root", "short", code.code.toLowerCase(), "192.0.2.1");
    expect(short).toMatchObject({ ok: false, status: 400, message: expect.stringMatching(/at least 12/) });

    const done = await auth.setup("root", PASSWORD, code.code.toLowerCase().replace(/-/g, ""), "192.0.2.1");
    expect(done).toMatchObject({ ok: true, user: { name: "root", role: "admin" } });
    expect(existsSync(setupCodePath(dir))).toBe(false);
    expect(auth.setupCode()).toBeNull();
    expect(await auth.setup("eve", PASSWORD, code.code, "192.0.2.66")).toMatchObject({ ok: false, status: 409 });
    expect(
      auth.audit
        .list()
        .map((e) => [e.action, e.actor, e.source])
        .reverse(),
    ).toEqual([
      ["login-failed", null, "192.0.2.1"],
      ["setup", "root", "192.0.2.1"],
      ["login", "root", "192.0.2.1"],
    ]);
  });

  it("slows guessing per source after 5 failures, says for how long, and keeps other sources free", async () => {
    const { auth, advance } = service();
    await auth.addUser("alice", "admin", PASSWORD, "cli (root)", null);
    for (let i = 0; i < 5; i++)
      expect(await auth.login("alice", `wrong ${i}`, "192.0.2.8")).toMatchObject({ ok: false, status: 401, message: "wrong user name or password" });
    // five free failures, then a 2 s wait, even for the right password
    expect(await auth.login("alice", PASSWORD, "192.0.2.8")).toMatchObject({
      ok: false,
      status: 429,
      retryAfterS: 2,
      message: "too many failed logins from 192.0.2.8: try again in 2 s",
    });
    expect(await auth.login("alice", PASSWORD, "192.0.2.9")).toMatchObject({ ok: true });
    advance(2_000);
    expect(await auth.login("alice", "wrong 6", "192.0.2.8")).toMatchObject({ ok: false, status: 401 });
    // the sixth failure doubles the wait
    expect(await auth.login("alice", PASSWORD, "192.0.2.8")).toMatchObject({ ok: false, status: 429, retryAfterS: 4 });
    advance(4_000);
    expect(await auth.login("alice", PASSWORD, "192.0.2.8")).toMatchObject({ ok: true });
    const actions = auth.audit.list().map((e) => e.action);
    expect(actions.filter((a) => a === "login-failed")).toHaveLength(6);
    expect(actions.filter((a) => a === "login-throttled")).toHaveLength(2);
  });

  it("counts parallel guesses before hashing: of 40 from one source at most 5 are checked, the rest are 429 at once", async () => {
    const { auth } = service();
    await auth.addUser("alice", "admin", PASSWORD, "cli (root)", null);
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => auth.login("alice", `guess number ${i}`, "::ffff:192.0.2.8")));
    const checked = outcomes.filter((o) => !o.ok && o.status === 401);
    const throttled = outcomes.filter((o) => !o.ok && o.status === 429 && o.message.startsWith("too many failed logins from 192.0.2.8"));
    // of the 5 let through, as many as the scrypt bound holds are checked; the others are told the server is busy
    const busy = outcomes.filter((o) => !o.ok && o.status === 429 && o.message === "the server is busy checking other sign-ins: try again in 1 s");
    const capacity = Math.min(5, scryptGate.limit + scryptGate.queue);
    expect([checked.length, throttled.length, busy.length]).toEqual([capacity, 35, 5 - capacity]);
    expect(outcomes.every((o) => o.ok || o.status === 401 || o.retryAfterS! >= 1)).toBe(true);
    const actions = auth.audit.list().map((e) => e.action);
    expect(actions.filter((a) => a === "login-failed")).toHaveLength(capacity);
    // one audit line for the 35 refusals, not 35
    expect(
      auth.audit
        .list()
        .filter((e) => e.action === "login-throttled")
        .map((e) => [e.source, e.detail]),
    ).toEqual([["::ffff:192.0.2.8", 'user "alice" (source waits 2 s)']]);
  });

  it("an IPv6 source is counted by its /64", async () => {
    const { auth } = service();
    for (let i = 1; i <= 5; i++) expect(await auth.login("alice", PASSWORD, `2001:db8:0:7::${i}`)).toMatchObject({ status: 401 });
    expect(await auth.login("alice", PASSWORD, "2001:db8:0:7:dead:beef::1")).toMatchObject({
      status: 429,
      message: "too many failed logins from 2001:db8:0:7::/64: try again in 2 s",
    });
  });

  it("slows one account guessed from many sources, and the admin from a clean source still gets in after the wait", async () => {
    const { auth, advance } = service();
    await auth.addUser("alice", "admin", PASSWORD, "cli (root)", null);
    for (let i = 1; i <= 10; i++) expect(await auth.login("alice", `guess ${i}`, `198.51.100.${i}`)).toMatchObject({ status: 401 });
    expect(await auth.login("alice", "guess 11", "198.51.100.11")).toMatchObject({
      ok: false,
      status: 429,
      retryAfterS: 1,
      message: "too many failed logins for this user name (from several places): try again in 1 s",
    });
    // the same words for a name that does not exist: the wait tells nothing about which names do
    for (let i = 1; i <= 10; i++) await auth.login("nobody", `guess ${i}`, `198.51.100.${i}`);
    expect(await auth.login("nobody", "guess 11", "198.51.100.11")).toMatchObject({
      status: 429,
      message: "too many failed logins for this user name (from several places): try again in 1 s",
    });
    expect(await auth.login("alice", PASSWORD, "203.0.113.7")).toMatchObject({ status: 429 });
    advance(1_000);
    expect(await auth.login("alice", PASSWORD, "203.0.113.7")).toMatchObject({ ok: true });
  }, 40_000); // 22 real scrypt checks

  it("a name that cannot be a user name is refused like a wrong password, without hashing", async () => {
    const { auth } = service();
    const before = scryptGate.load();
    const outcomes = await Promise.all(["Alice", "../etc", "x".repeat(40)].map((n, i) => auth.login(n, PASSWORD, `192.0.2.${i}`)));
    expect(outcomes.map((o) => !o.ok && [o.status, o.message])).toEqual(Array(3).fill([401, "wrong user name or password"]));
    expect(scryptGate.load()).toEqual(before);
  });

  it("purges ended sessions on its timer and on sign-in, a batch per run, at most once per period", async () => {
    const { auth, sessions, timer, advance } = service();
    expect(timer()?.ms).toBe(10 * 60_000);
    await auth.addUser("alice", "admin", PASSWORD, "cli (root)", null);
    for (let i = 0; i < 5; i++) expect(await auth.login("alice", PASSWORD, "192.0.2.1")).toMatchObject({ ok: true });
    expect(sessions()).toBe(5);
    advance(2 * 3_600_000); // all five idle for 2 h
    timer()!.fn();
    expect(sessions()).toBe(3); // a batch of 2
    expect(await auth.login("alice", PASSWORD, "192.0.2.1")).toMatchObject({ ok: true });
    expect(sessions()).toBe(4); // within the period: the sign-in did not purge again
    advance(10 * 60_000);
    expect(await auth.login("alice", PASSWORD, "192.0.2.1")).toMatchObject({ ok: true });
    expect(sessions()).toBe(3); // 2 more went, the new ones stay
    expect(auth.purgeSessions(true)).toBe(1);
    expect(sessions()).toBe(2);
    auth.close();
    expect(timer()).toBeNull();
  });

  it("an API token past its expiry is nobody, like a revoked one", () => {
    const { auth, advance } = service();
    const t = auth.createToken("ci", "admin", "alice", null, 60_000);
    expect(t.expiresAt).toBe(1_000_000 + 60_000);
    const headers = new Headers({ authorization: `Bearer ${t.token}` });
    expect(auth.caller(headers, null)).toMatchObject({ name: "token ci", role: "admin" });
    advance(60_000);
    expect(auth.caller(headers, null)).toBeNull();
    expect(auth.audit.list()[0]).toMatchObject({ action: "token-created", detail: `#${t.id} ci (admin), expires 1970-01-01T00:17:40.000Z` });
  });

  it("knows the caller by cookie or token; a revoked token and an ended session are nobody", async () => {
    const { auth } = service();
    await auth.addUser("alice", "admin", PASSWORD, "cli (root)", null);
    const login = await auth.login("alice", PASSWORD, "192.0.2.1");
    if (!login.ok) throw new Error("login failed");
    const withCookie = new Headers({ cookie: `passdeck_session=${login.sessionToken}`, origin: "http://localhost:7878", host: "localhost:7878" });
    expect(auth.caller(withCookie, "192.0.2.1")).toEqual({ name: "alice", role: "admin", via: "session", source: "192.0.2.1", crossOrigin: null });
    const { id, token } = auth.createToken("prometheus", "viewer", "alice", "192.0.2.1");
    expect(token).toMatch(/^pdk_[A-Za-z0-9_-]{43}$/);
    const withToken = new Headers({ authorization: `Bearer ${token}` });
    expect(auth.caller(withToken, null)).toMatchObject({ name: "token prometheus", role: "viewer", via: "token" });
    expect(auth.revokeToken(id, "alice", null)).toBe(true);
    expect(auth.caller(withToken, null)).toBeNull();
    auth.logout(login.sessionToken, auth.caller(withCookie, "192.0.2.1"));
    expect(auth.caller(withCookie, "192.0.2.1")).toBeNull();
    expect(
      auth.audit
        .list()
        .map((e) => e.action)
        .reverse(),
    ).toEqual(["user-added", "login", "token-created", "token-revoked", "logout"]);
  });
});

describe("auditCsv", () => {
  it("quotes fields and defuses spreadsheet formulas an attacker could put in a user name", () => {
    const csv = auditCsv([
      {
        id: 2,
        atMs: Date.UTC(2026, 10, 25, 3, 0, 0),
        action: "login-failed",
        actor: null,
        source: "192.0.2.1",
        detail: 'user "=HYPERLINK(1)"',
        peer: "uid 1500 (passdeck) pid 42 node",
      },
      { id: 1, atMs: Date.UTC(2026, 10, 25, 2, 0, 0), action: "login", actor: "=cmd", source: "192.0.2.1", detail: "role admin, ok", peer: null },
    ]);
    expect(csv.split("\r\n")).toEqual([
      "id,time,action,actor,source,detail,peer",
      '1,2026-11-25T02:00:00.000Z,login,\'=cmd,192.0.2.1,"role admin, ok",',
      '2,2026-11-25T03:00:00.000Z,login-failed,,192.0.2.1,"user ""=HYPERLINK(1)""",uid 1500 (passdeck) pid 42 node',
      "",
    ]);
  });
});
