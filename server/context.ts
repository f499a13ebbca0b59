import { readEnv, type PassdeckEnv } from "@/server/env";
import { InventoryService } from "@/server/inventory/service";
import type { Context } from "@/server/api/trpc";
import { openDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { DesiredStore } from "@/server/desired/store";
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
import { LiveFeed } from "@/server/probes/live-feed";
import { ProbeStore } from "@/server/probes/store";
import { Accounts } from "@/server/auth/accounts";
import { AuditLog } from "@/server/auth/audit";
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
  const inventory = new InventoryService({ sysRoot, procRoot, pciIdsPath: env.PASSDECK_PCI_IDS ?? null, demo, servingPort: env.PASSDECK_PORT });
  const data = lazyData(env.PASSDECK_DATA_DIR);
  const journal: Context["journal"] = () => {
    const d = data();
    return d.ok ? { ok: true, journal: d.journal } : d;
  };
  const desired: Context["desired"] = () => {
    const d = data();
    return d.ok ? { ok: true, store: d.desired } : d;
  };
  const latency: Context["latency"] = () => {
    const d = data();
    return d.ok ? { ok: true, store: d.probes, feed: d.feed } : d;
  };
  const auth: Context["auth"] = () => {
    const d = data();
    return d.ok ? { ok: true, service: d.auth } : d;
  };
  const ip = kernel ? new SimulatedIpLink(kernel.sysRoot) : new SystemIpLink();
  const libvirt = libvirtFor(env);
  const audit: AuditSink = (action, actor, source, detail) => {
    const opened = auth();
    if (opened.ok) opened.service.audit.record(action, actor, source, detail);
  };
  const journalOrThrow = () => {
    const opened = journal();
    if (!opened.ok) throw new Error(`the journal cannot be opened, so nothing is applied (no change without a record): ${opened.reason}`);
    return opened.journal;
  };
  const local = (mode: "host" | "demo", executor: PlanExecutor) =>
    new LocalApplier({ mode, executor, journal: journalOrThrow, inventory: () => inventory.get({ fresh: true }).data, audit, confirmWindowMs: env.PASSDECK_CONFIRM_WINDOW_S * 1000 });
  const writeAccess = kernel ? demoAccess(kernel, ip, libvirt, local) : hostAccess(sysRoot, ip, libvirt, env.PASSDECK_HELPER_SOCKET, local);
  const plans = new PlanService({
    ...(libvirt ? { libvirt } : {}),
    inventory: (fresh) => inventory.get({ fresh }).data,
    ip,
    access: writeAccess,
    journal: journalOrThrow,
    // What the user applied is what reconcile puts back at boot.
    onApplied: (plan, after, actor) => {
      const opened = desired();
      if (opened.ok) opened.store.record(plan, after, actor);
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
  });
  const applier = local("demo", executor);
  return () => ({ ok: true, mode: "demo", applier });
}

export const isLoopbackHost = (host: string) => ["127.0.0.1", "localhost", "::1"].includes(host);

/**
 * The real host: only a mounted sysfs. Plans go to the privileged helper over its socket when it runs (the web
 * server itself unprivileged); a server that runs as root without one applies them itself.
 */
function hostAccess(sysRoot: string, ip: IpLink, libvirt: LibvirtService | null, helperSocket: string, local: LocalApplierFor): () => WriteAccess {
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
    inProcess ??= local("host", hostExecutor(sysRoot, ip, libvirt));
    return { ok: true, mode: "host", applier: inProcess };
  };
}

/**
 * Opens the database on first use (the journal and the desired state share it) and retries later if it failed:
 * the directory may be created after start.
 */
type DataServices = { journal: Journal; desired: DesiredStore; probes: ProbeStore; feed: LiveFeed; auth: AuthService };

function lazyData(dataDir: string): () => ({ ok: true } & DataServices) | { ok: false; reason: string } {
  let opened: DataServices | null = null;
  return () => {
    if (opened) return { ok: true, ...opened };
    try {
      const db = openDatabase(dataDir);
      const probes = new ProbeStore(db);
      const auth = new AuthService(new Accounts(db), new AuditLog(db), dataDir);
      opened = { journal: new Journal(db), desired: new DesiredStore(db), probes, feed: new LiveFeed(probes), auth };
      return { ok: true, ...opened };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}
