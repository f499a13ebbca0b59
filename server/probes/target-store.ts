/** Latency targets and the agent's status per target, in the web database. */
import type { Db } from "@/server/db/database";
import { probeTargetInput, targetName, type ProbeKind, type ProbeTargetInput } from "@/lib/probe-target";

export interface ProbeTarget {
  id: number;
  name: string;
  address: string;
  kind: ProbeKind;
  port: number | null;
  intervalMs: number;
  timeoutMs: number;
  label: string | null;
  vmUuid: string | null;
  createdAt: number;
  removedAt: number | null;
}

export type ProbeState = "starting" | "probing" | "failing" | "stopped";

export interface ProbeStatus {
  targetId: number;
  state: ProbeState;
  message: string | null;
  updatedAt: number;
}

export class TargetConflict extends Error {}

interface TargetRow {
  id: number;
  address: string;
  kind: ProbeKind;
  port: number | null;
  interval_ms: number;
  timeout_ms: number;
  label: string | null;
  vm_uuid: string | null;
  created_at: number;
  removed_at: number | null;
}

const targetOf = (r: TargetRow): ProbeTarget => ({
  id: r.id,
  name: targetName(r),
  address: r.address,
  kind: r.kind,
  port: r.port,
  intervalMs: r.interval_ms,
  timeoutMs: r.timeout_ms,
  label: r.label,
  vmUuid: r.vm_uuid,
  createdAt: r.created_at,
  removedAt: r.removed_at,
});

export class TargetStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** Validates and adds a target; a target already probed (same address, kind and port) is a TargetConflict. */
  add(input: ProbeTargetInput): ProbeTarget {
    const t = probeTargetInput.parse(input);
    const clash = this.active().find((x) => x.address === t.address && x.kind === t.kind && (x.port ?? 0) === (t.port ?? 0));
    if (clash) throw new TargetConflict(`${clash.name} is already a target (id ${clash.id}): remove it first to change its interval`);
    const label = t.label === undefined || t.label === "" ? null : t.label; // an empty label is none
    const info = this.db
      .prepare(`INSERT INTO probe_targets (address, kind, port, interval_ms, timeout_ms, label, vm_uuid, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(t.address, t.kind, t.port ?? null, t.intervalMs, t.timeoutMs, label, t.vmUuid ?? null, this.now());
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): ProbeTarget | null {
    const row = this.db.prepare(`SELECT * FROM probe_targets WHERE id = ?`).get(id) as TargetRow | undefined;
    return row ? targetOf(row) : null;
  }

  /** Targets being probed, oldest first. */
  active(): ProbeTarget[] {
    return (this.db.prepare(`SELECT * FROM probe_targets WHERE removed_at IS NULL ORDER BY id`).all() as TargetRow[]).map(targetOf);
  }

  /** Every target with data still kept, removed ones included. */
  all(): ProbeTarget[] {
    return (this.db.prepare(`SELECT * FROM probe_targets ORDER BY id`).all() as TargetRow[]).map(targetOf);
  }

  /**
   * "3", an address or a label → the active target, else the newest removed one with that name. An address probed
   * two ways (ICMP and TCP) is ambiguous: TargetConflict names the ids.
   */
  find(ref: string): ProbeTarget | null {
    const all = this.all().reverse();
    const byId = /^\d+$/.test(ref) ? all.find((t) => t.id === Number(ref)) : undefined;
    if (byId) return byId;
    const matches = (t: ProbeTarget) => t.address === ref || t.label === ref || t.name === ref;
    const active = all.filter((t) => t.removedAt === null && matches(t));
    if (active.length > 1)
      throw new TargetConflict(`"${ref}" names ${active.length} targets (${active.map((t) => `${t.id}: ${t.name}`).join(", ")}): give the id`);
    return active[0] ?? all.find(matches) ?? null;
  }

  remove(id: number): ProbeTarget | null {
    this.db.prepare(`UPDATE probe_targets SET removed_at = ? WHERE id = ? AND removed_at IS NULL`).run(this.now(), id);
    return this.get(id);
  }

  setStatus(targetId: number, state: ProbeState, message: string | null): void {
    this.db
      .prepare(
        `INSERT INTO probe_status (target_id, state, message, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (target_id) DO UPDATE SET state = excluded.state, message = excluded.message, updated_at = excluded.updated_at`,
      )
      .run(targetId, state, message, this.now());
  }

  statuses(): ProbeStatus[] {
    return (this.db.prepare(`SELECT * FROM probe_status`).all() as { target_id: number; state: ProbeState; message: string | null; updated_at: number }[]).map(
      (r) => ({ targetId: r.target_id, state: r.state, message: r.message, updatedAt: r.updated_at }),
    );
  }
}
