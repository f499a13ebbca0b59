/**
 * `passdeck user|token|setup-code|audit`: accounts for the dashboard, made on the host by whoever may read its data
 * directory (root, as a rule). Passwords come from standard input, never from the command line (ps shows that).
 */
import { AccountError, Accounts, parseTokenLifetime, ROLES, type ApiToken, type Role } from "@/server/auth/accounts";
import { auditCsv, type AuditTrail } from "@/server/auth/audit";
import { AuthService } from "@/server/auth/service";
import type { Db } from "@/server/db/database";
import { InvalidInput } from "./errors";

export interface AccountFlags {
  json: boolean;
  csv?: boolean | undefined;
  role?: string | undefined;
  label?: string | undefined;
  expires?: string | undefined;
  since?: string | undefined;
}

export interface AccountIo {
  /** standard input as text (the password) */
  readStdin: () => Promise<string>;
  actor: string;
  /** the web tier's directory (the setup code lives there) */
  webDir: string;
  /** the audit trail in the host records (written by the helper when it owns them) */
  audit: () => AuditTrail;
}

function role(raw: string | undefined): Role {
  if (raw === undefined) throw new InvalidInput("--role is missing: --role admin (may apply plans) or --role viewer (read-only)");
  if (!(ROLES as readonly string[]).includes(raw)) throw new InvalidInput(`--role is admin or viewer, not "${raw}"`);
  return raw as Role;
}

export async function runAccountCommand(command: string, positionals: string[], flags: AccountFlags, openDb: () => Db, io: AccountIo): Promise<number> {
  // `audit` reads the host records only: the web tier's database is not opened for it.
  if (command === "audit") return printAudit(io.audit(), flags);
  // No purge timer in a one-shot command: the server purges ended sessions.
  const service = new AuthService(new Accounts(openDb()), io.audit(), io.webDir, undefined, undefined, { every: null });
  const [verb, arg] = positionals;
  const actor = `cli (${io.actor})`;
  try {
    switch (`${command} ${command === "setup-code" || command === "audit" ? "" : (verb ?? "")}`.trim()) {
      case "user add": {
        if (!arg) throw new InvalidInput("passdeck user add needs a name: passdeck user add alice --role admin < password-file");
        const r = role(flags.role);
        const password = (await io.readStdin()).split(/\r?\n/)[0] ?? "";
        if (!password) throw new InvalidInput("no password on standard input: echo the password into passdeck user add, or give a file with < file");
        const user = await service.addUser(arg, r, password, actor, null);
        console.log(flags.json ? JSON.stringify({ id: user.id, name: user.name, role: user.role }) : `Added ${user.name} (${user.role}).`);
        return 0;
      }
      case "user list": {
        const users = service.accounts.users();
        if (flags.json) console.log(JSON.stringify(users, null, 2));
        else if (users.length === 0) console.log("No users yet: passdeck user add <name> --role admin, or the dashboard's first-run page.");
        else
          for (const u of users)
            console.log(`${u.name.padEnd(20)} ${u.role.padEnd(7)} ${u.disabled ? "disabled" : "active"}  since ${new Date(u.createdAt).toISOString()}`);
        return 0;
      }
      case "user disable": {
        if (!arg) throw new InvalidInput("passdeck user disable needs a name");
        service.accounts.disableUser(arg);
        service.audit.record("user-disabled", actor, null, arg);
        console.log(`Disabled ${arg}: their sessions have ended.`);
        return 0;
      }
      case "token create": {
        const r = role(flags.role);
        const lifetime = flags.expires === undefined ? null : parseTokenLifetime(flags.expires);
        if (lifetime && !lifetime.ok) throw new InvalidInput(`--expires: ${lifetime.message}`);
        const created = service.createToken(flags.label ?? `${r} token`, r, actor, null, lifetime?.ms ?? null);
        const expiresAt = created.expiresAt === null ? null : new Date(created.expiresAt).toISOString();
        if (flags.json) console.log(JSON.stringify({ id: created.id, role: r, token: created.token, expiresAt }));
        else {
          console.log(created.token);
          console.error(
            `Token #${created.id} (${r}, ${expiresAt ? `expires ${expiresAt}` : "does not expire"}). It is shown this once; send it as "Authorization: Bearer <token>". Revoke: passdeck token revoke ${created.id}`,
          );
        }
        return 0;
      }
      case "token list": {
        const tokens = service.accounts.tokens();
        if (flags.json) console.log(JSON.stringify(tokens, null, 2));
        else if (tokens.length === 0) console.log("No API tokens.");
        else
          for (const t of tokens)
            console.log(
              `#${String(t.id).padEnd(4)} ${t.name.padEnd(24)} ${t.role.padEnd(7)} ${tokenState(t, Date.now())} by ${t.createdBy}, last used ${t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : "never"}, ${t.expiresAt === null ? "no expiry" : `expires ${new Date(t.expiresAt).toISOString()}`}`,
            );
        return 0;
      }
      case "token revoke": {
        const id = Number(arg);
        if (!arg || !Number.isSafeInteger(id) || id < 1) throw new InvalidInput("passdeck token revoke needs a token id (passdeck token list)");
        if (!service.revokeToken(id, actor, null)) {
          console.error(`passdeck: there is no active token #${id}`);
          return 1;
        }
        console.log(`Revoked token #${id}.`);
        return 0;
      }
      case "setup-code": {
        const code = service.setupCode();
        if (flags.json) console.log(JSON.stringify({ needsSetup: code !== null, code: code?.code ?? null }));
        else if (!code) console.log("Passdeck has an admin already: no setup code is needed (passdeck user add makes more users).");
        else console.log(code.code);
        return 0;
      }
      default:
        throw new InvalidInput(
          `unknown "${command}${verb ? ` ${verb}` : ""}": see passdeck help (user add|list|disable, token create|list|revoke, setup-code, audit)`,
        );
    }
  } catch (err) {
    if (err instanceof AccountError) throw new InvalidInput(err.message);
    throw err;
  }
}

function printAudit(audit: AuditTrail, flags: AccountFlags): number {
  const since = flags.since === undefined ? 0 : sinceMs(flags.since);
  const entries = audit.list({ since, limit: 10_000 });
  if (flags.csv) process.stdout.write(auditCsv(entries));
  else if (flags.json) console.log(JSON.stringify(entries, null, 2));
  else
    for (const e of [...entries].reverse())
      console.log(
        `${new Date(e.atMs).toISOString()} ${e.action.padEnd(16)} ${(e.actor ?? "-").padEnd(24)} ${(e.source ?? "-").padEnd(16)} ${e.detail ?? ""}${e.peer ? `  [${e.peer}]` : ""}`,
      );
  return 0;
}

/** revoked, expired or active, padded for the list */
function tokenState(t: ApiToken, now: number): string {
  if (t.revokedAt !== null) return "revoked";
  if (t.expiresAt !== null && now >= t.expiresAt) return "expired";
  return "active ";
}

function sinceMs(text: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (m) return Date.now() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new InvalidInput(`--since ${text} is not a time: 30m, 24h, 7d or an ISO 8601 time`);
  return t;
}
