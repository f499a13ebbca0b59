/**
 * A counting semaphore with a bounded wait queue: `limit` run at once, up to `queue` more wait their turn (first
 * come, first served), anything beyond is refused at once with the caller's error rather than queued without end.
 * Scrypt (server/auth/passwords.ts) and virsh (server/libvirt/virsh.ts) each have one per process.
 */
export class BoundedGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    readonly queue: number,
    /** the refusal when `limit` run and `queue` wait already */
    private readonly busy: (running: number, waiting: number) => Error,
  ) {}

  /** `urgent` work (a change an apply waits for) never is refused and goes to the front of the queue. */
  async run<T>(work: () => Promise<T>, urgent = false): Promise<T> {
    if (this.running >= this.limit) {
      if (!urgent && this.waiting.length >= this.queue) throw this.busy(this.running, this.waiting.length);
      // The slot is handed over in `finally`: `running` stays counted for the waiter, so nobody overtakes it.
      await new Promise<void>((resolve) => (urgent ? this.waiting.unshift(resolve) : this.waiting.push(resolve)));
    } else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** How many run and how many wait (for tests and /metrics). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
