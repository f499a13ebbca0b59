/**
 * Login, first-run setup, logout and "who is calling": accounts, the login limiter and the audit trail together,
 * for the route handlers, tRPC and the CLI. Every outcome a person would want to know about later is audited.
 */
import { AccountError, Accounts, type Role, type User } from "./accounts";
import type { AuditTrail } from "./audit";
import { LoginLimiter } from "./limiter";
import { passwordProblem } from "./passwords";
import { bearerToken, crossOriginRefusal, sessionToken, type Caller, type HeaderSource } from "./request";
import { clearSetupCode, ensureSetupCode, setupCodeMatches } from "./setup-code";

export type AuthOutcome =
  | { ok: true; user: User; sessionToken: string }
  | { ok: false; status: 400 | 401 | 403 | 409 | 429; message: string; retryAfterS?: number };

/** A name or password longer than this is refused before any hashing (scrypt on a megabyte costs CPU). */
const MAX_FIELD = 1024;

export class AuthService {
  constructor(
    readonly accounts: Accounts,
    readonly audit: AuditTrail,
    private readonly dataDir: string,
    private readonly limiter: LoginLimiter = new LoginLimiter(),
    readonly sessionMaxAgeS: number = 12 * 3600,
  ) {}

  needsSetup(): boolean {
    return this.accounts.needsSetup();
  }

  /** The one-time code for first-run setup (printed by the server when it creates one); null once an admin exists. */
  setupCode(): { code: string; created: boolean } | null {
    return this.needsSetup() ? ensureSetupCode(this.dataDir) : null;
  }

  async login(name: string, password: string, source: string | null): Promise<AuthOutcome> {
    const key = source ?? "unknown";
    const wait = this.limiter.waitMs(key);
    if (wait > 0) {
      this.audit.record("login-throttled", null, source, `user ${JSON.stringify(name.slice(0, 64))}`);
      return { ok: false, status: 429, message: `too many failed logins from ${key}: try again in ${Math.ceil(wait / 1000)} s`, retryAfterS: Math.ceil(wait / 1000) };
    }
    if (name.length > MAX_FIELD || password.length > MAX_FIELD) return { ok: false, status: 400, message: `a user name or password is at most ${MAX_FIELD} characters` };
    const opened = await this.accounts.login(name, password, source);
    if (!opened) {
      this.limiter.failed(key);
      this.audit.record("login-failed", null, source, `user ${JSON.stringify(name.slice(0, 64))}`);
      // The same words whether the name exists or not.
      return { ok: false, status: 401, message: "wrong user name or password" };
    }
    this.limiter.succeeded(key);
    this.audit.record("login", opened.user.name, source, `role ${opened.user.role}`);
    return { ok: true, user: opened.user, sessionToken: opened.sessionToken };
  }

  /** Creates the first admin with the code from the host, and logs them in. */
  async setup(name: string, password: string, code: string, source: string | null): Promise<AuthOutcome> {
    if (!this.needsSetup()) return { ok: false, status: 409, message: "Passdeck is set up already: sign in, or ask an admin for an account" };
    const key = source ?? "unknown";
    const wait = this.limiter.waitMs(key);
    if (wait > 0) return { ok: false, status: 429, message: `too many wrong setup codes from ${key}: try again in ${Math.ceil(wait / 1000)} s`, retryAfterS: Math.ceil(wait / 1000) };
    if (!setupCodeMatches(this.dataDir, code)) {
      this.limiter.failed(key);
      this.audit.record("login-failed", null, source, "wrong setup code");
      return { ok: false, status: 403, message: "wrong setup code: it is printed by the server when it starts, and `passdeck setup-code` on the host prints it again" };
    }
    const problem = passwordProblem(password);
    if (problem) return { ok: false, status: 400, message: problem };
    try {
      await this.accounts.addUser(name, "admin", password);
    } catch (err) {
      if (err instanceof AccountError) return { ok: false, status: 400, message: err.message };
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

  createToken(name: string, role: Role, actor: string, source: string | null): { id: number; token: string } {
    const created = this.accounts.createToken(name, role, actor);
    this.audit.record("token-created", actor, source, `#${created.id} ${name} (${role})`);
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
