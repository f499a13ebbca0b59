import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import type { Caller } from "@/server/auth/request";
import { ServiceUnavailable, type ApiServices } from "@/server/services";
import { hostErrorShape, knownError, toTRPCError } from "./errors";
import { allowed, PROCEDURE_ACCESS, type Access } from "@/server/auth/access";

/**
 * What every procedure sees: the web tier's services from createServices (server/services.ts; the stores that can
 * fail to open are thunks saying why), and who sent this request. A procedure that cannot work without one of those
 * stores takes it through a capability middleware below, which hands it over opened.
 */
export interface Context extends ApiServices {
  /** who sent this request (session or API token); null when nobody signed in */
  caller: Caller | null;
  /** the client's address as the server's socket saw it (scripts/serve.mjs sets x-forwarded-for), for the journal */
  origin: string | null;
}

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

/** Every thrown host error, and every store a procedure requires but cannot have, leaves through the one mapping table. */
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

/**
 * The only procedure builder: the caller's role is checked against PROCEDURE_ACCESS (server/auth/access.ts), which
 * says per procedure whether it is public, for viewers or for admins; errors leave through the one table. Add a
 * capability below after `.input()`, so a malformed input is refused before a missing store is.
 */
export const guardedProcedure = t.procedure.use(mapErrors).use(guard);

// ---- capabilities: each hands the procedure its store opened (typed, in place of the thunk), or refuses the call
// with ServiceUnavailable, which the one error table (errors.ts) turns into PRECONDITION_FAILED and the reason.

/** The journal of applies (host records). */
export const requiresJournal = t.middleware(({ ctx, next }) => {
  const opened = ctx.journal();
  if (!opened.ok) throw new ServiceUnavailable("journal", opened.reason);
  return next({ ctx: { journal: opened.journal } });
});

/** The desired state reconcile puts back (host records), and forgetting an address through whoever owns them. */
export const requiresDesiredState = t.middleware(({ ctx, next }) => {
  const opened = ctx.desired();
  if (!opened.ok) throw new ServiceUnavailable("desired state", opened.reason);
  return next({ ctx: { desired: { store: opened.store, forget: opened.forget } } });
});

/** The latency store the probe agent writes (web database), and the live feed over it. */
export const requiresLatencyStore = t.middleware(({ ctx, next }) => {
  const opened = ctx.latency();
  if (!opened.ok) throw new ServiceUnavailable("latency store", opened.reason);
  return next({ ctx: { latency: { store: opened.store, feed: opened.feed } } });
});

/** Accounts, sessions, tokens and the audit trail (web database). */
export const requiresAuth = t.middleware(({ ctx, next }) => {
  const opened = ctx.auth();
  if (!opened.ok) throw new ServiceUnavailable("accounts", opened.reason);
  return next({ ctx: { auth: opened.service } });
});

export const NO_LIBVIRT = "this server has no libvirt connection (a demo host without PASSDECK_LIBVIRT_URI)";

/** libvirt's VMs: a demo host has none unless PASSDECK_LIBVIRT_URI is set. */
export const requiresLibvirt = t.middleware(({ ctx, next }) => {
  if (!ctx.libvirt) throw new ServiceUnavailable("libvirt", NO_LIBVIRT);
  return next({ ctx: { libvirt: ctx.libvirt } });
});

/** How the journal and notes name the caller: "alice (192.0.2.7)". */
export function actorOf(ctx: Pick<Context, "caller" | "origin">): string {
  const who = ctx.caller?.name ?? "web";
  return ctx.origin ? `${who} (${ctx.origin})` : who;
}
