/** Raw latency samples: written by the probe agent in batches, read by charts, statistics, exports and the live feed. */
import type { Statement } from "better-sqlite3";
import type { Db } from "@/server/db/database";
import type { MetricCounters } from "./notes";
import type { SampleRow } from "./rollup";

export type { SampleRow } from "./rollup";

export interface StoredSample extends SampleRow {
  id: number;
}

/**
 * The most raw samples one read takes into memory (about 150 bytes each as objects, so ~30 MB): 200,000 is 55 h of
 * a 1 s probe or 33 min of a 10 ms one. Beyond it charts and statistics use the rollups, exports stream in pages.
 */
export const RAW_ROW_BUDGET = 200_000;

/** A sample as rowsPage reads it: id, seq, sent_us, rtt_us, lag_us. */
export type SampleTuple = [id: number, seq: number, sentUs: number, rttUs: number | null, lagUs: number | null];

/** Where a paged read stopped: the last row's (sent_us, id), the index's own order. */
export interface SampleCursor {
  sentUs: number;
  id: number;
}

interface SampleDbRow {
  id: number;
  target_id: number;
  seq: number;
  sent_us: number;
  rtt_us: number | null;
  lag_us: number | null;
  interval_ms: number;
}

const sampleOf = (r: SampleDbRow): StoredSample => ({
  id: r.id,
  targetId: r.target_id,
  seq: r.seq,
  sentUs: r.sent_us,
  rttUs: r.rtt_us,
  lagUs: r.lag_us,
  intervalMs: r.interval_ms,
});

export class SampleStore {
  /** statements of the paged reads, prepared once: an export runs thousands of pages */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly counters: MetricCounters,
  ) {}

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) this.statements.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  /** Stores a batch in one transaction and adds it to the Prometheus counters. */
  insert(rows: readonly SampleRow[]): void {
    if (rows.length === 0) return;
    const insert = this.db.prepare(`INSERT INTO probe_samples (target_id, seq, sent_us, rtt_us, lag_us, interval_ms) VALUES (?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const r of rows)
        insert.run(
          r.targetId,
          r.seq,
          Math.round(r.sentUs),
          r.rttUs === null ? null : Math.round(r.rttUs),
          r.lagUs === null ? null : Math.round(r.lagUs),
          r.intervalMs,
        );
      this.counters.add(rows);
    })();
  }

  /**
   * A target's samples sent in [fromUs, toUs), in sequence order: the first `limit` by send time (the index's order,
   * so the read stops there). Callers that need all of a range check count() against RAW_ROW_BUDGET first.
   */
  range(targetId: number, fromUs: number, toUs: number, limit = RAW_ROW_BUDGET): StoredSample[] {
    return (
      this.db
        .prepare(`SELECT * FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? ORDER BY sent_us, id LIMIT ?`)
        .all(targetId, fromUs, toUs, limit) as SampleDbRow[]
    )
      .map(sampleOf)
      .sort((a, b) => a.seq - b.seq);
  }

  /** The newest `limit` samples of a target in [fromUs, toUs), in send order. */
  newest(targetId: number, fromUs: number, toUs: number, limit: number): StoredSample[] {
    return (
      this.db
        .prepare(`SELECT * FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? ORDER BY sent_us DESC, id DESC LIMIT ?`)
        .all(targetId, fromUs, toUs, limit) as SampleDbRow[]
    )
      .map(sampleOf)
      .reverse();
  }

  /**
   * One page of a target's samples in [fromUs, toUs) in (sent_us, id) order, after `after` and with ids up to
   * `maxId`: keyset paging over the (target_id, sent_us) index, so a long range is read a page at a time and the
   * connection is free between pages (an open better-sqlite3 iterator would keep it busy for every other request).
   */
  page(targetId: number, fromUs: number, toUs: number, after: SampleCursor | null, limit: number, maxId = Number.MAX_SAFE_INTEGER): StoredSample[] {
    const from = after ? after.sentUs : fromUs;
    const afterId = after ? after.id : -1;
    const rows: StoredSample[] = [];
    // iterate(): rows are converted as SQLite steps, and the statement is finished before this returns
    for (const r of this.statement(
      `SELECT * FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? AND (sent_us > ? OR id > ?) AND id <= ?
       ORDER BY sent_us, id LIMIT ?`,
    ).iterate(targetId, from, toUs, from, afterId, maxId, limit) as IterableIterator<SampleDbRow>)
      rows.push(sampleOf(r));
    return rows;
  }

  /**
   * page() as bare rows [id, seq, sent_us, rtt_us, lag_us]: no object per row, for exports of millions of rows
   * (half the time, and less garbage for the collector to chase).
   */
  rowsPage(targetId: number, fromUs: number, toUs: number, after: SampleCursor | null, limit: number): SampleTuple[] {
    const from = after ? after.sentUs : fromUs;
    return this.statement(
      `SELECT id, seq, sent_us, rtt_us, lag_us FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? AND (sent_us > ? OR id > ?)
       ORDER BY sent_us, id LIMIT ?`,
    )
      .raw(true)
      .all(targetId, from, toUs, from, after ? after.id : -1, limit) as SampleTuple[];
  }

  /** How many samples a target has in [fromUs, toUs), counting at most `cap` (an index range, stopped at the cap). */
  count(targetId: number, fromUs: number, toUs: number, cap = RAW_ROW_BUDGET + 1): number {
    return (
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? LIMIT ?)`)
        .get(targetId, fromUs, toUs, cap) as { n: number }
    ).n;
  }

  /** Samples stored after row `afterId` (arrival order), for live charts. */
  after(afterId: number, limit = 5000): StoredSample[] {
    return (this.db.prepare(`SELECT * FROM probe_samples WHERE id > ? ORDER BY id LIMIT ?`).all(afterId, limit) as SampleDbRow[]).map(sampleOf);
  }

  lastId(): number {
    return (this.db.prepare(`SELECT IFNULL(MAX(id), 0) AS id FROM probe_samples`).get() as { id: number }).id;
  }

  /** The oldest raw sample still kept for a target (µs), or null. */
  oldestUs(targetId: number): number | null {
    const row = this.db.prepare(`SELECT MIN(sent_us) AS t FROM probe_samples WHERE target_id = ?`).get(targetId) as { t: number | null };
    return row.t;
  }

  lastSeq(targetId: number): number {
    return (this.db.prepare(`SELECT IFNULL(MAX(seq), 0) AS s FROM probe_samples WHERE target_id = ?`).get(targetId) as { s: number }).s;
  }

  /** Deletes samples sent before `beforeUs`, at most `chunk` of them. Returns how many. */
  prune(beforeUs: number, chunk: number): number {
    return this.db
      .prepare(`DELETE FROM probe_samples WHERE id IN (SELECT id FROM probe_samples WHERE sent_us < ? ORDER BY sent_us LIMIT ?)`)
      .run(beforeUs, chunk).changes;
  }
}
