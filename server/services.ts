/**
 * The one composition root: every entry point (the web server's context, the privileged helper, the API tests, and
 * the CLI) gets its services from createServices. Everything is built on first use and kept: creating the services
 * opens no database, writes no demo tree and starts no timer, so a command that needs none of them (`--help`) costs
 * nothing. A database that cannot be opened is retried on the next use (the helper may create the records later).
 *
 * What differs between entry points is said once, here, by `entry`: who writes the host records, how the host is
 * scanned, and whether a demo host gets a simulated kernel. Tests pass fakes (a simulated kernel, its ip(8), a fast
 * executor, temporary or unavailable databases) to the same factory.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { Accounts } from "@/server/auth/accounts";
import type { AuditTrail } from "@/server/auth/audit";
import { AuthService } from "@/server/auth/service";
import { openWebDatabase, type Db } from "@/server/db/database";
import { hostRecordsOver, openHostRecords, type HostRecords } from "@/server/db/host-records";
import type { Journal } from "@/server/db/journal";
import { hostDir, webDir } from "@/server/db/layout";
import type { DesiredEntry } from "@/server/desired/desired-state";
import type { DesiredStore } from "@/server/desired/store";
import type { PassdeckEnv } from "@/server/env";
import { PlanExecutor } from "@/server/executor/executor";
import { LocalApplier, type AuditSink, type LocalApplierDeps } from "@/server/helper/applier";
import { HelperApplier } from "@/server/helper/client";
import { KernelFs } from "@/server/host/fs";
import { SystemIpLink, type IpLink } from "@/server/host/ip-link";
import { KernelLog } from "@/server/host/kmsg";
import { getScenario } from "@/server/simulator/catalog";
import { SimulatedIpLink } from "@/server/simulator/simulated-ip";
import { SimulatedKernel } from "@/server/simulator/simulated-kernel";
import { isRealSysfs } from "@/server/host/sysfs-check";
import type { Inventory } from "@/server/host/types";
import { KernelSysfsWriter, type SysfsWriter } from "@/server/host/writer";
import type { CaptureRecorder } from "@/server/host/capture";
import { isLoopbackHost } from "@/server/http/hosts.mjs";
import { scanInventory, type HostRoots } from "@/server/inventory/scan";
import { InventoryService } from "@/server/inventory/service";
import { libvirtFor, type LibvirtService } from "@/server/libvirt/service";
import { PlanService, type WriteAccess } from "@/server/plans/plan-service";
import { guestViewOf } from "@/server/plans/step-guard";
import { LiveFeed } from "@/server/probes/live-feed";
import { openProbeStores, type ProbeStores } from "@/server/probes/stores";

/**
 * - "web": the dashboard. The host records are the helper's when its socket exists (this process only reads them);
 *   a demo with PASSDECK_DEMO_DIR gets a simulated kernel; moved interfaces' namespace owners are asked of the helper.
 * - "helper": the privileged helper, root. It owns the host records and applies plans on the real host.
 * - "cli": `passdeck`. It writes the host records itself when it may (root, or their owner), else through the helper.
 */
export type Entry = "web" | "helper" | "cli";

/** A store this process could not open, and why (the reason names the path and the error). */
export type Opened<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What a procedure, a route or a command needs and could not get: the API maps it in its one error table. */
export type Capability = "host records" | "journal" | "desired state" | "web database" | "latency store" | "accounts" | "libvirt";

export class ServiceUnavailable extends Error {
  constructor(
    readonly capability: Capability,
    reason: string,
  ) {
    super(reason);
    this.name = "ServiceUnavailable";
  }
}

/** The value, or ServiceUnavailable with the reason (the CLI prints it; the API maps it). */
export function must<T>(capability: Capability, opened: Opened<T>): T {
  if (!opened.ok) throw new ServiceUnavailable(capability, opened.reason);
  return opened.value;
}

/** A database the caller already holds, or the reason it has none (tests). */
export type GivenDb = Db | { unavailable: string };

export interface ServicesOptions {
  env: PassdeckEnv;
  /** which entry point these services are for (above); "web" unless said */
  entry?: Entry;
  /** a simulated kernel whose tree is read and written instead of the host's; default: the web demo's, from the env */
  kernel?: SimulatedKernel | null;
  /** open databases instead of those under PASSDECK_DATA_DIR, or why there are none */
  db?: { host?: GivenDb; web?: GivenDb };
  /** an inventory over a tree of the test's choosing */
  inventory?: InventoryService;
  ip?: IpLink;
  libvirt?: LibvirtService | null;
  /** the executor plans are applied with (tests: one that does not wait between looks) */
  executor?: PlanExecutor;
  /** this process applies nothing, and plans.access says why */
  readOnly?: string;
  /** the dead-man switch's clock (tests fire it by hand) */
  schedule?: LocalApplierDeps["schedule"];
  /** how often the live feed polls the latency store */
  livePollMs?: number;
}

/** The host's sysfs, writer, ip(8) and kernel log: the real host's, or the simulated kernel's. */
export interface HostIo {
  sysRoot: string;
  procRoot: string;
  sys: KernelFs;
  writer: SysfsWriter;
  ip: IpLink;
  kernelLog: { mark: () => number; since: (mark: number) => string[] };
}

export interface DesiredAccess {
  store: DesiredStore;
  /** goes through the privileged helper when it owns the records */
  forget: (address: string, meta: { actor: string; origin: string | null }) => Promise<DesiredEntry[]>;
}

export interface Services {
  readonly env: PassdeckEnv;
  readonly entry: Entry;
  /** the simulated kernel of a demo host (or a test), null on a real host */
  readonly kernel: SimulatedKernel | null;
  /** what a scan reads, for this entry point */
  readonly roots: HostRoots;
  /** one uncached scan (the CLI, the helper); a capture passes its recorder */
  scan: (recorder?: CaptureRecorder) => Inventory;
  /** scans shared by every request for a moment (the web tier) */
  readonly inventory: InventoryService;
  readonly host: HostIo;
  /** iproute2 for reads (vfinfo_list); writes go through the executor */
  readonly ip: IpLink;
  /** libvirt's VMs; null when there is none (a demo host without PASSDECK_LIBVIRT_URI) */
  readonly libvirt: LibvirtService | null;
  /** the journal, desired state and audit trail */
  records: () => Opened<HostRecords>;
  journal: () => { ok: true; journal: Journal } | { ok: false; reason: string };
  desired: () => ({ ok: true } & DesiredAccess) | { ok: false; reason: string };
  /** the web tier's own database (accounts, latency); the CLI's account and latency commands use it as it is */
  webDb: () => Opened<Db>;
  latency: () => { ok: true; store: ProbeStores; feed: LiveFeed } | { ok: false; reason: string };
  auth: () => { ok: true; service: AuthService } | { ok: false; reason: string };
  /** the executor over `host` */
  readonly executor: PlanExecutor;
  /** applies plans in this process, journaled in records this process owns (the helper, a demo, a root server alone) */
  readonly applier: LocalApplier;
  /** whether this process may change the host, and how (in itself, or through the helper) */
  writeAccess: () => WriteAccess;
  readonly plans: PlanService;
  /** PASSDECK_HOST is not a loopback address: first-run setup from the browser is refused */
  readonly listensBeyondLoopback: boolean;
}

/** Built on first use and kept; a throw is not kept, so the next use tries again. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}

/** Opened on first use and kept once it opened; a failure is reported and tried again on the next use. */
function retried<T>(open: () => T): () => Opened<T> {
  let opened: T | null = null;
  return () => {
    if (opened !== null) return { ok: true, value: opened };
    try {
      opened = open();
      return { ok: true, value: opened };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}

function given(db: GivenDb): Db {
  if ("unavailable" in db) throw new Error(db.unavailable);
  return db;
}

const isRoot = () => process.getuid?.() === 0;

export function createServices(options: ServicesOptions): Services {
  const { env } = options;
  const entry = options.entry ?? "web";
  const demo = entry === "helper" ? null : (env.PASSDECK_DEMO ?? null);
  // The demo host with a simulated kernel: the server writes the scenario's tree itself and answers writes as Linux.
  const kernel = once(() =>
    options.kernel !== undefined
      ? options.kernel
      : entry === "web" && demo && env.PASSDECK_DEMO_DIR
        ? SimulatedKernel.create(getScenario(demo), env.PASSDECK_DEMO_DIR)
        : null,
  );
  const sysRoot = () => kernel()?.sysRoot ?? env.PASSDECK_SYS_ROOT;
  const procRoot = () => kernel()?.procRoot ?? env.PASSDECK_PROC_ROOT;
  // A demo's records are its own; elsewhere the helper's socket says who writes them.
  const helperSocket = entry === "web" && demo ? null : env.PASSDECK_HELPER_SOCKET;

  const roots = once((): HostRoots => ({
    sysRoot: sysRoot(),
    procRoot: procRoot(),
    pciIdsPath: env.PASSDECK_PCI_IDS ?? null,
    demo,
    // the browser's connection to the dashboard makes its NIC host-critical; the CLI does not serve
    ...(entry === "cli" ? {} : { servingPort: env.PASSDECK_PORT }),
  }));
  const scan = (recorder?: CaptureRecorder) => scanInventory({ ...roots(), recorder: recorder ?? null });

  const inventory = once(() => {
    if (options.inventory) return options.inventory;
    return new InventoryService(roots());
  });
  // What the applier checks a plan against: the helper scans for itself; the web tier refreshes its shared snapshot.
  const freshInventory = () => (entry === "helper" ? scan() : inventory().get({ fresh: true }).data);

  const ip = once(() => options.ip ?? (kernel() ? new SimulatedIpLink(kernel()!.sysRoot) : new SystemIpLink()));
  const libvirt = once(() => (options.libvirt !== undefined ? options.libvirt : libvirtFor(env)));
  const host = once((): HostIo => {
    const k = kernel();
    if (k)
      return {
        sysRoot: k.sysRoot,
        procRoot: k.procRoot,
        sys: new KernelFs(k.sysRoot),
        writer: k,
        ip: ip(),
        kernelLog: { mark: () => k.dmesg().length, since: (mark) => k.dmesg().slice(mark) },
      };
    return {
      sysRoot: sysRoot(),
      procRoot: procRoot(),
      sys: new KernelFs(sysRoot()),
      writer: new KernelSysfsWriter(sysRoot()),
      ip: ip(),
      kernelLog: new KernelLog(),
    };
  });
  const executor = once(() => {
    if (options.executor) return options.executor;
    const { sys, writer, ip, kernelLog, procRoot } = host();
    const lv = libvirt();
    return new PlanExecutor({ sys, writer, ip, kernelLog, procRoot, ...(lv ? { libvirt: lv } : {}) });
  });

  /** Who writes the host records, if not this process. */
  const recordsWriter = (): HelperApplier | null => {
    if (entry === "helper" || !helperSocket || !existsSync(helperSocket)) return null;
    if (entry === "web") return new HelperApplier(helperSocket);
    // the CLI: root, or whoever may write the records, writes them itself
    if (isRoot()) return null;
    try {
      accessSync(hostDir(env.PASSDECK_DATA_DIR), constants.W_OK);
      return null;
    } catch {
      return new HelperApplier(helperSocket);
    }
  };
  const records = retried(() => {
    const writer = recordsWriter();
    return options.db?.host ? hostRecordsOver(given(options.db.host), writer) : openHostRecords(env.PASSDECK_DATA_DIR, writer);
  });
  const journal: Services["journal"] = () => {
    const r = records();
    return r.ok ? { ok: true, journal: r.value.journal } : r;
  };
  const desired: Services["desired"] = () => {
    const r = records();
    return r.ok ? { ok: true, store: r.value.desired, forget: r.value.forgetDesired } : r;
  };

  const webDb = retried(() => (options.db?.web ? given(options.db.web) : openWebDatabase(env.PASSDECK_DATA_DIR)));
  const web = retried(() => {
    const db = must("web database", webDb());
    const probes = openProbeStores(db);
    return {
      probes,
      feed: new LiveFeed(probes, options.livePollMs),
      auth: new AuthService(new Accounts(db), auditThrough(records), webDir(env.PASSDECK_DATA_DIR)),
    };
  });
  const latency: Services["latency"] = () => {
    const w = web();
    return w.ok ? { ok: true, store: w.value.probes, feed: w.value.feed } : w;
  };
  const auth: Services["auth"] = () => {
    const w = web();
    return w.ok ? { ok: true, service: w.value.auth } : w;
  };

  // Plans are applied here only where this process owns the records: the helper, a demo host, a root server alone.
  const ownRecords = () => {
    const r = records();
    if (!r.ok) throw new Error(`the journal cannot be opened, so nothing is applied (no change without a record): ${r.reason}`);
    if (r.value.mode !== "owner") throw new Error("the host records are the privileged helper's: plans go to the helper");
    return r.value;
  };
  const audit: AuditSink = (action, actor, source, detail, peer) => {
    const r = records();
    if (r.ok) r.value.auditLog?.record(action, actor, source, detail, peer);
  };
  const applier = once(
    () =>
      new LocalApplier({
        mode: kernel() ? "demo" : "host",
        executor: executor(),
        journal: () => ownRecords().journal,
        desired: () => ownRecords().desired,
        inventory: freshInventory,
        guests: async () => {
          const lv = libvirt();
          return guestViewOf(lv ? await lv.view(true) : null);
        },
        audit,
        confirmWindowMs: env.PASSDECK_CONFIRM_WINDOW_S * 1000,
        ...(options.schedule ? { schedule: options.schedule } : {}),
      }),
  );

  const writeAccess = once((): (() => WriteAccess) => {
    if (options.readOnly !== undefined) {
      const reason = options.readOnly;
      return () => ({ ok: false, reason });
    }
    if (kernel()) return () => ({ ok: true, mode: "demo", applier: applier() });
    return hostAccess(sysRoot(), env.PASSDECK_HELPER_SOCKET, applier);
  });

  const plans = once(() => {
    const lv = libvirt();
    return new PlanService({
      ...(lv ? { libvirt: lv } : {}),
      inventory: (fresh) => inventory().get({ fresh }).data,
      ip: ip(),
      access: () => writeAccess()(),
      journal: () => must("journal", records()).journal,
    });
  });

  return {
    env,
    entry,
    get kernel() {
      return kernel();
    },
    get roots() {
      return roots();
    },
    scan,
    get inventory() {
      return inventory();
    },
    get host() {
      return host();
    },
    get ip() {
      return ip();
    },
    get libvirt() {
      return libvirt();
    },
    records,
    journal,
    desired,
    webDb,
    latency,
    auth,
    get executor() {
      return executor();
    },
    get applier() {
      return applier();
    },
    writeAccess: () => writeAccess()(),
    get plans() {
      return plans();
    },
    listensBeyondLoopback: !isLoopbackHost(env.PASSDECK_HOST),
  };
}

/**
 * The real host: only a mounted sysfs. Plans go to the privileged helper over its socket when it runs (the web
 * server itself unprivileged); a server that runs as root without one applies them itself.
 */
function hostAccess(sysRoot: string, helperSocket: string, inProcess: () => LocalApplier): () => WriteAccess {
  const helper = new HelperApplier(helperSocket);
  return () => {
    if (!isRealSysfs(sysRoot))
      return { ok: false, reason: `${sysRoot} is not a mounted sysfs (a capture or a read-only demo tree): this server can show plans but not apply them` };
    if (existsSync(helperSocket)) return { ok: true, mode: "host", applier: helper };
    if (!isRoot())
      return {
        ok: false,
        reason: `the privileged helper is not running (no socket at ${helperSocket}) and this server is not root: start passdeck-helper.service, or npm start as root, to apply plans (the CLI as root applies them too)`,
      };
    return { ok: true, mode: "host", applier: inProcess() };
  };
}

/** The audit trail, opened when first needed: a sign-in is not refused because the records open later. */
function auditThrough(records: () => Opened<HostRecords>): AuditTrail {
  return {
    record: (...args) => {
      const r = records();
      if (r.ok) r.value.audit.record(...args);
      else console.error(`passdeck: audit entry not written (${args[0]}): ${r.reason}`);
    },
    list: (options) => must("host records", records()).audit.list(options),
  };
}

/** What the API's procedures and routes use: the web tier's part of the services (the caller is per request). */
export type ApiServices = Pick<
  Services,
  "inventory" | "journal" | "desired" | "latency" | "auth" | "writeAccess" | "plans" | "ip" | "libvirt" | "listensBeyondLoopback"
>;

export function apiServices(s: Services): ApiServices {
  return {
    inventory: s.inventory,
    journal: s.journal,
    desired: s.desired,
    latency: s.latency,
    auth: s.auth,
    writeAccess: s.writeAccess,
    plans: s.plans,
    ip: s.ip,
    libvirt: s.libvirt,
    listensBeyondLoopback: s.listensBeyondLoopback,
  };
}
