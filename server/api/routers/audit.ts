import { z } from "zod";
import { guardedProcedure, requiresAuth, router } from "../trpc";

export const auditRouter = router({
  /** Newest first; `before` pages back by id. */
  list: guardedProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(100), before: z.number().int().min(1).optional() }).default({ limit: 100 }))
    .use(requiresAuth)
    .query(({ ctx, input }) => ctx.auth.audit.list({ limit: input.limit, ...(input.before ? { before: input.before } : {}) })),
});
