/** iputils `ping -n -D -O` lines → samples: parsing, send times, lateness, losses at their timeout, wrap, errors. */
import { describe, expect, it } from "vitest";
import { decodePingError, parsePingLine, pingArgs, PingSession } from "./ping";

const T0 = 1_795_572_812_000_000; // µs
const stamp = (us: number) => `[${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}]`;
const reply = (tsUs: number, seq: number, rttUs: number, dup = false) =>
  `${stamp(tsUs)} 64 bytes from 10.0.0.5: icmp_seq=${seq} ttl=64 time=${(rttUs / 1000).toFixed(3)} ms${dup ? " (DUP!)" : ""}`;
const noAnswer = (tsUs: number, seq: number) => `${stamp(tsUs)} no answer yet for icmp_seq=${seq}`;

describe("parsePingLine", () => {
  it("parses a reply with its kernel timestamp and RTT in µs", () => {
    expect(parsePingLine("[1795572812.691159] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.361 ms")).toEqual({
      kind: "reply",
      tsUs: 1_795_572_812_691_159,
      icmpSeq: 1,
      rttUs: 361,
      duplicate: false,
    });
    expect(parsePingLine("[1795572812.891000] 64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=12.5 ms (DUP!)")).toEqual({
      kind: "reply",
      tsUs: 1_795_572_812_891_000,
      icmpSeq: 2,
      rttUs: 12_500,
      duplicate: true,
    });
  });

  it("parses no-answer lines, ICMP errors, the header; everything else is other", () => {
    expect(parsePingLine("[1795572813.303290] no answer yet for icmp_seq=1")).toEqual({ kind: "no-answer", tsUs: 1_795_572_813_303_290, icmpSeq: 1 });
    expect(parsePingLine("[1795572813.102794] From 21.4.3.201 icmp_seq=1 Destination Port Unreachable")).toEqual({
      kind: "error-reply",
      tsUs: 1_795_572_813_102_794,
      icmpSeq: 1,
      from: "21.4.3.201",
      reason: "Destination Port Unreachable",
    });
    expect(parsePingLine("[1795572813.1] From 10.0.0.1 icmp_seq=7 Destination Host Unreachable")).toEqual({
      kind: "error-reply",
      tsUs: 1_795_572_813_100_000,
      icmpSeq: 7,
      from: "10.0.0.1",
      reason: "Destination Host Unreachable",
    });
    expect(parsePingLine("PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.")).toEqual({ kind: "header", host: "127.0.0.1", address: "127.0.0.1" });
    for (const text of [
      "--- 127.0.0.1 ping statistics ---",
      "5 packets transmitted, 5 received, 0% packet loss, time 801ms",
      "rtt min/avg/max/mdev = 0.030/0.053/0.078/0.016 ms",
      "",
    ])
      expect(parsePingLine(text)).toEqual({ kind: "other", text });
  });
});

describe("PingSession", () => {
  it("turns replies into samples: seq = base + icmp_seq, sent = ts − RTT, lag between consecutive sends", () => {
    const s = new PingSession(100, 200, 1000);
    expect(s.line("PING 10.0.0.5 (10.0.0.5) 56(84) bytes of data.")).toEqual([]);
    expect(s.line(reply(T0 + 361, 1, 361))).toEqual([{ seq: 101, sentUs: T0, rttUs: 361, lagUs: null }]);
    // sent 203 ms after the first: 3 ms late
    expect(s.line(reply(T0 + 203_000 + 400, 2, 400))).toEqual([{ seq: 102, sentUs: T0 + 203_000, rttUs: 400, lagUs: 3000 }]);
    // sent 197 ms after the second: 3 ms early
    expect(s.line(reply(T0 + 400_000 + 500, 3, 500))).toEqual([{ seq: 103, sentUs: T0 + 400_000, rttUs: 500, lagUs: -3000 }]);
    expect(s.lastSeq).toBe(103);
    expect(s.lastError).toBeNull();
  });

  it("emits a lost probe only once its timeout has passed, at the estimated send time; a late reply is ignored", () => {
    const s = new PingSession(0, 200, 1000);
    const out = [...s.line(reply(T0 + 300, 1, 300)), ...s.line(reply(T0 + 200_300, 2, 300))];
    // seq 3 (sent ≈ T0+400 ms) gets no reply; ping says so as it sends seq 4
    out.push(...s.line(noAnswer(T0 + 600_050, 3)));
    out.push(...s.line(reply(T0 + 600_300, 4, 300)));
    out.push(...s.line(noAnswer(T0 + 800_000, 3))); // repeated: changes nothing
    for (const k of [5, 6, 7]) out.push(...s.line(reply(T0 + (k - 1) * 200_000 + 300, k, 300)));
    expect(out.map((x) => [x.seq, x.rttUs])).toEqual([
      [1, 300],
      [2, 300],
      [4, 300],
      [5, 300],
      [6, 300],
      [7, 300],
    ]);
    // lag is unknown after a probe whose send time was only estimated
    expect(out.find((x) => x.seq === 4)!.lagUs).toBeNull();
    expect(out.find((x) => x.seq === 5)!.lagUs).toBe(0);
    // seq 3's send is estimated at the no-answer line − one interval; lost at exactly send + timeout
    expect(s.settle(T0 + 400_050 + 1_000_000 - 1)).toEqual([]);
    expect(s.settle(T0 + 400_050 + 1_000_000)).toEqual([{ seq: 3, sentUs: T0 + 400_050, rttUs: null, lagUs: null }]);
    expect(s.settle(T0 + 9_000_000)).toEqual([]);
    // its reply 1.1 s late: already counted lost
    expect(s.line(reply(T0 + 400_000 + 1_100_000, 3, 1_100_000))).toEqual([]);
    expect(s.line(reply(T0 + 1_400_300, 8, 300))).toEqual([{ seq: 8, sentUs: T0 + 1_400_000, rttUs: 300, lagUs: 0 }]);
  });

  it("declares a loss from a later line once the timeout has passed", () => {
    const s = new PingSession(0, 200, 1000);
    s.line(reply(T0 + 300, 1, 300));
    s.line(noAnswer(T0 + 400_000, 2)); // seq 2 sent ≈ T0 + 200 ms
    for (const k of [3, 4, 5, 6]) expect(s.line(reply(T0 + (k - 1) * 200_000 + 300, k, 300)).map((x) => x.seq)).toEqual([k]);
    // seq 7's reply at T0 + 1.2003 s is past seq 2's deadline (T0 + 1.2 s)
    expect(s.line(reply(T0 + 1_200_300, 7, 300))).toEqual([
      { seq: 7, sentUs: T0 + 1_200_000, rttUs: 300, lagUs: 0 },
      { seq: 2, sentUs: T0 + 200_000, rttUs: null, lagUs: null },
    ]);
  });

  it("ignores duplicate replies", () => {
    const s = new PingSession(0, 200, 1000);
    expect(s.line(reply(T0 + 300, 1, 300))).toHaveLength(1);
    expect(s.line(reply(T0 + 350, 1, 350, true))).toEqual([]);
    expect(s.line(reply(T0 + 400, 1, 400))).toEqual([]); // same seq again, even without the DUP! mark
    expect(s.line(reply(T0 + 200_300, 2, 300))).toEqual([{ seq: 2, sentUs: T0 + 200_000, rttUs: 300, lagUs: 0 }]);
  });

  it("counts an ICMP error as lost at once and remembers it until a reply comes", () => {
    const s = new PingSession(10, 200, 1000);
    s.line(reply(T0 + 300, 1, 300));
    expect(s.line(`${stamp(T0 + 203_000)} From 10.0.0.1 icmp_seq=2 Destination Host Unreachable`)).toEqual([
      { seq: 12, sentUs: T0 + 203_000, rttUs: null, lagUs: null },
    ]);
    expect(s.lastError).toEqual({ from: "10.0.0.1", reason: "Destination Host Unreachable" });
    expect(s.settle(T0 + 10_000_000)).toEqual([]); // not lost a second time
    s.line(reply(T0 + 400_300, 3, 300));
    expect(s.lastError).toBeNull();
  });

  it("keeps seq consecutive across icmp_seq's 16-bit wrap, also for a late reply from before it", () => {
    const s = new PingSession(0, 10, 1000);
    const at = (k: number) => T0 + k * 10_000;
    const seqs: number[] = [];
    for (let k = 1; k <= 65534; k++) seqs.push(...s.line(reply(at(k) + 100, k, 100)).map((x) => x.seq));
    expect(seqs).toHaveLength(65534);
    // 65535 is slow: ping reports it as it sends 0 (the wrap), whose reply comes first
    s.line(noAnswer(at(65536), 65535));
    expect(s.line(reply(at(65536) + 100, 0, 100))).toEqual([{ seq: 65536, sentUs: at(65536), rttUs: 100, lagUs: null }]);
    expect(s.line(reply(at(65535) + 15_000, 65535, 15_000))).toEqual([{ seq: 65535, sentUs: at(65535), rttUs: 15_000, lagUs: 0 }]);
    expect(s.line(reply(at(65537) + 100, 1, 100))).toEqual([{ seq: 65537, sentUs: at(65537), rttUs: 100, lagUs: 0 }]);
    expect(s.lastSeq).toBe(65537);
  });

  it("settle() on a timer declares losses when ping stops printing", () => {
    const s = new PingSession(0, 200, 1000);
    s.line(reply(T0 + 300, 1, 300));
    s.line(noAnswer(T0 + 400_000, 2));
    expect(s.settle(T0 + 1_199_999)).toEqual([]);
    expect(s.settle(T0 + 1_200_000)).toEqual([{ seq: 2, sentUs: T0 + 200_000, rttUs: null, lagUs: null }]);
    expect(s.settle(T0 + 60_000_000)).toEqual([]); // nothing is known about later probes
  });
});

describe("decodePingError", () => {
  it("explains a missing ping binary", () => {
    const e = Object.assign(new Error("spawn ping ENOENT"), { code: "ENOENT" });
    const d = decodePingError("", e);
    expect(d.cause).toBe("ping is not installed");
    expect(d.fix).toContain("iputils-ping");
  });

  it("explains a name that does not resolve", () => {
    const d = decodePingError("ping: nosuch.invalid: Name or service not known\n");
    expect(d.cause).toBe('"nosuch.invalid" does not resolve (Name or service not known)');
    expect(d.fix).toContain("IP address");
  });

  it("explains the unprivileged minimum interval", () => {
    const d = decodePingError("ping: cannot flood; minimal interval allowed for user is 2ms\n");
    expect(d.cause).toContain("below 2 ms");
    expect(d.fix).toContain("raise the interval to 2 ms");
    expect(d.fix).toContain("root");
  });

  it("explains a missing ICMP permission without suggesting cap_net_raw for node", () => {
    const d = decodePingError("ping: socket: Operation not permitted\n");
    expect(d.cause).toContain("cap_net_raw");
    expect(d.cause).toContain("ping_group_range");
    expect(d.fix).toContain("setcap cap_net_raw+ep /usr/bin/ping");
    expect(d.fix).toContain("never give node cap_net_raw");
  });

  it("explains a missing route, and falls back to ping's last line", () => {
    const d = decodePingError("connect: Network is unreachable\n");
    expect(d.cause).toBe("no route to the target's network");
    expect(d.fix).toContain("ip route get");
    expect(decodePingError("ping: something odd\nping: the last word\n").cause).toBe("ping failed: ping: the last word");
    expect(decodePingError("").cause).toBe("ping exited without saying why");
  });
});

describe("pingArgs", () => {
  it("gives numeric output, timestamps, no-answer reports, timeout and interval in seconds, the address last", () => {
    expect(pingArgs("10.0.0.5", 200, 1000)).toEqual(["-n", "-D", "-O", "-W", "1", "-i", "0.2", "10.0.0.5"]);
    expect(pingArgs("fd00::5", 10, 1500)).toEqual(["-n", "-D", "-O", "-W", "1.5", "-i", "0.01", "fd00::5"]);
  });
});
