import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { parseTokenLifetime, ROLES } from "@/server/auth/accounts";
import { actorOf, guardedProcedure, requiresAuth, router } from "../trpc";

/** An optional lifetime as the CLI takes it ("90d", "12h"); refused with the reason when it is not one. */
const lifetime = z
  .string()
  .max(32)
  .superRefine((text, ctx) => {
    const parsed = parseTokenLifetime(text);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
  })
  .optional();

export const tokensRouter = router({
  /** Every token, revoked and expired ones too (the audit names them), with when each expires. */
  list: guardedProcedure.use(requiresAuth).query(({ ctx }) => ctx.auth.accounts.tokens()),
  /** The token is in this answer only: it is stored as a hash. */
  create: guardedProcedure
    .input(z.object({ name: z.string().regex(/^[\w .-]{1,64}$/, "1–64 letters, digits, spaces, _ . -"), role: z.enum(ROLES), expires: lifetime }).strict())
    .use(requiresAuth)
    .mutation(({ ctx, input }) => {
      const parsed = input.expires === undefined ? null : parseTokenLifetime(input.expires);
      return ctx.auth.createToken(input.name, input.role, actorOf(ctx), ctx.origin, parsed?.ok ? parsed.ms : null);
    }),
  revoke: guardedProcedure
    .input(z.object({ id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict())
    .use(requiresAuth)
    .mutation(({ ctx, input }) => {
      if (!ctx.auth.revokeToken(input.id, actorOf(ctx), ctx.origin))
        throw new TRPCError({ code: "NOT_FOUND", message: `there is no active token #${input.id}` });
      return { id: input.id, revoked: true };
    }),
});
