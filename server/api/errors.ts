import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { PlanRejected } from "@/server/executor/allow-list";
import { PlanBusy } from "@/server/executor/executor";
import { JournalBusy } from "@/server/db/journal";
import { HostError, type HostErrorKind } from "@/server/host/errors";
import { HostChanged, PlanExpired, WritesUnavailable } from "@/server/plans/plan-service";
import { HelperConflict, HelperUnavailable } from "@/server/helper/client";
import { PlanReused, PlanUnsafe } from "@/server/helper/applier";
import { AccountError } from "@/server/auth/accounts";
import { ScryptBusy } from "@/server/auth/passwords";
import { PreviewRateLimited } from "@/server/plans/preview-limits";
import { VirshBusy } from "@/server/libvirt/virsh";
import { LiveReaderTooSlow, LiveSubscriptionLimit } from "@/server/probes/live-feed";
import { ServiceUnavailable } from "@/server/services";

/** The one table from host errors to API codes. */
const CODE_FOR: Record<HostErrorKind, TRPC_ERROR_CODE_KEY> = {
  "not-found": "INTERNAL_SERVER_ERROR", // a required kernel file is missing: the host tree is broken, not the request
  permission: "INTERNAL_SERVER_ERROR",
  unreadable: "INTERNAL_SERVER_ERROR",
  "not-a-host-tree": "PRECONDITION_FAILED",
  "invalid-input": "BAD_REQUEST",
  "no-such-device": "NOT_FOUND",
};

/** …and from the write path's refusals and missing stores: each says in its message what to do next. */
const WRITE_ERRORS: [new (...args: never[]) => Error, TRPC_ERROR_CODE_KEY][] = [
  [PlanBusy, "CONFLICT"], // another plan runs in this process
  [JournalBusy, "CONFLICT"], // …or in another process (the CLI, reconcile)
  [HostChanged, "CONFLICT"],
  [PlanExpired, "NOT_FOUND"],
  [PlanRejected, "BAD_REQUEST"],
  [WritesUnavailable, "PRECONDITION_FAILED"],
  [HelperConflict, "CONFLICT"], // the helper's journal: another process applies a plan
  [PlanUnsafe, "CONFLICT"], // the applier's own safety check against the host as it is now
  [PlanReused, "CONFLICT"], // a plan id is applied once
  [HelperUnavailable, "PRECONDITION_FAILED"], // the helper is not running
  [AccountError, "BAD_REQUEST"], // a user name, role or password the accounts refuse
  [ScryptBusy, "TOO_MANY_REQUESTS"], // as many passwords are being hashed as the server allows at once
  // bounded work per request: each says what the bound is and when to come back
  [PreviewRateLimited, "TOO_MANY_REQUESTS"],
  [VirshBusy, "TOO_MANY_REQUESTS"],
  [LiveSubscriptionLimit, "TOO_MANY_REQUESTS"],
  [LiveReaderTooSlow, "TIMEOUT"], // the reader did not keep up: its live view ends with the reason
  // a store the procedure requires cannot be opened (requiresJournal, requiresLatencyStore… in trpc.ts): the reason says why
  [ServiceUnavailable, "PRECONDITION_FAILED"],
];

export function knownError(err: unknown): boolean {
  return err instanceof HostError || WRITE_ERRORS.some(([type]) => err instanceof type);
}

export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof HostError) return new TRPCError({ code: CODE_FOR[err.kind], message: err.message, cause: err });
  const write = WRITE_ERRORS.find(([type]) => err instanceof type);
  if (write && err instanceof Error) return new TRPCError({ code: write[1], message: err.message, cause: err });
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: err instanceof Error ? err.message : String(err), cause: err });
}

/** Seconds to wait before asking again, for the refusals that know it (sent as Retry-After). */
export function retryAfterSeconds(err: unknown): number | null {
  if (err instanceof PreviewRateLimited || err instanceof VirshBusy) return Math.max(1, Math.ceil(err.retryAfterMs / 1000));
  return null;
}

/** What the client may see of a host error: the kind, the path and the fix, never a stack. */
export function hostErrorShape(cause: unknown): { kind: HostErrorKind; path: string | null; fix: string | null } | null {
  return cause instanceof HostError ? { kind: cause.kind, path: cause.path, fix: cause.fix } : null;
}
