import { TRPCError } from "@trpc/server";
import type { AuthService } from "@/server/auth/service";
import type { Context } from "../trpc";

/** The accounts service, or a clear error when the database cannot be opened. */
export function authService(ctx: Pick<Context, "auth">): AuthService {
  const opened = ctx.auth();
  if (!opened.ok) throw new TRPCError({ code: "PRECONDITION_FAILED", message: opened.reason });
  return opened.service;
}
