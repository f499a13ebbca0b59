/**
 * What one caller may ask of the planner: a preview scans the host and asks libvirt, so each caller (a user's
 * sessions, or one API token) has a token bucket of previews, and the plans kept for review are capped per caller
 * and in all. Pure bookkeeping over an injected clock, so the tests drive time by hand.
 */

export interface PreviewLimitOptions {
  /** previews a caller may send at once before the rate applies */
  burst: number;
  /** previews per second a caller gets back */
  perSecond: number;
  /** previews kept for review per caller: the oldest is forgotten first */
  pendingPerCaller: number;
  /** previews kept for review in all */
  pendingTotal: number;
}

/**
 * A person reviewing plans makes a preview every few seconds (a wizard step, a changed field); a script a few more.
 * Ten at once and two a second is far above that and far below what the host's scans can bear.
 */
export const DEFAULT_PREVIEW_LIMITS: PreviewLimitOptions = { burst: 10, perSecond: 2, pendingPerCaller: 16, pendingTotal: 256 };

/** Buckets beyond this are dropped, fullest first: a full bucket is the same as none. */
const MAX_BUCKETS = 10_000;

export class PreviewRateLimited extends Error {
  constructor(
    readonly caller: string,
    readonly retryAfterMs: number,
    limits: Pick<PreviewLimitOptions, "burst" | "perSecond">,
  ) {
    super(
      `too many plan previews from ${caller}: at most ${limits.burst} at once, then ${limits.perSecond} a second; try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`,
    );
    this.name = "PreviewRateLimited";
  }
}

/** A token bucket per caller key. */
export class PreviewRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly options: Pick<PreviewLimitOptions, "burst" | "perSecond">,
    private readonly now: () => number,
  ) {}

  /** Takes one preview from `key`'s bucket, or throws PreviewRateLimited with the wait until the next one. */
  take(key: string): void {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.options.burst, at: now };
    const tokens = Math.min(this.options.burst, b.tokens + ((now - b.at) / 1000) * this.options.perSecond);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      throw new PreviewRateLimited(key, Math.ceil(((1 - tokens) / this.options.perSecond) * 1000), this.options);
    }
    this.buckets.delete(key); // re-inserted last: the map's order is least recently used first
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
  }

  get size(): number {
    return this.buckets.size;
  }
}
