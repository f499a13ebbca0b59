import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { actorOf, guardedProcedure, requiresLatencyStore, router } from "../trpc";

export interface ChartMarker {
  /** "plan-12" for a journal entry, "note-3" for an annotation */
  key: string;
  kind: "plan" | "note";
  atMs: number;
  title: string;
  /** a plan: applied (true) or failed / interrupted (false); a note: true */
  ok: boolean;
  /** the journal entry id or the annotation id */
  id: number;
}

/** Change markers for every latency chart: applied plans from the journal, and manual annotations. */
export const markersRouter = router({
  /** The journal's plans are left out, not refused, when it cannot be opened: the notes still show. */
  list: guardedProcedure
    .input(z.object({ fromMs: z.number().int().min(0), toMs: z.number().int().min(0) }))
    .use(requiresLatencyStore)
    .query(({ ctx, input }) => {
      const journal = ctx.journal();
      const plans: ChartMarker[] = journal.ok
        ? journal.journal
            .markers({ from: input.fromMs, to: input.toMs })
            .map((m) => ({ key: `plan-${m.id}`, kind: "plan", atMs: m.atMs, title: m.title, ok: m.ok, id: m.id }))
        : [];
      const notes: ChartMarker[] = ctx.latency.store.notes
        .between(input.fromMs, input.toMs)
        .map((a) => ({ key: `note-${a.id}`, kind: "note", atMs: a.atMs, title: a.text, ok: true, id: a.id }));
      return [...plans, ...notes].sort((a, b) => a.atMs - b.atMs);
    }),
  annotate: guardedProcedure
    .input(
      z.object({
        atMs: z.number().int().min(0),
        text: z
          .string()
          .trim()
          .min(1, "the note is empty")
          .max(200, "a note is at most 200 characters")
          .regex(/^[^\u0000-\u001f\u007f]*$/, "a note is one line of text without control characters"),
      }),
    )
    .use(requiresLatencyStore)
    .mutation(({ ctx, input }) => ctx.latency.store.notes.add(input.atMs, input.text, actorOf(ctx))),
  removeNote: guardedProcedure
    .input(z.object({ id: z.number().int().min(1) }))
    .use(requiresLatencyStore)
    .mutation(({ ctx, input }) => {
      if (!ctx.latency.store.notes.remove(input.id)) throw new TRPCError({ code: "NOT_FOUND", message: `there is no note ${input.id}` });
      return { removed: input.id };
    }),
});
