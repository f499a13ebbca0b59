/**
 * Test contexts for the API, built by the one factory (server/services.ts) with fakes: a read-only one over any tree
 * with no databases, and one over a demo host with its simulated kernel and temporary databases.
 */
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { readEnv } from "@/server/env";
import type { InventoryService } from "@/server/inventory/service";
import { simulatedHost } from "@/server/plans/testing";
import type { IpLink } from "@/server/host/ip-link";
import type { LibvirtService } from "@/server/libvirt/service";
import { apiServices, createServices, must, type Services } from "@/server/services";
import type { Context } from "./trpc";
import type { Caller } from "@/server/auth/request";

/** Router tests call as a signed-in admin; the guard has its own tests (access.test.ts, auth-guard.test.ts). */
export const TEST_ADMIN: Caller = { name: "test-admin", role: "admin", via: "session", source: "127.0.0.1", crossOrigin: null };

const noIp: IpLink = { run: () => Promise.resolve({ code: 1, stdout: "", stderr: "no ip in this test" }) };

/** The services of a test host: a demo host's environment, so no helper socket and no host libvirt is looked for. */
function testServices(options: Omit<Parameters<typeof createServices>[0], "env">, env: Record<string, string> = {}): Services {
  return createServices({ env: readEnv({ PASSDECK_DEMO: "test", ...env }), entry: "web", ...options });
}

export function readOnlyContext(inventory: InventoryService): Context {
  const none = { unavailable: "no journal in this test" };
  const services = testServices({ inventory, kernel: null, ip: noIp, libvirt: null, db: { host: none, web: none }, readOnly: "read-only test host" });
  return { ...apiServices(services), caller: TEST_ADMIN, origin: null };
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
  const dataDir = join(workDir, `data-${Math.random().toString(36).slice(2)}`);
  const services = testServices(
    { kernel: host.kernel, ip: host.ip, executor: host.executor, libvirt, livePollMs: 20, ...(schedule ? { schedule } : {}) },
    { PASSDECK_DEMO: scenario, PASSDECK_DATA_DIR: dataDir, PASSDECK_CONFIRM_WINDOW_S: String(confirmWindowMs / 1000) },
  );
  const records = must("host records", services.records());
  const latency = services.latency();
  const auth = services.auth();
  if (!latency.ok || !auth.ok) throw new Error(`the test's web database did not open: ${latency.ok ? "" : latency.reason}`);
  const ctx: Context = { ...apiServices(services), caller: TEST_ADMIN, origin: "127.0.0.1" };
  return { ctx, host, journal: records.journal, desired: records.desired, probes: latency.store, auth: auth.service, services };
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
