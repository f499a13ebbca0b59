/**
 * Reading the latency store for charts, the CLI and exports: a window's statistics and a chart series of any range,
 * from raw samples while they are kept and from the mergeable rollups after. The server picks the coarsest data
 * that still gives `maxPoints` points, so the browser never receives more than it can draw, and percentiles are
 * always computed from merged histograms, never averaged. No read takes more than RAW_ROW_BUDGET raw samples or
 * ROLLUP_ROW_BUDGET rollups: a range whose raw samples exceed the budget is answered from the rollups (and says so).
 */
import { type LatencyHistogram } from "./histogram";
import { percentile, summarize, type LatencySummary } from "./stats";
import { agentAlive } from "./agent-lease";
import { mergeRollups, type ResolutionS, RESOLUTIONS_S, type StoredRollup } from "./rollup";
import { RAW_ROW_BUDGET, type StoredSample } from "./sample-store";
import { ROLLUP_ROW_BUDGET } from "./rollup-store";
import type { ProbeStores } from "./stores";

/** What charts and statistics read. */
type SeriesStores = Pick<ProbeStores, "targets" | "samples" | "rollups" | "agent">;

export type SeriesSource = "raw" | "10s" | "1m" | "1h";

export interface SeriesPoint {
  /** bucket start, ms since the epoch */
  t: number;
  sent: number;
  /** N: replies in the bucket */
  n: number;
  loss: number | null;
  min: number | null;
  p5: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** PDV p99: p99 − the bucket's minimum (RFC 5481) */
  pdvP99: number | null;
  /** RFC 3550 J: over the bucket (raw) or the mean of its 10 s buckets' J (rollups) */
  jitter: number | null;
  /** the prober's own send lateness, p99 (self-noise, same axis) */
  lagP99: number | null;
  /** sends late by more than one interval: the prober stalled, which is not network loss */
  gaps: number;
}

export interface Series {
  targetId: number;
  source: SeriesSource;
  stepMs: number;
  fromMs: number;
  toMs: number;
  points: SeriesPoint[];
}

const SOURCE_OF: Record<ResolutionS, SeriesSource> = { 10: "10s", 60: "1m", 3600: "1h" };

/**
 * The chart series of one target over [fromMs, toMs): at most `maxPoints` buckets, each `stepMs` wide (a whole
 * multiple of the source's resolution). Empty buckets are left out; the chart shows them as gaps.
 */
export function seriesFor(store: SeriesStores, targetId: number, range: { fromMs: number; toMs: number; maxPoints: number }): Series {
  const { fromMs, toMs } = range;
  const span = Math.max(1, toMs - fromMs);
  const wantStep = Math.ceil(span / Math.max(1, range.maxPoints));
  const target = store.targets.get(targetId);
  const probeMs = target?.intervalMs ?? 1000;

  if (wantStep < 10_000 && rawCovers(store, targetId, fromMs) && rawFits(store, targetId, fromMs, toMs)) {
    const stepMs = Math.max(wantStep, probeMs, 1000);
    return {
      targetId,
      source: "raw",
      stepMs,
      fromMs,
      toMs,
      points: pointsFromSamples(store.samples.range(targetId, fromMs * 1000, toMs * 1000), stepMs, fromMs),
    };
  }
  // The coarsest resolution whose buckets are at most twice the wanted step (at least maxPoints/2 points: reading
  // 60× fewer rows matters more than the last few pixels), whose retention still reaches the range's start and
  // whose rows over the range fit the rollup budget.
  const candidates = RESOLUTIONS_S.filter((r) => r * 1000 <= Math.max(2 * wantStep, 10_000));
  let resolution: ResolutionS = candidates.at(-1) ?? 10;
  for (const r of [...candidates].reverse()) {
    const oldest = store.rollups.oldestUs(targetId, r);
    if (oldest !== null && oldest / 1000 <= fromMs && rollupsFit(r, fromMs, toMs)) {
      resolution = r;
      break;
    }
  }
  const resMs = resolution * 1000;
  let stepMs = Math.ceil(wantStep / resMs) * resMs;
  // The buckets are aligned to the epoch, not to fromMs: widen the step until the range's buckets fit maxPoints.
  while (Math.floor((toMs - 1) / stepMs) - Math.floor(fromMs / stepMs) + 1 > range.maxPoints) stepMs += resMs;
  const rollups = store.rollups.range(targetId, resolution, fromMs * 1000, toMs * 1000);
  const points = pointsFromRollups(rollups, stepMs);
  // The newest minutes are not rolled up yet: take them from the raw samples so "now" is never missing.
  const doneMs = (store.rollups.doneUntil(targetId, resolution) ?? fromMs * 1000) / 1000;
  if (doneMs < toMs) {
    const tailFrom = Math.max(fromMs, Math.floor(doneMs / stepMs) * stepMs);
    // epoch-aligned like the rollup points, so the tail's buckets continue theirs; a tail beyond the raw budget (the
    // agent far behind with its rollups) keeps its newest samples, so "now" is still there and the rest is a gap
    const tail = pointsFromSamples(store.samples.newest(targetId, tailFrom * 1000, toMs * 1000, RAW_ROW_BUDGET), stepMs, 0);
    const firstTail = tail[0]?.t ?? Infinity;
    return { targetId, source: SOURCE_OF[resolution], stepMs, fromMs, toMs, points: [...points.filter((p) => p.t < firstTail), ...tail] };
  }
  return { targetId, source: SOURCE_OF[resolution], stepMs, fromMs, toMs, points };
}

/**
 * Whether the raw samples still hold everything from `fromMs` on: either they reach back that far, or nothing was
 * ever pruned (the oldest raw sample is as old as the oldest rollup, which was built from raw samples).
 */
function rawCovers(store: SeriesStores, targetId: number, fromMs: number): boolean {
  const oldestRaw = store.samples.oldestUs(targetId);
  // none left: raw only when nothing was ever rolled up (a removed target's 10 s rollups age out before its 1 min ones)
  if (oldestRaw === null) return RESOLUTIONS_S.every((r) => store.rollups.oldestUs(targetId, r) === null);
  if (oldestRaw / 1000 <= fromMs + 10_000) return true;
  const oldestRollup = store.rollups.oldestUs(targetId, 10);
  return oldestRollup === null || oldestRaw < oldestRollup + 10_000_000;
}

/** Whether the raw samples of the range are within the budget of one read. */
function rawFits(store: SeriesStores, targetId: number, fromMs: number, toMs: number): boolean {
  return store.samples.count(targetId, fromMs * 1000, toMs * 1000, RAW_ROW_BUDGET + 1) <= RAW_ROW_BUDGET;
}

/** Whether a range's rollups at a resolution are within the budget of one read. */
const rollupsFit = (resolution: ResolutionS, fromMs: number, toMs: number) => (toMs - fromMs) / (resolution * 1000) <= ROLLUP_ROW_BUDGET;

function bucketStart(tMs: number, stepMs: number, originMs: number): number {
  return originMs + Math.floor((tMs - originMs) / stepMs) * stepMs;
}

export function pointsFromSamples(samples: readonly StoredSample[], stepMs: number, originMs: number): SeriesPoint[] {
  const buckets = new Map<number, StoredSample[]>();
  for (const s of samples) {
    const b = bucketStart(s.sentUs / 1000, stepMs, originMs);
    let list = buckets.get(b);
    if (!list) buckets.set(b, (list = []));
    list.push(s);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, list]) => {
      const sum = summarize(list);
      const sorted = list.flatMap((s) => (s.rttUs === null ? [] : [s.rttUs])).sort((a, b) => a - b);
      const lags = list.flatMap((s) => (s.lagUs === null ? [] : [Math.max(0, s.lagUs)])).sort((a, b) => a - b);
      return {
        t,
        sent: sum.sent,
        n: sum.n,
        loss: sum.loss,
        min: sum.min,
        p5: percentile(sorted, 0.05),
        p25: percentile(sorted, 0.25),
        p50: sum.p50,
        p75: percentile(sorted, 0.75),
        p95: sum.p95,
        p99: sum.p99,
        max: sum.max,
        pdvP99: sum.pdv.p99,
        jitter: sum.jitterRfc3550,
        lagP99: percentile(lags, 0.99),
        gaps: list.filter((s) => s.lagUs !== null && s.lagUs > s.intervalMs * 1000).length,
      };
    });
}

export function pointsFromRollups(rollups: readonly StoredRollup[], stepMs: number): SeriesPoint[] {
  const buckets = new Map<number, StoredRollup[]>();
  for (const r of rollups) {
    const b = Math.floor(r.startUs / 1000 / stepMs) * stepMs;
    let list = buckets.get(b);
    if (!list) buckets.set(b, (list = []));
    list.push(r);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, parts]) => {
      const m = mergeRollups(parts);
      const min = m.rtt.min;
      const p99 = m.rtt.percentile(0.99);
      return {
        t,
        sent: m.sent,
        n: m.received,
        loss: m.sent ? 1 - m.received / m.sent : null,
        min,
        p5: m.rtt.percentile(0.05),
        p25: m.rtt.percentile(0.25),
        p50: m.rtt.percentile(0.5),
        p75: m.rtt.percentile(0.75),
        p95: m.rtt.percentile(0.95),
        p99,
        max: m.rtt.max,
        pdvP99: p99 === null || min === null ? null : p99 - min,
        jitter: m.jitterBuckets ? m.jitterSumUs / m.jitterBuckets : null,
        lagP99: m.lag.percentile(0.99),
        gaps: m.gaps,
      };
    });
}

export interface WindowStats {
  targetId: number;
  fromMs: number;
  toMs: number;
  /** raw: exact over every probe; otherwise merged rollup histograms (exact below 2,048 µs, 0.1 % above) */
  source: SeriesSource;
  summary: LatencySummary;
  /** the probe interval in the window, null when it changed */
  intervalMs: number | null;
  proberLagP99Us: number | null;
  gaps: number;
}

/**
 * A window's statistics: exact from raw samples while they are kept and within RAW_ROW_BUDGET, else from the finest
 * rollups covering it whose rows fit ROLLUP_ROW_BUDGET (percentiles from their merged histograms).
 */
export function windowStats(store: SeriesStores, targetId: number, fromMs: number, toMs: number): WindowStats {
  if (rawCovers(store, targetId, fromMs) && rawFits(store, targetId, fromMs, toMs)) {
    const samples = store.samples.range(targetId, fromMs * 1000, toMs * 1000);
    const lags = samples.flatMap((s) => (s.lagUs === null ? [] : [Math.max(0, s.lagUs)])).sort((a, b) => a - b);
    const intervals = new Set(samples.map((s) => s.intervalMs));
    return {
      targetId,
      fromMs,
      toMs,
      source: "raw",
      summary: summarize(samples),
      intervalMs: intervals.size === 1 ? [...intervals][0]! : null,
      proberLagP99Us: percentile(lags, 0.99),
      gaps: samples.filter((s) => s.lagUs !== null && s.lagUs > s.intervalMs * 1000).length,
    };
  }
  // the coarsest resolution when none fits: an hour's rollups fit any range the API takes (at most a year)
  let resolution: ResolutionS = RESOLUTIONS_S.find((r) => rollupsFit(r, fromMs, toMs)) ?? 3600;
  for (const r of RESOLUTIONS_S) {
    const oldest = store.rollups.oldestUs(targetId, r);
    if (oldest !== null && oldest / 1000 <= fromMs && rollupsFit(r, fromMs, toMs)) {
      resolution = r;
      break;
    }
  }
  const m = mergeRollups(store.rollups.range(targetId, resolution, fromMs * 1000, toMs * 1000));
  return {
    targetId,
    fromMs,
    toMs,
    source: SOURCE_OF[resolution],
    summary: summaryFromHistograms(m.sent, m.rtt, m.ipdvAbs, m.lossLongest, m.lossEpisodes, m.jitterBuckets ? m.jitterSumUs / m.jitterBuckets : null),
    intervalMs: m.intervalMs,
    proberLagP99Us: m.lag.percentile(0.99),
    gaps: m.gaps,
  };
}

function summaryFromHistograms(
  sent: number,
  rtt: LatencyHistogram,
  ipdvAbs: LatencyHistogram,
  lossLongest: number,
  lossEpisodes: number,
  jitter: number | null,
): LatencySummary {
  const n = rtt.count;
  const min = rtt.min;
  const mean = rtt.mean();
  let sq = 0;
  for (const [b, c] of rtt.entries()) sq += b * b * c;
  const minus = (x: number | null) => (x === null || min === null ? null : x - min);
  return {
    sent,
    n,
    loss: sent ? 1 - n / sent : null,
    lossBursts: { longest: lossLongest, episodes: lossEpisodes },
    min,
    p50: rtt.percentile(0.5),
    p90: rtt.percentile(0.9),
    p95: rtt.percentile(0.95),
    p99: rtt.percentile(0.99),
    p999: rtt.percentile(0.999),
    max: rtt.max,
    mean,
    mdev: mean === null ? null : Math.sqrt(Math.max(0, sq / n - mean * mean)),
    pdv: { p50: minus(rtt.percentile(0.5)), p99: minus(rtt.percentile(0.99)), p999: minus(rtt.percentile(0.999)) },
    ipdv: { meanAbs: ipdvAbs.mean(), p99Abs: ipdvAbs.percentile(0.99), peakToPeak: null },
    jitterRfc3550: jitter,
  };
}

/**
 * The active targets with what the probe agent last said of each and their last minute: the Latency page's list
 * and `passdeck targets list`.
 */
export function targetOverview(store: SeriesStores, nowMs: number) {
  const statuses = new Map(store.targets.statuses().map((s) => [s.targetId, s]));
  const agent = store.agent.current();
  return {
    agent: agent && { ...agent, alive: agentAlive(agent, nowMs) },
    targets: store.targets.active().map((t) => {
      const s = windowStats(store, t.id, nowMs - 60_000, nowMs).summary;
      const status = statuses.get(t.id);
      return {
        ...t,
        state: status?.state ?? ("not started" as const),
        message: status?.message ?? null,
        lastMinute: { sent: s.sent, n: s.n, loss: s.loss, p50: s.p50, p99: s.p99, pdvP99: s.pdv.p99 },
      };
    }),
  };
}
