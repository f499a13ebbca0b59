import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { HostError, type HostErrorKind } from "@/server/host/errors";

/** The one table from host errors to API codes. */
const CODE_FOR: Record<HostErrorKind, TRPC_ERROR_CODE_KEY> = {
  "not-found": "INTERNAL_SERVER_ERROR", // a required kernel file is missing: the host tree is broken, not the request
  permission: "INTERNAL_SERVER_ERROR",
  unreadable: "INTERNAL_SERVER_ERROR",
  "not-a-host-tree": "PRECONDITION_FAILED",
  "invalid-input": "BAD_REQUEST",
  "no-such-device": "NOT_FOUND",
};

export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof HostError) return new TRPCError({ code: CODE_FOR[err.kind], message: err.message, cause: err });
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: err instanceof Error ? err.message : String(err), cause: err });
}

/** What the client may see of a host error: the kind, the path and the fix, never a stack. */
export function hostErrorShape(cause: unknown): { kind: HostErrorKind; path: string | null; fix: string | null } | null {
  return cause instanceof HostError ? { kind: cause.kind, path: cause.path, fix: cause.fix } : null;
}
