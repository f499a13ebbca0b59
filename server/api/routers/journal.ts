import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { guardedProcedure, requiresJournal, router } from "../trpc";

export const journalRouter = router({
  /** The newest applies, or why the journal cannot be read. */
  list: guardedProcedure.input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 })).query(({ ctx, input }) => {
    const opened = ctx.journal();
    if (!opened.ok) return { available: false as const, reason: opened.reason, entries: [] };
    return { available: true as const, reason: null, entries: opened.journal.list({ limit: input.limit }) };
  }),
  byId: guardedProcedure
    .input(z.object({ id: z.number().int().min(1) }))
    .use(requiresJournal)
    .query(({ ctx, input }) => {
      const entry = ctx.journal.get(input.id);
      if (!entry) throw new TRPCError({ code: "NOT_FOUND", message: `journal entry ${input.id} does not exist` });
      return entry;
    }),
});
