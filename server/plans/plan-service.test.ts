/**
 * Bounded previews: a burst of previews shares one scan and one libvirt view, apply still re-plans on a fresh host,
 * each caller has a preview rate and a cap on plans kept for review, and a plan belongs to whoever previewed it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { LocalApplier } from "@/server/helper/applier";
import { LibvirtService } from "@/server/libvirt/service";
import type { VirshRunner } from "@/server/libvirt/virsh";
import { PlanExpired, PlanService, PREVIEW_FRESH_MS, type PreviewRequest } from "./plan-service";
import { PreviewRateLimited, type PreviewLimitOptions } from "./preview-limits";
import { planOf, simulatedHost } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-plan-service-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const NIC = "0000:3b:00.1";
const device: PreviewRequest = { kind: "device", address: NIC };
const none = { confirm: false, force: false };

/** A demo host whose scans and virsh calls are counted, on a clock the test moves. */
function counted(limits: Partial<PreviewLimitOptions> = {}) {
  const host = simulatedHost(mkdtempSync(join(work, "h-")));
  const clock = { now: 1_000_000 };
  const counts = { scans: 0, virshLists: 0 };
  const virsh: VirshRunner = {
    uri: "test:///counted",
    run: (args) => {
      if (args[0] === "list") counts.virshLists++;
      return Promise.resolve({ code: 0, stdout: "", stderr: "" }); // no VMs
    },
  };
  const journal = new Journal(openHostDatabase(mkdtempSync(join(work, "d-"))));
  const inventory = (fresh: boolean) => {
    if (fresh) counts.scans++;
    return host.inventory();
  };
  const applier = new LocalApplier({
    mode: "demo",
    executor: host.executor,
    journal: () => journal,
    inventory: () => host.inventory(),
    audit: () => {},
    confirmWindowMs: 60_000,
  });
  const plans = new PlanService({
    inventory,
    libvirt: new LibvirtService(virsh, () => clock.now),
    access: () => ({ ok: true, mode: "demo", applier }),
    ip: host.ip,
    journal: () => journal,
    now: () => clock.now,
    limits: { burst: 1000, ...limits },
  });
  return { plans, counts, clock, host };
}

/** Whether `owner` can watch the plan: a known plan's stream waits (ended here by the abort), an unknown one throws. */
async function watchable(plans: PlanService, planId: string, owner: string): Promise<boolean> {
  const stop = new AbortController();
  const first = plans.progress(planId, owner, stop.signal).next();
  stop.abort();
  try {
    await first;
    return true;
  } catch (err) {
    if (err instanceof PlanExpired) return false;
    throw err;
  }
}

describe("previews share the host's scan", () => {
  it("50 concurrent previews cost one sysfs scan and one libvirt view", async () => {
    const { plans, counts } = counted();
    const previews = await Promise.all(Array.from({ length: 50 }, () => plans.preview(device, none, "alice (session)")));
    expect(previews.every((p) => p.outcome.kind === "plan")).toBe(true);
    expect(new Set(previews.map((p) => planOf(p.outcome).id)).size).toBe(50);
    expect(counts).toEqual({ scans: 1, virshLists: 1 });
  });

  it("reuses the scan within PREVIEW_FRESH_MS and scans again after it", async () => {
    const { plans, counts, clock } = counted();
    await plans.preview(device, none, "alice (session)");
    clock.now += PREVIEW_FRESH_MS - 1;
    await plans.preview(device, none, "bob (session)");
    expect(counts).toEqual({ scans: 1, virshLists: 1 });
    clock.now += 1;
    await plans.preview(device, none, "alice (session)");
    expect(counts).toEqual({ scans: 2, virshLists: 2 });
  });

  it("apply re-plans on a fresh scan and view, and a preview right after an apply scans the changed host", async () => {
    const { plans, counts, host } = counted();
    const first = planOf((await plans.preview(device, none, "alice (session)")).outcome);
    const applied = await plans.apply(first.id, { actor: "alice", origin: null }, "alice (session)");
    expect(applied.result.ok).toBe(true);
    expect(host.device(NIC)?.driver).toBe("vfio-pci");
    expect(counts.scans).toBeGreaterThanOrEqual(2);
    expect(counts.virshLists).toBe(2);
    // Same clock: the shared scan from before the apply is not reused, the new plan starts from vfio-pci.
    const scans = counts.scans;
    const back = await plans.preview({ kind: "restore", address: NIC, hostDriver: "igb" }, none, "alice (session)");
    expect(counts.scans).toBe(scans + 1);
    expect(back.commands.join("\n")).toContain("igb");
  });

  it("a scan that fails is not shared with later previews", async () => {
    const { plans, counts } = counted();
    const failing = new PlanService({
      ...(plans as unknown as { deps: ConstructorParameters<typeof PlanService>[0] }).deps,
      inventory: () => {
        counts.scans++;
        throw new Error("sysfs went away");
      },
    });
    await expect(failing.preview(device, none, "alice (session)")).rejects.toThrow("sysfs went away");
    await expect(failing.preview(device, none, "alice (session)")).rejects.toThrow("sysfs went away");
    expect(counts.scans).toBe(2);
  });
});

describe("per-caller preview rate and caps", () => {
  it("a caller gets its burst, then the rate; another caller is not affected", async () => {
    const { plans, clock } = counted({ burst: 3, perSecond: 2 });
    for (let i = 0; i < 3; i++) await plans.preview(device, none, "vic (session)");
    const refused = await plans.preview(device, none, "vic (session)").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PreviewRateLimited);
    expect((refused as PreviewRateLimited).retryAfterMs).toBe(500);
    expect((refused as Error).message).toBe("too many plan previews from vic (session): at most 3 at once, then 2 a second; try again in 1 s");
    await expect(plans.preview(device, none, "hal (session)")).resolves.toBeDefined();
    clock.now += 499;
    await expect(plans.preview(device, none, "vic (session)")).rejects.toBeInstanceOf(PreviewRateLimited);
    clock.now += 1;
    await expect(plans.preview(device, none, "vic (session)")).resolves.toBeDefined();
    await expect(plans.preview(device, none, "vic (session)")).rejects.toBeInstanceOf(PreviewRateLimited);
  });

  it("keeps at most pendingPerCaller plans per caller and pendingTotal in all, dropping the oldest", async () => {
    const { plans } = counted({ pendingPerCaller: 2, pendingTotal: 3 });
    const ids = async (owner: string, n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(planOf((await plans.preview(device, none, owner)).outcome).id);
      return out;
    };
    const [a1, a2, a3] = await ids("a (session)", 3);
    expect([await watchable(plans, a1!, "a (session)"), await watchable(plans, a2!, "a (session)"), await watchable(plans, a3!, "a (session)")]).toEqual([
      false,
      true,
      true,
    ]);
    const [b1, b2] = await ids("b (token)", 2);
    // four kept (a2, a3, b1, b2) is one over the total: a2, the oldest, goes
    expect(
      await Promise.all(
        [
          [a2!, "a (session)"],
          [a3!, "a (session)"],
          [b1!, "b (token)"],
          [b2!, "b (token)"],
        ].map(([id, o]) => watchable(plans, id!, o!)),
      ),
    ).toEqual([false, true, true, true]);
    await expect(plans.apply(a1!, { actor: "a", origin: null }, "a (session)")).rejects.toBeInstanceOf(PlanExpired);
  });
});

describe("a pending plan belongs to the caller who previewed it", () => {
  it("another caller cannot apply, watch, keep or undo it, and is told exactly what an unknown id gets", async () => {
    const { plans, host } = counted();
    const plan = planOf((await plans.preview(device, none, "alice (session)")).outcome);
    const who = { actor: "mallory", origin: null };

    const refusal = (id: string) =>
      plans.apply(id, who, "mallory (session)").then(
        () => new Error("applied"),
        (e: unknown) => e as Error,
      );
    const foreign = await refusal(plan.id);
    const unknown = await refusal("00000000-0000-4000-8000-000000000000");
    expect(foreign).toBeInstanceOf(PlanExpired);
    expect(foreign.message.replace(plan.id, "ID")).toBe(unknown.message.replace("00000000-0000-4000-8000-000000000000", "ID"));
    // the same user through an API token is another caller
    await expect(plans.apply(plan.id, who, "alice (token)")).rejects.toBeInstanceOf(PlanExpired);
    expect(await watchable(plans, plan.id, "mallory (session)")).toBe(false);
    expect(host.kernel.writes()).toEqual([]);

    expect(await watchable(plans, plan.id, "alice (session)")).toBe(true);
    const applied = await plans.apply(plan.id, { actor: "alice", origin: null }, "alice (session)");
    expect(applied.result.ok).toBe(true);
    // after the apply: the stream's history is alice's alone
    expect(await watchable(plans, plan.id, "mallory (session)")).toBe(false);
    expect(await watchable(plans, plan.id, "alice (session)")).toBe(true);
  });

  it("keep and undo of another caller's applied plan answer as for a plan that waits for nothing", async () => {
    // The management NIC in a bridge: its plan waits for a confirmation.
    const { plans } = counted();
    const plan = planOf((await plans.preview({ kind: "device", address: "0000:18:00.0" }, { confirm: true, force: true }, "alice (session)")).outcome);
    const applied = await plans.apply(plan.id, { actor: "alice", origin: null }, "alice (session)");
    expect(applied.confirmation?.planId).toBe(plan.id);

    const mallory = { actor: "mallory", origin: null };
    expect(await plans.confirm(plan.id, mallory, "mallory (session)")).toEqual({
      ok: false,
      reason: `plan ${plan.id} is not waiting for a confirmation: it was confirmed already, or undone when its window closed (see the journal)`,
    });
    expect(await plans.revert(plan.id, mallory, "mallory (session)")).toEqual({
      ok: false,
      reason: `plan ${plan.id} is not waiting for a confirmation, so there is nothing to undo here: use the journal's plan to restore`,
    });
    // still waiting for alice, who keeps it; mallory is not offered it
    expect((await plans.pendingConfirmations("alice (session)")).map((p) => p.planId)).toEqual([plan.id]);
    expect(await plans.pendingConfirmations("mallory (session)")).toEqual([]);
    expect(await plans.confirm(plan.id, { actor: "alice", origin: null }, "alice (session)")).toMatchObject({ ok: true, planId: plan.id });
  });
});

describe("a pool interface's detach", () => {
  it("is its own request, planned by MAC against the VMs libvirt lists (none here), never as a host address", async () => {
    const { plans } = counted();
    const preview = await plans.preview({ kind: "vm-detach-pool", request: { domain: "web", mac: "52:54:00:aa:bb:01" } }, none, "alice (session)");
    expect(preview.outcome).toMatchObject({ kind: "refused", refusals: [{ code: "no-such-domain" }] });
  });
});
