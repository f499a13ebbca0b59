/**
 * The latency data in Passdeck's web database, as small stores over one connection: targets (and their status),
 * raw samples, rollups, the agent's lease, annotations and the Prometheus counters. The probe agent writes; the web
 * server and the CLI read the same file (WAL lets them read while it writes).
 */
import type { Db } from "@/server/db/database";
import { AgentLease } from "./agent-lease";
import { MetricCounters, NoteStore } from "./notes";
import { RollupStore } from "./rollup-store";
import { SampleStore } from "./sample-store";
import { TargetStore } from "./target-store";

export interface ProbeStores {
  db: Db;
  targets: TargetStore;
  samples: SampleStore;
  rollups: RollupStore;
  agent: AgentLease;
  notes: NoteStore;
  counters: MetricCounters;
}

export function openProbeStores(db: Db, now: () => number = Date.now): ProbeStores {
  const targets = new TargetStore(db, now);
  const counters = new MetricCounters(db);
  const samples = new SampleStore(db, counters);
  return { db, targets, samples, rollups: new RollupStore(db, targets, samples), agent: new AgentLease(db, now), notes: new NoteStore(db, now), counters };
}

export interface Retention {
  rawMs: number;
  tenSecondMs: number;
  minuteMs: number;
  hourMs: number;
}

const DAY = 86_400_000;
export const DEFAULT_RETENTION: Retention = { rawMs: 2 * DAY, tenSecondMs: 30 * DAY, minuteMs: 365 * DAY, hourMs: 5 * 365 * DAY };

/**
 * Deletes data older than the retention, at most `chunk` rows per table per call (the agent calls it every
 * minute), so pruning a backlog never blocks the writers for long. Returns the rows deleted.
 */
export function pruneProbeData(
  stores: Pick<ProbeStores, "samples" | "rollups">,
  nowMs: number,
  retention: Retention = DEFAULT_RETENTION,
  chunk = 20_000,
): number {
  let deleted = stores.samples.prune((nowMs - retention.rawMs) * 1000, chunk);
  deleted += stores.rollups.prune(10, (nowMs - retention.tenSecondMs) * 1000, chunk);
  deleted += stores.rollups.prune(60, (nowMs - retention.minuteMs) * 1000, chunk);
  deleted += stores.rollups.prune(3600, (nowMs - retention.hourMs) * 1000, chunk);
  return deleted;
}
