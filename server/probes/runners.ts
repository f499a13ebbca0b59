/**
 * The processes and sockets that measure: one `ping` child per ICMP target (kernel-timestamped, µs-accurate) and a
 * connect timer per TCP target (Node's clock: millisecond-level only, labelled "coarse" in the UI). Each reports
 * samples and its state to a sink and restarts itself with backoff when it dies; a broken target never stops the
 * others.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { lookup } from "node:dns/promises";
import { connect, isIP } from "node:net";
import { createInterface } from "node:readline";
import type { ProbeState, ProbeTarget } from "./target-store";
import { decodePingError, pingArgs, PingSession, type PingSample } from "./ping";

export interface ProbeSink {
  samples(targetId: number, samples: PingSample[], intervalMs: number): void;
  status(targetId: number, state: ProbeState, message: string | null): void;
}

export interface Probe {
  stop(): void;
}

/** A target's status for the sink, passed on only when it changes (a probe reports after every reply). */
function changesOnly(sink: ProbeSink, targetId: number): (state: ProbeState, message: string | null) => void {
  let last = "";
  return (state, message) => {
    const key = `${state}|${message}`;
    if (key === last) return;
    last = key;
    sink.status(targetId, state, message);
  };
}

const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
const wallUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

export interface PingProbeOptions {
  /** the ping binary (tests point it elsewhere) */
  command?: string;
  /** where this target's sequence numbers continue from */
  firstSeq: number;
}

export class PingProbe implements Probe {
  private child: ChildProcess | null = null;
  private session: PingSession;
  private stopped = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly settleTimer: NodeJS.Timeout;
  private readonly status: (state: ProbeState, message: string | null) => void;

  constructor(
    private readonly target: ProbeTarget,
    private readonly sink: ProbeSink,
    private readonly options: PingProbeOptions,
  ) {
    this.status = changesOnly(sink, target.id);
    this.session = new PingSession(options.firstSeq, target.intervalMs, target.timeoutMs);
    // ping prints a line per probe; this catches losses if it stalls or stops printing.
    this.settleTimer = setInterval(() => this.emit(this.session.settle(wallUs())), 1000);
    this.start();
  }

  private start(): void {
    const t = this.target;
    this.session = new PingSession(this.session.lastSeq + 1, t.intervalMs, t.timeoutMs);
    this.status("starting", null);
    const child = spawn(this.options.command ?? "ping", pingArgs(t.address, t.intervalMs, t.timeoutMs), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
    });
    this.child = child;
    let stderr = "";
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const samples = this.session.line(line);
      if (samples.some((s) => s.rttUs !== null)) {
        this.failures = 0;
        this.status("probing", null);
      } else if (samples.length && this.session.lastError) {
        const e = this.session.lastError;
        this.status("failing", `${e.from} answers "${e.reason}": the target is unreachable from this host; check its address and that it is up`);
      } else if (samples.length) {
        this.status("failing", `no reply within ${t.timeoutMs} ms: the target is down, drops ICMP (try --kind tcp:<port>), or the path loses packets`);
      }
      this.emit(samples);
    });
    child.on("error", (err) => (spawnError = err));
    child.on("close", (code) => {
      if (this.child !== child) return;
      this.child = null;
      // Probes still in flight when ping ended are not counted: nobody listened for their replies, which is the
      // prober's gap, not the network's loss.
      if (this.stopped) return;
      const decoded = decodePingError(stderr, spawnError);
      const delay = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)]!;
      this.status("failing", `${decoded.cause} (ping exit ${code ?? "signal"}); ${decoded.fix}. Retrying in ${delay / 1000} s`);
      this.restartTimer = setTimeout(() => this.start(), delay);
    });
  }

  private emit(samples: PingSample[]): void {
    if (samples.length) this.sink.samples(this.target.id, samples, this.target.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.settleTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.child?.kill("SIGTERM");
    this.status("stopped", null);
  }
}

/**
 * Connect time to a TCP port, open loop: a probe starts every interval whether or not the last one finished. A
 * refused connection still measured a round trip (the RST), so it counts as a reply.
 */
export class TcpProbe implements Probe {
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private seq: number;
  private address: string | null = null;
  private nextAtUs = 0;
  private lastSentUs: number | null = null;
  private readonly status: (state: ProbeState, message: string | null) => void;

  constructor(
    private readonly target: ProbeTarget,
    private readonly sink: ProbeSink,
    firstSeq: number,
  ) {
    this.status = changesOnly(sink, target.id);
    this.seq = firstSeq;
    void this.resolve();
  }

  private async resolve(): Promise<void> {
    const t = this.target;
    this.status("starting", null);
    try {
      this.address = isIP(t.address) ? t.address : (await lookup(t.address)).address;
    } catch (err) {
      if (this.stopped) return;
      this.status("failing", `"${t.address}" does not resolve (${(err as Error).message}): check the name, or give the IP address. Retrying in 10 s`);
      this.timer = setTimeout(() => void this.resolve(), 10_000);
      return;
    }
    this.nextAtUs = wallUs();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delayMs = Math.max(0, (this.nextAtUs - wallUs()) / 1000);
    this.timer = setTimeout(() => this.fire(), delayMs);
  }

  private fire(): void {
    const t = this.target;
    const seq = ++this.seq;
    const startNs = process.hrtime.bigint();
    const sentUs = wallUs();
    const lagUs = this.lastSentUs === null ? null : sentUs - this.lastSentUs - t.intervalMs * 1000;
    this.lastSentUs = sentUs;
    this.nextAtUs += t.intervalMs * 1000;
    if (this.nextAtUs < sentUs) this.nextAtUs = sentUs + t.intervalMs * 1000; // a stall: skip, never burst
    this.schedule();
    const socket = connect({ host: this.address!, port: t.port!, timeout: t.timeoutMs });
    let done = false;
    const finish = (rttUs: number | null, message: string | null) => {
      if (done) return;
      done = true;
      socket.destroy();
      this.sink.samples(t.id, [{ seq, sentUs, rttUs, lagUs }], t.intervalMs);
      this.status(rttUs === null ? "failing" : "probing", message);
    };
    const elapsedUs = () => Number((process.hrtime.bigint() - startNs) / 1000n);
    socket.on("connect", () => finish(elapsedUs(), null));
    socket.on("timeout", () => finish(null, `no answer on port ${t.port} within ${t.timeoutMs} ms: the host is down or a firewall drops the SYN`));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") finish(elapsedUs(), `port ${t.port} is closed: the RTT is the time to the host's reset`);
      else finish(null, `${err.code ?? "error"}: ${err.message}`);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.status("stopped", null);
  }
}
