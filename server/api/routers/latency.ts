import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { addressProblem } from "@/lib/probe-target";
import { compareAround } from "@/server/probes/compare";
import { iperfNote, IperfError, runIperf } from "@/server/probes/iperf";
import { seriesFor, windowStats } from "@/server/probes/series";
import type { ProbeStore } from "@/server/probes/store";
import { actorOf, router, readProcedure, writeProcedure, type Context } from "../trpc";

export function latencyStore(ctx: Context): ProbeStore {
  const opened = ctx.latency();
  if (!opened.ok) throw new TRPCError({ code: "PRECONDITION_FAILED", message: opened.reason });
  return opened.store;
}

const YEAR_MS = 366 * 86_400_000;
const targetId = z.number().int().min(1);
const range = z
  .object({ fromMs: z.number().int().min(0), toMs: z.number().int().min(0) })
  .refine((r) => r.toMs > r.fromMs, { message: "the range must end after it starts (toMs > fromMs)" })
  .refine((r) => r.toMs - r.fromMs <= YEAR_MS + 86_400_000, { message: "the range is at most a year" });

/** Latency series, live samples, window statistics and the before/after verdict. */
export const latencyRouter = router({
  /** A chart's points for a range: the server downsamples to at most maxPoints. */
  series: readProcedure
    .input(z.object({ targetIds: z.array(targetId).min(1).max(20), maxPoints: z.number().int().min(10).max(2000).default(600) }).and(range))
    .query(({ ctx, input }) => {
      const store = latencyStore(ctx);
      return input.targetIds.map((id) => seriesFor(store, id, input));
    }),
  stats: readProcedure.input(z.object({ targetId }).and(range)).query(({ ctx, input }) => windowStats(latencyStore(ctx), input.targetId, input.fromMs, input.toMs)),
  /** Raw samples of the targets since sinceMs, then each new one as the probe agent stores it. */
  live: readProcedure
    .input(z.object({ targetIds: z.array(targetId).min(1).max(20), sinceMs: z.number().int().min(0) }))
    .subscription(async function* ({ ctx, input, signal }) {
      const opened = ctx.latency();
      if (!opened.ok) throw new TRPCError({ code: "PRECONDITION_FAILED", message: opened.reason });
      // At most 15 minutes of backlog: longer ranges are history (latency.series).
      const since = Math.max(input.sinceMs, Date.now() - 15 * 60_000);
      yield* opened.feed.subscribe(input.targetIds, since, signal);
    }),
  /** iperf3 on demand against a named server; the result becomes a note on every chart at the run's start. */
  iperf: writeProcedure
    .input(
      z.object({
        server: z
          .string()
          .trim()
          .min(1, "name the iperf3 server (a host running iperf3 -s)")
          .superRefine((server, ctx) => {
            const problem = addressProblem(server);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
        port: z.number().int().min(1).max(65535).optional(),
        protocol: z.enum(["udp", "tcp"]).default("udp"),
        seconds: z.number().int().min(1, "an iperf3 run lasts 1–60 s").max(60, "an iperf3 run lasts 1–60 s").default(10),
        bitrate: z.string().regex(/^\d+(\.\d+)?[KMG]?$/, 'the bitrate is a number with an optional K, M or G, e.g. "10M"').optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const store = latencyStore(ctx);
      const startedMs = Date.now();
      try {
        const result = await runIperf(input);
        const note = store.addAnnotation(startedMs, iperfNote(result), actorOf(ctx));
        return { result, note };
      } catch (err) {
        if (err instanceof IperfError) throw new TRPCError({ code: "BAD_REQUEST", message: err.message });
        throw err;
      }
    }),
  compare: readProcedure
    .input(
      z.object({
        targetId,
        atMs: z.number().int().min(0),
        windowMs: z.number().int().min(10_000, "the window is at least 10 s").max(86_400_000, "the window is at most a day").default(300_000),
        settleMs: z.number().int().min(0).max(3_600_000, "the settle time is at most an hour").default(30_000),
        thresholdUs: z.number().int().min(1).max(60_000_000).default(100),
      }),
    )
    .query(({ ctx, input }) => compareAround(latencyStore(ctx), input)),
});
