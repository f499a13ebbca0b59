/**
 * Live samples for the charts, in the web server: one poller reads the rows the probe agent appended since the last
 * read (an indexed rowid range, every 250 ms while anyone watches) and fans them out to every open chart. The agent
 * writes every 100 ms, so a reply reaches the browser about 0.1–0.4 s after ping printed it.
 *
 * Bounded: subscriptions per caller and in all are capped, the backlog is read a page at a time as the client takes
 * it, and a subscriber whose queue of unsent samples passes a bound is dropped (its stream ends with the reason)
 * instead of holding ever more memory for a client that does not read.
 */
import type { ProbeStores } from "./stores";
import type { SampleCursor, StoredSample } from "./sample-store";

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

export interface LiveLimits {
  /** open subscriptions per caller (a user's sessions, or one API token): a few tabs of charts */
  perCaller: number;
  /** open subscriptions in all */
  total: number;
  /** samples waiting for a subscriber that does not read; past this it is dropped */
  maxQueued: number;
  /** the newest samples per target sent as the backlog */
  backlogPerTarget: number;
  /**
   * samples per message, backlog pages and live batches alike: the response's stream stages each hold a message
   * before the socket pushes back, so this bounds what a client that stops reading keeps in the server (~45 KB each)
   */
  perMessage: number;
}

/** 10,000 queued samples are 100 s of 20 targets at 200 ms (the chart's client reads every batch at once). */
export const DEFAULT_LIVE_LIMITS: LiveLimits = { perCaller: 16, total: 200, maxQueued: 10_000, backlogPerTarget: 5_000, perMessage: 500 };

/** A subscription over the caps. */
export class LiveSubscriptionLimit extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LiveSubscriptionLimit";
  }
}

/** A subscriber that fell too far behind: its stream ends with this. */
export class LiveReaderTooSlow extends Error {
  constructor(queued: number) {
    super(`this live view fell ${queued} samples behind (the client stopped reading), so the server ended it: reload the page to resume`);
    this.name = "LiveReaderTooSlow";
  }
}

export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private readonly perCaller = new Map<string, number>();
  private open = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastId: number | null = null;
  private readonly limits: LiveLimits;

  constructor(
    private readonly store: Pick<ProbeStores, "samples">,
    private readonly pollMs = LIVE_POLL_MS,
    limits: Partial<LiveLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIVE_LIMITS, ...limits };
  }

  /** How many charts are listening for new samples (for /metrics and the benchmark). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Open subscriptions, a dropped one included until its client goes (the caps count these). */
  get subscriptionCount(): number {
    return this.open;
  }

  /** Subscribers dropped for not reading, since the server started. */
  get droppedCount(): number {
    return this.dropped;
  }

  /**
   * The samples of `targetIds` sent since `sinceMs` (at most the newest `backlogPerTarget` per target, in pages),
   * then every new one as it is stored, until `signal` aborts or the client stops the stream. Throws
   * LiveSubscriptionLimit at once when `caller` has its share open or the server has all it takes.
   */
  subscribe(targetIds: readonly number[], sinceMs: number, options: { caller?: string; signal?: AbortSignal } = {}): AsyncIterableIterator<LiveSample[]> {
    const caller = options.caller ?? "anyone";
    const mine = this.perCaller.get(caller) ?? 0;
    if (mine >= this.limits.perCaller)
      throw new LiveSubscriptionLimit(`${caller} has ${mine} live views open, the most one caller may: close a tab or chart and try again`);
    if (this.open >= this.limits.total)
      throw new LiveSubscriptionLimit(`the server has ${this.open} live views open, the most it serves at once: try again later`);
    this.perCaller.set(caller, mine + 1);
    this.open++;
    const release = () => {
      this.open--;
      const left = (this.perCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.perCaller.set(caller, left);
      else this.perCaller.delete(caller);
    };
    try {
      return new Subscription(this, this.store, this.limits, targetIds, sinceMs, options.signal, release);
    } catch (err) {
      release(); // the database failed before the subscription existed: its slot is free again
      throw err;
    }
  }

  /** @internal the subscription's hooks */
  listen(listener: Listener): void {
    this.listeners.add(listener);
    this.ensurePolling();
  }

  /** @internal */
  unlisten(listener: Listener, droppedForSlowness: boolean): void {
    if (droppedForSlowness) this.dropped++;
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.stopPolling();
  }

  private ensurePolling(): void {
    if (this.timer) return;
    this.lastId ??= this.store.samples.lastId();
    this.timer = setInterval(() => this.poll(), this.pollMs);
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lastId = null;
  }

  private poll(): void {
    try {
      const rows = this.store.samples.after(this.lastId ?? 0);
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

/**
 * One client's stream: an async iterator (not a generator) so that ending it, from the client (return()), the
 * request's abort or a drop, works at any moment, also while it waits for samples, and releases its slot once.
 */
class Subscription implements AsyncIterableIterator<LiveSample[]> {
  private readonly wanted: Set<number>;
  /** the backlog takes rows up to this id; the live queue the rows after it, so none is sent twice */
  private readonly backlogMaxId: number;
  private readonly backlog: { targetId: number; fromUs: number; cursor: SampleCursor | null; done: boolean }[];
  private queue: LiveSample[][] = [];
  private queued = 0;
  private closed = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly listener: Listener;
  private readonly onAbort: () => void;

  constructor(
    private readonly feed: LiveFeed,
    private readonly store: Pick<ProbeStores, "samples">,
    private readonly limits: LiveLimits,
    targetIds: readonly number[],
    sinceMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly release: () => void,
  ) {
    this.wanted = new Set(targetIds);
    this.listener = (samples) => {
      const mine = samples.filter((s) => this.wanted.has(s.targetId) && s.id > this.backlogMaxId);
      if (mine.length === 0) return;
      this.queue.push(mine);
      this.queued += mine.length;
      if (this.queued > this.limits.maxQueued) this.drop();
      this.wake?.();
    };
    // Listening first, then the backlog's upper id: every row after it reaches the queue, none is missed.
    feed.listen(this.listener);
    try {
      this.backlogMaxId = store.samples.lastId();
      this.backlog = [...this.wanted].map((targetId) => {
        const newest = store.samples.newest(targetId, sinceMs * 1000, Number.MAX_SAFE_INTEGER, limits.backlogPerTarget);
        return { targetId, fromUs: newest[0]?.sentUs ?? sinceMs * 1000, cursor: null, done: newest.length === 0 };
      });
    } catch (err) {
      feed.unlisten(this.listener, false);
      throw err;
    }
    this.onAbort = () => this.close();
    if (signal?.aborted) this.close();
    else signal?.addEventListener("abort", this.onAbort);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LiveSample[]> {
    return this;
  }

  async next(): Promise<IteratorResult<LiveSample[]>> {
    for (;;) {
      if (this.failure) {
        const failure = this.failure;
        this.failure = null;
        this.close();
        throw failure;
      }
      if (this.closed) return { done: true, value: undefined };
      const page = this.backlogPage();
      if (page) return { done: false, value: page };
      if (this.queue.length > 0) return { done: false, value: this.takeQueued() };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  return(): Promise<IteratorResult<LiveSample[]>> {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- AsyncIterator's throw() rejects with the caller's reason, whatever it is
  async throw(err?: unknown): Promise<IteratorResult<LiveSample[]>> {
    this.close();
    throw err;
  }

  /** The oldest queued samples, at most perMessage of them. */
  private takeQueued(): LiveSample[] {
    const out: LiveSample[] = [];
    while (this.queue.length > 0 && out.length < this.limits.perMessage) {
      const head = this.queue[0]!;
      const room = this.limits.perMessage - out.length;
      if (head.length <= room) this.queue.shift();
      else this.queue[0] = head.slice(room);
      for (const s of head.length <= room ? head : head.slice(0, room)) out.push(s);
    }
    this.queued -= out.length;
    return out;
  }

  /** The next page of the backlog, oldest first per target; null when it is all sent. */
  private backlogPage(): LiveSample[] | null {
    for (const b of this.backlog) {
      if (b.done) continue;
      const rows = this.store.samples.page(b.targetId, b.fromUs, Number.MAX_SAFE_INTEGER, b.cursor, this.limits.perMessage, this.backlogMaxId);
      if (rows.length < this.limits.perMessage) b.done = true;
      if (rows.length === 0) continue;
      b.cursor = { sentUs: rows.at(-1)!.sentUs, id: rows.at(-1)!.id };
      return rows.map(toLive);
    }
    return null;
  }

  /** Too far behind: stop listening and free the queue now; the stream ends with the reason at its next read. */
  private drop(): void {
    if (this.failure || this.closed) return;
    this.failure = new LiveReaderTooSlow(this.queued);
    this.queue = [];
    this.queued = 0;
    this.feed.unlisten(this.listener, true);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.queued = 0;
    this.signal?.removeEventListener("abort", this.onAbort);
    this.feed.unlisten(this.listener, false);
    this.release();
    this.wake?.();
  }
}

function toLive(s: StoredSample): LiveSample {
  return { id: s.id, targetId: s.targetId, seq: s.seq, sentMs: s.sentUs / 1000, rttUs: s.rttUs, lagUs: s.lagUs };
}
