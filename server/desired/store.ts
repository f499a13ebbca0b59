/**
 * The desired state in Passdeck's SQLite database (migration 2, next to the journal): one row per entry with when
 * it last changed and by whom. Writes compare entry by entry, so an entry an apply did not change keeps its time.
 */
import type { Plan } from "@/server/executor/plan";
import type { Db } from "@/server/db/database";
import type { Inventory } from "@/server/host/types";
import { desiredEntrySchema, desiredStateSchema, entryKey, pfOf, rememberPlan, sortEntries, type DesiredEntry, type DesiredState } from "./desired-state";

export type StoredDesiredEntry = DesiredEntry & {
  /** ISO time the entry last changed */
  updatedAt: string;
  /** the actor of the apply (or replace) that changed it */
  updatedBy: string;
};

export interface StoredDesiredState {
  entries: StoredDesiredEntry[];
}

interface Row {
  entry_key: string;
  entry_json: string;
  updated_at: number;
  updated_by: string;
}

const MAX_ACTOR = 200;

export class DesiredStore {
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? (() => Date.now());
  }

  /** The whole desired state, in reconcile's order. Throws naming the row if one does not parse (never silently drops it). */
  get(): StoredDesiredState {
    const rows = this.db.prepare(`SELECT entry_key, entry_json, updated_at, updated_by FROM desired_entries`).all() as Row[];
    const entries = rows.map((r) => {
      const parsed = desiredEntrySchema.safeParse(JSON.parse(r.entry_json));
      if (!parsed.success) throw new Error(`desired state entry "${r.entry_key}" is not valid: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
      return { ...parsed.data, updatedAt: new Date(r.updated_at).toISOString(), updatedBy: r.updated_by };
    });
    return { entries: sortEntries(entries) };
  }

  /** After a successful apply (result.ok): remembers what the plan did (rememberPlan) and returns the new state. */
  record(plan: Plan, inventoryAfter: Inventory, actor: string): StoredDesiredState {
    this.db.transaction(() => this.write(rememberPlan(this.get(), plan, inventoryAfter), actor)).immediate();
    return this.get();
  }

  /** Replaces the whole desired state (validated); entries that did not change keep their time and author. */
  replace(state: DesiredState, actor: string): StoredDesiredState {
    const parsed = desiredStateSchema.parse({ entries: state.entries.map(strip) });
    this.db.transaction(() => this.write(parsed, actor)).immediate();
    return this.get();
  }

  /**
   * Forgets everything remembered at an address: its VF count, VF settings and binding, and the bindings of its VFs
   * (the answer to an id-mismatch after a card swap). Returns the entries removed.
   */
  forget(address: string): DesiredEntry[] {
    return this.db
      .transaction(() => {
        const gone = this.get().entries.filter((e) => e.address === address || pfOf(e) === address);
        const del = this.db.prepare(`DELETE FROM desired_entries WHERE entry_key = ?`);
        for (const e of gone) del.run(entryKey(e));
        return gone.map(strip);
      })
      .immediate();
  }

  private write(next: DesiredState, actor: string): void {
    if (typeof actor !== "string" || actor.trim() === "") throw new Error("desired state: the actor must be named");
    const current = new Map((this.db.prepare(`SELECT entry_key, entry_json FROM desired_entries`).all() as Row[]).map((r) => [r.entry_key, r.entry_json]));
    const upsert = this.db.prepare(
      `INSERT INTO desired_entries (entry_key, kind, address, vendor_id, device_id, entry_json, updated_at, updated_by)
       VALUES (@key, @kind, @address, @vendorId, @deviceId, @json, @at, @actor)
       ON CONFLICT (entry_key) DO UPDATE SET kind = @kind, address = @address, vendor_id = @vendorId, device_id = @deviceId,
         entry_json = @json, updated_at = @at, updated_by = @actor`,
    );
    const at = this.now();
    const keep = new Set<string>();
    for (const e of next.entries.map(strip)) {
      const key = entryKey(e);
      const json = canonicalJson(e);
      keep.add(key);
      if (current.get(key) === json) continue;
      upsert.run({ key, kind: e.kind, address: e.address, vendorId: e.vendorId, deviceId: e.deviceId, json, at, actor: actor.slice(0, MAX_ACTOR) });
    }
    const del = this.db.prepare(`DELETE FROM desired_entries WHERE entry_key = ?`);
    for (const key of current.keys()) if (!keep.has(key)) del.run(key);
  }
}

/** The entry without the store's bookkeeping. */
function strip(e: DesiredEntry | StoredDesiredEntry): DesiredEntry {
  const { updatedAt: _at, updatedBy: _by, ...entry } = e as StoredDesiredEntry;
  return entry;
}

/** JSON with sorted keys, so an unchanged entry compares equal whatever order its fields were built in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
