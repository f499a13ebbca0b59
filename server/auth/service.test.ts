import { mkdtempSync, readFileSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openHostDatabase, openWebDatabase } from "@/server/db/database";
import { Accounts } from "./accounts";
import { AuditLog, auditCsv } from "./audit";
import { LoginLimiter } from "./limiter";
import { AuthService } from "./service";
import { setupCodePath } from "./setup-code";

function service() {
  const dir = mkdtempSync(join(tmpdir(), "passdeck-auth-"));
  let now = 1_000_000;
  const clock = () => now;
  const auth = new AuthService(new Accounts(openWebDatabase(dir), clock), new AuditLog(openHostDatabase(dir), clock), dir, new LoginLimiter(clock));
  return { auth, dir, advance: (ms: number) => (now += ms) };
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
    expect(auth.audit.list().map((e) => [e.action, e.actor, e.source]).reverse()).toEqual([
      ["login-failed", null, "192.0.2.1"],
      ["setup", "root", "192.0.2.1"],
      ["login", "root", "192.0.2.1"],
    ]);
  });

  it("slows guessing per source after 5 failures, says for how long, and keeps other sources free", async () => {
    const { auth, advance } = service();
    await auth.addUser("alice", "admin", PASSWORD, "cli (root)", null);
    for (let i = 0; i < 5; i++) expect(await auth.login("alice", `wrong ${i}`, "192.0.2.8")).toMatchObject({ ok: false, status: 401, message: "wrong user name or password" });
    // five free failures, then a 2 s wait, even for the right password
    expect(await auth.login("alice", PASSWORD, "192.0.2.8")).toMatchObject({ ok: false, status: 429, retryAfterS: 2, message: "too many failed logins from 192.0.2.8: try again in 2 s" });
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
    expect(auth.audit.list().map((e) => e.action).reverse()).toEqual(["user-added", "login", "token-created", "token-revoked", "logout"]);
  });
});

describe("auditCsv", () => {
  it("quotes fields and defuses spreadsheet formulas an attacker could put in a user name", () => {
    const csv = auditCsv([
      { id: 2, atMs: Date.UTC(2026, 10, 25, 3, 0, 0), action: "login-failed", actor: null, source: "192.0.2.1", detail: 'user "=HYPERLINK(1)"', peer: "uid 1500 (passdeck) pid 42 node" },
      { id: 1, atMs: Date.UTC(2026, 10, 25, 2, 0, 0), action: "login", actor: "=cmd", source: "192.0.2.1", detail: "role admin, ok", peer: null },
    ]);
    expect(csv.split("\r\n")).toEqual([
      "id,time,action,actor,source,detail,peer",
      "1,2026-11-25T02:00:00.000Z,login,'=cmd,192.0.2.1,\"role admin, ok\",",
      '2,2026-11-25T03:00:00.000Z,login-failed,,192.0.2.1,"user ""=HYPERLINK(1)""",uid 1500 (passdeck) pid 42 node',
      "",
    ]);
  });
});
