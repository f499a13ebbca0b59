/**
 * iputils `ping -n -D -O` output → probe samples. ping timestamps replies in the kernel (SO_TIMESTAMP), so its
 * RTTs stay accurate when this process is busy (shared/research/latency-anchors.md §3.1); this module only turns
 * its lines into samples: a reply at once, a loss once its timeout has passed, and the prober's own lateness
 * against the requested interval (a stalled prober is a "gap", never network quiet).
 */

export type PingLine =
  | { kind: "reply"; tsUs: number; icmpSeq: number; rttUs: number; duplicate: boolean }
  | { kind: "no-answer"; tsUs: number; icmpSeq: number }
  /** an ICMP error in place of the echo reply: Destination Host Unreachable, Time to live exceeded … */
  | { kind: "error-reply"; tsUs: number; icmpSeq: number; from: string; reason: string }
  | { kind: "header"; host: string; address: string }
  | { kind: "other"; text: string };

const TS = String.raw`^\[(\d+\.\d+)\] `;
const REPLY = new RegExp(TS + String.raw`\d+ bytes from [^:]+: icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms( \(DUP!\))?`);
const NO_ANSWER = new RegExp(TS + String.raw`no answer yet for icmp_seq=(\d+)`);
const ERROR_REPLY = new RegExp(TS + String.raw`From (\S+?)(?: \([^)]*\))?:? icmp_seq=(\d+) (.+)$`);
const HEADER = /^PING (\S+) \(([^)]+)\)/;

const seconds = (s: string) => Math.round(Number(s) * 1e6);

export function parsePingLine(line: string): PingLine {
  let m = REPLY.exec(line);
  if (m) return { kind: "reply", tsUs: seconds(m[1]!), icmpSeq: Number(m[2]), rttUs: Math.round(Number(m[3]) * 1000), duplicate: Boolean(m[4]) };
  m = NO_ANSWER.exec(line);
  if (m) return { kind: "no-answer", tsUs: seconds(m[1]!), icmpSeq: Number(m[2]) };
  m = ERROR_REPLY.exec(line);
  if (m) return { kind: "error-reply", tsUs: seconds(m[1]!), from: m[2]!, icmpSeq: Number(m[3]), reason: m[4]!.trim() };
  m = HEADER.exec(line);
  if (m) return { kind: "header", host: m[1]!, address: m[2]! };
  return { kind: "other", text: line };
}

export interface PingSample {
  seq: number;
  sentUs: number;
  rttUs: number | null;
  /** how much later than one interval after the previous probe this one was sent; null when not measurable */
  lagUs: number | null;
}

/**
 * One ping process's lines → samples. Sequence numbers continue from `firstSeq` across ping restarts and
 * icmp_seq's 16-bit wrap, so consecutive probes of one run always differ by 1.
 */
export class PingSession {
  private readonly intervalUs: number;
  private readonly timeoutUs: number;
  private wraps = 0;
  private lastRawSeq = -1;
  private highest = 0;
  /** probes up to this icmp sequence (unwrapped) have been emitted or answered */
  private settledThrough = 0;
  private readonly answered = new Set<number>();
  /** send times known exactly (replies) or estimated ("no answer yet" is printed as the next probe goes out) */
  private readonly sends = new Map<number, { sentUs: number; exact: boolean }>();
  private lastErrorReply: { from: string; reason: string } | null = null;

  constructor(
    private readonly base: number,
    intervalMs: number,
    timeoutMs: number,
  ) {
    this.intervalUs = intervalMs * 1000;
    this.timeoutUs = timeoutMs * 1000;
  }

  /** The last ICMP error the target's path sent back instead of a reply (for the target's status). */
  get lastError(): { from: string; reason: string } | null {
    return this.lastErrorReply;
  }

  /** The highest sequence number this run has used (the next run starts above it). */
  get lastSeq(): number {
    return this.base + this.highest;
  }

  /** Feeds one stdout line; returns the samples it completes. */
  line(text: string): PingSample[] {
    const parsed = parsePingLine(text);
    if (parsed.kind === "header" || parsed.kind === "other") return [];
    const seq = this.unwrap(parsed.icmpSeq);
    this.highest = Math.max(this.highest, seq);
    const out: PingSample[] = [];
    if (parsed.kind === "reply") {
      if (!parsed.duplicate && seq > this.settledThrough && !this.answered.has(seq)) {
        const sentUs = parsed.tsUs - parsed.rttUs;
        this.sends.set(seq, { sentUs, exact: true });
        this.answered.add(seq);
        this.lastErrorReply = null;
        out.push({ seq: this.base + seq, sentUs, rttUs: parsed.rttUs, lagUs: this.lagOf(seq, sentUs) });
      }
    } else if (parsed.kind === "no-answer") {
      if (!this.sends.has(seq)) this.sends.set(seq, { sentUs: parsed.tsUs - this.intervalUs, exact: false });
    } else {
      this.lastErrorReply = { from: parsed.from, reason: parsed.reason };
      if (!this.sends.has(seq)) this.sends.set(seq, { sentUs: parsed.tsUs, exact: false });
      // An ICMP error is the network's final answer for this probe: lost now, not after the timeout.
      if (seq > this.settledThrough && !this.answered.has(seq)) {
        this.answered.add(seq);
        out.push({ seq: this.base + seq, sentUs: this.sendTime(seq), rttUs: null, lagUs: null });
      }
    }
    return [...out, ...this.settle(parsed.tsUs)];
  }

  /** Declares lost every probe whose timeout has passed by `nowUs` (called on a timer, too, in case ping stalls). */
  settle(nowUs: number): PingSample[] {
    const out: PingSample[] = [];
    while (this.settledThrough < this.highest) {
      const seq = this.settledThrough + 1;
      if (this.answered.has(seq)) {
        this.answered.delete(seq);
      } else {
        const sentUs = this.sendTime(seq);
        if (sentUs + this.timeoutUs > nowUs) break;
        out.push({ seq: this.base + seq, sentUs, rttUs: null, lagUs: null });
      }
      this.settledThrough = seq;
      // keep the previous send for the next probe's lag
      this.sends.delete(seq - 1);
    }
    return out;
  }

  private unwrap(raw: number): number {
    // a late line from just before the wrap (a slow reply after its successor's): the previous cycle
    if (this.wraps > 0 && raw > this.lastRawSeq + 32768) return (this.wraps - 1) * 65536 + raw;
    if (this.lastRawSeq >= 0 && raw < this.lastRawSeq - 32768) this.wraps++;
    this.lastRawSeq = raw;
    return this.wraps * 65536 + raw;
  }

  private lagOf(seq: number, sentUs: number): number | null {
    const prev = this.sends.get(seq - 1);
    return prev?.exact ? sentUs - prev.sentUs - this.intervalUs : null;
  }

  /** The send time of `seq`: known, or extrapolated from the nearest known send at the requested interval. */
  private sendTime(seq: number): number {
    const known = this.sends.get(seq);
    if (known) return known.sentUs;
    let nearest: [number, number] | null = null;
    for (const [s, v] of this.sends) if (!nearest || Math.abs(s - seq) < Math.abs(nearest[0] - seq)) nearest = [s, v.sentUs];
    return nearest ? nearest[1] + (seq - nearest[0]) * this.intervalUs : 0;
  }
}

/** ping's arguments for a target: argument array only, the address last after "--"-free validated input. */
export function pingArgs(address: string, intervalMs: number, timeoutMs: number): string[] {
  return ["-n", "-D", "-O", "-W", (timeoutMs / 1000).toString(), "-i", (intervalMs / 1000).toString(), address];
}

export interface DecodedProbeError {
  cause: string;
  fix: string;
}

/** ping's stderr (and exit) → what went wrong and what to do. */
export function decodePingError(stderr: string, spawnError?: NodeJS.ErrnoException): DecodedProbeError {
  const text = stderr.trim();
  if (spawnError?.code === "ENOENT") return { cause: "ping is not installed", fix: "install iputils-ping (apt install iputils-ping)" };
  if (spawnError) return { cause: `ping could not be started: ${spawnError.message}`, fix: "check that /usr/bin/ping runs for this user" };
  let m = /ping: (.+?): (Name or service not known|Temporary failure in name resolution|No address associated with hostname)/.exec(text);
  if (m) return { cause: `"${m[1]}" does not resolve (${m[2]})`, fix: "check the name, or give the target's IP address" };
  m = /minimal interval allowed for user is (\d+)ms/.exec(text);
  if (m)
    return { cause: `ping refuses intervals below ${m[1]} ms for this user`, fix: `raise the interval to ${m[1]} ms or more, or run the probe agent as root` };
  if (/Operation not permitted|cap_net_raw|socktype: SOCK_RAW/.test(text))
    return {
      cause: "this user may not send ICMP: ping has no cap_net_raw and net.ipv4.ping_group_range excludes the user",
      fix: 'run `setcap cap_net_raw+ep /usr/bin/ping` (what Debian ships) or `sysctl net.ipv4.ping_group_range="0 2147483647"`; never give node cap_net_raw',
    };
  if (text.includes("Network is unreachable")) return { cause: "no route to the target's network", fix: "check `ip route get <address>` on the host" };
  if (/Address family for hostname not supported|Address family not supported/.test(text))
    return { cause: "the host has no address family for this target (IPv6 off?)", fix: "use the target's IPv4 address" };
  return { cause: text ? `ping failed: ${text.split("\n").at(-1)}` : "ping exited without saying why", fix: "run the same ping by hand to see more" };
}
