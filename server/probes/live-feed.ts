/**
 * Live samples for the charts, in the web server: one poller reads the rows the probe agent appended since the last
 * read (an indexed rowid range, every 250 ms while anyone watches) and fans them out to every open chart. The agent
 * writes every 100 ms, so a reply reaches the browser about 0.1–0.4 s after ping printed it.
 */
import type { ProbeStore, StoredSample } from "./store";

export interface LiveSample {
  id: number;
  targetId: number;
  seq: number;
  /** ms since the epoch (µs precision) */
  sentMs: number;
  rttUs: number | null;
  lagUs: number | null;
}

type Listener = (samples: LiveSample[]) => void;

export const LIVE_POLL_MS = 250;

export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | null = null;
  private lastId: number | null = null;

  constructor(
    private readonly store: ProbeStore,
    private readonly pollMs = LIVE_POLL_MS,
  ) {}

  /** How many charts are listening (for /metrics and the benchmark). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * The samples of `targetIds` sent since `sinceMs` (at most the last 5,000 per target), then every new one as it
   * is stored, until `signal` aborts.
   */
  async *subscribe(targetIds: readonly number[], sinceMs: number, signal?: AbortSignal): AsyncGenerator<LiveSample[]> {
    const wanted = new Set(targetIds);
    const queue: LiveSample[][] = [];
    let wake: (() => void) | null = null;
    const listener: Listener = (samples) => {
      const mine = samples.filter((s) => wanted.has(s.targetId));
      if (mine.length === 0) return;
      queue.push(mine);
      wake?.();
    };
    this.listeners.add(listener);
    this.ensurePolling();
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      const backlog = targetIds.flatMap((id) => this.store.samples(id, sinceMs * 1000, Number.MAX_SAFE_INTEGER).slice(-5000)).map(toLive);
      // Anything polled after the backlog query is newer than it: drop duplicates by id.
      const seen = backlog.length ? Math.max(...backlog.map((s) => s.id)) : 0;
      yield backlog.sort((a, b) => a.sentMs - b.sentMs);
      while (!signal?.aborted) {
        if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        const batch = queue.splice(0).flat().filter((s) => s.id > seen);
        if (batch.length) yield batch;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopPolling();
    }
  }

  private ensurePolling(): void {
    if (this.timer) return;
    this.lastId ??= this.store.lastSampleId();
    this.timer = setInterval(() => this.poll(), this.pollMs);
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lastId = null;
  }

  private poll(): void {
    try {
      const rows = this.store.samplesAfter(this.lastId ?? 0);
      if (rows.length === 0) return;
      this.lastId = rows.at(-1)!.id;
      const live = rows.map(toLive);
      for (const l of this.listeners) l(live);
    } catch (err) {
      // SQLITE_BUSY past the timeout: the next poll catches up from the same id.
      console.error(`passdeck: live latency feed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function toLive(s: StoredSample): LiveSample {
  return { id: s.id, targetId: s.targetId, seq: s.seq, sentMs: s.sentUs / 1000, rttUs: s.rttUs, lagUs: s.lagUs };
}
