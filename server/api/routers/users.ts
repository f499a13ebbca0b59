import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { ROLES } from "@/server/auth/accounts";
import { actorOf, guardedProcedure, requiresAuth, router } from "../trpc";

const userName = z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, "lowercase letters, digits, _ . - (at most 32), starting with a letter or _");

export const usersRouter = router({
  list: guardedProcedure.use(requiresAuth).query(({ ctx }) => ctx.auth.accounts.users()),
  add: guardedProcedure
    .input(z.object({ name: userName, role: z.enum(ROLES), password: z.string().min(1).max(1024) }).strict())
    .use(requiresAuth)
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.auth.addUser(input.name, input.role, input.password, actorOf(ctx), ctx.origin);
      return { id: user.id, name: user.name, role: user.role };
    }),
  disable: guardedProcedure
    .input(z.object({ name: userName }).strict())
    .use(requiresAuth)
    .mutation(({ ctx, input }) => {
      const service = ctx.auth;
      if (ctx.caller?.via === "session" && ctx.caller.name === input.name)
        throw new TRPCError({ code: "BAD_REQUEST", message: "you cannot disable the account you are signed in with: ask another admin" });
      const user = service.accounts.disableUser(input.name);
      service.audit.record("user-disabled", actorOf(ctx), ctx.origin, input.name);
      return { name: user.name, disabled: user.disabled };
    }),
});
