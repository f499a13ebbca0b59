/**
 * Capability middlewares: a procedure that needs a store gets it opened and typed in ctx, or the call is refused
 * with the one agreed error (PRECONDITION_FAILED and the reason, from errors.ts's table), never a 500.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import type { AuthService } from "@/server/auth/service";
import type { Journal } from "@/server/db/journal";
import { readEnv } from "@/server/env";
import { writeScenarioByName } from "@/server/simulator/catalog";
import { InventoryService } from "@/server/inventory/service";
import type { LibvirtService } from "@/server/libvirt/service";
import type { ProbeStores } from "@/server/probes/stores";
import { apiServices, createServices, type DesiredAccess } from "@/server/services";
import { createCaller } from "./root";
import { errorOf, readOnlyContext, TEST_ADMIN } from "./testing";
import {
  createCallerFactory,
  guardedProcedure,
  NO_LIBVIRT,
  requiresAuth,
  requiresDesiredState,
  requiresJournal,
  requiresLatencyStore,
  requiresLibvirt,
  router,
} from "./trpc";

const work = mkdtempSync(join(tmpdir(), "passdeck-capabilities-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const roots = writeScenarioByName("desktop", join(work, "desktop"));
const REASON = "no journal in this test";

type Api = Record<string, Record<string, (input?: unknown) => Promise<unknown>>>;
const api = createCaller(readOnlyContext(new InventoryService({ ...roots, demo: "desktop" }))) as unknown as Api;
const NOW = Date.now();

/** Every procedure that cannot work without a store, with a valid input. */
const NEEDS_A_STORE: [string, unknown][] = [
  ["journal.byId", { id: 1 }],
  ["desired.forget", { address: "0000:01:00.0" }],
  ["latency.series", { targetIds: [1], fromMs: NOW - 60_000, toMs: NOW }],
  ["latency.stats", { targetId: 1, fromMs: NOW - 60_000, toMs: NOW }],
  ["latency.live", { targetIds: [1], sinceMs: 0 }],
  ["latency.iperf", { server: "192.0.2.1" }],
  ["latency.compare", { targetId: 1, atMs: NOW }],
  ["markers.list", { fromMs: 0, toMs: NOW }],
  ["markers.annotate", { atMs: NOW, text: "x" }],
  ["markers.removeNote", { id: 1 }],
  ["targets.add", { address: "192.0.2.1" }],
  ["targets.remove", { id: 1 }],
  ["users.list", undefined],
  ["users.add", { name: "carol", role: "viewer", password: "a long enough password" }],
  ["users.disable", { name: "carol" }],
  ["tokens.list", undefined],
  ["tokens.create", { name: "ci", role: "viewer" }],
  ["tokens.revoke", { id: 1 }],
  ["audit.list", undefined],
];

describe("a procedure whose store cannot be opened", () => {
  it.each(NEEDS_A_STORE)("%s is refused with PRECONDITION_FAILED (412) and the reason", async (path, input) => {
    const [noun, verb] = path.split(".") as [string, string];
    const err = await errorOf(api[noun]![verb]!(input));
    expect([err.code, getHTTPStatusCodeFromError(err), err.message]).toEqual(["PRECONDITION_FAILED", 412, REASON]);
  });

  it("a malformed input is refused for itself first", async () => {
    expect((await errorOf(api.desired!.forget!({ address: "../x" }))).code).toBe("BAD_REQUEST");
  });

  it("pages that say why keep saying it: the journal list, the drift, the targets", async () => {
    expect(await api.journal!.list!()).toEqual({ available: false, reason: REASON, entries: [] });
    expect(await api.desired!.drift!()).toEqual({ available: false, reason: REASON, entries: [], report: null });
    expect(await api.targets!.list!()).toEqual({ available: false, reason: REASON, agent: null, targets: [] });
  });
});

describe("desired state without its host records (the web tier's own factory)", () => {
  const data = join(work, "not-a-directory");
  writeFileSync(data, "");
  const services = createServices({
    env: readEnv({ PASSDECK_DATA_DIR: data, PASSDECK_DEMO: "desktop", PASSDECK_SYS_ROOT: roots.sysRoot, PASSDECK_PROC_ROOT: roots.procRoot }),
  });
  const web = createCaller({ ...apiServices(services), caller: TEST_ADMIN, origin: null });
  const reason = `cannot open the Passdeck database at ${data}/host/passdeck-host.db: ENOTDIR: not a directory, mkdir '${data}/host' (PASSDECK_DATA_DIR chooses the directory; it must be writable by this user)`;

  it("desired.forget is refused with the agreed error and the reason, not a 500", async () => {
    const err = await errorOf(web.desired.forget({ address: "0000:01:00.0" }));
    expect([err.code, err.message]).toEqual(["PRECONDITION_FAILED", reason]);
  });

  it("desired.drift says the desired state cannot be read, and why", async () => {
    expect(await web.desired.drift()).toEqual({ available: false, reason, entries: [], report: null });
  });

  it("journal.byId and the audit trail are refused the same way", async () => {
    expect(await errorOf(web.journal.byId({ id: 1 }))).toMatchObject({ code: "PRECONDITION_FAILED", message: reason });
    // the accounts are under the same data directory: refused for that, with its own path
    expect(await errorOf(web.audit.list())).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining(`${data}/web`) as unknown });
  });
});

describe("each capability hands over its store, typed", () => {
  const probe = router({
    journal: guardedProcedure.use(requiresJournal).query(({ ctx }) => {
      expectTypeOf(ctx.journal).toEqualTypeOf<Journal>();
      return "journal";
    }),
    desired: guardedProcedure.use(requiresDesiredState).query(({ ctx }) => {
      expectTypeOf(ctx.desired).toEqualTypeOf<DesiredAccess>();
      return ctx.desired.store.get().entries.length;
    }),
    latency: guardedProcedure.use(requiresLatencyStore).query(({ ctx }) => {
      expectTypeOf(ctx.latency.store).toEqualTypeOf<ProbeStores>();
      return ctx.latency.store.targets.all().length;
    }),
    auth: guardedProcedure.use(requiresAuth).query(({ ctx }) => {
      expectTypeOf(ctx.auth).toEqualTypeOf<AuthService>();
      return ctx.auth.needsSetup();
    }),
    libvirt: guardedProcedure.use(requiresLibvirt).query(({ ctx }) => {
      expectTypeOf(ctx.libvirt).toEqualTypeOf<LibvirtService>();
      return ctx.libvirt === fakeLibvirt;
    }),
  });
  const fakeLibvirt = {} as LibvirtService;
  const services = createServices({
    env: readEnv({ PASSDECK_DATA_DIR: join(work, "data"), PASSDECK_DEMO: "desktop", PASSDECK_SYS_ROOT: roots.sysRoot, PASSDECK_PROC_ROOT: roots.procRoot }),
    libvirt: fakeLibvirt,
  });
  const call = createCallerFactory(probe)({ ...apiServices(services), caller: TEST_ADMIN, origin: null });

  it("opened: the procedure gets the store itself", async () => {
    expect(await call.journal()).toBe("journal");
    expect(await call.desired()).toBe(0);
    expect(await call.latency()).toBe(0);
    expect(await call.auth()).toBe(true);
    expect(await call.libvirt()).toBe(true);
  });

  it("no libvirt: refused with the agreed error and what is missing", async () => {
    const none = createCallerFactory(probe)({ ...apiServices(services), libvirt: null, caller: TEST_ADMIN, origin: null });
    expect(await errorOf(none.libvirt())).toMatchObject({ code: "PRECONDITION_FAILED", message: NO_LIBVIRT });
  });

  it("the guard runs before any capability: a caller who has not signed in learns only that", async () => {
    const anonymous = createCaller({ ...readOnlyContext(new InventoryService({ ...roots, demo: "desktop" })), caller: null });
    expect((await errorOf(anonymous.journal.byId({ id: 1 }))).code).toBe("UNAUTHORIZED");
  });
});
