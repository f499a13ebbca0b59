import { databaseUnavailable } from "@/server/auth/unavailable";
import { guardedProcedure, router } from "../trpc";

export const sessionRouter = router({
  /** Who is signed in (null: nobody), and whether the server still waits for its first admin. */
  me: guardedProcedure.query(({ ctx }) => {
    const auth = ctx.auth();
    return {
      caller: ctx.caller ? { name: ctx.caller.name, role: ctx.caller.role, via: ctx.caller.via } : null,
      needsSetup: auth.ok ? auth.service.needsSetup() : false,
      /** why nobody can sign in (the database cannot be opened): the paths and errors only to an admin, else the log has them */
      unavailable: auth.ok ? null : ctx.caller?.role === "admin" ? auth.reason : databaseUnavailable(auth.reason),
      setupFromBrowser: !ctx.listensBeyondLoopback,
    };
  }),
});
