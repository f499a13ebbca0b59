/**
 * The latency store in Passdeck's SQLite database: targets, raw samples, the 10 s / 1 min / 1 h rollups with
 * mergeable histograms, the agent's heartbeat, manual annotations and the Prometheus counters. The probe agent
 * writes; the web server and the CLI read the same file (WAL lets them read while it writes).
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "@/server/db/database";
import { probeTargetInput, targetName, type ProbeKind, type ProbeTargetInput } from "@/lib/probe-target";
import { LatencyHistogram } from "./histogram";

export interface ProbeTarget {
  id: number;
  name: string;
  address: string;
  kind: ProbeKind;
  port: number | null;
  intervalMs: number;
  timeoutMs: number;
  label: string | null;
  vmUuid: string | null;
  createdAt: number;
  removedAt: number | null;
}

export type ProbeState = "starting" | "probing" | "failing" | "stopped";

export interface ProbeStatus {
  targetId: number;
  state: ProbeState;
  message: string | null;
  updatedAt: number;
}

export interface SampleRow {
  targetId: number;
  seq: number;
  sentUs: number;
  rttUs: number | null;
  lagUs: number | null;
  intervalMs: number;
}

export interface StoredSample extends SampleRow {
  id: number;
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

export interface Retention {
  rawMs: number;
  tenSecondMs: number;
  minuteMs: number;
  hourMs: number;
}

const DAY = 86_400_000;
export const DEFAULT_RETENTION: Retention = { rawMs: 2 * DAY, tenSecondMs: 30 * DAY, minuteMs: 365 * DAY, hourMs: 5 * 365 * DAY };

export interface AgentInfo {
  pid: number;
  bootAt: number;
  startedAt: number;
  heartbeatAt: number;
  pingVersion: string | null;
  minIntervalMs: number | null;
  note: string | null;
}

export interface Annotation {
  id: number;
  atMs: number;
  text: string;
  actor: string;
  createdAt: number;
}

/** Upper bounds of the Prometheus RTT buckets, in µs: 1-2-5 steps from 1 µs to 10 s. */
export const METRIC_BUCKETS_US: readonly number[] = (() => {
  const out: number[] = [];
  for (let decade = 1; decade <= 1_000_000; decade *= 10) for (const m of [1, 2, 5]) out.push(m * decade);
  out.push(10_000_000);
  return out;
})();

/**
 * The agent beats every 5 s (a write each time: cheap on a disk, not free on the rig's 9p data directory); an agent
 * silent for 20 s is taken for dead.
 */
export const AGENT_HEARTBEAT_MS = 5_000;
export const AGENT_STALE_MS = 20_000;

export const agentAlive = (agent: AgentInfo | null, nowMs: number): boolean => agent !== null && nowMs - agent.heartbeatAt < AGENT_STALE_MS;

/**
 * The most raw samples one read takes into memory (about 150 bytes each as objects, so ~30 MB): 200,000 is 55 h of
 * a 1 s probe or 33 min of a 10 ms one. Beyond it charts and statistics use the rollups, exports stream in pages.
 */
export const RAW_ROW_BUDGET = 200_000;
/** The most rollup rows one read merges (50,000 ≈ 6 days of 10 s rollups, 35 days of 1 min, 5.7 years of 1 h). */
export const ROLLUP_ROW_BUDGET = 50_000;

/** A sample as sampleRowsPage reads it: id, seq, sent_us, rtt_us, lag_us. */
export type SampleTuple = [id: number, seq: number, sentUs: number, rttUs: number | null, lagUs: number | null];

/** Where a paged read stopped: the last row's (sent_us, id), the index's own order. */
export interface SampleCursor {
  sentUs: number;
  id: number;
}

export class TargetConflict extends Error {}

interface TargetRow {
  id: number;
  address: string;
  kind: ProbeKind;
  port: number | null;
  interval_ms: number;
  timeout_ms: number;
  label: string | null;
  vm_uuid: string | null;
  created_at: number;
  removed_at: number | null;
}

const targetOf = (r: TargetRow): ProbeTarget => ({
  id: r.id,
  name: targetName(r),
  address: r.address,
  kind: r.kind,
  port: r.port,
  intervalMs: r.interval_ms,
  timeoutMs: r.timeout_ms,
  label: r.label,
  vmUuid: r.vm_uuid,
  createdAt: r.created_at,
  removedAt: r.removed_at,
});

const sampleOf = (r: {
  id: number;
  target_id: number;
  seq: number;
  sent_us: number;
  rtt_us: number | null;
  lag_us: number | null;
  interval_ms: number;
}): StoredSample => ({
  id: r.id,
  targetId: r.target_id,
  seq: r.seq,
  sentUs: r.sent_us,
  rttUs: r.rtt_us,
  lagUs: r.lag_us,
  intervalMs: r.interval_ms,
});

export class ProbeStore {
  /** statements of the paged reads, prepared once: an export runs thousands of pages */
  private readonly statements = new Map<string, Statement>();

  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) this.statements.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  // ── targets ────────────────────────────────────────────────────────────────────────────────────────────────

  /** Validates and adds a target; a target already probed (same address, kind and port) is a TargetConflict. */
  addTarget(input: ProbeTargetInput): ProbeTarget {
    const t = probeTargetInput.parse(input);
    const clash = this.activeTargets().find((x) => x.address === t.address && x.kind === t.kind && (x.port ?? 0) === (t.port ?? 0));
    if (clash) throw new TargetConflict(`${clash.name} is already a target (id ${clash.id}): remove it first to change its interval`);
    const info = this.db
      .prepare(`INSERT INTO probe_targets (address, kind, port, interval_ms, timeout_ms, label, vm_uuid, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(t.address, t.kind, t.port ?? null, t.intervalMs, t.timeoutMs, t.label || null, t.vmUuid ?? null, this.now());
    return this.target(Number(info.lastInsertRowid))!;
  }

  target(id: number): ProbeTarget | null {
    const row = this.db.prepare(`SELECT * FROM probe_targets WHERE id = ?`).get(id) as TargetRow | undefined;
    return row ? targetOf(row) : null;
  }

  /** Targets being probed, oldest first. */
  activeTargets(): ProbeTarget[] {
    return (this.db.prepare(`SELECT * FROM probe_targets WHERE removed_at IS NULL ORDER BY id`).all() as TargetRow[]).map(targetOf);
  }

  /** Every target with data still kept, removed ones included. */
  allTargets(): ProbeTarget[] {
    return (this.db.prepare(`SELECT * FROM probe_targets ORDER BY id`).all() as TargetRow[]).map(targetOf);
  }

  /**
   * "3", an address or a label → the active target, else the newest removed one with that name. An address probed
   * two ways (ICMP and TCP) is ambiguous: TargetConflict names the ids.
   */
  findTarget(ref: string): ProbeTarget | null {
    const all = this.allTargets().reverse();
    const byId = /^\d+$/.test(ref) ? all.find((t) => t.id === Number(ref)) : undefined;
    if (byId) return byId;
    const matches = (t: ProbeTarget) => t.address === ref || t.label === ref || t.name === ref;
    const active = all.filter((t) => t.removedAt === null && matches(t));
    if (active.length > 1)
      throw new TargetConflict(`"${ref}" names ${active.length} targets (${active.map((t) => `${t.id}: ${t.name}`).join(", ")}): give the id`);
    return active[0] ?? all.find(matches) ?? null;
  }

  removeTarget(id: number): ProbeTarget | null {
    this.db.prepare(`UPDATE probe_targets SET removed_at = ? WHERE id = ? AND removed_at IS NULL`).run(this.now(), id);
    return this.target(id);
  }

  setStatus(targetId: number, state: ProbeState, message: string | null): void {
    this.db
      .prepare(
        `INSERT INTO probe_status (target_id, state, message, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (target_id) DO UPDATE SET state = excluded.state, message = excluded.message, updated_at = excluded.updated_at`,
      )
      .run(targetId, state, message, this.now());
  }

  statuses(): ProbeStatus[] {
    return (this.db.prepare(`SELECT * FROM probe_status`).all() as { target_id: number; state: ProbeState; message: string | null; updated_at: number }[]).map(
      (r) => ({ targetId: r.target_id, state: r.state, message: r.message, updatedAt: r.updated_at }),
    );
  }

  // ── samples ────────────────────────────────────────────────────────────────────────────────────────────────

  /** Stores a batch in one transaction and adds it to the Prometheus counters. */
  insertSamples(rows: readonly SampleRow[]): void {
    if (rows.length === 0) return;
    const insert = this.db.prepare(`INSERT INTO probe_samples (target_id, seq, sent_us, rtt_us, lag_us, interval_ms) VALUES (?, ?, ?, ?, ?, ?)`);
    const bucket = this.db.prepare(
      `INSERT INTO probe_metric_counters (target_id, le_us, count) VALUES (?, ?, ?)
       ON CONFLICT (target_id, le_us) DO UPDATE SET count = count + excluded.count`,
    );
    const totals = this.db.prepare(
      `INSERT INTO probe_metric_totals (target_id, sent, received, rtt_sum_us) VALUES (?, ?, ?, ?)
       ON CONFLICT (target_id) DO UPDATE SET sent = sent + excluded.sent, received = received + excluded.received,
         rtt_sum_us = rtt_sum_us + excluded.rtt_sum_us`,
    );
    this.db.transaction(() => {
      const perTarget = new Map<number, { sent: number; received: number; sum: number; buckets: Map<number, number> }>();
      for (const r of rows) {
        insert.run(
          r.targetId,
          r.seq,
          Math.round(r.sentUs),
          r.rttUs === null ? null : Math.round(r.rttUs),
          r.lagUs === null ? null : Math.round(r.lagUs),
          r.intervalMs,
        );
        const agg = perTarget.get(r.targetId) ?? { sent: 0, received: 0, sum: 0, buckets: new Map() };
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
    })();
  }

  /**
   * A target's samples sent in [fromUs, toUs), in sequence order: the first `limit` by send time (the index's order,
   * so the read stops there). Callers that need all of a range check countSamples against RAW_ROW_BUDGET first.
   */
  samples(targetId: number, fromUs: number, toUs: number, limit = RAW_ROW_BUDGET): StoredSample[] {
    return (
      this.db
        .prepare(`SELECT * FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? ORDER BY sent_us, id LIMIT ?`)
        .all(targetId, fromUs, toUs, limit) as Parameters<typeof sampleOf>[0][]
    )
      .map(sampleOf)
      .sort((a, b) => a.seq - b.seq);
  }

  /** The newest `limit` samples of a target in [fromUs, toUs), in send order. */
  newestSamples(targetId: number, fromUs: number, toUs: number, limit: number): StoredSample[] {
    return (
      this.db
        .prepare(`SELECT * FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? ORDER BY sent_us DESC, id DESC LIMIT ?`)
        .all(targetId, fromUs, toUs, limit) as Parameters<typeof sampleOf>[0][]
    )
      .map(sampleOf)
      .reverse();
  }

  /**
   * One page of a target's samples in [fromUs, toUs) in (sent_us, id) order, after `after` and with ids up to
   * `maxId`: keyset paging over the (target_id, sent_us) index, so a long range is read a page at a time and the
   * connection is free between pages (an open better-sqlite3 iterator would keep it busy for every other request).
   */
  samplesPage(targetId: number, fromUs: number, toUs: number, after: SampleCursor | null, limit: number, maxId = Number.MAX_SAFE_INTEGER): StoredSample[] {
    const from = after ? after.sentUs : fromUs;
    const afterId = after ? after.id : -1;
    const rows: StoredSample[] = [];
    // iterate(): rows are converted as SQLite steps, and the statement is finished before this returns
    for (const r of this.statement(
      `SELECT * FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? AND (sent_us > ? OR id > ?) AND id <= ?
       ORDER BY sent_us, id LIMIT ?`,
    ).iterate(targetId, from, toUs, from, afterId, maxId, limit) as IterableIterator<Parameters<typeof sampleOf>[0]>)
      rows.push(sampleOf(r));
    return rows;
  }

  /**
   * samplesPage as bare rows [id, seq, sent_us, rtt_us, lag_us]: no object per row, for exports of millions of rows
   * (half the time, and less garbage for the collector to chase).
   */
  sampleRowsPage(targetId: number, fromUs: number, toUs: number, after: SampleCursor | null, limit: number): SampleTuple[] {
    const from = after ? after.sentUs : fromUs;
    return this.statement(
      `SELECT id, seq, sent_us, rtt_us, lag_us FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? AND (sent_us > ? OR id > ?)
       ORDER BY sent_us, id LIMIT ?`,
    )
      .raw(true)
      .all(targetId, from, toUs, from, after ? after.id : -1, limit) as SampleTuple[];
  }

  /** How many samples a target has in [fromUs, toUs), counting at most `cap` (an index range, stopped at the cap). */
  countSamples(targetId: number, fromUs: number, toUs: number, cap = RAW_ROW_BUDGET + 1): number {
    return (
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM probe_samples WHERE target_id = ? AND sent_us >= ? AND sent_us < ? LIMIT ?)`)
        .get(targetId, fromUs, toUs, cap) as { n: number }
    ).n;
  }

  /** Samples stored after row `afterId` (arrival order), for live charts. */
  samplesAfter(afterId: number, limit = 5000): StoredSample[] {
    return (this.db.prepare(`SELECT * FROM probe_samples WHERE id > ? ORDER BY id LIMIT ?`).all(afterId, limit) as Parameters<typeof sampleOf>[0][]).map(
      sampleOf,
    );
  }

  lastSampleId(): number {
    return (this.db.prepare(`SELECT IFNULL(MAX(id), 0) AS id FROM probe_samples`).get() as { id: number }).id;
  }

  /** The oldest raw sample still kept for a target (µs), or null. */
  oldestRawUs(targetId: number): number | null {
    const row = this.db.prepare(`SELECT MIN(sent_us) AS t FROM probe_samples WHERE target_id = ?`).get(targetId) as { t: number | null };
    return row.t;
  }

  lastSeq(targetId: number): number {
    return (this.db.prepare(`SELECT IFNULL(MAX(seq), 0) AS s FROM probe_samples WHERE target_id = ?`).get(targetId) as { s: number }).s;
  }

  // ── rollups ────────────────────────────────────────────────────────────────────────────────────────────────

  /** A target's rollups starting in [fromUs, toUs), oldest first, at most `limit` of them. */
  rollups(targetId: number, resolutionS: ResolutionS, fromUs: number, toUs: number, limit = ROLLUP_ROW_BUDGET): StoredRollup[] {
    const rows = this.db
      .prepare(`SELECT * FROM probe_rollups WHERE target_id = ? AND resolution_s = ? AND start_us >= ? AND start_us < ? ORDER BY start_us LIMIT ?`)
      .all(targetId, resolutionS, fromUs, toUs, limit) as RollupRow[];
    return rows.map(rollupOf);
  }

  /** One page of rollups in [fromUs, toUs) after start `afterUs` (exclusive), for streamed exports. */
  rollupsPage(targetId: number, resolutionS: ResolutionS, fromUs: number, toUs: number, afterUs: number | null, limit: number): StoredRollup[] {
    return this.rollups(targetId, resolutionS, afterUs === null ? fromUs : Math.max(fromUs, afterUs + 1), toUs, limit);
  }

  /** Until when a target's rollups at this resolution are complete (µs), or null before the first. */
  rolledUpUntil(targetId: number, resolutionS: ResolutionS): number | null {
    const row = this.db.prepare(`SELECT done_until_us FROM probe_rollup_progress WHERE target_id = ? AND resolution_s = ?`).get(targetId, resolutionS) as
      { done_until_us: number } | undefined;
    return row?.done_until_us ?? null;
  }

  /** The oldest rollup kept at a resolution (µs), or null. */
  oldestRollupUs(targetId: number, resolutionS: ResolutionS): number | null {
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
  buildRollups(nowUs: number, maxBuckets = 360): number {
    let written = 0;
    for (const t of this.allTargets()) {
      const settledUs = nowUs - (t.timeoutMs + t.intervalMs + 5_000) * 1000;
      written += this.rollUpRaw(t.id, settledUs, maxBuckets);
      written += this.rollUpRollups(t.id, 60, 10, maxBuckets);
      written += this.rollUpRollups(t.id, 3600, 60, maxBuckets);
    }
    return written;
  }

  private rollUpRaw(targetId: number, settledUs: number, maxBuckets: number): number {
    const stepUs = 10_000_000;
    const first = this.rolledUpUntil(targetId, 10) ?? floorTo(this.oldestRawUs(targetId), stepUs);
    if (first === null) return 0;
    let end = Math.min(floorTo(settledUs, stepUs)!, first + maxBuckets * stepUs);
    if (end <= first) return 0;
    // An hour holds at most 360,000 probes at the fastest interval (10 ms); should more be stored (two agents once
    // overlapped), the read stops at the budget and only whole buckets are rolled up this time.
    const limit = 2 * RAW_ROW_BUDGET;
    let rows = this.samples(targetId, first, end, limit);
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
    const byBucket = new Map<number, StoredSample[]>();
    for (const s of rows) {
      const b = floorTo(s.sentUs, stepUs)!;
      byBucket.set(b, [...(byBucket.get(b) ?? []), s]);
    }
    const rollups = [...byBucket.entries()].map(([startUs, samples]) => rollupFromSamples(targetId, startUs, samples));
    this.db.transaction(() => {
      for (const r of rollups) this.writeRollup(r);
      this.setProgress(targetId, 10, end);
    })();
    return rollups.length;
  }

  private rollUpRollups(targetId: number, resolutionS: 60 | 3600, sourceS: 10 | 60, maxBuckets: number): number {
    const stepUs = resolutionS * 1_000_000;
    const sourceDone = this.rolledUpUntil(targetId, sourceS);
    if (sourceDone === null) return 0;
    const first = this.rolledUpUntil(targetId, resolutionS) ?? floorTo(this.oldestRollupUs(targetId, sourceS), stepUs);
    if (first === null) return 0;
    const end = Math.min(floorTo(sourceDone, stepUs)!, first + maxBuckets * stepUs);
    if (end <= first) return 0;
    const byBucket = new Map<number, StoredRollup[]>();
    for (const r of this.rollups(targetId, sourceS, first, end)) {
      const b = floorTo(r.startUs, stepUs)!;
      byBucket.set(b, [...(byBucket.get(b) ?? []), r]);
    }
    const merged = [...byBucket.entries()].map(([startUs, parts]) => ({ ...mergeRollups(parts), targetId, resolutionS, startUs }));
    this.db.transaction(() => {
      for (const r of merged) this.writeRollup(r);
      this.setProgress(targetId, resolutionS, end);
    })();
    return merged.length;
  }

  private writeRollup(r: Rollup): void {
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

  /**
   * Deletes data older than the retention, at most `chunk` rows per table per call (the agent calls it every
   * minute), so pruning a backlog never blocks the writers for long. Returns the rows deleted.
   */
  prune(nowMs: number, retention: Retention = DEFAULT_RETENTION, chunk = 20_000): number {
    let deleted = 0;
    deleted += this.db
      .prepare(`DELETE FROM probe_samples WHERE id IN (SELECT id FROM probe_samples WHERE sent_us < ? ORDER BY sent_us LIMIT ?)`)
      .run((nowMs - retention.rawMs) * 1000, chunk).changes;
    const keep: [ResolutionS, number][] = [
      [10, retention.tenSecondMs],
      [60, retention.minuteMs],
      [3600, retention.hourMs],
    ];
    for (const [res, ms] of keep) {
      deleted += this.db
        .prepare(
          // WITHOUT ROWID: chunk by the primary key
          `DELETE FROM probe_rollups WHERE (target_id, resolution_s, start_us) IN
             (SELECT target_id, resolution_s, start_us FROM probe_rollups WHERE resolution_s = ? AND start_us < ? LIMIT ?)`,
        )
        .run(res, (nowMs - ms) * 1000, chunk).changes;
    }
    return deleted;
  }

  // ── agent, annotations, metrics ────────────────────────────────────────────────────────────────────────────

  /**
   * Registers this process as the data directory's probe agent. Refused (returns the other agent) while another
   * agent's heartbeat is younger than `staleMs` and its process is alive.
   */
  claimAgent(
    me: Omit<AgentInfo, "heartbeatAt" | "startedAt">,
    isAlive: (pid: number) => boolean,
    staleMs = AGENT_STALE_MS,
  ): { ok: true } | { ok: false; other: AgentInfo } {
    return this.db
      .transaction(() => {
        const other = this.agent();
        if (other && other.pid !== me.pid && this.now() - other.heartbeatAt < staleMs && isAlive(other.pid)) return { ok: false as const, other };
        const now = this.now();
        this.db
          .prepare(
            `INSERT OR REPLACE INTO probe_agent (singleton, pid, boot_at, started_at, heartbeat_at, ping_version, min_interval_ms, note)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(me.pid, me.bootAt, now, now, me.pingVersion, me.minIntervalMs, me.note);
        return { ok: true as const };
      })
      .immediate();
  }

  heartbeat(pid: number): void {
    this.db.prepare(`UPDATE probe_agent SET heartbeat_at = ? WHERE pid = ?`).run(this.now(), pid);
  }

  releaseAgent(pid: number): void {
    this.db.prepare(`DELETE FROM probe_agent WHERE pid = ?`).run(pid);
  }

  agent(): AgentInfo | null {
    const r = this.db.prepare(`SELECT * FROM probe_agent WHERE singleton = 1`).get() as
      | {
          pid: number;
          boot_at: number;
          started_at: number;
          heartbeat_at: number;
          ping_version: string | null;
          min_interval_ms: number | null;
          note: string | null;
        }
      | undefined;
    return r
      ? {
          pid: r.pid,
          bootAt: r.boot_at,
          startedAt: r.started_at,
          heartbeatAt: r.heartbeat_at,
          pingVersion: r.ping_version,
          minIntervalMs: r.min_interval_ms,
          note: r.note,
        }
      : null;
  }

  addAnnotation(atMs: number, text: string, actor: string): Annotation {
    const info = this.db.prepare(`INSERT INTO annotations (at_ms, text, actor, created_at) VALUES (?, ?, ?, ?)`).run(atMs, text, actor, this.now());
    return { id: Number(info.lastInsertRowid), atMs, text, actor, createdAt: this.now() };
  }

  annotations(fromMs: number, toMs: number): Annotation[] {
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

  removeAnnotation(id: number): boolean {
    return this.db.prepare(`DELETE FROM annotations WHERE id = ?`).run(id).changes > 0;
  }

  /** Cumulative counters for /metrics: per target, counts per bucket bound (−1 = +Inf) and totals. */
  metricCounters(): { targetId: number; sent: number; received: number; rttSumUs: number; buckets: Map<number, number> }[] {
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

function floorTo(us: number | null, stepUs: number): number | null {
  return us === null ? null : Math.floor(us / stepUs) * stepUs;
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
    const prev = bySeq[i - 1];
    if (prev && prev.rttUs !== null && s.rttUs !== null && s.seq === prev.seq + 1) {
      const d = s.rttUs - prev.rttUs;
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
