/** The login limiter with a manual clock: reservations, source keys, the per-account policy, bounded maps. */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITER_POLICY, LoginLimiter, sourceKey, type LimiterPolicy, type Reservation } from "./limiter";

function limiter(policy: LimiterPolicy = DEFAULT_LIMITER_POLICY) {
  let clock = 1_000_000;
  const l = new LoginLimiter(() => clock, policy);
  return { l, advance: (ms: number) => (clock += ms), now: () => clock };
}

type Granted = Extract<Reservation, { ok: true }>;
const granted = (r: Reservation): Granted => {
  if (!r.ok) throw new Error(`refused: ${r.scope} waits ${r.waitMs} ms`);
  return r;
};
/** One checked wrong password from `source` for `account`. */
const fail = (l: LoginLimiter, source: string, account: string | null = "hal") => granted(l.reserve(source, account)).failed();

describe("LoginLimiter: reservations", () => {
  it("counts an attempt before it is checked: of 40 at once from one source, 5 go ahead and 35 are refused", () => {
    const { l } = limiter();
    const all = Array.from({ length: 40 }, () => l.reserve("192.0.2.8", "hal"));
    const ahead = all.filter((r): r is Granted => r.ok);
    const refused = all.filter((r) => !r.ok);
    expect(ahead).toHaveLength(5);
    expect(refused).toHaveLength(35);
    expect(refused[0]).toEqual({ ok: false, scope: "source", key: "192.0.2.8", waitMs: 2_000, first: true });
    // only the first refusal of a wait is reported for the audit
    expect(refused.filter((r) => !r.ok && r.first)).toHaveLength(1);
    for (const r of ahead) r.failed();
    expect(l.waitMs("192.0.2.8")).toBe(2_000);
  });

  it("lets 5 failures through, then doubles the wait from 2 s; a success clears the source; other sources are free", () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 5; i++) {
      expect(l.waitMs("10.0.0.9")).toBe(0);
      fail(l, "10.0.0.9");
    }
    expect(l.waitMs("10.0.0.9")).toBe(2_000);
    expect(l.waitMs("10.0.0.10")).toBe(0);
    advance(2_000);
    expect(l.waitMs("10.0.0.9")).toBe(0);
    fail(l, "10.0.0.9");
    expect(l.waitMs("10.0.0.9")).toBe(4_000);
    advance(4_000);
    granted(l.reserve("10.0.0.9", "hal")).succeeded();
    expect(l.waitMs("10.0.0.9")).toBe(0);
    expect(l.sizes().sources).toBe(0);
  });

  it("the wait runs from when the check ended, and an attempt that was never checked (busy server) is not counted", () => {
    const { l, advance } = limiter();
    const five = Array.from({ length: 5 }, () => granted(l.reserve("10.0.0.9", "hal")));
    advance(300); // scrypt takes its time
    for (const r of five) r.failed();
    expect(l.waitMs("10.0.0.9")).toBe(2_000);

    const other = granted(l.reserve("10.0.0.7", "ada"));
    other.release();
    other.failed(); // a second resolution is ignored
    expect(l.waitMs("10.0.0.7")).toBe(0);
    for (let i = 0; i < 4; i++) fail(l, "10.0.0.7", "ada");
    expect(l.waitMs("10.0.0.7")).toBe(0); // 4 failures: the released attempt did not count
  });

  it("setup codes are counted per source only (there is no account yet)", () => {
    const { l } = limiter();
    for (let i = 0; i < 5; i++) fail(l, "10.0.0.9", null);
    expect(l.reserve("10.0.0.9", null)).toMatchObject({ ok: false, scope: "source", waitMs: 2_000 });
    expect(l.sizes().accounts).toBe(0);
  });
});

describe("sourceKey", () => {
  it("keys IPv4 by address, also when the socket reports it as an IPv4-mapped IPv6 address", () => {
    expect(sourceKey("192.0.2.7")).toBe("192.0.2.7");
    expect(sourceKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(sourceKey("::FFFF:192.0.2.7")).toBe("192.0.2.7");
    expect(sourceKey("::ffff:c000:207")).toBe("192.0.2.7");
    expect(sourceKey("0:0:0:0:0:ffff:c000:0207")).toBe("192.0.2.7");
    expect(sourceKey("[::ffff:127.0.0.1]")).toBe("127.0.0.1");
  });

  it("keys IPv6 by its /64, whichever way the address is written", () => {
    const forms = [
      "2001:db8:1:2::1",
      "2001:0db8:0001:0002:0000:0000:0000:0009",
      "2001:DB8:1:2:aaaa:bbbb:cccc:dddd",
      "[2001:db8:1:2::77]",
      "2001:db8:1:2::1%eth0",
    ];
    expect(new Set(forms.map(sourceKey))).toEqual(new Set(["2001:db8:1:2::/64"]));
    expect(sourceKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(sourceKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(sourceKey("::1")).toBe("0:0:0:0::/64");
    expect(sourceKey("fe80::1%enp1s0")).toBe("fe80:0:0:0::/64");
    // an IPv6 address with a dotted tail that is not IPv4-mapped stays IPv6
    expect(sourceKey("64:ff9b::192.0.2.7")).toBe("64:ff9b:0:0::/64");
  });

  it("counts whatever is not an address as one source, unknown", () => {
    for (const raw of [null, "", " ", "unknown", "999.1.1.1", "1.2.3", "evil.example", "::ffff:1.2.3.4.5", "2001:db8::1::2", "192.0.2.7:8080"])
      expect(sourceKey(raw)).toBe("unknown");
  });

  it("a whole /64 shares one count: rotating addresses inside it gains nothing", () => {
    const { l } = limiter();
    for (let i = 1; i <= 5; i++) fail(l, sourceKey(`2001:db8:1:2::${i.toString(16)}`));
    expect(l.reserve(sourceKey("2001:db8:1:2:ffff::9"), "hal")).toMatchObject({ ok: false, scope: "source", key: "2001:db8:1:2::/64", waitMs: 2_000 });
    expect(l.reserve(sourceKey("::ffff:10.1.1.1"), "hal").ok).toBe(true);
  });
});

describe("LoginLimiter: per account", () => {
  const sources = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `198.51.100.${from + i}`);

  it("10 failures from many sources are free, then the account waits 1, 2, 4 … s, never more than 30 s", () => {
    const { l, advance } = limiter();
    for (const s of sources(10)) fail(l, s);
    // an attacker's source (with failures of its own) waits from the account's last failure
    expect(l.reserve("198.51.100.1", "hal")).toEqual({ ok: false, scope: "account", key: "hal", waitMs: 1_000, first: true });
    expect(l.reserve("198.51.100.2", "hal")).toMatchObject({ ok: false, scope: "account", first: false });
    // user names are counted as the accounts store them: lower case
    expect(l.reserve("198.51.100.3", " HAL")).toMatchObject({ ok: false, scope: "account", key: "hal" });
    // another account is not slowed
    expect(l.reserve("198.51.100.3", "ada").ok).toBe(true);
    const waits: number[] = [];
    for (const s of sources(12, 20)) {
      advance(l.waitMs("198.51.100.1", "hal"));
      fail(l, s);
      waits.push(l.waitMs("198.51.100.1", "hal"));
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it("a botnet cannot lock the admin out: a clean source gets its turn within 30 s, however fast the botnet retries", () => {
    const { l, advance, now } = limiter();
    // 40 failures from 40 addresses: the account's wait is at its 30 s cap
    for (const s of sources(40)) {
      advance(l.waitMs(s, "hal"));
      fail(l, s);
    }
    const start = now();
    let admitted: number | null = null;
    // Every 100 ms the botnet tries again from one of its (dirty) sources, and takes every turn it gets; the admin
    // tries from a clean address every 5 s.
    for (let t = 0; t <= 60_000 && admitted === null; t += 100) {
      const bot = l.reserve(`198.51.100.${1 + ((t / 100) % 40)}`, "hal");
      if (bot.ok) bot.failed();
      if (t % 5_000 === 0) {
        const admin = l.reserve("203.0.113.5", "hal");
        if (admin.ok) {
          admin.succeeded();
          admitted = now() - start;
        }
      }
      advance(100);
    }
    expect(admitted).not.toBeNull();
    expect(admitted!).toBeLessThanOrEqual(30_000);
    // …the botnet meanwhile: at most one checked guess per turn of the account's wait
    expect(l.waitMs("198.51.100.1", "hal")).toBeGreaterThan(0);
  });

  it("a source that signed in to the account recently skips the account's wait (its own still applies)", () => {
    const { l, advance } = limiter();
    granted(l.reserve("203.0.113.5", "hal")).succeeded();
    for (const s of sources(15)) {
      advance(l.waitMs(s, "hal"));
      fail(l, s);
    }
    expect(l.waitMs("203.0.113.99", "hal")).toBeGreaterThan(0);
    expect(l.waitMs("203.0.113.5", "hal")).toBe(0);
    expect(l.waitMs("203.0.113.5", "ada")).toBe(0);
    // trusted for hal only, and only for 7 days
    advance(7 * 86_400_000 + 1);
    for (const s of sources(10, 100)) fail(l, s);
    expect(l.waitMs("203.0.113.5", "hal")).toBe(1_000);
  });
});

describe("LoginLimiter: bounded memory", () => {
  const small: LimiterPolicy = {
    source: { ...DEFAULT_LIMITER_POLICY.source, freeFailures: 1, maxEntries: 3 },
    account: { ...DEFAULT_LIMITER_POLICY.account, freeFailures: 1, maxEntries: 2 },
    trustMs: DEFAULT_LIMITER_POLICY.trustMs,
    maxTrusted: 2,
  };

  it("each map keeps at most its maximum, evicting the oldest entry first", () => {
    const { l } = limiter(small);
    for (const s of ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]) fail(l, s, null);
    expect(l.sizes().sources).toBe(3);
    expect(l.waitMs("10.0.0.1")).toBe(0); // evicted: the oldest
    for (const s of ["10.0.0.2", "10.0.0.3", "10.0.0.4"]) expect(l.waitMs(s)).toBe(2_000);

    for (const name of ["a", "b", "c"]) fail(l, `10.1.0.${name.charCodeAt(0)}`, name);
    expect(l.sizes().accounts).toBe(2);
    expect(l.waitMs("10.9.9.9", "a")).toBe(0);
    expect(l.waitMs("10.9.9.9", "c")).toBe(1_000);
    for (const name of ["x", "y", "z"]) granted(l.reserve(`10.2.0.${name.charCodeAt(0)}`, name)).succeeded();
    expect(l.sizes().trusted).toBe(2);
  });

  it("a flood of 100,000 random sources and names stays within the default bounds", () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 100_000; i++) {
      const r = l.reserve(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `user${i}`);
      if (r.ok) r.failed();
      if (i % 1000 === 0) advance(1);
    }
    expect(l.sizes()).toEqual({ sources: 10_000, accounts: 10_000, trusted: 0 });
  });

  it("forgets entries an hour after their last failure, without being asked about them", () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 5; i++) fail(l, "10.0.0.9");
    fail(l, "10.0.0.8", "ada");
    expect(l.sizes()).toEqual({ sources: 2, accounts: 2, trusted: 0 });
    advance(3_600_001);
    expect(l.waitMs("10.0.0.9")).toBe(0);
    // the next attempt from anyone sweeps the stale entries away
    granted(l.reserve("10.0.0.1", "bob")).succeeded();
    expect(l.sizes()).toEqual({ sources: 0, accounts: 1, trusted: 1 });
  });
});
