/**
 * Slows password guessing per source address: the first 5 failures are free, then each further attempt must wait
 * 2, 4, 8 … seconds (at most 15 minutes) after the last failure. A success clears the source. In memory: a restart
 * forgets, which costs an attacker a restart they cannot cause.
 */
export interface LimiterPolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** failures older than this are forgotten */
  forgetMs: number;
}

export const DEFAULT_LIMITER_POLICY: LimiterPolicy = { freeFailures: 5, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000, forgetMs: 3_600_000 };

export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; lastMs: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly policy: LimiterPolicy = DEFAULT_LIMITER_POLICY,
  ) {}

  /** 0 when `source` may try now, else how many ms it must wait. */
  waitMs(source: string): number {
    const f = this.current(source);
    if (!f || f.count < this.policy.freeFailures) return 0;
    const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (f.count - this.policy.freeFailures));
    return Math.max(0, f.lastMs + delay - this.now());
  }

  failed(source: string): void {
    const f = this.current(source);
    this.failures.set(source, { count: (f?.count ?? 0) + 1, lastMs: this.now() });
  }

  succeeded(source: string): void {
    this.failures.delete(source);
  }

  private current(source: string): { count: number; lastMs: number } | null {
    const f = this.failures.get(source);
    if (f && this.now() - f.lastMs > this.policy.forgetMs) {
      this.failures.delete(source);
      return null;
    }
    return f ?? null;
  }
}
