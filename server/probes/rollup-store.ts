/**
 * The 10 s / 1 min / 1 h rollups of the raw samples, built by the probe agent as buckets settle (the maths is in
 * rollup.ts) and read by charts and statistics over ranges too long for raw samples.
 */
import type { Db } from "@/server/db/database";
import { floorTo, groupByBucket, mergeRollups, rollupFromSamples, type ResolutionS, type Rollup, type StoredRollup } from "./rollup";
import { RAW_ROW_BUDGET, type SampleStore } from "./sample-store";
import type { TargetStore } from "./target-store";

export { RESOLUTIONS_S, type ResolutionS, type Rollup, type StoredRollup } from "./rollup";

/** The most rollup rows one read merges (50,000 ≈ 6 days of 10 s rollups, 35 days of 1 min, 5.7 years of 1 h). */
export const ROLLUP_ROW_BUDGET = 50_000;

interface RollupRow {
  target_id: number;
  resolution_s: ResolutionS;
  start_us: number;
  sent: number;
  received: number;
  loss_longest: number;
  loss_episodes: number;
  rtt_hist: Buffer;
  ipdv_abs_hist: Buffer;
  lag_hist: Buffer;
  jitter_sum_us: number;
  jitter_buckets: number;
  gaps: number;
  interval_ms: number | null;
}

const rollupOf = (r: RollupRow): StoredRollup => ({
  targetId: r.target_id,
  resolutionS: r.resolution_s,
  startUs: r.start_us,
  sent: r.sent,
  received: r.received,
  lossLongest: r.loss_longest,
  lossEpisodes: r.loss_episodes,
  rtt: r.rtt_hist,
  ipdvAbs: r.ipdv_abs_hist,
  lag: r.lag_hist,
  jitterSumUs: r.jitter_sum_us,
  jitterBuckets: r.jitter_buckets,
  gaps: r.gaps,
  intervalMs: r.interval_ms,
});

export class RollupStore {
  constructor(
    private readonly db: Db,
    private readonly targets: TargetStore,
    private readonly samples: SampleStore,
  ) {}

  /** A target's rollups starting in [fromUs, toUs), oldest first, at most `limit` of them. */
  range(targetId: number, resolutionS: ResolutionS, fromUs: number, toUs: number, limit = ROLLUP_ROW_BUDGET): StoredRollup[] {
    const rows = this.db
      .prepare(`SELECT * FROM probe_rollups WHERE target_id = ? AND resolution_s = ? AND start_us >= ? AND start_us < ? ORDER BY start_us LIMIT ?`)
      .all(targetId, resolutionS, fromUs, toUs, limit) as RollupRow[];
    return rows.map(rollupOf);
  }

  /** One page of rollups in [fromUs, toUs) after start `afterUs` (exclusive), for streamed exports. */
  page(targetId: number, resolutionS: ResolutionS, fromUs: number, toUs: number, afterUs: number | null, limit: number): StoredRollup[] {
    return this.range(targetId, resolutionS, afterUs === null ? fromUs : Math.max(fromUs, afterUs + 1), toUs, limit);
  }

  /** Until when a target's rollups at this resolution are complete (µs), or null before the first. */
  doneUntil(targetId: number, resolutionS: ResolutionS): number | null {
    const row = this.db.prepare(`SELECT done_until_us FROM probe_rollup_progress WHERE target_id = ? AND resolution_s = ?`).get(targetId, resolutionS) as
      { done_until_us: number } | undefined;
    return row?.done_until_us ?? null;
  }

  /** The oldest rollup kept at a resolution (µs), or null. */
  oldestUs(targetId: number, resolutionS: ResolutionS): number | null {
    return (
      this.db.prepare(`SELECT MIN(start_us) AS t FROM probe_rollups WHERE target_id = ? AND resolution_s = ?`).get(targetId, resolutionS) as {
        t: number | null;
      }
    ).t;
  }

  /**
   * Builds the rollups that are complete by `nowUs` (a bucket waits for its last probe's timeout), at most
   * `maxBuckets` per target and resolution per call so a backlog never holds the write lock for long. Returns how
   * many were written.
   */
  build(nowUs: number, maxBuckets = 360): number {
    let written = 0;
    for (const t of this.targets.all()) {
      const settledUs = nowUs - (t.timeoutMs + t.intervalMs + 5_000) * 1000;
      written += this.rollUpRaw(t.id, settledUs, maxBuckets);
      written += this.rollUpRollups(t.id, 60, 10, maxBuckets);
      written += this.rollUpRollups(t.id, 3600, 60, maxBuckets);
    }
    return written;
  }

  /** Deletes rollups of `resolutionS` starting before `beforeUs`, at most `chunk` of them. Returns how many. */
  prune(resolutionS: ResolutionS, beforeUs: number, chunk: number): number {
    return this.db
      .prepare(
        // WITHOUT ROWID: chunk by the primary key
        `DELETE FROM probe_rollups WHERE (target_id, resolution_s, start_us) IN
           (SELECT target_id, resolution_s, start_us FROM probe_rollups WHERE resolution_s = ? AND start_us < ? LIMIT ?)`,
      )
      .run(resolutionS, beforeUs, chunk).changes;
  }

  private rollUpRaw(targetId: number, settledUs: number, maxBuckets: number): number {
    const stepUs = 10_000_000;
    const first = this.doneUntil(targetId, 10) ?? floorTo(this.samples.oldestUs(targetId), stepUs);
    if (first === null) return 0;
    let end = Math.min(floorTo(settledUs, stepUs)!, first + maxBuckets * stepUs);
    if (end <= first) return 0;
    // An hour holds at most 360,000 probes at the fastest interval (10 ms); should more be stored (two agents once
    // overlapped), the read stops at the budget and only whole buckets are rolled up this time.
    const limit = 2 * RAW_ROW_BUDGET;
    let rows = this.samples.range(targetId, first, end, limit);
    if (rows.length === limit) {
      const lastBucket = floorTo(
        rows.reduce((m, r) => (r.sentUs > m ? r.sentUs : m), 0),
        stepUs,
      )!;
      if (lastBucket > first) {
        end = lastBucket;
        rows = rows.filter((r) => r.sentUs < end);
      }
    }
    const rollups = [...groupByBucket(rows, (s) => s.sentUs, stepUs)].map(([startUs, samples]) => rollupFromSamples(targetId, startUs, samples));
    this.db.transaction(() => {
      for (const r of rollups) this.write(r);
      this.setProgress(targetId, 10, end);
    })();
    return rollups.length;
  }

  private rollUpRollups(targetId: number, resolutionS: 60 | 3600, sourceS: 10 | 60, maxBuckets: number): number {
    const stepUs = resolutionS * 1_000_000;
    const sourceDone = this.doneUntil(targetId, sourceS);
    if (sourceDone === null) return 0;
    const first = this.doneUntil(targetId, resolutionS) ?? floorTo(this.oldestUs(targetId, sourceS), stepUs);
    if (first === null) return 0;
    const end = Math.min(floorTo(sourceDone, stepUs)!, first + maxBuckets * stepUs);
    if (end <= first) return 0;
    const byBucket = groupByBucket(this.range(targetId, sourceS, first, end), (r) => r.startUs, stepUs);
    const merged = [...byBucket].map(([startUs, parts]) => ({ ...mergeRollups(parts), targetId, resolutionS, startUs }));
    this.db.transaction(() => {
      for (const r of merged) this.write(r);
      this.setProgress(targetId, resolutionS, end);
    })();
    return merged.length;
  }

  private write(r: Rollup): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO probe_rollups (target_id, resolution_s, start_us, sent, received, loss_longest, loss_episodes, rtt_hist,
           ipdv_abs_hist, lag_hist, jitter_sum_us, jitter_buckets, gaps, interval_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.targetId,
        r.resolutionS,
        r.startUs,
        r.sent,
        r.received,
        r.lossLongest,
        r.lossEpisodes,
        r.rtt.encode(),
        r.ipdvAbs.encode(),
        r.lag.encode(),
        r.jitterSumUs,
        r.jitterBuckets,
        r.gaps,
        r.intervalMs,
      );
  }

  private setProgress(targetId: number, resolutionS: ResolutionS, doneUntilUs: number): void {
    this.db
      .prepare(
        `INSERT INTO probe_rollup_progress (target_id, resolution_s, done_until_us) VALUES (?, ?, ?)
         ON CONFLICT (target_id, resolution_s) DO UPDATE SET done_until_us = excluded.done_until_us`,
      )
      .run(targetId, resolutionS, doneUntilUs);
  }
}
