import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { addressProblem } from "@/lib/probe-target";
import { compareAround } from "@/server/probes/compare";
import { iperfNote, IperfError, runIperf } from "@/server/probes/iperf";
import { seriesFor, windowStats } from "@/server/probes/series";
import { EARLIEST_EXPORT_MS } from "@/server/probes/export";
import { toTRPCError } from "../errors";
import { actorOf, guardedProcedure, requiresLatencyStore, router } from "../trpc";
import { callerKey } from "../caller-key";
import { definedOnly } from "../defined-only";

const DAY_MS = 86_400_000;
const YEAR_MS = 366 * DAY_MS;
const targetId = z.number().int().min(1);
/** A time of a sample: after 2000 (older is a unit mix-up) and at most a day ahead of this server's clock. */
const sampleTime = (name: string) =>
  z
    .number()
    .int()
    .min(EARLIEST_EXPORT_MS, `${name} is before 2000-01-01, older than any sample (ms since the epoch, not seconds?)`)
    .refine((ms) => ms <= Date.now() + DAY_MS, `${name} is more than a day in the future: no samples are there yet`);
const range = z
  .object({ fromMs: sampleTime("fromMs"), toMs: sampleTime("toMs") })
  .refine((r) => r.toMs > r.fromMs, { message: "the range must end after it starts (toMs > fromMs)" })
  .refine((r) => r.toMs - r.fromMs <= YEAR_MS + DAY_MS, { message: "the range is at most a year" });

/** Errors thrown while a subscription streams leave through the one error table too (a dropped slow reader). */
function mapStreamErrors<T>(it: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  return {
    next: () =>
      it.next().catch((err: unknown) => {
        throw toTRPCError(err);
      }),
    return: (value?: unknown) => it.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Latency series, live samples, window statistics and the before/after verdict. */
export const latencyRouter = router({
  /** A chart's points for a range: the server downsamples to at most maxPoints. */
  series: guardedProcedure
    .input(z.object({ targetIds: z.array(targetId).min(1).max(20), maxPoints: z.number().int().min(10).max(2000).default(600) }).and(range))
    .use(requiresLatencyStore)
    .query(({ ctx, input }) => input.targetIds.map((id) => seriesFor(ctx.latency.store, id, input))),
  stats: guardedProcedure
    .input(z.object({ targetId }).and(range))
    .use(requiresLatencyStore)
    .query(({ ctx, input }) => windowStats(ctx.latency.store, input.targetId, input.fromMs, input.toMs)),
  /**
   * Raw samples of the targets since sinceMs, then each new one as the probe agent stores it. Capped per caller and
   * in all (refused at once, before any sample); a client that stops reading is dropped with the reason.
   */
  live: guardedProcedure
    .input(z.object({ targetIds: z.array(targetId).min(1).max(20), sinceMs: z.number().int().min(0) }))
    .use(requiresLatencyStore)
    .subscription(({ ctx, input, signal }) => {
      // At most 15 minutes of backlog: longer ranges are history (latency.series).
      const since = Math.max(input.sinceMs, Date.now() - 15 * 60_000);
      return mapStreamErrors(ctx.latency.feed.subscribe(input.targetIds, since, { caller: callerKey(ctx.caller), ...(signal ? { signal } : {}) }));
    }),
  /** iperf3 on demand against a named server; the result becomes a note on every chart at the run's start. */
  iperf: guardedProcedure
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
        bitrate: z
          .string()
          .regex(/^\d+(\.\d+)?[KMG]?$/, 'the bitrate is a number with an optional K, M or G, e.g. "10M"')
          .optional(),
      }),
    )
    .use(requiresLatencyStore)
    .mutation(async ({ ctx, input }) => {
      const store = ctx.latency.store;
      const startedMs = Date.now();
      try {
        const result = await runIperf(definedOnly(input));
        const note = store.notes.add(startedMs, iperfNote(result), actorOf(ctx));
        return { result, note };
      } catch (err) {
        if (err instanceof IperfError) throw new TRPCError({ code: "BAD_REQUEST", message: err.message });
        throw err;
      }
    }),
  compare: guardedProcedure
    .input(
      z.object({
        targetId,
        atMs: z.number().int().min(0),
        windowMs: z.number().int().min(10_000, "the window is at least 10 s").max(86_400_000, "the window is at most a day").default(300_000),
        settleMs: z.number().int().min(0).max(3_600_000, "the settle time is at most an hour").default(30_000),
        thresholdUs: z.number().int().min(1).max(60_000_000).default(100),
      }),
    )
    .use(requiresLatencyStore)
    .query(({ ctx, input }) => compareAround(ctx.latency.store, input)),
});
