import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { router, readProcedure } from "../trpc";

export const journalRouter = router({
  /** The newest applies, or why the journal cannot be read. */
  list: readProcedure.input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 })).query(({ ctx, input }) => {
    const opened = ctx.journal();
    if (!opened.ok) return { available: false as const, reason: opened.reason, entries: [] };
    return { available: true as const, reason: null, entries: opened.journal.list({ limit: input.limit }) };
  }),
  byId: readProcedure.input(z.object({ id: z.number().int().min(1) })).query(({ ctx, input }) => {
    const opened = ctx.journal();
    if (!opened.ok) throw new TRPCError({ code: "PRECONDITION_FAILED", message: opened.reason });
    const entry = opened.journal.get(input.id);
    if (!entry) throw new TRPCError({ code: "NOT_FOUND", message: `journal entry ${input.id} does not exist` });
    return entry;
  }),
});
