import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import type { Journal } from "@/server/db/journal";
import type { DesiredStore } from "@/server/desired/store";
import type { DesiredEntry } from "@/server/desired/desired-state";
import type { InventoryService } from "@/server/inventory/service";
import type { IpLink } from "@/server/host/ip-link";
import type { PlanService, WriteAccess } from "@/server/plans/plan-service";
import { hostErrorShape, knownError, toTRPCError } from "./errors";
import { allowed, PROCEDURE_ACCESS, type Access } from "@/server/auth/access";

export interface Context {
  inventory: InventoryService;
  /** the journal, or why it cannot be opened (no data directory yet, no permission): the page says so */
  journal: () => { ok: true; journal: Journal } | { ok: false; reason: string };
  /**
   * the desired state reconcile puts back at boot, in the host records; `forget` goes through the privileged helper
   * when it owns them
   */
  desired: () =>
    | { ok: true; store: DesiredStore; forget: (address: string, meta: { actor: string; origin: string | null }) => Promise<DesiredEntry[]> }
    | { ok: false; reason: string };
  /** whether this server may change the host (a real sysfs, or the demo's simulated kernel), and how */
  writeAccess: () => WriteAccess;
  plans: PlanService;
  /** iproute2 for reads (vfinfo_list); writes go through the executor */
  ip: IpLink;
  /** libvirt's VMs; null when this server has none configured (a demo host without PASSDECK_LIBVIRT_URI) */
  libvirt: LibvirtService | null;
  /** the latency store the probe agent writes and the live feed over it, or why the database cannot be opened */
  latency: () => { ok: true; store: ProbeStores; feed: LiveFeed } | { ok: false; reason: string };
  /** accounts, sessions, tokens and the audit trail, or why the database cannot be opened */
  auth: () => { ok: true; service: AuthService } | { ok: false; reason: string };
  /** who sent this request (session or API token); null when nobody signed in */
  caller: Caller | null;
  /** the client's address as the server's socket saw it (scripts/serve.mjs sets x-forwarded-for), for the journal */
  origin: string | null;
  /** PASSDECK_HOST is not a loopback address: first-run setup from the browser is refused */
  listensBeyondLoopback: boolean;
}

import type { AuthService } from "@/server/auth/service";
import type { Caller } from "@/server/auth/request";

import type { LibvirtService } from "@/server/libvirt/service";
import type { LiveFeed } from "@/server/probes/live-feed";
import type { ProbeStores } from "@/server/probes/stores";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        stack: undefined,
        zodError: error.cause instanceof z.ZodError ? z.flattenError(error.cause) : null,
        hostError: hostErrorShape(error.cause),
      },
    };
  },
});

/** Every thrown host error leaves through the one mapping table. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && knownError(result.error.cause)) throw toTRPCError(result.error.cause);
  return result;
});

/**
 * Every procedure passes here: its role comes from the one table (server/auth/access.ts; a procedure missing there
 * needs admin), a cookie-borne mutation must come from the dashboard's own origin, and a mutation made with an API
 * token is audited.
 */
const guard = t.middleware(async ({ ctx, path, type, next }) => {
  const needed: Access = (PROCEDURE_ACCESS as Record<string, Access>)[path] ?? "admin";
  if (needed === "public") return next();
  const caller = ctx.caller;
  if (!caller) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first (or send an API token as Authorization: Bearer)" });
  if (type === "mutation" && caller.crossOrigin) throw new TRPCError({ code: "FORBIDDEN", message: caller.crossOrigin });
  if (!allowed(needed, caller.role))
    throw new TRPCError({ code: "FORBIDDEN", message: `${path} needs the ${needed} role; ${caller.name} is a ${caller.role}` });
  if (type === "mutation" && caller.via === "token") {
    const auth = ctx.auth();
    if (auth.ok) auth.service.audit.record("token-mutation", caller.name, caller.source, path);
  }
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Needs no sign-in: only "who am I" and "is this server set up". */
export const publicProcedure = t.procedure.use(mapErrors).use(guard);
/** Reads the host; the role each needs is in server/auth/access.ts. */
export const readProcedure = t.procedure.use(mapErrors).use(guard);
/** Changes the host through a reviewed plan, or Passdeck's own state. */
export const writeProcedure = t.procedure.use(mapErrors).use(guard);

/** How the journal and notes name the caller: "alice (192.0.2.7)". */
export function actorOf(ctx: Pick<Context, "caller" | "origin">): string {
  const who = ctx.caller?.name ?? "web";
  return ctx.origin ? `${who} (${ctx.origin})` : who;
}
