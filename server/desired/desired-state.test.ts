/** rememberPlan over real plans applied to the simulated server host, for each kind of plan. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Plan } from "@/server/executor/plan";
import { readVfInfo } from "@/server/host/ip-link";
import { planBindVfio, planRestore, planVfCount, planVfSettings, type PlanOutcome } from "@/server/plans/planner";
import { planOf } from "@/server/plans/testing";
import { desiredStateSchema, EMPTY_DESIRED, rememberPlan, type DesiredEntry, type DesiredState } from "./desired-state";
import { bootHost, type TestHost } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-desired-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PF = "0000:3b:00.1"; // X710 port 1: boots with no VFs; its VFs are 0000:3b:0a.0 …
const X710 = { vendorId: "8086", deviceId: "1572" };
const X710_VF = { vendorId: "8086", deviceId: "154c" };

/** Applies a planner outcome on the host and returns the desired state it leaves. */
async function applied(h: TestHost, previous: DesiredState, outcome: PlanOutcome): Promise<DesiredState> {
  const plan = planOf(outcome);
  const result = await h.executor.apply(plan);
  expect(result.ok, JSON.stringify(result.steps)).toBe(true);
  return rememberPlan(previous, plan, h.inventory());
}

async function vfInfo(h: TestHost, netdev: string, vf: number) {
  return (await readVfInfo(h.ip, netdev)).find((v) => v.vf === vf) ?? null;
}

describe("rememberPlan", () => {
  it("a VF count plan: the count, autoprobe as written, the PF's IDs read after the apply", async () => {
    const h = bootHost(work);
    const state = await applied(h, EMPTY_DESIRED, planVfCount(h.inventory(), PF, 3, { autoprobe: false }));
    expect(state.entries).toEqual([{ kind: "vf-count", address: PF, ...X710, vfCount: 3, autoprobe: false }]);
    expect(desiredStateSchema.safeParse(state).success).toBe(true);
  });

  it("a VF count plan without autoprobe records the PF's autoprobe as it reads after", async () => {
    const h = bootHost(work);
    const state = await applied(h, EMPTY_DESIRED, planVfCount(h.inventory(), PF, 2));
    expect(state.entries).toEqual([{ kind: "vf-count", address: PF, ...X710, vfCount: 2, autoprobe: true }]);
  });

  it("an autoprobe-only plan records the PF's current count with it", async () => {
    const h = bootHost(work);
    const state = await applied(h, EMPTY_DESIRED, planVfCount(h.inventory(), "0000:3b:00.0", 4, { autoprobe: false }));
    expect(state.entries).toEqual([{ kind: "vf-count", address: "0000:3b:00.0", ...X710, vfCount: 4, autoprobe: false }]);
  });

  it("per-VF settings merge, the latest value of each setting winning; a VLAN without QoS clears the old QoS", async () => {
    const h = bootHost(work);
    let state = await applied(h, EMPTY_DESIRED, planVfCount(h.inventory(), PF, 2));
    const set = async (settings: Parameters<typeof planVfSettings>[3]) =>
      (state = await applied(h, state, planVfSettings(h.inventory(), PF, 0, settings, await vfInfo(h, "ens1f1", 0))));
    await set({ mac: "02:11:22:33:44:55", vlan: 100, qos: 3 });
    await set({ trust: true, mac: "02:11:22:33:44:66" });
    expect(state.entries.find((e) => e.kind === "vf-settings")).toEqual({
      kind: "vf-settings",
      address: PF,
      ...X710,
      vf: 0,
      settings: { mac: "02:11:22:33:44:66", vlan: 100, qos: 3, trust: true },
    });
    await set({ vlan: 200 });
    const vf0 = state.entries.find((e) => e.kind === "vf-settings");
    expect(vf0?.kind === "vf-settings" && vf0.settings).toEqual({ mac: "02:11:22:33:44:66", vlan: 200, trust: true });
  });

  it("a vfio-pci bind is a binding keyed by the VF's own IDs with its PF and index; a restore removes it", async () => {
    const h = bootHost(work);
    let state = await applied(h, EMPTY_DESIRED, planVfCount(h.inventory(), PF, 3));
    state = await applied(h, state, planBindVfio(h.inventory(), "0000:3b:0a.1"));
    expect(state.entries.filter((e) => e.kind === "binding")).toEqual([
      { kind: "binding", address: "0000:3b:0a.1", ...X710_VF, driver: "vfio-pci", vfOf: { address: PF, ...X710, vf: 1 } },
    ]);
    state = await applied(h, state, planRestore(h.inventory(), "0000:3b:0a.1"));
    expect(state.entries.filter((e) => e.kind === "binding")).toEqual([]);
    expect(state.entries.map((e) => e.kind)).toEqual(["vf-count"]);
  });

  it("a binding of another PF's VF names that PF; a device that is not a VF has vfOf null", async () => {
    const h = bootHost(work);
    const vfio = await applied(h, EMPTY_DESIRED, planBindVfio(h.inventory(), "0000:3b:02.2"));
    expect(vfio.entries).toEqual([
      { kind: "binding", address: "0000:3b:02.2", ...X710_VF, driver: "vfio-pci", vfOf: { address: "0000:3b:00.0", ...X710, vf: 2 } },
    ]);
    // the BMC's VGA: a device of its own
    const plain = rememberPlan(EMPTY_DESIRED, fakeProbe("0000:03:00.0", "vfio-pci"), h.inventory());
    expect(plain.entries).toEqual([{ kind: "binding", address: "0000:03:00.0", vendorId: "1a03", deviceId: "2000", driver: "vfio-pci", vfOf: null }]);
  });

  it("a count set to 0 drops the PF's VF settings and VF bindings, and keeps count 0", async () => {
    const h = bootHost(work);
    let state = await applied(h, EMPTY_DESIRED, planVfCount(h.inventory(), PF, 2));
    state = await applied(h, state, planVfSettings(h.inventory(), PF, 1, { mac: "02:00:00:00:00:01" }, await vfInfo(h, "ens1f1", 1)));
    state = await applied(h, state, planBindVfio(h.inventory(), "0000:3b:02.0")); // another PF's VF: must stay
    expect(state.entries).toHaveLength(3);
    state = await applied(h, state, planVfCount(h.inventory(), PF, 0));
    expect(state.entries.map((e) => [e.kind, e.address])).toEqual([
      ["vf-count", PF],
      ["binding", "0000:3b:02.0"],
    ]);
    expect(state.entries[0]).toMatchObject({ vfCount: 0 });
  });

  it("a count change (0 first, then N) forgets the old VFs' settings: the kernel recreated them", async () => {
    const h = bootHost(work);
    let state = await applied(h, EMPTY_DESIRED, planVfCount(h.inventory(), PF, 2));
    state = await applied(h, state, planVfSettings(h.inventory(), PF, 0, { vlan: 7 }, await vfInfo(h, "ens1f1", 0)));
    state = await applied(h, state, planVfCount(h.inventory(), PF, 3));
    expect(state.entries).toEqual([{ kind: "vf-count", address: PF, ...X710, vfCount: 3, autoprobe: true }]);
  });

  it("VFs removed outside Passdeck and then created by a plan: the old VFs' binding is forgotten", async () => {
    const h = bootHost(work);
    let state = await applied(h, EMPTY_DESIRED, planVfCount(h.inventory(), PF, 2));
    const vf0 = h.inventory().devices.find((d) => d.address === PF)!.sriov!.vfs[0]!;
    state = await applied(h, state, planBindVfio(h.inventory(), vf0));
    h.kernel.write(`bus/pci/devices/${PF}/sriov_numvfs`, "0");
    state = await applied(h, state, planVfCount(h.inventory(), PF, 3));
    expect(state.entries).toEqual([{ kind: "vf-count", address: PF, ...X710, vfCount: 3, autoprobe: true }]);
  });

  it("drops entries for another card at an address the plan touches, and skips steps on devices that are gone", () => {
    const h = bootHost(work);
    const inv = h.inventory();
    const oldCard: DesiredEntry[] = [
      { kind: "vf-count", address: PF, vendorId: "15b3", deviceId: "1017", vfCount: 8, autoprobe: true },
      { kind: "vf-settings", address: PF, vendorId: "15b3", deviceId: "1017", vf: 0, settings: { trust: true } },
    ];
    const state = rememberPlan({ entries: oldCard }, planOf(planVfCount(inv, PF, 2)), inv);
    expect(state.entries).toEqual([{ kind: "vf-count", address: PF, ...X710, vfCount: 2, autoprobe: true }]);
    const gone = rememberPlan(EMPTY_DESIRED, fakeProbe("0000:af:00.0", "vfio-pci"), inv);
    expect(gone.entries).toEqual([]);
  });

  it("keeps entries the plan does not touch, as they were (with the store's bookkeeping)", async () => {
    const h = bootHost(work);
    const kept = {
      kind: "binding",
      address: "0000:5e:00.0",
      vendorId: "144d",
      deviceId: "a824",
      driver: "vfio-pci",
      vfOf: null,
      updatedAt: "t",
      updatedBy: "u",
    } as const;
    const state = await applied(h, { entries: [kept] }, planVfCount(h.inventory(), PF, 1));
    expect(state.entries).toContainEqual(kept);
  });
});

function fakeProbe(device: string, expectDriver: string): Plan {
  return {
    id: "p1",
    title: "probe",
    createdAt: new Date(0).toISOString(),
    steps: [{ step: { kind: "probe-driver", device, expectDriver }, summary: "probe", inverse: null }],
  };
}
