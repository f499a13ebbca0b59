import { parsePciAddress } from "@/lib/pci-address";
import { DRIVER_NAME_PATTERN } from "@/lib/schemas";
import { PlanExecutor } from "@/server/executor/executor";
import { describeStep, isLibvirtStep, type PlanResult } from "@/server/executor/plan";
import type { KernelFs } from "@/server/host/fs";
import type { Inventory } from "@/server/host/types";
import type { SysfsWriter } from "@/server/host/writer";
import { PlanRejected, validatePlan, vfSettingsSchema } from "@/server/executor/allow-list";
import type { Plan, VfSettings } from "@/server/executor/plan";
import { readVfInfo, type IpLink } from "@/server/host/ip-link";
import type { Journal } from "@/server/db/journal";
import { applyJournaled, journalSnapshot } from "@/server/executor/journaled-apply";
import { planBindVfio, planRestore, planVfCount, planVfSettings, type PlanOutcome, type Refusal } from "@/server/plans/planner";
import type { DesiredStore } from "@/server/desired/store";
import { hostDriverBefore } from "@/server/plans/host-driver";
import { withGuestChecks } from "@/server/plans/plan-service";
import type { XmlChange } from "@/server/plans/vm";
import type { LibvirtService } from "@/server/libvirt/service";
import { InvalidInput } from "./errors";

export interface WriteDeps {
  inventory: () => Inventory;
  /** every apply is journaled; opened only when something will be applied (a dry run needs no database) */
  journal: () => Journal;
  actor: string;
  /**
   * where a successful apply is remembered for `passdeck reconcile` (same database as the journal); opened only
   * when something was applied. Absent only in tests that do not look at it.
   */
  desired?: () => DesiredStore;
  sys: KernelFs;
  writer: SysfsWriter;
  ip: IpLink;
  kernelLog?: { mark: () => number; since: (mark: number) => string[] };
  /** procfs: the executor looks for holders again right before an unbind or a VF count change */
  procRoot?: string;
  /** libvirt's VMs: the in-use checks, and the executor's attach/detach; null when there is none */
  libvirt?: LibvirtService | null;
}

export interface WriteFlags {
  json: boolean;
  dryRun: boolean;
  confirm: boolean;
  force: boolean;
  autoprobe?: string;
  driver?: string;
  // parseArgs gives an absent option as undefined
  vf?: Partial<Record<"mac" | "vlan" | "qos" | "spoofchk" | "trust" | "state" | "minRate" | "maxRate", string | undefined>>;
}

function address(raw: string | undefined, what: string): string {
  if (!raw) throw new InvalidInput(`${what} is missing`);
  const parsed = parsePciAddress(raw);
  if (!parsed.ok) throw new InvalidInput(parsed.error);
  return parsed.address;
}

/** Plans the command, prints the plan (dry run) or applies it; returns the exit code. */
export async function runWriteCommand(command: string, args: string[], flags: WriteFlags, deps: WriteDeps): Promise<number> {
  const inv = deps.inventory();
  const overrides = { confirm: flags.confirm, force: flags.force };
  const planned = await planCommand(command, args, flags, deps, inv, overrides);
  const withAll = planned.kind === "refused" && deps.libvirt ? await planCommand(command, args, flags, deps, inv, { confirm: true, force: true }) : null;
  // `vfs set <pf> <count>` names its PF even when the host refuses it outright (VFs on vfio-pci): VMs are checked too.
  const pfArg = command === "vfs" ? parsePciAddress(args[1] ?? "") : null;
  const counts = pfArg?.ok && /^\d{1,5}$/.test(args[2] ?? "") ? [{ pf: pfArg.address, count: Number(args[2]) }] : [];
  return finishOutcome(await guestChecked(planned, inv, overrides, deps, withAll, counts), flags, deps);
}

async function planCommand(
  command: string,
  args: string[],
  flags: WriteFlags,
  deps: WriteDeps,
  inv: Inventory,
  overrides: { confirm: boolean; force: boolean },
): Promise<PlanOutcome> {
  let outcome: PlanOutcome;
  if (command === "vfs") {
    const [verb, pf, countText] = args;
    if (verb !== "set") throw new InvalidInput(`unknown "vfs ${verb ?? ""}": use passdeck vfs set <pf> <count>`);
    const pfAddress = address(pf, "the PF address");
    if (!countText || !/^\d{1,5}$/.test(countText)) throw new InvalidInput(`the VF count must be a whole number, not ${JSON.stringify(countText ?? "")}`);
    if (flags.autoprobe !== undefined && !["on", "off"].includes(flags.autoprobe))
      throw new InvalidInput(`--autoprobe takes on or off, not ${JSON.stringify(flags.autoprobe)}`);
    outcome = planVfCount(inv, pfAddress, Number(countText), {
      ...overrides,
      ...(flags.autoprobe ? { autoprobe: flags.autoprobe === "on" } : {}),
    });
  } else if (command === "vf") {
    const [verb, pf, indexText] = args;
    if (verb !== "set") throw new InvalidInput(`unknown "vf ${verb ?? ""}": use passdeck vf set <pf> <index> --mac …`);
    const pfAddress = address(pf, "the PF address");
    if (!indexText || !/^\d{1,5}$/.test(indexText)) throw new InvalidInput(`the VF index must be a whole number, not ${JSON.stringify(indexText ?? "")}`);
    const settings = parseVfFlags(flags.vf ?? {});
    const netdev = inv.devices.find((d) => d.address === pfAddress)?.netdevs[0]?.name;
    const current = netdev ? ((await readVfInfo(deps.ip, netdev).catch(() => [])).find((v) => v.vf === Number(indexText)) ?? null) : null;
    outcome = planVfSettings(inv, pfAddress, Number(indexText), settings, current);
  } else if (command === "bind") {
    const [dev, driver] = args;
    const devAddress = address(dev, "the device address");
    if (driver !== "vfio-pci")
      throw new InvalidInput(`passdeck bind only binds to vfio-pci (got ${JSON.stringify(driver ?? "")}); use restore for the host driver`);
    outcome = planBindVfio(inv, devAddress, overrides);
  } else {
    const devAddress = address(args[0], "the device address");
    if (flags.driver !== undefined && !DRIVER_NAME_PATTERN.test(flags.driver))
      throw new InvalidInput(`--driver must be a kernel driver name such as igbvf, not ${JSON.stringify(flags.driver)}`);
    const hostDriver = flags.driver ?? previousDriver(deps, devAddress);
    outcome = planRestore(inv, devAddress, { ...overrides, ...(hostDriver ? { hostDriver } : {}) });
  }

  return outcome;
}

/** The in-use map's verdict on a plan (a running VM's device, one device to two VMs), as in the dashboard. */
export async function guestChecked(
  outcome: PlanOutcome,
  inv: Inventory,
  overrides: { confirm: boolean; force: boolean },
  deps: WriteDeps,
  withAllOverrides: PlanOutcome | null = null,
  vfCounts: { pf: string; count: number }[] = [],
): Promise<PlanOutcome> {
  if (outcome.kind === "nothing-to-do" || !deps.libvirt) return outcome;
  return withGuestChecks(outcome, inv, await deps.libvirt.view(true), overrides, withAllOverrides, vfCounts);
}

/** Prints a refusal or "nothing to do" (exit 2 / 0), or shows/applies the plan. */
export async function finishOutcome(outcome: PlanOutcome, flags: WriteFlags, deps: WriteDeps, extra: Record<string, unknown> = {}): Promise<number> {
  if (outcome.kind === "refused") {
    if (flags.json) console.log(JSON.stringify({ refused: outcome.refusals }, null, 2));
    for (const r of outcome.refusals)
      console.error(
        `passdeck: refused: ${r.reason}${r.override === "confirm" ? " (add --confirm to accept)" : r.override === "force" ? " (add --force to override)" : ""}`,
      );
    return 2;
  }
  if (outcome.kind === "nothing-to-do") {
    console.log(flags.json ? JSON.stringify({ nothingToDo: outcome.reason }) : outcome.reason);
    return 0;
  }
  return showOrApply(outcome.plan, outcome.warnings, flags, deps, extra);
}

/**
 * `passdeck apply <plan.json>`: a plan saved from `--dry-run --json` (or written by hand), applied as it is. The
 * executor's allow-list decides what it may touch and nothing re-plans it, so the kernel's own answers (EBUSY,
 * ERANGE) come back decoded when the host moved on since the plan was saved.
 */
export async function runApplyFile(file: string | undefined, flags: WriteFlags, deps: WriteDeps, readText: (path: string) => string): Promise<number> {
  if (!file) throw new InvalidInput("passdeck apply needs a plan file, e.g. passdeck vfs set 0000:3b:00.1 3 --dry-run --json > plan.json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(file));
  } catch (err) {
    throw new InvalidInput(`${file} is not a readable JSON plan: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Accept the whole `--dry-run --json` output as well as the plan alone.
  const candidate = parsed && typeof parsed === "object" && "plan" in parsed ? parsed.plan : parsed;
  let plan: Plan;
  try {
    plan = validatePlan(candidate);
  } catch (err) {
    if (!(err instanceof PlanRejected)) throw err;
    if (!flags.dryRun) {
      try {
        deps.journal().refuse(candidate, { actor: deps.actor, source: "cli" }, err.issues);
      } catch {
        // the refusal is what the user must see
      }
    }
    if (flags.json) console.log(JSON.stringify({ refused: err.issues }, null, 2));
    for (const issue of err.issues) console.error(`passdeck: refused: ${issue}`);
    return 2;
  }
  return showOrApply(plan, [], flags, deps);
}

async function showOrApply(plan: Plan, warnings: Refusal[], flags: WriteFlags, deps: WriteDeps, extra: Record<string, unknown> = {}): Promise<number> {
  if (flags.dryRun) {
    if (flags.json) console.log(JSON.stringify({ plan, warnings, commands: plan.steps.map((s) => describeStep(s.step)), ...extra }, null, 2));
    else {
      console.log(`Plan: ${plan.title} (dry run: nothing written)`);
      plan.steps.forEach((s, i) => console.log(`  ${i + 1}. ${s.summary}\n       ${describeStep(s.step)}`));
      for (const w of warnings) console.log(`  warning: ${w.reason}`);
      const changes = (extra.xmlChanges ?? []) as XmlChange[];
      for (const c of changes)
        console.log(
          `\n${c.domain} (${c.target === "live" ? "running VM" : "persistent config"}) ${c.op === "add" ? "gains" : "loses"}:\n${c.xml
            .split("\n")
            .map((l) => `${c.op === "add" ? "+" : "-"} ${l}`)
            .join("\n")}`,
        );
    }
    return 0;
  }

  const executor = new PlanExecutor({
    sys: deps.sys,
    writer: deps.writer,
    ip: deps.ip,
    ...(deps.kernelLog ? { kernelLog: deps.kernelLog } : {}),
    ...(deps.libvirt ? { libvirt: deps.libvirt } : {}),
    ...(deps.procRoot !== undefined ? { procRoot: deps.procRoot } : {}),
  });
  // what --confirm/--force accepted is said once more, where the apply is (and in its JSON)
  if (!flags.json) for (const w of warnings) console.log(`  accepted: ${w.reason}`);
  const snapshot = () => journalSnapshot(deps.inventory(), plan);
  const { entryId, result, journalError }: { entryId: number; result: PlanResult; journalError?: string } = await applyJournaled(
    executor,
    deps.journal(),
    plan,
    { actor: deps.actor, source: "cli" },
    snapshot,
    (r) => {
      if (!flags.json) console.log(`  [${r.status}] ${r.command}`);
    },
  );
  if (journalError) console.error(`passdeck: warning: the journal could not record everything: ${journalError}`);
  const remembered = result.ok ? rememberApplied(deps, plan) : false;
  if (flags.json)
    console.log(JSON.stringify({ plan, warnings, result, journalEntry: entryId, ...(result.ok ? { desiredRecorded: remembered } : {}) }, null, 2));
  if (result.ok) {
    if (!flags.json) console.log(`Applied: ${plan.title}.${remembered ? " Remembered as desired state: passdeck reconcile puts it back after a reboot." : ""}`);
    return 0;
  }
  const failed = result.steps.find((s) => s.status === "failed");
  if (failed?.error)
    console.error(
      `passdeck: ${failed.error.cause}${failed.error.errno ? ` [${failed.error.errno}]` : ""}\n  fix: ${failed.error.fix}${failed.error.kernelLines.length ? `\n  kernel: ${failed.error.kernelLines.join("\n          ")}` : ""}`,
    );
  console.error(
    result.rolledBack
      ? "passdeck: rolled back: the host is as it was before."
      : "passdeck: ROLLBACK INCOMPLETE: see the steps above; the host is not as it was.",
  );
  return 1;
}

/** The driver the journal saw the device released from; none when the journal cannot be opened (a dry run as a user). */
function previousDriver(deps: WriteDeps, address: string): string | null {
  try {
    return hostDriverBefore(deps.journal(), address);
  } catch {
    return null;
  }
}

/** Records the applied plan as desired state. The host did change: a database problem is a warning, not a failure. */
function rememberApplied(deps: WriteDeps, plan: Plan): boolean {
  // A VM's devices are libvirt's to keep (its persistent config): nothing to remember for boot.
  if (!deps.desired || plan.steps.every((s) => isLibvirtStep(s.step) || s.step.kind === "wait-for")) return false;
  try {
    deps.desired().record(plan, deps.inventory(), deps.actor);
    return true;
  } catch (err) {
    console.error(
      `passdeck: warning: applied, but not remembered as desired state (reconcile will not restore it): ${err instanceof Error ? err.message : String(err)}`,
    );
    return false;
  }
}

const onOff = (name: string, v: string | undefined): boolean | undefined => {
  if (v === undefined) return undefined;
  if (v !== "on" && v !== "off") throw new InvalidInput(`--${name} takes on or off, not ${JSON.stringify(v)}`);
  return v === "on";
};

const integer = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d{1,6}$/.test(v)) throw new InvalidInput(`--${name} takes a whole number, not ${JSON.stringify(v)}`);
  return Number(v);
};

/** Flags → VfSettings, validated by the same schema the executor enforces, with the schema's words on refusal. */
function parseVfFlags(f: NonNullable<WriteFlags["vf"]>): VfSettings {
  const raw = {
    mac: f.mac?.toLowerCase().replace(/-/g, ":"),
    vlan: integer("vlan", f.vlan),
    qos: integer("qos", f.qos),
    spoofchk: onOff("spoofchk", f.spoofchk),
    trust: onOff("trust", f.trust),
    state: f.state,
    minTxRateMbps: integer("min-rate", f.minRate),
    maxTxRateMbps: integer("max-rate", f.maxRate),
  };
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = vfSettingsSchema.safeParse(present);
  if (!parsed.success)
    throw new InvalidInput(
      parsed.error.issues
        .map((i) =>
          i.path.length
            ? `--${String(i.path[0]).replace("TxRateMbps", "-rate").replace("Rate", "-rate")} ${JSON.stringify(present[String(i.path[0])])}: ${i.message}`
            : `${i.message}: give --mac, --vlan, --spoofchk, --trust, --state or a rate`,
        )
        .join("; "),
    );
  return parsed.data;
}
