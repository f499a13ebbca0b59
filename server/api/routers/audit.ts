import { z } from "zod";
import { authService } from "./auth-service";
import { readProcedure, router } from "../trpc";

export const auditRouter = router({
  /** Newest first; `before` pages back by id. */
  list: readProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(100), before: z.number().int().min(1).optional() }).default({ limit: 100 }))
    .query(({ ctx, input }) => authService(ctx).audit.list({ limit: input.limit, ...(input.before ? { before: input.before } : {}) })),
});
