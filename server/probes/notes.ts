/**
 * What the latency pages show beside the samples: manual annotations, and the cumulative Prometheus counters the
 * sample store adds each batch to (read by /metrics).
 */
import type { Db } from "@/server/db/database";
import type { SampleRow } from "./rollup";

export interface Annotation {
  id: number;
  atMs: number;
  text: string;
  actor: string;
  createdAt: number;
}

export class NoteStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  add(atMs: number, text: string, actor: string): Annotation {
    const info = this.db.prepare(`INSERT INTO annotations (at_ms, text, actor, created_at) VALUES (?, ?, ?, ?)`).run(atMs, text, actor, this.now());
    return { id: Number(info.lastInsertRowid), atMs, text, actor, createdAt: this.now() };
  }

  /** Annotations at [fromMs, toMs], oldest first. */
  between(fromMs: number, toMs: number): Annotation[] {
    return (
      // notes are made by hand; the limit only keeps a flood of them from one read
      (
        this.db.prepare(`SELECT * FROM annotations WHERE at_ms >= ? AND at_ms <= ? ORDER BY at_ms, id LIMIT 10000`).all(fromMs, toMs) as {
          id: number;
          at_ms: number;
          text: string;
          actor: string;
          created_at: number;
        }[]
      ).map((r) => ({ id: r.id, atMs: r.at_ms, text: r.text, actor: r.actor, createdAt: r.created_at }))
    );
  }

  remove(id: number): boolean {
    return this.db.prepare(`DELETE FROM annotations WHERE id = ?`).run(id).changes > 0;
  }
}

/** Upper bounds of the Prometheus RTT buckets, in µs: 1-2-5 steps from 1 µs to 10 s. */
export const METRIC_BUCKETS_US: readonly number[] = (() => {
  const out: number[] = [];
  for (let decade = 1; decade <= 1_000_000; decade *= 10) for (const m of [1, 2, 5]) out.push(m * decade);
  out.push(10_000_000);
  return out;
})();

export interface TargetCounters {
  targetId: number;
  sent: number;
  received: number;
  rttSumUs: number;
  /** counts per bucket bound (−1 = +Inf) */
  buckets: Map<number, number>;
}

/** The Prometheus counters: cumulative per target, so a scrape never reads the samples. */
export class MetricCounters {
  constructor(private readonly db: Db) {}

  /** Adds a batch of samples to the counters; the caller runs it in the transaction that stores them. */
  add(rows: readonly SampleRow[]): void {
    const bucket = this.db.prepare(
      `INSERT INTO probe_metric_counters (target_id, le_us, count) VALUES (?, ?, ?)
       ON CONFLICT (target_id, le_us) DO UPDATE SET count = count + excluded.count`,
    );
    const totals = this.db.prepare(
      `INSERT INTO probe_metric_totals (target_id, sent, received, rtt_sum_us) VALUES (?, ?, ?, ?)
       ON CONFLICT (target_id) DO UPDATE SET sent = sent + excluded.sent, received = received + excluded.received,
         rtt_sum_us = rtt_sum_us + excluded.rtt_sum_us`,
    );
    const perTarget = new Map<number, { sent: number; received: number; sum: number; buckets: Map<number, number> }>();
    for (const r of rows) {
      const agg = perTarget.get(r.targetId) ?? { sent: 0, received: 0, sum: 0, buckets: new Map<number, number>() };
      perTarget.set(r.targetId, agg);
      agg.sent++;
      if (r.rttUs === null) continue;
      agg.received++;
      agg.sum += Math.round(r.rttUs);
      const le = METRIC_BUCKETS_US.find((b) => r.rttUs! <= b) ?? -1;
      agg.buckets.set(le, (agg.buckets.get(le) ?? 0) + 1);
    }
    for (const [targetId, agg] of perTarget) {
      totals.run(targetId, agg.sent, agg.received, agg.sum);
      for (const [le, n] of agg.buckets) bucket.run(targetId, le, n);
    }
  }

  /** Cumulative counters for /metrics, per target. */
  read(): TargetCounters[] {
    const totals = this.db.prepare(`SELECT * FROM probe_metric_totals ORDER BY target_id`).all() as {
      target_id: number;
      sent: number;
      received: number;
      rtt_sum_us: number;
    }[];
    const buckets = this.db.prepare(`SELECT * FROM probe_metric_counters`).all() as { target_id: number; le_us: number; count: number }[];
    return totals.map((t) => ({
      targetId: t.target_id,
      sent: t.sent,
      received: t.received,
      rttSumUs: t.rtt_sum_us,
      buckets: new Map(buckets.filter((b) => b.target_id === t.target_id).map((b) => [b.le_us, b.count])),
    }));
  }
}
