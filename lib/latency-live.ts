/**
 * Live latency chart points in the browser, from the raw samples the `latency.live` subscription streams. Every sample
 * is the end of a trailing window (10 s by default) whose percentiles make that point's smoke, so a live chart looks
 * like the 10 s rollups of history while still moving with each reply. Pure, and shared with its unit test.
 * Times: `sentMs` in ms since the epoch, RTTs and lateness in µs.
 */
import { percentile } from "@/lib/percentile";
import type { SeriesPoint } from "@/server/probes/series";

/** One probe as the live feed sends it (a structural subset of the server's LiveSample). */
export interface RawSample {
  /** the store's row id: unique, so a replayed backlog after a reconnect is dropped */
  id: number;
  seq: number;
  sentMs: number;
  /** null: no reply within the timeout */
  rttUs: number | null;
  /** how late the prober sent it (its own noise); null when unknown */
  lagUs: number | null;
}

/** A chart point: live points are built here with exactly the fields of the server's history points. */
export type LatencyPoint = SeriesPoint;

/** What the live view keeps per target and draws: the last 5 minutes. */
export const LIVE_SPAN_MS = 5 * 60_000;
/** Each live point's bands come from the samples sent in the trailing 10 s. */
export const LIVE_BAND_MS = 10_000;
/** A chart never draws more points than this (≈ one per 2 px on a wide screen). */
export const MAX_CHART_POINTS = 600;

/**
 * Adds `incoming` to `buffer`: ordered by send time, each sample once (by id), nothing sent before `keepFromMs`.
 * Returns `buffer` itself when nothing changed, so callers can skip a re-render.
 */
export function mergeSamples(buffer: readonly RawSample[], incoming: readonly RawSample[], keepFromMs: number): readonly RawSample[] {
  const known = new Set(buffer.map((s) => s.id));
  const fresh = incoming.filter((s) => !known.has(s.id) && s.sentMs >= keepFromMs);
  const firstKept = buffer.findIndex((s) => s.sentMs >= keepFromMs);
  const trimmed = firstKept === -1 ? [] : firstKept === 0 ? buffer : buffer.slice(firstKept);
  if (fresh.length === 0 && trimmed === buffer) return buffer;
  const out = [...trimmed];
  // New samples are nearly always newer than everything kept: append, and sort only when one arrived out of order.
  const last = out.at(-1)?.sentMs ?? -Infinity;
  const ordered = fresh.every((s, i) => s.sentMs >= (i === 0 ? last : fresh[i - 1]!.sentMs));
  out.push(...fresh);
  if (!ordered) out.sort((a, b) => a.sentMs - b.sentMs || a.seq - b.seq);
  return out;
}

/**
 * The point of `sorted[index]`: statistics over the samples sent in (t − bandMs, t], t being that sample's send time.
 * `sorted` is ordered by sentMs. `intervalMs` is the target's probe interval: a send later than one interval is a
 * prober gap (the prober stalled), counted apart from network loss.
 */
export function trailingPoint(sorted: readonly RawSample[], index: number, intervalMs: number, bandMs: number = LIVE_BAND_MS): LatencyPoint {
  const end = sorted[index];
  if (!end) throw new RangeError(`no sample at index ${index}`);
  let start = index;
  while (start > 0 && sorted[start - 1]!.sentMs > end.sentMs - bandMs) start--;
  return pointOf(sorted.slice(start, index + 1), end.sentMs, intervalMs);
}

function pointOf(window: readonly RawSample[], t: number, intervalMs: number): LatencyPoint {
  const rtts = window.flatMap((s) => (s.rttUs === null ? [] : [s.rttUs])).sort((a, b) => a - b);
  const lags = window.flatMap((s) => (s.lagUs === null ? [] : [Math.max(0, s.lagUs)])).sort((a, b) => a - b);
  const n = rtts.length;
  const min = n ? rtts[0]! : null;
  const p99 = percentile(rtts, 0.99);
  return {
    t,
    sent: window.length,
    n,
    // (sent − n)/sent rather than 1 − n/sent: exact for simple fractions (1/5 is 0.2, not 0.19999999999999996)
    loss: window.length ? (window.length - n) / window.length : null,
    min,
    p5: percentile(rtts, 0.05),
    p25: percentile(rtts, 0.25),
    p50: percentile(rtts, 0.5),
    p75: percentile(rtts, 0.75),
    p95: percentile(rtts, 0.95),
    p99,
    max: n ? rtts[n - 1]! : null,
    pdvP99: p99 === null || min === null ? null : p99 - min,
    jitter: rfc3550Jitter(window),
    lagP99: percentile(lags, 0.99),
    gaps: window.filter((s) => s.lagUs !== null && s.lagUs > intervalMs * 1000).length,
  };
}

/**
 * RFC 3550 §6.4.1 interarrival jitter over consecutive received probes (J₀ = 0, J += (|D| − J)/16), where D is the
 * RTT difference: the same filter iperf3 and mtr use. Pairs across a lost or missing sequence number are skipped.
 */
export function rfc3550Jitter(samples: readonly RawSample[]): number | null {
  let j = 0;
  let pairs = 0;
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1]!;
    const cur = samples[i]!;
    if (prev.rttUs === null || cur.rttUs === null || cur.seq !== prev.seq + 1) continue;
    j += (Math.abs(cur.rttUs - prev.rttUs) - j) / 16;
    pairs++;
  }
  return pairs ? j : null;
}

/**
 * The points a live chart draws over [fromMs, toMs]: time is cut into at most `maxPoints` equal buckets (aligned to the
 * epoch, so a bucket keeps its point as the window slides) and each bucket shows the trailing-window point of its
 * newest sample. The buckets are narrower than the trailing window, so every sample's RTT and loss is inside some
 * drawn point's bands, and every sample is in some point's max: thinning hides no spike.
 */
export function liveChartPoints(
  sorted: readonly RawSample[],
  options: { fromMs: number; toMs: number; intervalMs: number; bandMs?: number; maxPoints?: number },
): LatencyPoint[] {
  const bucketMs = Math.max(1, Math.ceil((options.toMs - options.fromMs) / (options.maxPoints ?? MAX_CHART_POINTS)));
  const picked: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    if (s.sentMs < options.fromMs || s.sentMs > options.toMs) continue;
    const bucket = Math.floor(s.sentMs / bucketMs);
    const next = sorted[i + 1];
    if (!next || next.sentMs > options.toMs || Math.floor(next.sentMs / bucketMs) !== bucket) picked.push(i);
  }
  // Max is one sample, not a percentile: each point shows the slowest probe of its own bucket, so a spike is one dot
  // near when it happened (the trailing window's max would repeat it for 10 s).
  let bucketStart = sorted.findIndex((s) => s.sentMs >= options.fromMs);
  return picked.map((i) => {
    const point = trailingPoint(sorted, i, options.intervalMs, options.bandMs);
    let max: number | null = null;
    for (let k = bucketStart; k <= i; k++) {
      const rtt = sorted[k]!.rttUs;
      if (rtt !== null && (max === null || rtt > max)) max = rtt;
    }
    bucketStart = i + 1;
    return { ...point, max };
  });
}

/** A whole window's numbers for a chart header: N, loss, percentiles, PDV p99 (RFC 5481) and RFC 3550 J. */
export interface WindowNumbers {
  sent: number;
  n: number;
  loss: number | null;
  min: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  pdvP99: number | null;
  jitter: number | null;
}

export function windowNumbers(sorted: readonly RawSample[], fromMs: number, toMs: number): WindowNumbers {
  const inside = sorted.filter((s) => s.sentMs >= fromMs && s.sentMs <= toMs);
  const p = inside.length ? pointOf(inside, toMs, Infinity) : null;
  return {
    sent: inside.length,
    n: p?.n ?? 0,
    loss: p?.loss ?? null,
    min: p?.min ?? null,
    p50: p?.p50 ?? null,
    p95: p?.p95 ?? null,
    p99: p?.p99 ?? null,
    max: p?.max ?? null,
    pdvP99: p?.pdvP99 ?? null,
    jitter: p?.jitter ?? null,
  };
}

/** A point with nothing measured: inserted where data is missing so lines and bands break instead of bridging it. */
export function emptyPoint(t: number): LatencyPoint {
  return {
    t,
    sent: 0,
    n: 0,
    loss: null,
    min: null,
    p5: null,
    p25: null,
    p50: null,
    p75: null,
    p95: null,
    p99: null,
    max: null,
    pdvP99: null,
    jitter: null,
    lagP99: null,
    gaps: 0,
  };
}

/**
 * `points` with an empty point after each hole longer than `maxGapMs` (the agent was down, the target was removed and
 * re-added): a chart then shows the hole rather than a straight line across it.
 */
export function breakGaps<P extends { t: number }>(points: readonly P[], maxGapMs: number, empty: (t: number) => P): P[] {
  const out: P[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const prev = points[i - 1];
    if (prev && p.t - prev.t > maxGapMs) out.push(empty(prev.t + 1));
    out.push(p);
  }
  return out;
}
