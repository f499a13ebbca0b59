/** The desired-state store on a real SQLite file: round trip, bookkeeping, validation, forget. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openHostDatabase, schemaVersion } from "@/server/db/database";
import { planBindVfio, planVfCount, planVfSettings } from "@/server/plans/planner";
import { planOf } from "@/server/plans/testing";
import type { DesiredEntry } from "./desired-state";
import { DesiredStore } from "./store";
import { bootHost } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-dstore-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const dataDir = () => join(work, `data${n++}`);

const PF = "0000:3b:00.1";

describe("DesiredStore", () => {
  it("migration 2 creates the table; an empty store reads empty", () => {
    const db = openHostDatabase(dataDir());
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(2);
    expect(new DesiredStore(db).get()).toEqual({ entries: [] });
    db.close();
  });

  it("records applied plans and reads them back from another connection, with who and when", async () => {
    const dir = dataDir();
    let clock = Date.parse("2026-03-01T10:00:00Z");
    const store = new DesiredStore(openHostDatabase(dir), { now: () => clock });
    const h = bootHost(work);
    const apply = async (outcome: Parameters<typeof planOf>[0], actor: string) => {
      const plan = planOf(outcome);
      expect((await h.executor.apply(plan)).ok).toBe(true);
      return store.record(plan, h.inventory(), actor);
    };
    await apply(planVfCount(h.inventory(), PF, 3, { autoprobe: false }), "alice");
    clock += 60_000;
    await apply(planVfSettings(h.inventory(), PF, 0, { mac: "02:11:22:33:44:55", vlan: 100 }, null), "bob");
    clock += 60_000;
    const last = await apply(planBindVfio(h.inventory(), "0000:3b:0a.1"), "carol");

    const reopened = new DesiredStore(openHostDatabase(dir)).get();
    expect(reopened).toEqual(last);
    expect(reopened.entries).toEqual([
      {
        kind: "vf-count",
        address: PF,
        vendorId: "8086",
        deviceId: "1572",
        vfCount: 3,
        autoprobe: false,
        updatedAt: "2026-03-01T10:00:00.000Z",
        updatedBy: "alice",
      },
      {
        kind: "vf-settings",
        address: PF,
        vendorId: "8086",
        deviceId: "1572",
        vf: 0,
        settings: { mac: "02:11:22:33:44:55", vlan: 100 },
        updatedAt: "2026-03-01T10:01:00.000Z",
        updatedBy: "bob",
      },
      {
        kind: "binding",
        address: "0000:3b:0a.1",
        vendorId: "8086",
        deviceId: "154c",
        driver: "vfio-pci",
        vfOf: { address: PF, vendorId: "8086", deviceId: "1572", vf: 1 },
        updatedAt: "2026-03-01T10:02:00.000Z",
        updatedBy: "carol",
      },
    ]);
  });

  it("replace validates, keeps unchanged entries' time and author, and deletes what is gone", () => {
    let clock = 1_000;
    const store = new DesiredStore(openHostDatabase(dataDir()), { now: () => clock });
    const count: DesiredEntry = { kind: "vf-count", address: PF, vendorId: "8086", deviceId: "1572", vfCount: 2, autoprobe: true };
    const vf: DesiredEntry = { kind: "vf-settings", address: PF, vendorId: "8086", deviceId: "1572", vf: 1, settings: { trust: true } };
    store.replace({ entries: [count, vf] }, "alice");
    clock = 2_000;
    const after = store.replace({ entries: [{ ...count }, { ...vf, settings: { trust: false } }] }, "bob");
    expect(after.entries.map((e) => [e.kind, e.updatedBy, e.updatedAt])).toEqual([
      ["vf-count", "alice", new Date(1_000).toISOString()],
      ["vf-settings", "bob", new Date(2_000).toISOString()],
    ]);
    // what get() returns can be handed back as is
    expect(store.replace(after, "carol").entries.map((e) => e.updatedBy)).toEqual(["alice", "bob"]);
    expect(store.replace({ entries: [count] }, "dave").entries).toHaveLength(1);

    for (const bad of [
      { ...vf, settings: { mac: "01:00:5e:00:00:01" } }, // multicast
      { ...count, address: "../../etc" },
      { ...count, vendorId: "0x8086" },
      { ...vf, settings: {} },
    ])
      expect(() => store.replace({ entries: [bad as DesiredEntry] }, "eve")).toThrow();
    expect(() => store.replace({ entries: [count] }, " ")).toThrow(/actor/);
    expect(store.get().entries).toHaveLength(1);
  });

  it("forget(address) removes the PF's count, VF settings and its VFs' bindings, nothing else", () => {
    const store = new DesiredStore(openHostDatabase(dataDir()));
    const ids = { vendorId: "8086", deviceId: "1572" };
    const vfIds = { vendorId: "8086", deviceId: "154c" };
    store.replace(
      {
        entries: [
          { kind: "vf-count", address: PF, ...ids, vfCount: 3, autoprobe: true },
          { kind: "vf-settings", address: PF, ...ids, vf: 0, settings: { vlan: 5 } },
          { kind: "binding", address: "0000:3b:0a.1", ...vfIds, driver: "vfio-pci", vfOf: { address: PF, ...ids, vf: 1 } },
          { kind: "binding", address: "0000:3b:02.0", ...vfIds, driver: "vfio-pci", vfOf: { address: "0000:3b:00.0", ...ids, vf: 0 } },
        ],
      },
      "alice",
    );
    const gone = store.forget(PF);
    expect(gone.map((e) => `${e.kind} ${e.address}`)).toEqual(["vf-count 0000:3b:00.1", "vf-settings 0000:3b:00.1", "binding 0000:3b:0a.1"]);
    expect(gone[0]).not.toHaveProperty("updatedAt");
    expect(store.get().entries.map((e) => e.address)).toEqual(["0000:3b:02.0"]);
    expect(store.forget("0000:3b:02.0")).toHaveLength(1);
    expect(store.forget("0000:3b:02.0")).toEqual([]);
  });

  it("refuses to read a row that does not parse, naming it", () => {
    const db = openHostDatabase(dataDir());
    db.prepare(
      `INSERT INTO desired_entries (entry_key, kind, address, vendor_id, device_id, entry_json, updated_at, updated_by) VALUES ('vf-count 0000:01:00.0', 'vf-count', '0000:01:00.0', '8086', '1572', '{"kind":"vf-count"}', 0, 'x')`,
    ).run();
    expect(() => new DesiredStore(db).get()).toThrow(/vf-count 0000:01:00.0/);
  });
});
