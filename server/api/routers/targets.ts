import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { probeTargetInput } from "@/lib/probe-target";
import { targetOverview } from "@/server/probes/series";
import { TargetConflict } from "@/server/probes/target-store";
import { guardedProcedure, requiresLatencyStore, router } from "../trpc";

/** Latency targets: what the probe agent probes, and what it last said about each. */
export const targetsRouter = router({
  list: guardedProcedure.query(({ ctx }) => {
    const opened = ctx.latency();
    if (!opened.ok) return { available: false as const, reason: opened.reason, agent: null, targets: [] };
    return { available: true as const, reason: null, ...targetOverview(opened.store, Date.now()) };
  }),
  add: guardedProcedure
    .input(probeTargetInput)
    .use(requiresLatencyStore)
    .mutation(({ ctx, input }) => {
      try {
        return ctx.latency.store.targets.add(input);
      } catch (err) {
        if (err instanceof TargetConflict) throw new TRPCError({ code: "CONFLICT", message: err.message });
        throw err;
      }
    }),
  remove: guardedProcedure
    .input(z.object({ id: z.number().int().min(1) }))
    .use(requiresLatencyStore)
    .mutation(({ ctx, input }) => {
      const store = ctx.latency.store;
      if (!store.targets.get(input.id)) throw new TRPCError({ code: "NOT_FOUND", message: `there is no latency target ${input.id}` });
      return store.targets.remove(input.id);
    }),
});
