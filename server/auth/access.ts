/**
 * Who may call what: every tRPC procedure, in one table. "viewer" reads (maps, charts, journal, plan previews);
 * "admin" changes the host or Passdeck's own state. A test checks that the table and the router agree, so a new
 * procedure without a declared role fails CI instead of shipping open; the middleware in server/api/trpc.ts enforces
 * it (and treats a path missing here as admin).
 */
import type { Role } from "./accounts";

export type Access = "public" | Role;

export const PROCEDURE_ACCESS = {
  "host.summary": "viewer",
  "devices.list": "viewer",
  "devices.byAddress": "viewer",
  "devices.vfSettings": "viewer",
  "groups.list": "viewer",
  "groups.firstScreen": "viewer",
  "readiness.list": "viewer",
  "journal.list": "viewer",
  "journal.byId": "viewer",
  "plans.access": "viewer",
  // A preview computes a plan and keeps it for review; it changes nothing, so a viewer may look at one.
  "plans.preview": "viewer",
  "plans.execute": "admin",
  "plans.progress": "viewer",
  // the dead-man switch: keeping or undoing an applied plan is a change; seeing that one waits is not
  "plans.confirm": "admin",
  "plans.revert": "admin",
  "plans.pendingConfirmations": "viewer",
  "desired.drift": "viewer",
  "desired.forget": "admin",
  "vms.list": "viewer",
  "vms.pools": "viewer",
  "vms.addresses": "viewer",
  "vms.nodeDeviceCheck": "viewer",
  "targets.list": "viewer",
  "targets.add": "admin",
  "targets.remove": "admin",
  "latency.series": "viewer",
  "latency.stats": "viewer",
  "latency.live": "viewer",
  // iperf3 sends traffic from the host at a rate the caller picks
  "latency.iperf": "admin",
  "latency.compare": "viewer",
  "markers.list": "viewer",
  "markers.annotate": "admin",
  "markers.removeNote": "admin",
  // Who am I, and does the server wait for its first admin: the sign-in and setup pages ask before anyone signs in.
  "session.me": "public",
  "users.list": "admin",
  "users.add": "admin",
  "users.disable": "admin",
  "tokens.list": "admin",
  "tokens.create": "admin",
  "tokens.revoke": "admin",
  // who signed in from where, failed logins, token use: for admins
  "audit.list": "admin",
} as const satisfies Record<string, Access>;

export type ProcedurePath = keyof typeof PROCEDURE_ACCESS;

const RANK: Record<Access, number> = { public: 0, viewer: 1, admin: 2 };

/** Whether a caller with `role` (null: not logged in) may call a procedure needing `needed`. */
export function allowed(needed: Access, role: Role | null): boolean {
  return RANK[needed] <= (role === null ? 0 : RANK[role]);
}
