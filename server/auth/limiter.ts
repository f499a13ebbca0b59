/**
 * Slows password guessing, per source and per account. In memory: a restart forgets, which costs an attacker a
 * restart they cannot cause.
 *
 * An attempt reserves its place before the password is hashed, so attempts that arrive together are counted
 * together: the 6th of 40 parallel guesses from one source is refused at once, not checked. The policy:
 * - per source (an IPv4 address, an IPv6 /64, or "unknown" for anything else): 5 failures free, then each further
 *   attempt waits 2, 4, 8 … s (at most 15 min) after the last one. A success clears the source.
 * - per account (the user name tried, whether it exists or not, so the answer tells nothing): 10 failures free from
 *   any mix of sources, then 1, 2, 4 … s, capped at 30 s. Lower than the source's cap on purpose: a botnet can slow
 *   the real admin, never lock them out. Three tiers decide whose clock the account's wait runs on:
 *   - a source that signed in to this account within the last 7 days skips the account's wait (only its own applies);
 *   - a source with failures on record waits from the account's last failure (the attackers keep pushing it);
 *   - a clean source (no failures) waits from the last attempt let through from a clean source, so attackers cannot
 *     keep that clock from running out: the real admin from a new place is in after at most 30 s.
 * - refused attempts cost nothing and extend no wait; only checked ones count.
 * Every map is bounded (oldest entry evicted first) and forgets an entry after its window.
 */
import { isIPv4, isIPv6 } from "node:net";

export interface BackoffPolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** an entry is forgotten this long after its last failure */
  forgetMs: number;
  /** at most this many entries; the least recently changed goes first */
  maxEntries: number;
}

export interface LimiterPolicy {
  source: BackoffPolicy;
  account: BackoffPolicy;
  /** a source that signed in to an account is trusted for it this long */
  trustMs: number;
  maxTrusted: number;
}

export const DEFAULT_LIMITER_POLICY: LimiterPolicy = {
  source: { freeFailures: 5, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000, forgetMs: 3_600_000, maxEntries: 10_000 },
  account: { freeFailures: 10, baseDelayMs: 1_000, maxDelayMs: 30_000, forgetMs: 3_600_000, maxEntries: 10_000 },
  trustMs: 7 * 86_400_000,
  maxTrusted: 1_000,
};

interface Entry {
  /** failures plus attempts in flight */
  count: number;
  /** the last failure or reservation */
  lastMs: number;
  /** the last attempt let through from a clean source (accounts only) */
  cleanMs: number;
  /** whether a refusal was reported since the last reservation (the audit records one per wait, not a flood) */
  refused: boolean;
}

export type Reservation =
  | {
      ok: true;
      /** the password was right: the source starts clean and is trusted for this account */
      succeeded: () => void;
      /** the password was wrong: the reservation stays counted */
      failed: () => void;
      /** the attempt was never checked (the server was busy, the database failed): it is not counted */
      release: () => void;
    }
  | {
      ok: false;
      scope: "source" | "account";
      /** the key that must wait: the source key or the account name */
      key: string;
      waitMs: number;
      /** true for the first refusal of this wait, so the audit records one line per wait rather than one per request */
      first: boolean;
    };

/**
 * The key a source is counted under: IPv4 by address (also when written as an IPv4-mapped IPv6 address), IPv6 by its
 * /64 (one subscriber's whole network, which they can fill with addresses at will), anything else as "unknown".
 */
export function sourceKey(address: string | null): string {
  if (!address) return "unknown";
  let a = address.trim();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  const zone = a.indexOf("%");
  if (zone >= 0) a = a.slice(0, zone);
  if (isIPv4(a)) return a;
  if (!isIPv6(a)) return "unknown";
  const groups = expandIPv6(a);
  // ::ffff:a.b.c.d (or its hex form): an IPv4 client of a dual-stack socket
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (with "::" and a dotted IPv4 tail expanded). */
function expandIPv6(a: string): number[] {
  let text = a.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [b0, b1, b2, b3] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? (text.split("::") as [string, string]) : [text, null];
  const parse = (s: string) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === null ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** A user name as the account limiter counts it: the accounts' names are lower case, so case is no way around. */
const accountKey = (name: string) => name.trim().toLowerCase().slice(0, 64);

export class LoginLimiter {
  private readonly sources = new Map<string, Entry>();
  private readonly accounts = new Map<string, Entry>();
  /** "<account>\n<source key>" → when that source last signed in to that account */
  private readonly trusted = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly policy: LimiterPolicy = DEFAULT_LIMITER_POLICY,
  ) {}

  /**
   * Asks to check one password (or setup code): refused with the wait, or counted now and resolved by the caller
   * once the check is done. `account` is null for the setup code, which has no account yet.
   */
  reserve(source: string, account: string | null): Reservation {
    const now = this.now();
    this.sweep(now);
    const name = account === null ? null : accountKey(account);
    const blocked = this.check(source, name, now);
    if (blocked) {
      const first = !blocked.entry.refused;
      blocked.entry.refused = true;
      return { ok: false, scope: blocked.scope, key: blocked.scope === "source" ? source : name!, waitMs: blocked.waitMs, first };
    }
    const clean = this.isClean(source, now);
    const sEntry = this.bump(this.sources, source, this.policy.source, now);
    const aEntry = name === null ? null : this.bump(this.accounts, name, this.policy.account, now);
    if (aEntry && clean) aEntry.cleanMs = now;
    let settled = false;
    const settle = (fn: () => void) => () => {
      if (settled) return;
      settled = true;
      fn();
    };
    // Each resolution touches an entry only while it is still the one reserved (it may have been evicted or forgotten).
    const mine = (map: Map<string, Entry>, key: string | null, e: Entry | null): e is Entry => e !== null && key !== null && map.get(key) === e;
    return {
      ok: true,
      succeeded: settle(() => {
        this.sources.delete(source);
        // A success is not a failure: the account's count loses this attempt but keeps the others' failures.
        if (mine(this.accounts, name, aEntry)) aEntry.count = Math.max(0, aEntry.count - 1);
        if (name !== null) this.trust(name, source, this.now());
      }),
      failed: settle(() => {
        const t = this.now();
        if (mine(this.sources, source, sEntry)) this.touch(this.sources, source, sEntry, t);
        if (mine(this.accounts, name, aEntry)) this.touch(this.accounts, name!, aEntry, t);
      }),
      release: settle(() => {
        if (mine(this.sources, source, sEntry)) sEntry.count = Math.max(0, sEntry.count - 1);
        if (mine(this.accounts, name, aEntry)) aEntry.count = Math.max(0, aEntry.count - 1);
      }),
    };
  }

  /** How long `source` (trying `account`) must wait before its next attempt; 0: it may try now. */
  waitMs(source: string, account: string | null = null): number {
    return this.check(source, account === null ? null : accountKey(account), this.now())?.waitMs ?? 0;
  }

  /** How many sources, accounts and trusted pairs are remembered (the maps are bounded). */
  sizes(): { sources: number; accounts: number; trusted: number } {
    return { sources: this.sources.size, accounts: this.accounts.size, trusted: this.trusted.size };
  }

  /** The wait that applies now, and the entry it belongs to; null when the attempt may go ahead. */
  private check(source: string, name: string | null, now: number): { scope: "source" | "account"; entry: Entry; waitMs: number } | null {
    const s = this.live(this.sources, source, this.policy.source, now);
    const sourceWait = this.wait(s, this.policy.source, s?.lastMs ?? 0);
    if (s && sourceWait > 0) return { scope: "source", entry: s, waitMs: sourceWait };
    if (name === null) return null;
    const a = this.live(this.accounts, name, this.policy.account, now);
    if (!a || this.isTrusted(name, source, now)) return null;
    const accountWait = this.wait(a, this.policy.account, this.isClean(source, now) ? a.cleanMs : a.lastMs);
    return accountWait > 0 ? { scope: "account", entry: a, waitMs: accountWait } : null;
  }

  /** No failure (nor attempt in flight) on record for this source. */
  private isClean(source: string, now: number): boolean {
    return (this.live(this.sources, source, this.policy.source, now)?.count ?? 0) === 0;
  }

  private wait(e: Entry | null, p: BackoffPolicy, fromMs: number): number {
    if (!e || e.count < p.freeFailures) return 0;
    const delay = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.min(e.count - p.freeFailures, 40));
    return Math.max(0, fromMs + delay - this.now());
  }

  /** The entry, or null when there is none or it is past its window (then it is dropped). */
  private live(map: Map<string, Entry>, key: string, p: BackoffPolicy, now: number): Entry | null {
    const e = map.get(key);
    if (!e) return null;
    if (now - e.lastMs > p.forgetMs) {
      map.delete(key);
      return null;
    }
    return e;
  }

  /** Counts one more attempt, moving the entry to the young end of the map (Map keeps insertion order). */
  private bump(map: Map<string, Entry>, key: string, p: BackoffPolicy, now: number): Entry {
    const e = this.live(map, key, p, now) ?? { count: 0, lastMs: now, cleanMs: now, refused: false };
    map.delete(key);
    e.count += 1;
    e.lastMs = now;
    e.refused = false;
    map.set(key, e);
    while (map.size > p.maxEntries) map.delete(map.keys().next().value!);
    return e;
  }

  /** A failure's time, moving the entry to the young end (the sweep reads the map oldest first). */
  private touch(map: Map<string, Entry>, key: string, e: Entry, now: number): void {
    e.lastMs = Math.max(e.lastMs, now);
    map.delete(key);
    map.set(key, e);
  }

  private isTrusted(account: string, source: string, now: number): boolean {
    const at = this.trusted.get(`${account}\n${source}`);
    return at !== undefined && now - at <= this.policy.trustMs;
  }

  private trust(account: string, source: string, now: number): void {
    const key = `${account}\n${source}`;
    this.trusted.delete(key);
    this.trusted.set(key, now);
    while (this.trusted.size > this.policy.maxTrusted) this.trusted.delete(this.trusted.keys().next().value!);
  }

  /** Drops entries past their window from the old end of each map; each entry is dropped once, so this stays cheap. */
  private sweep(now: number): void {
    for (const [map, p] of [
      [this.sources, this.policy.source],
      [this.accounts, this.policy.account],
    ] as const) {
      for (const [key, e] of map) {
        if (now - e.lastMs <= p.forgetMs) break;
        map.delete(key);
      }
    }
    for (const [key, at] of this.trusted) {
      if (now - at <= this.policy.trustMs) break;
      this.trusted.delete(key);
    }
  }
}
