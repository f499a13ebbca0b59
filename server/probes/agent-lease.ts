/**
 * The probe agent's lease on the data directory: one agent at a time, kept by its heartbeat. The web server and the
 * CLI read it to say whether probing runs.
 */
import type { Db } from "@/server/db/database";

export interface AgentInfo {
  pid: number;
  bootAt: number;
  startedAt: number;
  heartbeatAt: number;
  pingVersion: string | null;
  minIntervalMs: number | null;
  note: string | null;
}

/**
 * The agent beats every 5 s (a write each time: cheap on a disk, not free on the rig's 9p data directory); an agent
 * silent for 20 s is taken for dead.
 */
export const AGENT_HEARTBEAT_MS = 5_000;
export const AGENT_STALE_MS = 20_000;

export const agentAlive = (agent: AgentInfo | null, nowMs: number): boolean => agent !== null && nowMs - agent.heartbeatAt < AGENT_STALE_MS;

export class AgentLease {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Registers this process as the data directory's probe agent. Refused (returns the other agent) while another
   * agent's heartbeat is younger than `staleMs` and its process is alive.
   */
  claim(
    me: Omit<AgentInfo, "heartbeatAt" | "startedAt">,
    isAlive: (pid: number) => boolean,
    staleMs = AGENT_STALE_MS,
  ): { ok: true } | { ok: false; other: AgentInfo } {
    return this.db
      .transaction(() => {
        const other = this.current();
        if (other && other.pid !== me.pid && this.now() - other.heartbeatAt < staleMs && isAlive(other.pid)) return { ok: false as const, other };
        const now = this.now();
        this.db
          .prepare(
            `INSERT OR REPLACE INTO probe_agent (singleton, pid, boot_at, started_at, heartbeat_at, ping_version, min_interval_ms, note)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(me.pid, me.bootAt, now, now, me.pingVersion, me.minIntervalMs, me.note);
        return { ok: true as const };
      })
      .immediate();
  }

  heartbeat(pid: number): void {
    this.db.prepare(`UPDATE probe_agent SET heartbeat_at = ? WHERE pid = ?`).run(this.now(), pid);
  }

  release(pid: number): void {
    this.db.prepare(`DELETE FROM probe_agent WHERE pid = ?`).run(pid);
  }

  /** The agent holding the lease (alive or not: agentAlive says), or null. */
  current(): AgentInfo | null {
    const r = this.db.prepare(`SELECT * FROM probe_agent WHERE singleton = 1`).get() as
      | {
          pid: number;
          boot_at: number;
          started_at: number;
          heartbeat_at: number;
          ping_version: string | null;
          min_interval_ms: number | null;
          note: string | null;
        }
      | undefined;
    return r
      ? {
          pid: r.pid,
          bootAt: r.boot_at,
          startedAt: r.started_at,
          heartbeatAt: r.heartbeat_at,
          pingVersion: r.ping_version,
          minIntervalMs: r.min_interval_ms,
          note: r.note,
        }
      : null;
  }
}
