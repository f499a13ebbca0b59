/**
 * The web tier's side of the write path: previews are plans kept for a while under their id; apply takes only an
 * id, re-plans from the same request against the host as it is now and refuses if the steps differ (the host
 * changed since the review), so what runs is exactly what was shown. Applies go through the PlanApplier (the
 * helper's socket, or this process's executor); step reports are kept per plan and streamed to whoever watches.
 */
import { EventEmitter, on } from "node:events";
import type { ApplyMeta, ConfirmOutcome, PendingConfirmation, PlanApplier, RevertOutcome } from "@/server/helper/applier";
import { describeStep, type Plan, type PlanResult, type StepReport } from "@/server/executor/plan";
import type { IpLink } from "@/server/host/ip-link";
import { readVfInfo } from "@/server/host/ip-link";
import type { Inventory } from "@/server/host/types";
import type { Journal } from "@/server/db/journal";
import { hostDriverBefore } from "./host-driver";
import { planRestore, planVfCount, type Overrides, type PlanOutcome, type Refusal } from "./planner";
import { planDevicePassthrough, planSriovWizard, type BootBinding, type SriovWizardRequest, type WizardVf } from "./wizard";
import {
  planAttach,
  planAttachPool,
  planDetach,
  planDetachPool,
  type AttachRequest,
  type DetachRequest,
  type PoolAttachRequest,
  type PoolDetachRequest,
  type XmlChange,
} from "./vm";
import { planPoolCreate, planPoolDelete, poolRows, poolXmlChanges } from "./pools";
import { offlineConflicts } from "@/server/libvirt/offline";
import { guestConflicts, vfCountConflicts } from "@/server/libvirt/in-use";
import { forceTargets } from "./step-guard";
import { libvirtUnreachable, type LibvirtService, type LibvirtView } from "@/server/libvirt/service";
import { DEFAULT_PREVIEW_LIMITS, PreviewRate, type PreviewLimitOptions } from "./preview-limits";

export type WriteAccess = { ok: true; mode: "host" | "demo"; applier: PlanApplier } | { ok: false; reason: string };

export class PlanExpired extends Error {
  constructor(planId: string) {
    super(
      `plan ${planId} is not waiting to be applied here (it expired after ${PREVIEW_TTL_MS / 60_000} minutes, was applied, or the server restarted): review it again`,
    );
    this.name = "PlanExpired";
  }
}

export class HostChanged extends Error {
  constructor() {
    super("the host changed since this plan was reviewed, so it is not applied: review the new plan");
    this.name = "HostChanged";
  }
}

export class WritesUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "WritesUnavailable";
  }
}

export type PreviewRequest =
  | { kind: "sriov"; request: SriovWizardRequest }
  | { kind: "device"; address: string }
  | { kind: "restore"; address: string; hostDriver?: string }
  | { kind: "vf-count"; pf: string; count: number; autoprobe?: boolean }
  | { kind: "vm-attach"; request: AttachRequest }
  | { kind: "vm-detach"; request: DetachRequest }
  | { kind: "vm-attach-pool"; request: PoolAttachRequest }
  /** an interface on a VF pool, named by its MAC: it has no host address */
  | { kind: "vm-detach-pool"; request: PoolDetachRequest }
  | { kind: "pool-create"; name: string; pf: string }
  | { kind: "pool-delete"; name: string };

export interface Preview {
  outcome: PlanOutcome;
  /** the exact commands, one per step, as a person would type them */
  commands: string[];
  warnings: Refusal[];
  vfs: WizardVf[];
  guestDriver: string | null;
  hostLoses: string[];
  endpoints: string[];
  bridgesStay: string[];
  bootBinding: BootBinding | null;
  /** the device XML each VM gains or loses, per definition */
  xmlChanges: XmlChange[];
  /** why VMs are not known (libvirt absent or unreachable); null when they are */
  libvirt: string | null;
}

export type ProgressEvent =
  | { kind: "step"; report: StepReport }
  | { kind: "finished"; entryId: number; result: PlanResult; journalError: string | null; confirmation: PendingConfirmation | null }
  /** the apply stopped before or outside the executor's reports (another plan running, a bug): the message says which */
  | { kind: "error"; message: string };

interface Pending {
  request: PreviewRequest;
  overrides: Overrides;
  plan: Plan;
  createdAt: number;
  /** the caller who previewed it (server/api/routers/plans.ts: "name (via)"): only they may apply or watch it */
  owner: string;
}

/** The host as previews see it: one scan and one libvirt view shared by every preview of a burst. */
interface PreviewHost {
  inventory: Inventory;
  view: LibvirtView | null;
}

interface Run {
  events: ProgressEvent[];
  done: boolean;
}

const PREVIEW_TTL_MS = 15 * 60_000;
const KEPT_RUNS = 50;
/**
 * Previews within this long of a fresh scan share it (and the libvirt view read with it): a batch of previews costs
 * one sysfs walk and one round of virsh, not one each. Apply never uses it: it re-plans on a scan of its own.
 */
export const PREVIEW_FRESH_MS = 1_000;

export interface PlanServiceDeps {
  inventory: (fresh: boolean) => Inventory;
  access: () => WriteAccess;
  /** reads vfinfo_list for the undo of VF settings */
  ip: IpLink;
  journal: () => Journal;
  /** libvirt's VMs and the in-use map; absent in tests without VMs */
  libvirt?: LibvirtService;
  now?: () => number;
  /** per-caller preview rate and the caps on plans kept for review (DEFAULT_PREVIEW_LIMITS) */
  limits?: Partial<PreviewLimitOptions>;
}

export class PlanService {
  private readonly pending = new Map<string, Pending>();
  private readonly runs = new Map<string, Run>();
  private readonly events = new EventEmitter();
  private readonly now: () => number;
  /** who previewed each plan still pending or among the kept runs */
  private readonly owners = new Map<string, string>();
  private readonly limits: PreviewLimitOptions;
  private readonly rate: PreviewRate;
  /** the scan previews share (see PREVIEW_FRESH_MS), with what the host's state was keyed on when it was taken */
  private previewHost: { at: number; epoch: number; runs: string; host: Promise<PreviewHost> } | null = null;
  /** bumped when this service starts changing the host: a shared scan from before is stale */
  private hostEpoch = 0;

  constructor(private readonly deps: PlanServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.events.setMaxListeners(100);
    this.limits = { ...DEFAULT_PREVIEW_LIMITS, ...deps.limits };
    this.rate = new PreviewRate(this.limits, this.now);
  }

  /**
   * Plans a request against the host as the last second's shared scan saw it and keeps the plan for `owner` to
   * apply. Throws PreviewRateLimited when `owner` previews faster than its bucket allows.
   */
  async preview(request: PreviewRequest, overrides: Overrides, owner: string): Promise<Preview> {
    this.rate.take(owner);
    const host = await this.hostForPreview();
    // Each preview plans in its own turn of the event loop: the previews of one batch take turns with other
    // requests instead of running back to back.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const preview = await this.plan(request, overrides, host.inventory, host.view);
    if (preview.outcome.kind === "plan") this.keep(preview.outcome.plan.id, { request, overrides, plan: preview.outcome.plan, createdAt: this.now(), owner });
    return preview;
  }

  /** Applies a reviewed plan; resolves when it has finished (the progress stream has every step before that). */
  async apply(
    planId: string,
    who: ApplyMeta,
    /** the caller applying: a plan previewed by someone else is refused as if it did not exist */
    owner: string,
  ): Promise<{ entryId: number; result: PlanResult; journalError: string | null; confirmation: PendingConfirmation | null }> {
    const access = this.deps.access();
    if (!access.ok) throw new WritesUnavailable(access.reason);
    if (!this.ownedBy(planId, owner)) throw new PlanExpired(planId);
    this.hostEpoch++; // previews from here on scan again
    const pending = this.pending.get(planId);
    if (!pending || this.now() - pending.createdAt > PREVIEW_TTL_MS) throw new PlanExpired(planId);

    const inventory = this.deps.inventory(true);
    const again = await this.plan(pending.request, pending.overrides, inventory);
    if (again.outcome.kind !== "plan" || !sameSteps(again.outcome.plan, pending.plan)) {
      this.pending.delete(planId);
      throw new HostChanged();
    }
    const run: Run = { events: [], done: false };
    const emit = (event: ProgressEvent) => {
      run.events.push(event);
      this.events.emit(planId, event);
    };
    this.runs.set(planId, run);
    let applied: Awaited<ReturnType<PlanApplier["apply"]>>;
    // What the reviewer accepted travels with the plan, by address; the applier re-checks it against its own scan.
    const o = pending.overrides;
    const overrides = { confirm: o.confirm === true || o.force === true, force: o.force ? forceTargets(pending.plan, inventory) : [] };
    try {
      applied = await access.applier.apply(pending.plan, who, (report) => emit({ kind: "step", report }), overrides);
    } catch (err) {
      // Refused before anything ran (PlanBusy, JournalBusy): the pending plan stays for a retry.
      emit({ kind: "error", message: err instanceof Error ? err.message : String(err) });
      this.runs.delete(planId);
      throw err;
    }
    this.pending.delete(planId);
    this.deps.libvirt?.invalidate();
    const journalError = applied.journalError;
    emit({ kind: "finished", entryId: applied.entryId, result: applied.result, journalError, confirmation: applied.confirmation });
    run.done = true;
    this.trimRuns();
    return { entryId: applied.entryId, result: applied.result, journalError, confirmation: applied.confirmation };
  }

  /** "Keep these changes": the plan stays, and the applier remembers it for reconcile from now on. */
  async confirm(planId: string, who: ApplyMeta, owner: string): Promise<ConfirmOutcome> {
    const access = this.deps.access();
    if (!access.ok) throw new WritesUnavailable(access.reason);
    if (this.foreign(planId, owner)) return { ok: false, reason: notWaitingToConfirm(planId) };
    return access.applier.confirm(planId, who);
  }

  /** "Undo now": the confirmation's undo, at once. */
  async revert(planId: string, who: ApplyMeta, owner: string): Promise<RevertOutcome> {
    const access = this.deps.access();
    if (!access.ok) throw new WritesUnavailable(access.reason);
    if (this.foreign(planId, owner)) return { ok: false, reason: notWaitingToRevert(planId) };
    this.hostEpoch++;
    const outcome = await access.applier.revert(planId, who);
    this.deps.libvirt?.invalidate();
    return outcome;
  }

  /**
   * Applied plans waiting for their confirmation that this caller may keep or undo: their own, and those nobody here
   * is known to own (applied before a restart). Another admin's plan is theirs to confirm: offering it here would
   * only end in "not waiting".
   */
  async pendingConfirmations(owner: string): Promise<PendingConfirmation[]> {
    const access = this.deps.access();
    return access.ok ? (await access.applier.pending()).filter((p) => !this.foreign(p.planId, owner)) : [];
  }

  /**
   * Every event of the plan's apply, from the first step, then live ones until it finishes. Only for the caller who
   * previewed it, while it is pending or among the kept runs: otherwise PlanExpired, as for an id never seen.
   */
  async *progress(planId: string, owner: string, signal?: AbortSignal): AsyncGenerator<ProgressEvent> {
    if (!this.ownedBy(planId, owner) || !(this.pending.has(planId) || this.runs.has(planId))) throw new PlanExpired(planId);
    // Registered and the history read in the same tick: every later event reaches the queue, none twice.
    const live = on(this.events, planId, signal ? { signal } : {}) as AsyncIterableIterator<[ProgressEvent]>;
    try {
      const history = [...(this.runs.get(planId)?.events ?? [])];
      for (const event of history) {
        yield event;
        if (event.kind !== "step") return;
      }
      for await (const [event] of live) {
        yield event;
        if (event.kind !== "step") return;
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      await live.return?.();
    }
  }

  /** Plans against `inv` and `view` (a fresh libvirt view when none is given: apply's re-plan). */
  private async plan(request: PreviewRequest, o: Overrides, inv: Inventory, given?: LibvirtView | null): Promise<Preview> {
    const view: LibvirtView | null = given !== undefined ? given : this.deps.libvirt ? await this.deps.libvirt.view(true) : null;
    const preview = await this.planWith(request, o, inv, view);
    // A plan refused for a host reason may also take a running VM's device: say that too, it is the reason that matters.
    const withAll = preview.outcome.kind === "refused" && view?.ok ? (await this.planWith(request, { confirm: true, force: true }, inv, view)).outcome : null;
    const counts =
      request.kind === "sriov"
        ? [{ pf: request.request.pf, count: request.request.count }]
        : request.kind === "vf-count"
          ? [{ pf: request.pf, count: request.count }]
          : [];
    const o2 = withGuestChecks(preview.outcome, inv, view, o, withAll, counts);
    return {
      ...preview,
      outcome: o2,
      commands: o2.kind === "plan" ? o2.plan.steps.map((s) => describeStep(s.step)) : [],
      warnings: o2.kind === "plan" ? o2.warnings : [],
    };
  }

  private async planWith(request: PreviewRequest, o: Overrides, inv: Inventory, view: LibvirtView | null): Promise<Omit<Preview, "commands" | "warnings">> {
    const domains = view?.ok ? view.domains : null;
    const libvirtProblem = !view ? "libvirt is not configured for this server" : view.ok ? null : `${view.reason.cause}. ${view.reason.fix}`;
    const base = {
      warnings: [],
      vfs: [],
      guestDriver: null,
      hostLoses: [],
      endpoints: [],
      bridgesStay: [],
      bootBinding: null,
      xmlChanges: [],
      libvirt: libvirtProblem,
    };
    let preview: Omit<Preview, "commands" | "warnings">;
    switch (request.kind) {
      case "sriov": {
        const pf = inv.devices.find((d) => d.address === request.request.pf);
        const netdev = pf?.netdevs[0]?.name;
        const vfInfo = netdev ? await readVfInfo(this.deps.ip, netdev).catch(() => []) : [];
        // Pools are read only when a VF goes to one: listing networks is one more virsh round per network.
        const pools =
          domains && this.deps.libvirt && request.request.vfs.some((v) => v.pool !== undefined)
            ? poolRows(await this.deps.libvirt.networks.list(), domains, inv)
            : domains
              ? []
              : null;
        preview = { ...base, ...planSriovWizard(inv, request.request, vfInfo, o, domains, pools) };
        break;
      }
      case "vm-attach":
      case "vm-detach":
      case "vm-detach-pool": {
        if (!domains) {
          preview = {
            ...base,
            outcome: { kind: "refused", refusals: [{ code: "libvirt-unavailable", reason: libvirtProblem ?? "libvirt cannot be read", override: null }] },
          };
          break;
        }
        const planned =
          request.kind === "vm-attach"
            ? planAttach(inv, domains, request.request, o)
            : request.kind === "vm-detach"
              ? planDetach(domains, request.request, o)
              : planDetachPool(domains, request.request, o);
        preview = { ...base, ...planned };
        break;
      }
      case "vm-attach-pool":
      case "pool-create":
      case "pool-delete": {
        if (!domains || !this.deps.libvirt) {
          preview = {
            ...base,
            outcome: { kind: "refused", refusals: [{ code: "libvirt-unavailable", reason: libvirtProblem ?? "libvirt cannot be read", override: null }] },
          };
          break;
        }
        const networks = await this.deps.libvirt.networks.list();
        if (request.kind === "vm-attach-pool") {
          preview = { ...base, ...planAttachPool(inv, domains, poolRows(networks, domains, inv), request.request, o) };
          break;
        }
        const outcome = request.kind === "pool-create" ? planPoolCreate(inv, networks, request, o) : planPoolDelete(inv, networks, domains, request.name, o);
        preview = { ...base, outcome, xmlChanges: poolXmlChanges(outcome) };
        break;
      }
      case "device":
        preview = { ...base, ...planDevicePassthrough(inv, request.address, o) };
        break;
      case "restore": {
        const hostDriver = request.hostDriver ?? this.previousDriver(request.address);
        preview = { ...base, outcome: planRestore(inv, request.address, { ...o, ...(hostDriver ? { hostDriver } : {}) }) };
        break;
      }
      case "vf-count":
        preview = {
          ...base,
          outcome: planVfCount(inv, request.pf, request.count, { ...o, ...(request.autoprobe !== undefined ? { autoprobe: request.autoprobe } : {}) }),
        };
        break;
    }
    return preview;
  }

  /** The driver the journal shows the device was released from, when the journal can be read. */
  private previousDriver(address: string): string | null {
    try {
      return hostDriverBefore(this.deps.journal(), address);
    } catch {
      return null;
    }
  }

  private prune() {
    const now = this.now();
    for (const [id, p] of this.pending) if (now - p.createdAt > PREVIEW_TTL_MS) this.drop(id);
    // runs trimmed since: their owners go too
    for (const id of this.owners.keys()) if (!this.pending.has(id) && !this.runs.has(id)) this.owners.delete(id);
  }

  /** Keeps a previewed plan: at most pendingPerCaller per caller and pendingTotal in all, the oldest dropped first. */
  private keep(id: string, p: Pending) {
    this.prune();
    this.pending.set(id, p);
    this.owners.set(id, p.owner);
    const mine = [...this.pending].filter(([, q]) => q.owner === p.owner).map(([planId]) => planId);
    for (const old of mine.slice(0, Math.max(0, mine.length - this.limits.pendingPerCaller))) this.drop(old);
    // the map keeps insertion order: the first keys are the oldest previews
    for (const old of [...this.pending.keys()].slice(0, Math.max(0, this.pending.size - this.limits.pendingTotal))) this.drop(old);
  }

  private drop(id: string) {
    this.pending.delete(id);
    if (!this.runs.has(id)) this.owners.delete(id);
  }

  /** Whether `owner` previewed this plan (an id nobody previewed here is nobody's). */
  private ownedBy(planId: string, owner: string): boolean {
    return this.owners.get(planId) === owner;
  }

  /**
   * A plan known here to be another caller's. A plan this process does not know (applied before a restart, or by
   * the CLI) has no owner on record: the applier decides, as before.
   */
  private foreign(planId: string, owner: string): boolean {
    const known = this.owners.get(planId);
    return known !== undefined && known !== owner;
  }

  /**
   * One scan and one libvirt view for every preview within PREVIEW_FRESH_MS, shared while in flight. It is taken
   * again after this service applied or reverted a plan (the epoch and the runs changed), so a preview never shows
   * the host as it was before this server's own change. The scan waits one turn of the event loop first: the
   * previews of a batch all join it, and requests already queued are answered before the synchronous walk.
   */
  private hostForPreview(): Promise<PreviewHost> {
    const c = this.previewHost;
    const runs = this.runsKey();
    if (c?.epoch === this.hostEpoch && c.runs === runs && this.now() - c.at < PREVIEW_FRESH_MS) return c.host;
    const host = (async (): Promise<PreviewHost> => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const inventory = this.deps.inventory(true);
      const view = this.deps.libvirt ? await this.deps.libvirt.view(true) : null;
      return { inventory, view };
    })();
    const entry = { at: this.now(), epoch: this.hostEpoch, runs, host };
    // A failed scan is not shared beyond the previews that waited for it.
    entry.host.catch(() => {
      if (this.previewHost === entry) this.previewHost = null;
    });
    this.previewHost = entry;
    return entry.host;
  }

  /** The kept runs and whether each finished: changes whenever an apply starts, fails before running, or ends. */
  private runsKey(): string {
    return [...this.runs].map(([id, r]) => `${id}${r.done ? "+" : "-"}`).join(",");
  }

  private trimRuns() {
    while (this.runs.size > KEPT_RUNS) this.runs.delete(this.runs.keys().next().value!);
  }
}

/**
 * Every plan, whoever asked for it, meets the in-use map: a running VM's device is not pulled from under it and no
 * device goes to two VMs. Without libvirt there are no VMs to guard; with libvirt installed but silent, the user
 * is told the check could not be made.
 */
export function withGuestChecks(
  outcome: PlanOutcome,
  inv: Inventory,
  view: LibvirtView | null,
  o: Overrides,
  withAllOverrides: PlanOutcome | null = null,
  vfCounts: { pf: string; count: number }[] = [],
): PlanOutcome {
  if (outcome.kind === "refused" && view?.ok) {
    // The same request planned with every override has the steps (and a VF count request names its PF even when
    // the host refuses it outright): a VM's claim comes first in the refusal, it is the reason that matters.
    const vm = [
      ...(withAllOverrides?.kind === "plan" ? guestConflicts(withAllOverrides.plan, inv, view.inUse) : []),
      ...vfCounts.flatMap((c) => vfCountConflicts(inv, view.inUse, c.pf, c.count)),
    ].filter((p, i, all) => p.override === null && all.findIndex((q) => q.reason === p.reason) === i);
    return vm.length > 0 ? { kind: "refused", refusals: [...vm, ...outcome.refusals] } : outcome;
  }
  if (outcome.kind !== "plan" || !view) return outcome;
  const problems: Refusal[] = view.ok
    ? guestConflicts(outcome.plan, inv, view.inUse)
    : libvirtUnreachable(view)
      ? offlineConflicts(outcome.plan, inv, view.records, view.reason.cause)
      : [];
  if (problems.length === 0) return outcome;
  const blocking = problems.filter((p) => p.override === null || (p.override === "force" && !o.force) || (p.override === "confirm" && !o.confirm && !o.force));
  if (blocking.length > 0) return { kind: "refused", refusals: blocking };
  return { ...outcome, warnings: [...outcome.warnings, ...problems] };
}

/** What the applier answers for a plan it holds no confirmation for; another caller's plan gets the same words. */
const notWaitingToConfirm = (planId: string) =>
  `plan ${planId} is not waiting for a confirmation: it was confirmed already, or undone when its window closed (see the journal)`;
const notWaitingToRevert = (planId: string) =>
  `plan ${planId} is not waiting for a confirmation, so there is nothing to undo here: use the journal's plan to restore`;

function sameSteps(a: Plan, b: Plan): boolean {
  return JSON.stringify(a.steps.map((s) => [s.step, s.inverse])) === JSON.stringify(b.steps.map((s) => [s.step, s.inverse]));
}
