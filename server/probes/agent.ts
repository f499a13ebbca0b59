/**
 * The probe agent: its own process (`passdeck probe-agent`, started and restarted by `npm start`, or its own
 * systemd unit), never the web server, so page renders and GC pauses never touch the measurement. It follows the
 * targets table, runs one probe per target, writes samples to SQLite as they arrive (batched every 100 ms), builds
 * the rollups and prunes old data in small chunks.
 */
import { execFileSync } from "node:child_process";
import { uptime } from "node:os";
import type { PingSample } from "./ping";
import { PingProbe, TcpProbe, type Probe, type ProbeSink } from "./runners";
import { AGENT_HEARTBEAT_MS } from "./agent-lease";
import { DEFAULT_RETENTION, type ProbeStores, type Retention, pruneProbeData } from "./stores";
import type { ProbeTarget } from "./target-store";
import type { SampleRow } from "./sample-store";

export interface AgentOptions {
  retention?: Retention;
  /** builds the probe for a target (tests substitute fakes) */
  probeFor?: (target: ProbeTarget, sink: ProbeSink, firstSeq: number) => Probe;
  flushMs?: number;
  syncMs?: number;
  rollupMs?: number;
  pruneMs?: number;
  log?: (line: string) => void;
}

export class ProbeAgent {
  private readonly probes = new Map<number, { probe: Probe; target: ProbeTarget }>();
  private pending: SampleRow[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly log: (line: string) => void;

  constructor(
    private readonly store: ProbeStores,
    private readonly options: AgentOptions = {},
  ) {
    this.log = options.log ?? ((line) => console.log(`passdeck probe-agent: ${line}`));
  }

  /** Starts probing; false (and nothing started) when another agent owns this data directory. */
  start(): boolean {
    const ping = pingCapabilities();
    const claimed = this.store.agent.claim(
      { pid: process.pid, bootAt: bootTimeMs(), pingVersion: ping.version, minIntervalMs: ping.minIntervalMs, note: ping.note },
      pidAlive,
    );
    if (!claimed.ok) {
      this.log(`another probe agent (pid ${claimed.other.pid}) is running on this data directory; not starting a second one`);
      return false;
    }
    this.log(`${ping.note}`);
    const every = (ms: number, fn: () => void) => this.timers.push(setInterval(() => this.guard(fn), ms));
    every(this.options.flushMs ?? 100, () => this.flush());
    every(this.options.syncMs ?? 1000, () => this.sync());
    every(AGENT_HEARTBEAT_MS, () => this.store.agent.heartbeat(process.pid));
    every(this.options.rollupMs ?? 10_000, () => this.store.rollups.build(Date.now() * 1000));
    every(this.options.pruneMs ?? 60_000, () => pruneProbeData(this.store, Date.now(), this.options.retention ?? DEFAULT_RETENTION));
    this.guard(() => this.sync());
    return true;
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const { probe } of this.probes.values()) probe.stop();
    this.probes.clear();
    this.guard(() => this.flush());
    this.guard(() => this.store.agent.release(process.pid));
  }

  /** A database hiccup (SQLITE_BUSY past the timeout) must not kill the probes: log it, try again next tick. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Starts probes for new targets, stops removed ones, restarts changed ones. */
  sync(): void {
    const wanted = new Map(this.store.targets.active().map((t) => [t.id, t]));
    for (const [id, running] of this.probes) {
      const t = wanted.get(id);
      if (t?.intervalMs !== running.target.intervalMs || t.timeoutMs !== running.target.timeoutMs) {
        running.probe.stop();
        this.probes.delete(id);
      }
    }
    for (const [id, t] of wanted) {
      if (this.probes.has(id)) continue;
      const firstSeq = this.store.samples.lastSeq(id);
      const probe = (this.options.probeFor ?? defaultProbe)(t, this.sink, firstSeq);
      this.probes.set(id, { probe, target: t });
      this.log(`probing ${t.name} every ${t.intervalMs} ms`);
    }
  }

  private readonly sink: ProbeSink = {
    samples: (targetId: number, samples: PingSample[], intervalMs: number) => {
      for (const s of samples) this.pending.push({ targetId, intervalMs, ...s });
    },
    status: (targetId, state, message) => this.guard(() => this.store.targets.setStatus(targetId, state, message)),
  };

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.store.samples.insert(batch);
    } catch (err) {
      // keep them for the next tick rather than lose measurements (bounded: ~10 min at 100 probes/s)
      this.pending = [...batch, ...this.pending].slice(-60_000);
      throw err;
    }
  }
}

function defaultProbe(target: ProbeTarget, sink: ProbeSink, firstSeq: number): Probe {
  return target.kind === "tcp" ? new TcpProbe(target, sink, firstSeq) : new PingProbe(target, sink, { firstSeq });
}

export interface PingCapabilities {
  version: string | null;
  /** the shortest interval this user's ping accepts, when known */
  minIntervalMs: number | null;
  note: string;
}

/** What the installed ping is and the fastest interval it allows this user (iputils: 2 ms unless root). */
export function pingCapabilities(): PingCapabilities {
  let version: string | null = null;
  try {
    version = execFileSync("ping", ["-V"], { encoding: "utf8", timeout: 5000, env: { ...process.env, LC_ALL: "C" } })
      .split("\n")[0]!
      .trim();
  } catch {
    return { version: null, minIntervalMs: null, note: "ping is not installed (apt install iputils-ping): ICMP targets will fail; TCP targets work" };
  }
  const root = process.getuid?.() === 0;
  const minIntervalMs = root ? 0 : 2;
  return {
    version,
    minIntervalMs,
    note: `${version}; ${root ? "running as root: ping accepts any interval" : "unprivileged: ping accepts intervals down to 2 ms"}; Passdeck probes at most every 10 ms`,
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function bootTimeMs(): number {
  return Math.round(Date.now() - uptime() * 1000);
}
