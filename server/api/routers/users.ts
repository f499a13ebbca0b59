import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { ROLES } from "@/server/auth/accounts";
import { authService } from "./auth-service";
import { actorOf, readProcedure, router, writeProcedure } from "../trpc";

const userName = z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, "lowercase letters, digits, _ . - (at most 32), starting with a letter or _");

export const usersRouter = router({
  list: readProcedure.query(({ ctx }) => authService(ctx).accounts.users()),
  add: writeProcedure
    .input(z.object({ name: userName, role: z.enum(ROLES), password: z.string().min(1).max(1024) }).strict())
    .mutation(async ({ ctx, input }) => {
      const user = await authService(ctx).addUser(input.name, input.role, input.password, actorOf(ctx), ctx.origin);
      return { id: user.id, name: user.name, role: user.role };
    }),
  disable: writeProcedure.input(z.object({ name: userName }).strict()).mutation(({ ctx, input }) => {
    const service = authService(ctx);
    if (ctx.caller?.via === "session" && ctx.caller.name === input.name)
      throw new TRPCError({ code: "BAD_REQUEST", message: "you cannot disable the account you are signed in with: ask another admin" });
    const user = service.accounts.disableUser(input.name);
    service.audit.record("user-disabled", actorOf(ctx), ctx.origin, input.name);
    return { name: user.name, disabled: user.disabled };
  }),
});
