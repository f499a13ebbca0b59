/**
 * Users, sessions and API tokens in Passdeck's SQLite database. Secrets (session cookies, tokens) are random 32-byte
 * values handed out once; only their SHA-256 is stored.
 */
import { createHash, randomBytes } from "node:crypto";
import { parseDuration } from "@/lib/probe-target";
import type { Db } from "@/server/db/database";
import { hashPassword, SCRYPT_DEFAULTS, ScryptBusy, type ScryptParams, verifyPassword } from "./passwords";

export const ROLES = ["admin", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: number;
  name: string;
  role: Role;
  createdAt: number;
  disabled: boolean;
}

export interface ApiToken {
  id: number;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** after this (ms since the epoch) the token is refused as if revoked; null: it does not expire */
  expiresAt: number | null;
}

export interface SessionPolicy {
  /** a session ends this long after login, whatever happens */
  absoluteMs: number;
  /** …or after this long without a request */
  idleMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { absoluteMs: 12 * 3_600_000, idleMs: 2 * 3_600_000 };

const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/;

/** The longest lifetime a token may be given: ten years, which is "does not expire" said honestly. */
export const MAX_TOKEN_LIFETIME_MS = 10 * 365 * 86_400_000;

/**
 * A token's lifetime from the text the CLI and the API take ("90d", "12h", "30m": as elsewhere in Passdeck), in
 * ms; or what is wrong with it.
 */
export function parseTokenLifetime(text: string): { ok: true; ms: number } | { ok: false; message: string } {
  const ms = parseDuration(text.slice(0, 32));
  if (ms === null || ms <= 0) return { ok: false, message: `the expiry "${text.slice(0, 32)}" is not a duration: give one like 90d, 12h or 30m` };
  if (ms > MAX_TOKEN_LIFETIME_MS) return { ok: false, message: `the expiry ${text} is longer than 10 years: leave it out for a token that does not expire` };
  return { ok: true, ms };
}

export class AccountError extends Error {}

const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");
const newSecret = (prefix: string) => `${prefix}${randomBytes(32).toString("base64url")}`;

interface UserRow {
  id: number;
  name: string;
  role: Role;
  password_hash: string;
  created_at: number;
  disabled_at: number | null;
}
const userOf = (r: UserRow): User => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, disabled: r.disabled_at !== null });

export class Accounts {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
    /** production's cost unless a test asks for less (its logic is the same at any cost; server/services.test.ts holds production's) */
    private readonly hashCost: ScryptParams = SCRYPT_DEFAULTS,
  ) {}

  /** True until the first admin exists: the dashboard then asks to create one, and serving beyond loopback is refused. */
  needsSetup(): boolean {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL`).get() as { n: number }).n === 0;
  }

  async addUser(name: string, role: Role, password: string): Promise<User> {
    if (!USER_NAME.test(name))
      throw new AccountError(`"${name}" is not a user name: lowercase letters, digits, _ . - (at most 32), starting with a letter or _`);
    if (!ROLES.includes(role)) throw new AccountError(`the role is admin or viewer, not "${role}"`);
    if (this.db.prepare(`SELECT 1 FROM users WHERE name = ?`).get(name)) throw new AccountError(`a user named ${name} exists already`);
    const hash = await hashPassword(password, this.hashCost).catch((err: Error) =>
      Promise.reject(err instanceof ScryptBusy ? err : new AccountError(err.message)),
    );
    const info = this.db.prepare(`INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)`).run(name, role, hash, this.now());
    return this.user(Number(info.lastInsertRowid))!;
  }

  user(id: number): User | null {
    const r = this.db.prepare(`SELECT * FROM users WHERE id = ?`).get(id) as UserRow | undefined;
    return r ? userOf(r) : null;
  }

  users(): User[] {
    return (this.db.prepare(`SELECT * FROM users ORDER BY id`).all() as UserRow[]).map(userOf);
  }

  /**
   * Checks a password and opens a session: returns the cookie value (shown once) or null. An unknown user costs the
   * same scrypt as a wrong password, so timing does not tell which names exist. A name that cannot be a user name
   * (the rule is public) costs no scrypt at all.
   */
  async login(name: string, password: string, origin: string | null): Promise<{ user: User; sessionToken: string } | null> {
    if (!USER_NAME.test(name)) return null;
    const row = this.db.prepare(`SELECT * FROM users WHERE name = ? AND disabled_at IS NULL`).get(name) as UserRow | undefined;
    const ok = await verifyPassword(password, row?.password_hash ?? dummyHash(this.hashCost));
    if (!row || !ok) return null;
    const token = newSecret("");
    const now = this.now();
    this.db
      .prepare(`INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at, origin) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(sha256(token), row.id, now, now, now + this.policy.absoluteMs, origin);
    return { user: userOf(row), sessionToken: token };
  }

  /** The session's user, refreshing its idle clock; null when unknown, expired, idle too long or the user is disabled. */
  session(token: string): User | null {
    const now = this.now();
    const row = this.db
      .prepare(`SELECT s.last_seen, s.expires_at, u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`)
      .get(sha256(token)) as (UserRow & { last_seen: number; expires_at: number }) | undefined;
    if (row?.disabled_at !== null || now >= row.expires_at || now - row.last_seen >= this.policy.idleMs) {
      if (row) this.logout(token);
      return null;
    }
    this.db.prepare(`UPDATE sessions SET last_seen = ? WHERE token_hash = ?`).run(now, sha256(token));
    return userOf(row);
  }

  logout(token: string): void {
    this.db.prepare(`DELETE FROM sessions WHERE token_hash = ?`).run(sha256(token));
  }

  /** A token for scripts and Prometheus, printed once; viewer tokens can only read. `lifetimeMs` null: no expiry. */
  createToken(name: string, role: Role, createdBy: string, lifetimeMs: number | null = null): { id: number; token: string; expiresAt: number | null } {
    if (!ROLES.includes(role)) throw new AccountError(`the role is admin or viewer, not "${role}"`);
    if (!/^[\w .-]{1,64}$/.test(name)) throw new AccountError("a token's name is 1–64 letters, digits, spaces, _ . -");
    if (lifetimeMs !== null && !(Number.isSafeInteger(lifetimeMs) && lifetimeMs > 0 && lifetimeMs <= MAX_TOKEN_LIFETIME_MS))
      throw new AccountError("a token's lifetime is a positive duration of at most 10 years (e.g. 90d)");
    const token = newSecret("pdk_");
    const now = this.now();
    const expiresAt = lifetimeMs === null ? null : now + lifetimeMs;
    const info = this.db
      .prepare(`INSERT INTO api_tokens (token_hash, name, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(sha256(token), name, role, createdBy, now, expiresAt);
    return { id: Number(info.lastInsertRowid), token, expiresAt };
  }

  /** The token's role, or null when unknown, revoked or expired (kept for the audit, never accepted); records its use. */
  tokenRole(token: string): { id: number; name: string; role: Role } | null {
    // Tokens are 47 characters: anything much longer is not one, and is not worth hashing.
    if (token.length > 200) return null;
    const row = this.db.prepare(`SELECT id, name, role, revoked_at, expires_at FROM api_tokens WHERE token_hash = ?`).get(sha256(token)) as
      { id: number; name: string; role: Role; revoked_at: number | null; expires_at: number | null } | undefined;
    const now = this.now();
    if (row?.revoked_at !== null || (row.expires_at !== null && now >= row.expires_at)) return null;
    this.db.prepare(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`).run(now, row.id);
    return { id: row.id, name: row.name, role: row.role };
  }

  tokens(): ApiToken[] {
    const rows = this.db.prepare(`SELECT id, name, role, created_by, created_at, last_used_at, revoked_at, expires_at FROM api_tokens ORDER BY id`).all() as {
      id: number;
      name: string;
      role: Role;
      created_by: string;
      created_at: number;
      last_used_at: number | null;
      revoked_at: number | null;
      expires_at: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      createdBy: r.created_by,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
      expiresAt: r.expires_at,
    }));
  }

  /** A disabled user cannot sign in and their open sessions end at once; the last admin cannot be disabled. */
  disableUser(name: string): User {
    const row = this.db.prepare(`SELECT * FROM users WHERE name = ?`).get(name) as UserRow | undefined;
    if (!row) throw new AccountError(`there is no user named ${name}`);
    if (row.role === "admin" && row.disabled_at === null) {
      const admins = (this.db.prepare(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL`).get() as { n: number }).n;
      if (admins <= 1) throw new AccountError(`${name} is the last admin: add another admin first`);
    }
    this.db.transaction(() => {
      this.db.prepare(`UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`).run(this.now(), row.id);
      this.db.prepare(`DELETE FROM sessions WHERE user_id = ?`).run(row.id);
    })();
    return this.user(row.id)!;
  }

  revokeToken(id: number): boolean {
    return this.db.prepare(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`).run(this.now(), id).changes > 0;
  }

  /**
   * Deletes up to `limit` sessions that can no longer be used (past their absolute expiry, or idle too long), oldest
   * first; returns how many. Bounded, so one run never holds the database for long; the next run takes the rest.
   */
  purgeSessions(limit: number): number {
    const now = this.now();
    return this.db
      .prepare(`DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE expires_at <= ? OR last_seen <= ? ORDER BY last_seen LIMIT ?)`)
      .run(now, now - this.policy.idleMs, Math.max(0, Math.floor(limit))).changes;
  }
}

/** A valid hash of a random password at the accounts' cost: verifying against it costs what a real check costs. */
const dummyHash = ({ N, r, p }: ScryptParams) => `scrypt$${N}$${r}$${p}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
