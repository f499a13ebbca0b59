import { readEnv, type PassdeckEnv } from "@/server/env";
import { InventoryService } from "@/server/inventory/service";
import type { Context } from "@/server/api/trpc";
import { openDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { DesiredStore } from "@/server/desired/store";
import { PlanExecutor } from "@/server/executor/executor";
import { KernelFs } from "@/server/host/fs";
import { SystemIpLink, type IpLink } from "@/server/host/ip-link";
import { KernelLog } from "@/server/host/kmsg";
import { getScenario } from "@/server/host/scenarios/catalog";
import { SimulatedIpLink } from "@/server/host/scenarios/simulated-ip";
import { SimulatedKernel } from "@/server/host/scenarios/simulated-kernel";
import { isRealSysfs } from "@/server/host/sysfs-check";
import { KernelSysfsWriter } from "@/server/host/writer";
import { PlanService, type WriteAccess } from "@/server/plans/plan-service";
import { libvirtFor, type LibvirtService } from "@/server/libvirt/service";
import { LiveFeed } from "@/server/probes/live-feed";
import { ProbeStore } from "@/server/probes/store";

type Services = Omit<Context, "origin">;
let services: Services | null = null;

/** Built once per server process from the environment; `origin` is per request. */
export function getContext(origin: string | null = null): Context {
  services ??= buildServices(readEnv());
  return { ...services, origin };
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
  const ip = kernel ? new SimulatedIpLink(kernel.sysRoot) : new SystemIpLink();
  const libvirt = libvirtFor(env);
  const writeAccess = kernel ? demoAccess(kernel, ip, libvirt) : hostAccess(sysRoot, ip, webWritesRefusal(env), libvirt);
  const plans = new PlanService({
    ...(libvirt ? { libvirt } : {}),
    inventory: (fresh) => inventory.get({ fresh }).data,
    ip,
    access: writeAccess,
    journal: () => {
      const opened = journal();
      if (!opened.ok) throw new Error(`the journal cannot be opened, so nothing is applied (no change without a record): ${opened.reason}`);
      return opened.journal;
    },
    // What the user applied is what reconcile puts back at boot.
    onApplied: (plan, after, actor) => {
      const opened = desired();
      if (opened.ok) opened.store.record(plan, after, actor);
    },
  });
  return { inventory, journal, desired, latency, writeAccess, plans, ip, libvirt };
}

function demoAccess(kernel: SimulatedKernel, ip: IpLink, libvirt: LibvirtService | null): () => WriteAccess {
  const executor = new PlanExecutor({
    sys: new KernelFs(kernel.sysRoot),
    writer: kernel,
    ip,
    ...(libvirt ? { libvirt } : {}),
    kernelLog: { mark: () => kernel.dmesg().length, since: (mark) => kernel.dmesg().slice(mark) },
  });
  return () => ({ ok: true, mode: "demo", executor, ip });
}

/**
 * Whoever reaches the port could unbind the host's devices, and there is no login yet: beyond loopback the browser
 * may only look, unless the operator says the network is isolated.
 */
export function webWritesRefusal(env: PassdeckEnv): string | null {
  if (["127.0.0.1", "localhost", "::1"].includes(env.PASSDECK_HOST) || env.PASSDECK_UNSAFE_WEB_WRITES === "1") return null;
  return `this server listens on ${env.PASSDECK_HOST} without authentication, so anyone who reaches it could change the host: applying from the browser is off (use the passdeck CLI, or serve on 127.0.0.1 and reach it through an SSH tunnel)`;
}

/** The real host: only a mounted sysfs, and only as root (the privileged helper comes with the security issue). */
function hostAccess(sysRoot: string, ip: IpLink, refusal: string | null, libvirt: LibvirtService | null): () => WriteAccess {
  let executor: PlanExecutor | null = null;
  return () => {
    if (refusal) return { ok: false, reason: refusal };
    if (!isRealSysfs(sysRoot))
      return { ok: false, reason: `${sysRoot} is not a mounted sysfs (a capture or a read-only demo tree): this server can show plans but not apply them` };
    if (process.getuid?.() !== 0)
      return { ok: false, reason: "the server does not run as root, so it cannot write sysfs: plans can be reviewed, and applied with the passdeck CLI as root" };
    executor ??= new PlanExecutor({
      sys: new KernelFs(sysRoot),
      writer: new KernelSysfsWriter(sysRoot),
      ip,
      kernelLog: new KernelLog(),
      ...(libvirt ? { libvirt } : {}),
    });
    return { ok: true, mode: "host", executor, ip };
  };
}

/**
 * Opens the database on first use (the journal and the desired state share it) and retries later if it failed:
 * the directory may be created after start.
 */
type DataServices = { journal: Journal; desired: DesiredStore; probes: ProbeStore; feed: LiveFeed };

function lazyData(dataDir: string): () => ({ ok: true } & DataServices) | { ok: false; reason: string } {
  let opened: DataServices | null = null;
  return () => {
    if (opened) return { ok: true, ...opened };
    try {
      const db = openDatabase(dataDir);
      const probes = new ProbeStore(db);
      opened = { journal: new Journal(db), desired: new DesiredStore(db), probes, feed: new LiveFeed(probes) };
      return { ok: true, ...opened };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}
