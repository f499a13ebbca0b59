import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { ROLES } from "@/server/auth/accounts";
import { authService } from "./auth-service";
import { actorOf, readProcedure, router, writeProcedure } from "../trpc";

export const tokensRouter = router({
  list: readProcedure.query(({ ctx }) => authService(ctx).accounts.tokens()),
  /** The token is in this answer only: it is stored as a hash. */
  create: writeProcedure
    .input(z.object({ name: z.string().regex(/^[\w .-]{1,64}$/, "1–64 letters, digits, spaces, _ . -"), role: z.enum(ROLES) }).strict())
    .mutation(({ ctx, input }) => authService(ctx).createToken(input.name, input.role, actorOf(ctx), ctx.origin)),
  revoke: writeProcedure.input(z.object({ id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict()).mutation(({ ctx, input }) => {
    if (!authService(ctx).revokeToken(input.id, actorOf(ctx), ctx.origin))
      throw new TRPCError({ code: "NOT_FOUND", message: `there is no active token #${input.id}` });
    return { id: input.id, revoked: true };
  }),
});
