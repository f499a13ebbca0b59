import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { probeTargetInput } from "@/lib/probe-target";
import { windowStats } from "@/server/probes/series";
import { agentAlive, TargetConflict } from "@/server/probes/store";
import { router, readProcedure, writeProcedure } from "../trpc";
import { latencyStore } from "./latency";

/** Latency targets: what the probe agent probes, and what it last said about each. */
export const targetsRouter = router({
  list: readProcedure.query(({ ctx }) => {
    const opened = ctx.latency();
    if (!opened.ok) return { available: false as const, reason: opened.reason, agent: null, targets: [] };
    const store = opened.store;
    const statuses = new Map(store.statuses().map((s) => [s.targetId, s]));
    const now = Date.now();
    const agent = store.agent();
    return {
      available: true as const,
      reason: null,
      agent: agent && { ...agent, alive: agentAlive(agent, now) },
      targets: store.activeTargets().map((t) => {
        const s = windowStats(store, t.id, now - 60_000, now).summary;
        const status = statuses.get(t.id);
        return {
          ...t,
          state: status?.state ?? ("not started" as const),
          message: status?.message ?? null,
          lastMinute: { sent: s.sent, n: s.n, loss: s.loss, p50: s.p50, p99: s.p99, pdvP99: s.pdv.p99 },
        };
      }),
    };
  }),
  add: writeProcedure.input(probeTargetInput).mutation(({ ctx, input }) => {
    try {
      return latencyStore(ctx).addTarget(input);
    } catch (err) {
      if (err instanceof TargetConflict) throw new TRPCError({ code: "CONFLICT", message: err.message });
      throw err;
    }
  }),
  remove: writeProcedure.input(z.object({ id: z.number().int().min(1) })).mutation(({ ctx, input }) => {
    const store = latencyStore(ctx);
    if (!store.target(input.id)) throw new TRPCError({ code: "NOT_FOUND", message: `there is no latency target ${input.id}` });
    return store.removeTarget(input.id);
  }),
});
