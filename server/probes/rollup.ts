/**
 * Rollup maths, pure: a 10 s bucket from its raw samples, and rollups added into coarser ones (1 min, 1 h). The
 * histograms (histogram.ts) add exactly, so a rollup of rollups is the rollup of the samples, except where noted.
 */
import { LatencyHistogram } from "./histogram";

/** A probe's result as stored: one per probe sent, rtt null when the reply was lost. */
export interface SampleRow {
  targetId: number;
  seq: number;
  sentUs: number;
  rttUs: number | null;
  lagUs: number | null;
  intervalMs: number;
}

export const RESOLUTIONS_S = [10, 60, 3600] as const;
export type ResolutionS = (typeof RESOLUTIONS_S)[number];

export interface Rollup {
  targetId: number;
  resolutionS: ResolutionS;
  startUs: number;
  sent: number;
  received: number;
  lossLongest: number;
  lossEpisodes: number;
  rtt: LatencyHistogram;
  ipdvAbs: LatencyHistogram;
  lag: LatencyHistogram;
  jitterSumUs: number;
  jitterBuckets: number;
  gaps: number;
  intervalMs: number | null;
}

/** A stored rollup as read back: the histograms still encoded, so merging adds their counts without decoding twice. */
export interface StoredRollup extends Omit<Rollup, "rtt" | "ipdvAbs" | "lag"> {
  rtt: Uint8Array;
  ipdvAbs: Uint8Array;
  lag: Uint8Array;
}

/** The start of the bucket of `stepUs` that holds `us` (null stays null: nothing stored yet). */
export function floorTo(us: number | null, stepUs: number): number | null {
  return us === null ? null : Math.floor(us / stepUs) * stepUs;
}

/** Items grouped by the bucket of `stepUs` their time falls in, in first-seen order. */
export function groupByBucket<T>(items: readonly T[], timeUs: (item: T) => number, stepUs: number): Map<number, T[]> {
  const byBucket = new Map<number, T[]>();
  for (const item of items) {
    const b = floorTo(timeUs(item), stepUs)!;
    const bucket = byBucket.get(b);
    if (bucket) bucket.push(item);
    else byBucket.set(b, [item]);
  }
  return byBucket;
}

/** One 10 s bucket from its raw samples (any order). */
export function rollupFromSamples(targetId: number, startUs: number, samples: readonly SampleRow[]): Rollup {
  const bySeq = [...samples].sort((a, b) => a.seq - b.seq);
  const rtt = new LatencyHistogram();
  const ipdvAbs = new LatencyHistogram();
  const lag = new LatencyHistogram();
  let longest = 0;
  let episodes = 0;
  let run = 0;
  let jitter = 0;
  let pairs = 0;
  let gaps = 0;
  for (let i = 0; i < bySeq.length; i++) {
    const s = bySeq[i]!;
    if (s.rttUs === null) {
      if (run++ === 0) episodes++;
      longest = Math.max(longest, run);
    } else {
      run = 0;
      rtt.record(s.rttUs);
    }
    if (s.lagUs !== null) {
      lag.record(Math.max(0, s.lagUs));
      if (s.lagUs > s.intervalMs * 1000) gaps++;
    }
    // IPDV and jitter between consecutive replies only
    const prevRtt = i > 0 && bySeq[i - 1]!.seq === s.seq - 1 ? bySeq[i - 1]!.rttUs : null;
    if (prevRtt !== null && s.rttUs !== null) {
      const d = s.rttUs - prevRtt;
      ipdvAbs.record(Math.abs(d));
      jitter += (Math.abs(d) - jitter) / 16;
      pairs++;
    }
  }
  const intervals = new Set(bySeq.map((s) => s.intervalMs));
  return {
    targetId,
    resolutionS: 10,
    startUs,
    sent: bySeq.length,
    received: rtt.count,
    lossLongest: longest,
    lossEpisodes: episodes,
    rtt,
    ipdvAbs,
    lag,
    jitterSumUs: pairs ? jitter : 0,
    jitterBuckets: pairs ? 1 : 0,
    gaps,
    intervalMs: intervals.size === 1 ? [...intervals][0]! : null,
  };
}

/**
 * Adds rollups: histograms and counts add exactly. A loss burst crossing a bucket edge is counted as two (the
 * longest burst is the longest part), and J is the mean of the 10 s buckets' J.
 */
export function mergeRollups(parts: readonly (Rollup | StoredRollup)[]): Omit<Rollup, "targetId" | "resolutionS" | "startUs"> {
  const rtt = new LatencyHistogram();
  const ipdvAbs = new LatencyHistogram();
  const lag = new LatencyHistogram();
  const intervals = new Set(parts.map((p) => p.intervalMs));
  const add = (into: LatencyHistogram, h: LatencyHistogram | Uint8Array) => (h instanceof LatencyHistogram ? into.add(h) : into.addEncoded(h));
  for (const p of parts) {
    add(rtt, p.rtt);
    add(ipdvAbs, p.ipdvAbs);
    add(lag, p.lag);
  }
  return {
    sent: parts.reduce((a, p) => a + p.sent, 0),
    received: parts.reduce((a, p) => a + p.received, 0),
    lossLongest: parts.reduce((m, p) => Math.max(m, p.lossLongest), 0), // no spread: tens of thousands of parts
    lossEpisodes: parts.reduce((a, p) => a + p.lossEpisodes, 0),
    rtt,
    ipdvAbs,
    lag,
    jitterSumUs: parts.reduce((a, p) => a + p.jitterSumUs, 0),
    jitterBuckets: parts.reduce((a, p) => a + p.jitterBuckets, 0),
    gaps: parts.reduce((a, p) => a + p.gaps, 0),
    intervalMs: intervals.size === 1 ? [...intervals][0]! : null,
  };
}
