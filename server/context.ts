import { readEnv, type PassdeckEnv } from "@/server/env";
import { isLoopbackHost } from "@/server/http/hosts.mjs";
import { InventoryService } from "@/server/inventory/service";
import type { Context } from "@/server/api/trpc";
import { openWebDatabase } from "@/server/db/database";
import { openHostRecords, type HostRecords } from "@/server/db/host-records";
import { webDir } from "@/server/db/layout";
import { PlanExecutor } from "@/server/executor/executor";
import { KernelFs } from "@/server/host/fs";
import { SystemIpLink, type IpLink } from "@/server/host/ip-link";
import { getScenario } from "@/server/host/scenarios/catalog";
import { SimulatedIpLink } from "@/server/host/scenarios/simulated-ip";
import { SimulatedKernel } from "@/server/host/scenarios/simulated-kernel";
import { isRealSysfs } from "@/server/host/sysfs-check";
import { existsSync } from "node:fs";
import { hostExecutor } from "@/server/executor/host-executor";
import { LocalApplier, type AuditSink } from "@/server/helper/applier";
import { HelperApplier } from "@/server/helper/client";
import { PlanService, type WriteAccess } from "@/server/plans/plan-service";
import { libvirtFor, type LibvirtService } from "@/server/libvirt/service";
import { guestViewOf, type GuestView } from "@/server/plans/step-guard";
import { LiveFeed } from "@/server/probes/live-feed";
import { openProbeStores, type ProbeStores } from "@/server/probes/stores";
import { Accounts } from "@/server/auth/accounts";
import type { AuditTrail } from "@/server/auth/audit";
import { clientAddress } from "@/server/auth/request";
import { AuthService } from "@/server/auth/service";

type Services = Omit<Context, "origin" | "caller">;
let services: Services | null = null;

/** Built once per server process from the environment; the caller and its address are per request. */
export function getContext(req: Request | null = null): Context {
  services ??= buildServices(readEnv());
  if (!req) return { ...services, origin: null, caller: null };
  const origin = clientAddress(req.headers);
  const auth = services.auth();
  return { ...services, origin, caller: auth.ok ? auth.service.caller(req.headers, origin) : null };
}

function buildServices(env: PassdeckEnv): Services {
  const demo = env.PASSDECK_DEMO ?? null;
  // The demo host with a simulated kernel: the server writes the scenario's tree itself and answers writes as Linux.
  const kernel = demo && env.PASSDECK_DEMO_DIR ? SimulatedKernel.create(getScenario(demo), env.PASSDECK_DEMO_DIR) : null;
  const sysRoot = kernel?.sysRoot ?? env.PASSDECK_SYS_ROOT;
  const procRoot = kernel?.procRoot ?? env.PASSDECK_PROC_ROOT;
  // The host records are the helper's when it runs (this server then only reads them); the web tier's data is its own.
  const helperSocket = demo ? null : env.PASSDECK_HELPER_SOCKET;
  // Not root, this process cannot tell whose namespace a moved interface is in: the helper can.
  const nameOwners = helperSocket && process.getuid?.() !== 0 ? (addresses: string[]) => new HelperApplier(helperSocket).netnsOwners(addresses) : null;
  const inventory = new InventoryService(
    { sysRoot, procRoot, pciIdsPath: env.PASSDECK_PCI_IDS ?? null, demo, servingPort: env.PASSDECK_PORT },
    undefined,
    nameOwners,
  );
  const records = lazyRecords(env.PASSDECK_DATA_DIR, helperSocket);
  const web = lazyWeb(env.PASSDECK_DATA_DIR, auditThrough(records));
  const journal: Context["journal"] = () => {
    const r = records();
    return r.ok ? { ok: true, journal: r.records.journal } : r;
  };
  const desired: Context["desired"] = () => {
    const r = records();
    return r.ok ? { ok: true, store: r.records.desired, forget: r.records.forgetDesired } : r;
  };
  const latency: Context["latency"] = () => {
    const d = web();
    return d.ok ? { ok: true, store: d.probes, feed: d.feed } : d;
  };
  const auth: Context["auth"] = () => {
    const d = web();
    return d.ok ? { ok: true, service: d.auth } : d;
  };
  const ip = kernel ? new SimulatedIpLink(kernel.sysRoot) : new SystemIpLink();
  const libvirt = libvirtFor(env);
  const ownRecords = () => {
    const r = records();
    if (!r.ok) throw new Error(`the journal cannot be opened, so nothing is applied (no change without a record): ${r.reason}`);
    if (r.records.mode !== "owner") throw new Error("the host records are the privileged helper's: plans go to the helper");
    return r.records;
  };
  const audit: AuditSink = (action, actor, source, detail, peer) => {
    const r = records();
    if (r.ok) r.records.auditLog?.record(action, actor, source, detail, peer);
  };
  // This process applies plans only where it owns the records: a demo host, or a root server with no helper.
  const local = (mode: "host" | "demo", executor: PlanExecutor) =>
    new LocalApplier({
      mode,
      executor,
      journal: () => ownRecords().journal,
      desired: () => ownRecords().desired,
      inventory: () => inventory.get({ fresh: true }).data,
      guests: () => guestView(libvirt),
      audit,
      confirmWindowMs: env.PASSDECK_CONFIRM_WINDOW_S * 1000,
    });
  const writeAccess = kernel ? demoAccess(kernel, ip, libvirt, local) : hostAccess(sysRoot, procRoot, ip, libvirt, env.PASSDECK_HELPER_SOCKET, local);
  const plans = new PlanService({
    ...(libvirt ? { libvirt } : {}),
    inventory: (fresh) => inventory.get({ fresh }).data,
    ip,
    access: writeAccess,
    journal: () => {
      const r = records();
      if (!r.ok) throw new Error(r.reason);
      return r.records.journal;
    },
  });
  return { inventory, journal, desired, latency, auth, writeAccess, plans, ip, libvirt, listensBeyondLoopback: !isLoopbackHost(env.PASSDECK_HOST) };
}

type LocalApplierFor = (mode: "host" | "demo", executor: PlanExecutor) => LocalApplier;

function demoAccess(kernel: SimulatedKernel, ip: IpLink, libvirt: LibvirtService | null, local: LocalApplierFor): () => WriteAccess {
  const executor = new PlanExecutor({
    sys: new KernelFs(kernel.sysRoot),
    writer: kernel,
    ip,
    ...(libvirt ? { libvirt } : {}),
    kernelLog: { mark: () => kernel.dmesg().length, since: (mark) => kernel.dmesg().slice(mark) },
    procRoot: kernel.procRoot,
  });
  const applier = local("demo", executor);
  return () => ({ ok: true, mode: "demo", applier });
}

/**
 * The real host: only a mounted sysfs. Plans go to the privileged helper over its socket when it runs (the web
 * server itself unprivileged); a server that runs as root without one applies them itself.
 */
function hostAccess(
  sysRoot: string,
  procRoot: string,
  ip: IpLink,
  libvirt: LibvirtService | null,
  helperSocket: string,
  local: LocalApplierFor,
): () => WriteAccess {
  const helper = new HelperApplier(helperSocket);
  let inProcess: LocalApplier | null = null;
  return () => {
    if (!isRealSysfs(sysRoot))
      return { ok: false, reason: `${sysRoot} is not a mounted sysfs (a capture or a read-only demo tree): this server can show plans but not apply them` };
    if (existsSync(helperSocket)) return { ok: true, mode: "host", applier: helper };
    if (process.getuid?.() !== 0)
      return {
        ok: false,
        reason: `the privileged helper is not running (no socket at ${helperSocket}) and this server is not root: start passdeck-helper.service, or npm start as root, to apply plans (the CLI as root applies them too)`,
      };
    inProcess ??= local("host", hostExecutor(sysRoot, procRoot, ip, libvirt));
    return { ok: true, mode: "host", applier: inProcess };
  };
}

/**
 * Opens the host records on first use, and retries later if that failed (the helper may create them after this
 * server starts). With the helper's socket present they are read-only here and written by the helper.
 */
function lazyRecords(dataDir: string, helperSocket: string | null): () => { ok: true; records: HostRecords } | { ok: false; reason: string } {
  let opened: HostRecords | null = null;
  return () => {
    if (opened) return { ok: true, records: opened };
    try {
      opened = openHostRecords(dataDir, helperSocket && existsSync(helperSocket) ? new HelperApplier(helperSocket) : null);
      return { ok: true, records: opened };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** The audit trail, opened when first needed: a sign-in is not refused because the records open later. */
function auditThrough(records: ReturnType<typeof lazyRecords>): AuditTrail {
  return {
    record: (...args) => {
      const r = records();
      if (r.ok) r.records.audit.record(...args);
      else console.error(`passdeck: audit entry not written (${args[0]}): ${r.reason}`);
    },
    list: (options) => {
      const r = records();
      if (!r.ok) throw new Error(r.reason);
      return r.records.audit.list(options);
    },
  };
}

/** The web tier's own database (accounts, latency), opened on first use and retried if that failed. */
type WebServices = { probes: ProbeStores; feed: LiveFeed; auth: AuthService };

function lazyWeb(dataDir: string, audit: AuditTrail): () => ({ ok: true } & WebServices) | { ok: false; reason: string } {
  let opened: WebServices | null = null;
  return () => {
    if (opened) return { ok: true, ...opened };
    try {
      const db = openWebDatabase(dataDir);
      const probes = openProbeStores(db);
      opened = { probes, feed: new LiveFeed(probes), auth: new AuthService(new Accounts(db), audit, webDir(dataDir)) };
      return { ok: true, ...opened };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** Which VMs hold which devices, for the applier's own check; libvirt absent means no VMs here. */
async function guestView(libvirt: LibvirtService | null): Promise<GuestView> {
  return guestViewOf(libvirt ? await libvirt.view(true) : null);
}
