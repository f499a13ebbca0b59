/** Test contexts for the API: a read-only one over any tree, and one over a demo host with its simulated kernel. */
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { openHostDatabase, openWebDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { DesiredStore } from "@/server/desired/store";
import type { InventoryService } from "@/server/inventory/service";
import { InventoryService as Inventories } from "@/server/inventory/service";
import { PlanService, type WriteAccess } from "@/server/plans/plan-service";
import { simulatedHost } from "@/server/plans/testing";
import { guestViewOf } from "@/server/plans/step-guard";
import type { IpLink } from "@/server/host/ip-link";
import type { LibvirtService } from "@/server/libvirt/service";
import { LiveFeed } from "@/server/probes/live-feed";
import { openProbeStores } from "@/server/probes/stores";
import type { Context } from "./trpc";
import { Accounts } from "@/server/auth/accounts";
import { AuditLog } from "@/server/auth/audit";
import type { Caller } from "@/server/auth/request";
import { AuthService } from "@/server/auth/service";
import { LocalApplier } from "@/server/helper/applier";

/** Router tests call as a signed-in admin; the guard has its own tests (access.test.ts, auth-guard.test.ts). */
export const TEST_ADMIN: Caller = { name: "test-admin", role: "admin", via: "session", source: "127.0.0.1", crossOrigin: null };

const noIp: IpLink = { run: async () => ({ code: 1, stdout: "", stderr: "no ip in this test" }) };

export function readOnlyContext(inventory: InventoryService): Context {
  const writeAccess = (): WriteAccess => ({ ok: false, reason: "read-only test host" });
  const noJournal = () => ({ ok: false as const, reason: "no journal in this test" });
  return {
    inventory,
    journal: noJournal,
    desired: noJournal,
    writeAccess,
    plans: new PlanService({
      inventory: (fresh) => inventory.get({ fresh }).data,
      access: writeAccess,
      ip: noIp,
      journal: () => {
        throw new Error("no journal");
      },
    }),
    latency: noJournal,
    auth: noJournal,
    caller: TEST_ADMIN,
    listensBeyondLoopback: false,
    origin: null,
    ip: noIp,
    libvirt: null,
  };
}

/** A demo host that applies plans, with a journal in `workDir`. */
export function writableContext(
  workDir: string,
  scenario = "server",
  libvirt: LibvirtService | null = null,
  /** the dead-man switch's window and clock (tests fire it by hand) */
  { confirmWindowMs = 60_000, schedule }: { confirmWindowMs?: number; schedule?: (fn: () => void, ms: number) => () => void } = {},
) {
  const host = simulatedHost(workDir, scenario, undefined, libvirt);
  const inventory = new Inventories({ sysRoot: host.kernel.sysRoot, procRoot: host.kernel.procRoot, demo: scenario });
  const dataDir = join(workDir, `data-${Math.random().toString(36).slice(2)}`);
  const records = openHostDatabase(dataDir);
  const db = openWebDatabase(dataDir);
  const journal = new Journal(records);
  const desired = new DesiredStore(records);
  const auditLog = new AuditLog(records);
  const auth = new AuthService(new Accounts(db), auditLog, workDir);
  const applier = new LocalApplier({
    mode: "demo",
    executor: host.executor,
    journal: () => journal,
    inventory: () => inventory.get({ fresh: true }).data,
    desired: () => desired,
    guests: async () => guestViewOf(libvirt ? await libvirt.view(true) : null),
    audit: (action, actor, source, detail, peer) => auditLog.record(action, actor, source, detail, peer),
    confirmWindowMs,
    schedule,
  });
  const writeAccess = (): WriteAccess => ({ ok: true, mode: "demo", applier });
  const plans = new PlanService({
    ...(libvirt ? { libvirt } : {}),
    inventory: (fresh) => inventory.get({ fresh }).data,
    access: writeAccess,
    ip: host.ip,
    journal: () => journal,
  });
  const probes = openProbeStores(db);
  const feed = new LiveFeed(probes, 20);
  const ctx: Context = {
    inventory,
    latency: () => ({ ok: true, store: probes, feed }),
    journal: () => ({ ok: true, journal }),
    desired: () => ({ ok: true, store: desired, forget: async (address: string) => desired.forget(address) }),
    writeAccess,
    plans,
    auth: () => ({ ok: true, service: auth }),
    caller: TEST_ADMIN,
    listensBeyondLoopback: false,
    origin: "127.0.0.1",
    ip: host.ip,
    libvirt,
  };
  return { ctx, host, journal, desired, probes, auth };
}

/** The TRPCError a call fails with; fails the test when it succeeds or throws something else. */
export async function errorOf(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}
