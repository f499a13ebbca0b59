/**
 * Login, first-run setup, logout and "who is calling": accounts, the login limiter and the audit trail together,
 * for the route handlers, tRPC and the CLI. Every outcome a person would want to know about later is audited.
 */
import { AccountError, type Accounts, type Role, type User } from "./accounts";
import type { AuditTrail } from "./audit";
import { LoginLimiter, sourceKey } from "./limiter";
import { passwordProblem, ScryptBusy } from "./passwords";
import { bearerToken, crossOriginRefusal, sessionToken, type Caller, type HeaderSource } from "./request";
import { clearSetupCode, ensureSetupCode, setupCodeMatches } from "./setup-code";

export type AuthOutcome =
  { ok: true; user: User; sessionToken: string } | { ok: false; status: 400 | 401 | 403 | 409 | 429; message: string; retryAfterS?: number };

/** A name or password longer than this is refused before any hashing (scrypt on a megabyte costs CPU). */
const MAX_FIELD = 1024;

export interface SessionPurgeOptions {
  /** how often ended sessions are deleted (default 10 min); sign-ins also purge, no more often than this */
  everyMs?: number;
  /** at most this many sessions per run (default 500), so one run never holds the database long */
  batch?: number;
  /** starts the repeating purge; default an unref'd setInterval (it never keeps a process alive); null: no timer (the CLI) */
  every?: ((fn: () => void, ms: number) => () => void) | null;
  /** the clock that spaces the runs (tests pass theirs) */
  now?: () => number;
}

const unrefInterval = (fn: () => void, ms: number) => {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
};

const busy = (err: ScryptBusy): AuthOutcome => ({
  ok: false,
  status: 429,
  message: `the server is busy checking other sign-ins: try again in ${err.retryAfterS} s`,
  retryAfterS: err.retryAfterS,
});

export class AuthService {
  private readonly purgeEveryMs: number;
  private readonly purgeBatch: number;
  private lastPurgeMs = Number.NEGATIVE_INFINITY;
  private readonly stopPurging: () => void;
  private readonly now: () => number;

  constructor(
    readonly accounts: Accounts,
    readonly audit: AuditTrail,
    private readonly dataDir: string,
    private readonly limiter: LoginLimiter = new LoginLimiter(),
    readonly sessionMaxAgeS: number = 12 * 3600,
    purge: SessionPurgeOptions = {},
  ) {
    this.now = purge.now ?? Date.now;
    this.purgeEveryMs = purge.everyMs ?? 10 * 60_000;
    this.purgeBatch = purge.batch ?? 500;
    const every = purge.every === undefined ? unrefInterval : purge.every;
    this.stopPurging = every ? every(() => this.purgeSessions(), this.purgeEveryMs) : () => undefined;
  }

  /** Stops the purge timer (tests; a server just exits). */
  close(): void {
    this.stopPurging();
  }

  /**
   * Deletes ended sessions (past their absolute or idle expiry), at most one batch, at most once per period unless
   * forced; returns how many went. Such sessions are refused anyway: this keeps the table from growing. Revoked and
   * expired API tokens stay (the audit names them); they are never accepted.
   */
  purgeSessions(force = false): number {
    const now = this.now();
    if (!force && now - this.lastPurgeMs < this.purgeEveryMs) return 0;
    this.lastPurgeMs = now;
    try {
      return this.accounts.purgeSessions(this.purgeBatch);
    } catch (err) {
      // A busy or failing database is not a reason to fail a sign-in or crash a timer: the next run tries again.
      console.error(`passdeck: purging ended sessions failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  }

  needsSetup(): boolean {
    return this.accounts.needsSetup();
  }

  /** The one-time code for first-run setup (printed by the server when it creates one); null once an admin exists. */
  setupCode(): { code: string; created: boolean } | null {
    return this.needsSetup() ? ensureSetupCode(this.dataDir) : null;
  }

  /**
   * Checks a password. The attempt is counted by the limiter before scrypt starts (so parallel guesses are counted
   * together), and scrypt runs only when the process-wide bound has room (else 429, the attempt not counted).
   */
  async login(name: string, password: string, source: string | null): Promise<AuthOutcome> {
    if (name.length > MAX_FIELD || password.length > MAX_FIELD)
      return { ok: false, status: 400, message: `a user name or password is at most ${MAX_FIELD} characters` };
    const key = sourceKey(source);
    const reserved = this.limiter.reserve(key, name);
    if (!reserved.ok) {
      const waitS = Math.ceil(reserved.waitMs / 1000);
      // One record per wait: the refusals after it cost the attacker nothing and must not cost the disk either.
      if (reserved.first) this.audit.record("login-throttled", null, source, `user ${JSON.stringify(name.slice(0, 64))} (${reserved.scope} waits ${waitS} s)`);
      const whose = reserved.scope === "source" ? `from ${key}` : "for this user name (from several places)";
      return { ok: false, status: 429, message: `too many failed logins ${whose}: try again in ${waitS} s`, retryAfterS: waitS };
    }
    let opened: Awaited<ReturnType<Accounts["login"]>>;
    try {
      opened = await this.accounts.login(name, password, source);
    } catch (err) {
      reserved.release();
      if (err instanceof ScryptBusy) return busy(err);
      throw err;
    }
    if (!opened) {
      reserved.failed();
      this.audit.record("login-failed", null, source, `user ${JSON.stringify(name.slice(0, 64))}`);
      // The same words whether the name exists or not.
      return { ok: false, status: 401, message: "wrong user name or password" };
    }
    reserved.succeeded();
    this.audit.record("login", opened.user.name, source, `role ${opened.user.role}`);
    this.purgeSessions();
    return { ok: true, user: opened.user, sessionToken: opened.sessionToken };
  }

  /** Creates the first admin with the code from the host, and logs them in. */
  async setup(name: string, password: string, code: string, source: string | null): Promise<AuthOutcome> {
    if (!this.needsSetup()) return { ok: false, status: 409, message: "Passdeck is set up already: sign in, or ask an admin for an account" };
    const key = sourceKey(source);
    const reserved = this.limiter.reserve(key, null);
    if (!reserved.ok) {
      const waitS = Math.ceil(reserved.waitMs / 1000);
      return { ok: false, status: 429, message: `too many wrong setup codes from ${key}: try again in ${waitS} s`, retryAfterS: waitS };
    }
    if (!setupCodeMatches(this.dataDir, code)) {
      reserved.failed();
      this.audit.record("login-failed", null, source, "wrong setup code");
      return {
        ok: false,
        status: 403,
        message: "wrong setup code: it is printed by the server when it starts, and `passdeck setup-code` on the host prints it again",
      };
    }
    reserved.succeeded();
    const problem = passwordProblem(password);
    if (problem) return { ok: false, status: 400, message: problem };
    try {
      await this.accounts.addUser(name, "admin", password);
    } catch (err) {
      if (err instanceof AccountError) return { ok: false, status: 400, message: err.message };
      if (err instanceof ScryptBusy) return busy(err);
      throw err;
    }
    clearSetupCode(this.dataDir);
    this.audit.record("setup", name, source, "first admin created from the browser");
    return this.login(name, password, source);
  }

  logout(sessionToken: string, caller: Caller | null): void {
    this.accounts.logout(sessionToken);
    if (caller) this.audit.record("logout", caller.name, caller.source);
  }

  async addUser(name: string, role: Role, password: string, actor: string, source: string | null): Promise<User> {
    const problem = passwordProblem(password);
    if (problem) throw new AccountError(problem);
    const user = await this.accounts.addUser(name, role, password);
    this.audit.record("user-added", actor, source, `${name} (${role})`);
    if (role === "admin") clearSetupCode(this.dataDir);
    return user;
  }

  createToken(
    name: string,
    role: Role,
    actor: string,
    source: string | null,
    lifetimeMs: number | null = null,
  ): { id: number; token: string; expiresAt: number | null } {
    const created = this.accounts.createToken(name, role, actor, lifetimeMs);
    const expiry = created.expiresAt === null ? "" : `, expires ${new Date(created.expiresAt).toISOString()}`;
    this.audit.record("token-created", actor, source, `#${created.id} ${name} (${role})${expiry}`);
    return created;
  }

  revokeToken(id: number, actor: string, source: string | null): boolean {
    const revoked = this.accounts.revokeToken(id);
    if (revoked) this.audit.record("token-revoked", actor, source, `#${id}`);
    return revoked;
  }

  /** Who sent this request: a session cookie or a bearer token; null when neither is valid. */
  caller(headers: HeaderSource, source: string | null): Caller | null {
    const token = bearerToken(headers);
    if (token !== null) {
      const t = this.accounts.tokenRole(token);
      return t ? { name: `token ${t.name}`, role: t.role, via: "token", source, crossOrigin: null } : null;
    }
    const session = sessionToken(headers);
    if (session === null || session.length > 200) return null;
    const user = this.accounts.session(session);
    return user ? { name: user.name, role: user.role, via: "session", source, crossOrigin: crossOriginRefusal(headers) } : null;
  }
}
